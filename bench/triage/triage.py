#!/usr/bin/env python3
"""The precision triage set: a stratified random sample of high and medium findings, each
with a verdict read off the code, and the precision that follows from it.

USAGE
  triage.py draw    FINDINGS.json [--set FILE] [--per-severity N] [--per-detector N] [--seed S]
        Adds the findings of the current sample that the set does not hold yet, with the
        verdict `pending`, and for calibration the first N (default 8) findings of each
        detector at each severity. Verdicts already in the set are never changed.
  triage.py score   FINDINGS.json [--set FILE] [--per-severity N] [--seed S] [--markdown]
        Precision per severity and per detector over the current sample; lists the sample's
        pending findings and the regressions (findings triaged `true` that are no longer
        reported). Exit 1 when the sample holds pending findings or a true finding is
        no longer reported.
  triage.py pending FINDINGS.json [--set FILE] [--per-severity N] [--seed S]
        The pending findings of the current sample, one a line, for triage.

FINDINGS.json is `web3audit scan DIR --format json` output. The set defaults to
bench/triage/wild-sample.tsv, the sample size to 120 findings per severity, the seed to
`web3audit-triage-1`.

THE SAMPLE
  Per severity (high, medium), the findings ordered by SHA-256 of `seed|key`, the first N.
  The key of a finding is `file:line:column:detector`: it survives message and severity
  changes, so a verdict stays attached to its finding while the detectors change. When
  findings disappear, the next ones in hash order enter the sample and must be triaged;
  a finding that moves to another severity keeps its verdict. The same draw over the
  findings of any other corpus gives a held-out sample scored the same way.

VERDICTS (column `verdict`)
  true       the code has the defect the message states, the stated actor can reach it,
             and an auditor would ask for a fix;
  false      the message's claim is wrong, or the defect cannot happen (bounded, guarded,
             trusted target, nothing to gain), or nobody would fix it;
  debatable  correct only under an assumption the code does not settle (intent, trust in
             an off-chain party, negligible impact).
  Precision counts only `true` as right: true / (true + false + debatable).
"""

import argparse
import collections
import csv
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SET = os.path.join(HERE, "wild-sample.tsv")
DEFAULT_SEED = "web3audit-triage-1"
SEVERITIES = ("high", "medium")
COLUMNS = ("file", "line", "column", "detector", "severity", "verdict", "reason")
VERDICTS = ("true", "false", "debatable", "pending")


def key_of(f):
    return f"{f['file']}:{f['start_line']}:{f['start_column']}:{f['rule_id']}"


def row_key(r):
    return f"{r['file']}:{r['line']}:{r['column']}:{r['detector']}"


def load_findings(path):
    with open(path) as fh:
        report = json.load(fh)
    by_key = {}
    for f in report["findings"]:
        if f["severity"] == "critical":
            f = dict(f, severity="high")  # scored with the high findings
        by_key.setdefault(key_of(f), f)
    return by_key


def sample(findings, per_severity, seed):
    """The keys of the current sample, per severity, in hash order."""
    out = {}
    for sev in SEVERITIES:
        keys = [k for k, f in findings.items() if f["severity"] == sev]
        keys.sort(key=lambda k: hashlib.sha256(f"{seed}|{k}".encode()).hexdigest())
        out[sev] = keys[:per_severity]
    return out


def load_set(path):
    rows = collections.OrderedDict()
    if not os.path.exists(path):
        return rows
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["verdict"] not in VERDICTS:
                sys.exit(f"{path}: unknown verdict {r['verdict']!r} for {row_key(r)}")
            rows[row_key(r)] = r
    return rows


def save_set(path, rows):
    ordered = sorted(rows.values(), key=lambda r: (r["file"], int(r["line"]), int(r["column"]), r["detector"]))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        for r in ordered:
            w.writerow({c: r.get(c, "") for c in COLUMNS})


def per_detector_sample(findings, n, seed):
    """For calibration: the first `n` findings of each (severity, detector), in hash order."""
    groups = collections.defaultdict(list)
    for k, f in findings.items():
        if f["severity"] in SEVERITIES:
            groups[(f["severity"], f["rule_id"])].append(k)
    out = {}
    for g, keys in groups.items():
        keys.sort(key=lambda k: hashlib.sha256(f"{seed}|{k}".encode()).hexdigest())
        out[g] = keys[:n]
    return out


def cmd_draw(args, findings, rows):
    added = 0
    drawn = sample(findings, args.per_severity, args.seed)
    for (sev, _), keys in per_detector_sample(findings, args.per_detector, args.seed).items():
        drawn[sev] = drawn[sev] + [k for k in keys if k not in drawn[sev]]
    for sev, keys in drawn.items():
        for k in keys:
            if k in rows:
                continue
            f = findings[k]
            rows[k] = {
                "file": f["file"],
                "line": str(f["start_line"]),
                "column": str(f["start_column"]),
                "detector": f["rule_id"],
                "severity": sev,
                "verdict": "pending",
                "reason": " ".join(f["message"].split()),
            }
            added += 1
    save_set(args.set, rows)
    print(f"{added} findings added to {os.path.relpath(args.set)} as pending ({len(rows)} in the set)")
    return 0


