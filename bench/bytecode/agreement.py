#!/usr/bin/env python3
"""Agreement between the bytecode detectors and the source detectors on the same corpus.

    bench/bytecode/agreement.py [CORPUS_DIR] [FINDINGS_JSON] [SCANNER]

CORPUS_DIR (default target/bytecode-corpus) is the output of build.sh; FINDINGS_JSON (default
target/bytecode-corpus-findings.json) is written by
`cargo run --release -p evm --example corpus -- CORPUS_DIR --findings FINDINGS_JSON`;
SCANNER (default target/release/web3audit) runs `scan FILE --format json` on every source
file that compiled. Each bytecode detector is mapped to the source detectors whose ids match
(read from `SCANNER detectors`), and the script prints, per detector, the contracts (and the
files) where both, only the bytecode or only the source detector reports.
"""
import json
import os
import subprocess
import sys

# bytecode detector -> predicate on source detector ids
MAPPING = {
    "bytecode-unguarded-selfdestruct": lambda i: "selfdestruct" in i or "suicidal" in i,
    "bytecode-tx-origin-auth": lambda i: i == "tx-origin-auth",
    "bytecode-unchecked-call": lambda i: i in ("unchecked-low-level-call", "unchecked-send"),
    "bytecode-delegatecall-controlled": lambda i: "delegatecall" in i and "controlled" in i,
    "bytecode-unguarded-ether-transfer": lambda i: i == "arbitrary-send-eth",
    "bytecode-arbitrary-storage-write": lambda i: i == "arbitrary-storage-write",
    "bytecode-state-write-after-call": lambda i: i.startswith("reentrancy-")
    and i not in ("reentrancy-events", "reentrancy-read-only"),
}


def source_ids(scanner):
    out = subprocess.run([scanner, "detectors", "--json"], capture_output=True,
                         text=True)
    ids = []
    if out.returncode == 0:
        try:
            doc = json.loads(out.stdout)
            items = doc if isinstance(doc, list) else doc.get("detectors", [])
            ids = [d["id"] for d in items]
        except (ValueError, KeyError, TypeError):
            ids = []
    if not ids:
        out = subprocess.run([scanner, "detectors"], capture_output=True, text=True)
        ids = [line.split()[0] for line in out.stdout.splitlines()
               if line.strip() and line.split()[0].count("-") >= 1
               and line.split()[0].islower()]
    return ids


def scan(scanner, path):
    out = subprocess.run([scanner, "scan", path, "--format", "json"], capture_output=True,
                         text=True)
    try:
        report = json.loads(out.stdout)
    except ValueError:
        return None
    found = {}
    for f in report.get("findings", []):
        found.setdefault(f.get("contract") or "", set()).add(f["rule_id"])
    return found


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else "target/bytecode-corpus"
    findings_path = sys.argv[2] if len(sys.argv) > 2 else "target/bytecode-corpus-findings.json"
    scanner = sys.argv[3] if len(sys.argv) > 3 else "target/release/web3audit"
    with open(findings_path) as f:
        bytecode = json.load(f)
    ids = source_ids(scanner)
    mapped = {b: sorted(i for i in ids if pred(i)) for b, pred in MAPPING.items()}
    for b, m in mapped.items():
        print(f"{b} <-> {', '.join(m) or '(no source detector)'}")
    per_contract = {b: [0, 0, 0] for b in MAPPING}
    per_file = {b: [0, 0, 0] for b in MAPPING}
    examples = {b: ([], []) for b in MAPPING}
    scanned = failed = 0
    for source, contracts in sorted(bytecode.items()):
        src = scan(scanner, source)
        if src is None:
            failed += 1
            continue
        scanned += 1
        names = {key.rsplit(":", 1)[-1] for key in contracts} | {c for c in src if c}
        for b, pred in MAPPING.items():
            file_b = file_s = False
            for name in names:
                hit_b = any(b in ids_ for key, ids_ in contracts.items()
                            if key.rsplit(":", 1)[-1] == name)
                hit_s = any(pred(i) for i in src.get(name, ()))
                file_b |= hit_b
                file_s |= hit_s
                if hit_b and hit_s:
                    per_contract[b][0] += 1
                elif hit_b:
                    per_contract[b][1] += 1
                    examples[b][0].append(f"{os.path.basename(source)}:{name}")
                elif hit_s:
                    per_contract[b][2] += 1
                    examples[b][1].append(f"{os.path.basename(source)}:{name}")
            file_s |= any(pred(i) for i in src.get("", ()))
            if file_b and file_s:
                per_file[b][0] += 1
            elif file_b:
                per_file[b][1] += 1
            elif file_s:
                per_file[b][2] += 1
    print(f"\nsource files scanned: {scanned} (scanner failed on {failed})")
    print(f"{'bytecode detector':36} {'contracts: both / bytecode-only / source-only':>48}"
          f"   files: both / bytecode-only / source-only")
    for b in MAPPING:
        c, f = per_contract[b], per_file[b]
        print(f"{b:36} {c[0]:>28} / {c[1]:>5} / {c[2]:>5}   {f[0]:>10} / {f[1]:>5} / {f[2]:>5}")
    if "-v" in sys.argv:
        for b, (only_b, only_s) in examples.items():
            print(f"\n{b}\n  bytecode only: {only_b[:10]}\n  source only: {only_s[:10]}")


if __name__ == "__main__":
    main()
