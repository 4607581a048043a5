"""Summarises a scan_dir run: findings per rule and severity, the high and critical
findings one per line, parse errors, panics and throughput. Exit 1 on a panic.

usage: summary.py SCAN.jsonl
"""
import json
import sys

totals = None
highs = []
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["type"] == "totals":
        totals = j
    elif j["type"] == "finding" and j["finding"]["severity"] in ("high", "critical"):
        f = j["finding"]
        highs.append(f"  {f['rule_id']}  {f['file']}:{f['line']}  {f['message']}")
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
sys.exit(1 if totals["panics"] else 0)