def pct(n, d):
    return f"{100.0 * n / d:.0f}%" if d else "-"


def cmd_score(args, findings, rows):
    drawn = sample(findings, args.per_severity, args.seed)
    status = 0
    md = args.markdown
    pending_all = []
    for sev in SEVERITIES:
        keys = drawn[sev]
        per = collections.defaultdict(collections.Counter)
        for k in keys:
            verdict = rows[k]["verdict"] if k in rows else "pending"
            per[findings[k]["rule_id"]][verdict] += 1
            if verdict == "pending":
                pending_all.append(k)
        total = collections.Counter()
        for c in per.values():
            total.update(c)
        judged = total["true"] + total["false"] + total["debatable"]
        n_sev = sum(1 for f in findings.values() if f["severity"] == sev)
        title = (f"{sev}: {len(keys)} of {n_sev} findings sampled; precision {pct(total['true'], judged)} "
                 f"({total['true']} true, {total['debatable']} debatable, {total['false']} false"
                 + (f", {total['pending']} pending" if total["pending"] else "") + ")")
        if md:
            print(f"\n**{title}**\n")
            print("| detector | sampled | true | debatable | false | precision |")
            print("|---|---:|---:|---:|---:|---:|")
        else:
            print(f"\n{title}")
            print(f"  {'detector':32} {'sampled':>7} {'true':>5} {'deb':>5} {'false':>5} {'prec':>6}")
        for det, c in sorted(per.items(), key=lambda x: (-sum(x[1].values()), x[0])):
            j = c["true"] + c["false"] + c["debatable"]
            n = sum(c.values())
            if md:
                print(f"| `{det}` | {n} | {c['true']} | {c['debatable']} | {c['false']} | {pct(c['true'], j)} |")
            else:
                print(f"  {det:32} {n:>7} {c['true']:>5} {c['debatable']:>5} {c['false']:>5} {pct(c['true'], j):>6}")
    # Calibration: every triaged finding still reported, per detector at its severity
    # (the stratified sample plus the per-detector draws).
    cal = collections.defaultdict(collections.Counter)
    for k, r in rows.items():
        if k in findings and r["verdict"] != "pending" and findings[k]["severity"] in SEVERITIES:
            cal[(findings[k]["severity"], findings[k]["rule_id"])][r["verdict"]] += 1
    if md:
        print("\n**Per detector, every triaged finding still reported (calibration)**\n")
        print("| severity | detector | triaged | true | debatable | false | precision |")
        print("|---|---|---:|---:|---:|---:|---:|")
    else:
        print("\nper detector, every triaged finding still reported (calibration)")
    for (sev, det), c in sorted(cal.items(), key=lambda x: (SEVERITIES.index(x[0][0]), x[0][1])):
        n = sum(c.values())
        if md:
            print(f"| {sev} | `{det}` | {n} | {c['true']} | {c['debatable']} | {c['false']} | {pct(c['true'], n)} |")
        else:
            print(f"  {sev:7} {det:32} {n:>7} {c['true']:>5} {c['debatable']:>5} {c['false']:>5} {pct(c['true'], n):>6}")
    regressions = [r for k, r in rows.items() if r["verdict"] == "true" and k not in findings]
    fixed = sum(1 for k, r in rows.items() if r["verdict"] == "false" and k not in findings)
    print(f"\nfalse findings of the set no longer reported: {fixed}")
    print(f"true findings of the set no longer reported (regressions): {len(regressions)}")
    for r in regressions:
        print(f"  REGRESSION {row_key(r)}: {r['reason']}")
    if regressions:
        status = 1
    if pending_all:
        print(f"\n{len(pending_all)} findings of the sample are pending: run `triage.py draw` and triage them")
        status = 1
    return status


def cmd_pending(args, findings, rows):
    drawn = sample(findings, args.per_severity, args.seed)
    for sev in SEVERITIES:
        for k in drawn[sev]:
            if k not in rows or rows[k]["verdict"] == "pending":
                f = findings[k]
                print(f"{sev}\t{f['file']}:{f['start_line']}:{f['start_column']}\t{f['rule_id']}\t{f['message']}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=("draw", "score", "pending"))
    p.add_argument("findings")
    p.add_argument("--set", default=DEFAULT_SET)
    p.add_argument("--per-severity", type=int, default=120)
    p.add_argument("--per-detector", type=int, default=8,
                   help="draw: also the first N findings of each detector at each severity")
    p.add_argument("--seed", default=DEFAULT_SEED)
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args()
    findings = load_findings(args.findings)
    rows = load_set(args.set)
    return {"draw": cmd_draw, "score": cmd_score, "pending": cmd_pending}[args.command](args, findings, rows)


if __name__ == "__main__":
    sys.exit(main())
