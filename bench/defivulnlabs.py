#!/usr/bin/env python3
"""Recall on DeFiVulnLabs over its statically detectable labels (standard library only).

    python3 bench/defivulnlabs.py --labels LABELS.json --findings F.sarif --mapping bench/categories.json
        [--json out.json] [--floor PERCENT]

A label counts as found two ways, both printed:
  any       a finding of any detector, severity low or above, whose line range (a range
            longer than 3 lines counts at its first line only) holds a labelled line;
  category  the same, with the detector mapped (bench/categories.json) to the label's category.
False-alarm proxy: findings of mapped detectors (low or above) that hit no labelled line of
their category in their file, labels not statically detectable included (a finding on a real,
if undetectable, bug is not a false alarm).
With --floor, exits 1 when category-matched recall is below that percentage.
"""
import argparse
import json
import os
import sys
from collections import defaultdict

MAX_SPAN = 3
SEVERITIES = {"critical", "high", "medium", "low"}


def load_findings(path):
    doc = json.load(open(path))
    out = []
    for run in doc.get("runs", []):
        for res in run.get("results", []):
            sev = ((res.get("properties") or {}).get("severity") or "").lower()
            locs = res.get("locations") or []
            if not locs:
                continue
            pl = locs[0].get("physicalLocation") or {}
            uri = (pl.get("artifactLocation") or {}).get("uri") or ""
            region = pl.get("region") or {}
            start = region.get("startLine")
            end = region.get("endLine") or start
            if start is None:
                continue
            if end - start + 1 > MAX_SPAN:
                end = start
            out.append({"rule": res.get("ruleId"), "severity": sev, "file": uri,
                        "start": start, "end": end})
    return out


def file_key(path):
    """Labels name files as src/test/X.sol; findings carry longer or absolute paths."""
    return os.path.basename(path.replace("\\", "/"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", required=True)
    ap.add_argument("--findings", required=True)
    ap.add_argument("--mapping", required=True)
    ap.add_argument("--json")
    ap.add_argument("--floor", type=float)
    args = ap.parse_args()

    labels = json.load(open(args.labels))
    mapping = json.load(open(args.mapping))["smartbugs"]
    findings = [f for f in load_findings(args.findings) if f["severity"] in SEVERITIES]
    by_file = defaultdict(list)
    for f in findings:
        by_file[file_key(f["file"])].append(f)

    rows = []
    labelled_lines = defaultdict(set)  # (file, category) -> lines of every label
    for entry in labels:
        key = file_key(entry["path"])
        for v in entry["vulnerabilities"]:
            labelled_lines[(key, v["category"])].update(v["lines"])
            if not v.get("statically_detectable"):
                continue
            lines = set(v["lines"])
            hits = [f for f in by_file[key] if any(f["start"] <= l <= f["end"] for l in lines)]
            matched = [f for f in hits if v["category"] in mapping.get(f["rule"], [])]
            rows.append({"file": entry["name"], "lines": sorted(lines), "category": v["category"],
                         "class": v["class"], "any": sorted({f["rule"] for f in hits}),
                         "category_matched": sorted({f["rule"] for f in matched})})

    unmapped = sorted({f["rule"] for f in findings if f["rule"] not in mapping})
    fp = defaultdict(int)
    for f in findings:
        for cat in mapping.get(f["rule"], []):
            lines = labelled_lines.get((file_key(f["file"]), cat), set())
            if not any(f["start"] <= l <= f["end"] for l in lines):
                fp[cat] += 1

    total = len(rows)
    found_any = sum(1 for r in rows if r["any"])
    found_cat = sum(1 for r in rows if r["category_matched"])
    print("### DeFiVulnLabs, statically detectable labels\n")
    print("| file | lines | class | found by (category-matched) | found by (any) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['file']} | {','.join(map(str, r['lines']))} | {r['class']} | "
              f"{', '.join(r['category_matched']) or '—'} | {', '.join(r['any']) or '—'} |")
    print()
    print(f"recall, any detector at the line: {found_any}/{total} ({100 * found_any / total:.1f}%)")
    print(f"recall, category-matched:         {found_cat}/{total} ({100 * found_cat / total:.1f}%)")
    print(f"false-alarm proxy (mapped findings off every label of their category): {sum(fp.values())} "
          + "(" + ", ".join(f"{c} {n}" for c, n in sorted(fp.items())) + ")")
    if unmapped:
        print(f"unmapped detectors with findings: {', '.join(unmapped)}")
    if args.json:
        json.dump({"labels": total, "found_any": found_any, "found_category": found_cat,
                   "fp_proxy": dict(fp), "unmapped": unmapped, "rows": rows},
                  open(args.json, "w"), indent=1)
    if args.floor is not None and found_cat < args.floor / 100 * total:
        print(f"FAIL defivulnlabs: category-matched recall {found_cat}/{total} is below {args.floor}%")
        sys.exit(1)


if __name__ == "__main__":
    main()
