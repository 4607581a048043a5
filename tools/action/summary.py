#!/usr/bin/env python3
"""The job summary of the GitHub Action: a Markdown table of the findings of a
`web3audit scan --format json` report (with a baseline, the report holds only the new
ones).

usage: summary.py REPORT.json [FAIL_ON]
"""
import json
import sys

ORDER = ["critical", "high", "medium", "low", "informational"]


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def main():
    report = json.load(open(sys.argv[1]))
    fail_on = sys.argv[2] if len(sys.argv) > 2 else ""
    findings = sorted(
        report.get("findings", []),
        key=lambda f: (ORDER.index(f["severity"]) if f["severity"] in ORDER else 9,
                       f["file"], f["start_line"]),
    )
    print("## web3audit")
    print()
    if not findings:
        print("No new findings.")
        return
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ORDER}
    print(", ".join(f"{n} {s}" for s, n in counts.items() if n) + " (new findings)")
    if fail_on:
        gated = [f for f in findings if f["severity"] in ORDER[: ORDER.index(fail_on) + 1]]
        print()
        print(f"{len(gated)} at or above `{fail_on}`: the check "
              + ("fails." if gated else "passes."))
    print()
    print("| severity | rule | location | message |")
    print("|---|---|---|---|")
    for f in findings:
        print(f"| {f['severity']} | `{f['rule_id']}` | `{cell(f['file'])}:{f['start_line']}` "
              f"| {cell(f['message'])} |")


if __name__ == "__main__":
    main()
