"""Summarises a scan_dir run: findings per rule and severity, the high and critical
findings one per line, parse errors, panics and throughput. Exit 1 on a panic.

usage: summary.py SCAN.jsonl [EXPECTED_HIGHS.tsv]

With EXPECTED_HIGHS (lines `rule<TAB>file<TAB>line`, each one read and explained in
crates/solana/README.md), a high or critical finding not in the list, or a listed one
that is gone, fails the run: the list is updated together with the explanation.
"""
import json
import sys

totals = None
highs = []
keys = set()
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["type"] == "totals":
        totals = j
    elif j["type"] == "finding" and j["finding"]["severity"] in ("high", "critical"):
        f = j["finding"]
        highs.append(f"  {f['rule_id']}  {f['file']}:{f['line']}  {f['message']}")
        keys.add((f["rule_id"], f["file"], str(f["line"])))
if totals is None:
    print("no totals line: the scan did not finish")
    sys.exit(1)
print(f"packages {totals['packages']}, programs {totals['programs']}, instructions {totals['instructions']}, "
      f"files {totals['files']}, {totals['bytes'] / 1e6:.2f} MB")
print(f"parse {totals['parse_mb_per_s']:.1f} MB/s, parse + analysis {totals['analysis_mb_per_s']:.1f} MB/s, "
      f"parse errors {totals['parse_errors']}, panics {totals['panics']}")
for rule, sev in sorted(totals["findings_by_rule"].items()):
    print(f"  {rule:<42} " + ", ".join(f"{k} {v}" for k, v in sorted(sev.items())))
if highs:
    print("high and critical findings:")
    print("\n".join(highs))
status = 1 if totals["panics"] else 0
if len(sys.argv) > 2:
    expected = set()
    for line in open(sys.argv[2]):
        line = line.strip()
        if line and not line.startswith("#"):
            expected.add(tuple(line.split("\t")[:3]))
    for k in sorted(keys - expected):
        print(f"UNEXPLAINED high finding: {' '.join(k)}")
        status = 1
    for k in sorted(expected - keys):
        print(f"listed high finding no longer reported: {' '.join(k)}")
        status = 1
    if keys == expected:
        print(f"high findings: the {len(keys)} listed in {sys.argv[2]}, each explained")
sys.exit(status)
