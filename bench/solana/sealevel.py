"""Scores the Sealevel attacks: per class, insecure found with the right class, and
findings of that class on the secure and recommended versions (must be none).

usage: sealevel.py TMP_DIR PROGRAMS_DIR  (TMP_DIR holds sealevel.<class>.<variant>.jsonl)
"""
import json
import os
import re
import sys

tmp, programs = sys.argv[1], sys.argv[2]
status = 0
rows = []
for class_dir in sorted(os.listdir(programs), key=lambda d: int(d.split("-")[0]) if d[0].isdigit() else 99):
    if not os.path.isdir(os.path.join(programs, class_dir)):
        continue
    cls = re.sub(r"^\d+-", "", class_dir)
    found, missed, false_alarms = [], [], []
    for variant in sorted(os.listdir(os.path.join(programs, class_dir))):
        path = os.path.join(tmp, f"sealevel.{class_dir}.{variant}.jsonl")
        classes = []
        if os.path.exists(path):
            for line in open(path):
                j = json.loads(line)
                if j["type"] == "finding":
                    classes.append(j["class"])
                if j["type"] == "totals" and j["panics"]:
                    print(f"PANIC in {class_dir}/{variant}")
                    status = 1
        hits = classes.count(cls)
        if variant.startswith("insecure"):
            (found if hits else missed).append(variant)
        elif hits:
            false_alarms.append(f"{variant}:{hits}")
    ok = not missed and not false_alarms
    status |= 0 if ok else 1
    rows.append((cls, f"{len(found)}/{len(found) + len(missed)}", ", ".join(false_alarms) or "0", "ok" if ok else "FAIL"))
w = max(len(r[0]) for r in rows)
print(f"{'class':<{w}}  insecure found  secure/recommended findings of the class  result")
for cls, found, fa, res in rows:
    print(f"{cls:<{w}}  {found:<14}  {fa:<40}  {res}")
sys.exit(status)
