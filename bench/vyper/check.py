#!/usr/bin/env python3
"""Vyper on real code: what `web3audit scan` reports on the Vyper corpus, and the 2023
broken-lock case on real Curve pool sources.

1. Scans each project folder of the corpus (JSON), prints the findings per detector and
   severity, and lists every critical and high finding.
2. The well-audited set (Yearn's vault and snekmate): every critical or high finding
   there must be explained in EXPLAINED (a TSV: file, line, rule id, reason); an
   unexplained one, or an explanation that no longer matches a finding, fails the run.
3. The broken `@nonreentrant` locks: the Curve ETH pools of the corpus (pinned to 0.2.8,
   whose locks work) are scanned again with their pragma set to each affected release
   (0.2.15, 0.2.16, 0.3.0: the finding must be there, critical) and to the first fixed
   release 0.3.1 and their own 0.2.8 (it must not).

usage: check.py --binary BIN --corpus DIR --explained FILE
"""
import argparse
import collections
import json
import pathlib
import subprocess
import sys
import tempfile

WELL_AUDITED = ("yearn-vaults", "snekmate")
LOCK_RULE = "vyper-reentrancy-lock-bug"
AFFECTED = ("0.2.15", "0.2.16", "0.3.0")
UNAFFECTED = ("0.3.1", "0.2.8")
POOLS = ("seth", "steth", "reth", "aeth")


def scan(binary, path):
    run = subprocess.run(
        [binary, "scan", str(path), "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    if run.returncode not in (0, 1):
        sys.exit(f"scan of {path} failed with exit code {run.returncode}:\n{run.stderr}")
    return json.loads(run.stdout)


def corpus_findings(binary, corpus):
    rows = []
    files = 0
    diagnostics = collections.Counter()
    for project in sorted(p for p in corpus.iterdir() if p.is_dir()):
        report = scan(binary, project)
        files += report["stats"]["files_reported"]
        for d in report.get("diagnostics", []):
            diagnostics[(d["kind"], d["level"])] += 1
        for f in report["findings"]:
            rows.append((project.name, f"{project.name}/{f['file']}", f["start_line"],
                         f["rule_id"], f["severity"], f["message"]))
    return files, rows, diagnostics


def check_explained(rows, explained_path):
    explained = {}
    for line in explained_path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        file, line_no, rule, reason = line.split("\t", 3)
        explained[(file, int(line_no), rule)] = reason
    problems = []
    seen = set()
    for project, file, line, rule, severity, message in rows:
        if project not in WELL_AUDITED or severity not in ("critical", "high"):
            continue
        key = (file, line, rule)
        seen.add(key)
        if key not in explained:
            problems.append(f"unexplained {severity} finding on a well-audited contract: "
                            f"{file}:{line} [{rule}] {message}")
    for key in explained:
        if key not in seen:
            problems.append(f"stale explanation (no such finding any more): {key}")
    return problems, len(seen)


def lock_case(binary, corpus):
    problems = []
    table = []
    for pool in POOLS:
        folder = corpus / "curve-contract" / "contracts" / "pools" / pool
        sources = sorted(folder.glob("StableSwap*.vy"))
        if not sources:
            problems.append(f"no pool source in {folder}")
            continue
        source = sources[0]
        text = source.read_text()
        first = next((l for l in text.splitlines() if l.startswith("# @version")), None)
        if first is None:
            problems.append(f"{source}: no version pragma")
            continue
        row = [source.name]
        for version in AFFECTED + UNAFFECTED:
            with tempfile.TemporaryDirectory() as tmp:
                copy = pathlib.Path(tmp) / source.name
                copy.write_text(text.replace(first, f"# @version {version}", 1))
                report = scan(binary, copy)
            found = [f for f in report["findings"] if f["rule_id"] == LOCK_RULE]
            if version in AFFECTED:
                ok = bool(found) and all(f["severity"] == "critical" for f in found)
            else:
                ok = not found
            row.append(("found" if found else "silent") + ("" if ok else " (WRONG)"))
            if not ok:
                problems.append(f"{source.name} at {version}: {LOCK_RULE} "
                                f"{'missing' if version in AFFECTED else 'reported'}")
        table.append(row)
    return table, problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--corpus", required=True, type=pathlib.Path)
    parser.add_argument("--explained", required=True, type=pathlib.Path)
    args = parser.parse_args()

    files, rows, diagnostics = corpus_findings(args.binary, args.corpus)
    by_rule = collections.Counter((r[3], r[4]) for r in rows)
    print(f"Vyper corpus: {files} files reported, {len(rows)} findings")
    print("diagnostics: " + (", ".join(f"{k[0]} {k[1]}: {n}" for k, n in sorted(diagnostics.items())) or "none"))
    print("\n| detector | severity | findings |\n|---|---|---|")
    for (rule, severity), n in sorted(by_rule.items()):
        print(f"| `{rule}` | {severity} | {n} |")
    print("\ncritical and high findings:")
    for project, file, line, rule, severity, message in rows:
        if severity in ("critical", "high"):
            print(f"  {severity:8} {file}:{line} [{rule}] {message}")

    problems, audited = check_explained(rows, args.explained)
    print(f"\nwell-audited set ({', '.join(WELL_AUDITED)}): {audited} critical/high findings, "
          f"each explained in {args.explained}" if not problems else "")

    table, lock_problems = lock_case(args.binary, args.corpus)
    problems += lock_problems
    print("\nbroken-lock case on Curve ETH pools (pragma set to each release):")
    print("| pool | " + " | ".join(AFFECTED + UNAFFECTED) + " |")
    print("|---" * (1 + len(AFFECTED) + len(UNAFFECTED)) + "|")
    for row in table:
        print("| " + " | ".join(row) + " |")

    if problems:
        print("\nFAILED:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        sys.exit(1)
    print("\nok")


if __name__ == "__main__":
    main()
