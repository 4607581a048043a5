#!/usr/bin/env python3
"""Metamorphic robustness suite: does recall survive semantics-preserving rewrites?

    python3 bench/variants/variants.py SHARED_DIR [--bin PATH] [--out DIR] [--only T,T]
        [--json FILE] [--threshold POINTS] [--min-labels N] [--no-scan]

Every labelled file of SHARED_DIR/benchmarks/smartbugs-curated (vulnerabilities.json, files
under dataset/) and SHARED_DIR/benchmarks/defivulnlabs (labels.json, files under src/; only
labels with statically_detectable true are scored) is rewritten by each transform of
transforms.py into its own variant set, target/variants/<transform>/<benchmark>/<path>, with
the labelled lines carried through the rewrite (editor.py's line map). The untouched
originals are written the same way (set "original"), so every set is scanned from the same
place. Each set is scanned once with

    $WEB3AUDIT_BIN scan DIR --format sarif --output DIR.sarif --min-severity low --no-config --include '**'

(WEB3AUDIT_BIN defaults to target/release/web3audit of this repository) and scored with the
rule of shared/bench/score.py --max-span 3: a label is found when a finding of a detector
that bench/categories.json ("smartbugs" key) maps to the label's category has a line range
holding one of the label's lines; a range longer than 3 lines counts at its first line only.

Prints recall per benchmark and category for the originals and every transform, then the
labels each transform lost (found in the original, not in the variant: file, line, category,
the detectors that found the original, the variant file and lines to look at). Exits 1 when a
transform's recall in a category with at least --min-labels (4) labels falls more than
--threshold (3) points below the original's, 2 when a scan fails.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import OrderedDict, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # no __pycache__ in the source tree

from editor import Conflict, identity_map  # noqa: E402
from solparse import Doc, ParseError  # noqa: E402
from transforms import TRANSFORMS, Ctx  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
MAX_SPAN = 3
CATEGORY_ORDER = ["access_control", "arithmetic", "bad_randomness", "denial_of_service", "front_running",
                  "reentrancy", "short_addresses", "time_manipulation", "unchecked_low_level_calls", "other"]
BENCHES = [
    # name, labels file, folder holding the sources, only statically detectable labels count
    ("smartbugs-curated", "vulnerabilities.json", "dataset", False),
    ("defivulnlabs", "labels.json", "src", True),
]


class SrcFile:
    def __init__(self, bench, rel, src):
        self.bench, self.rel, self.src = bench, rel, src
        self.labels = []       # dicts: category, lines, counted
        self.shared = False    # imported by another benchmark file

    @property
    def key(self):
        return f"{self.bench}/{self.rel}"


def load(shared_dir):
    files = OrderedDict()
    for bench, labels_name, folder, only_sd in BENCHES:
        root = os.path.join(shared_dir, "benchmarks", bench)
        lp = os.path.join(root, labels_name)
        if not os.path.exists(lp):
            print(f"note: {lp} is absent, {bench} skipped")
            continue
        # every .sol file of the source folder is copied (imports must resolve the same way)
        for dp, _, fns in os.walk(os.path.join(root, folder)):
            for fn in sorted(fns):
                if fn.endswith(".sol"):
                    p = os.path.join(dp, fn)
                    rel = os.path.relpath(p, root).replace(os.sep, "/")
                    with open(p, encoding="utf-8", errors="replace") as fh:
                        files[f"{bench}/{rel}"] = SrcFile(bench, rel, fh.read())
        with open(lp, encoding="utf-8") as fh:
            for e in json.load(fh):
                f = files.get(f"{bench}/{e['path']}")
                if f is None:
                    print(f"note: labelled file {bench}/{e['path']} is missing")
                    continue
                for v in e["vulnerabilities"]:
                    f.labels.append({"category": v["category"], "lines": list(v["lines"]),
                                     "counted": bool(v.get("statically_detectable")) if only_sd else True})
    # files imported by other files keep their names (rename skips them)
    for f in files.values():
        for imp in re.findall(r'import\s+[^;]*?"([^"]+)"', f.src):
            if imp.startswith("."):
                target = os.path.normpath(os.path.join(os.path.dirname(f.rel), imp)).replace(os.sep, "/")
                g = files.get(f"{f.bench}/{target}")
                if g is not None:
                    g.shared = True
    return files


_DOCS = {}


def parsed(f):
    """the file's Doc (parsed once; transforms only read it), or the parse error"""
    if f.key not in _DOCS:
        try:
            _DOCS[f.key] = Doc(f.src, f.key)
        except (ParseError, IndexError, KeyError) as e:
            _DOCS[f.key] = e
    return _DOCS[f.key]


def transform_file(f, name):
    """(new source, line map, status) of file f under transform name"""
    if name == "original":
        return f.src, identity_map(f.src), "same"
    doc = parsed(f)
    if isinstance(doc, Exception):
        return f.src, identity_map(f.src), f"unparsed: {doc}"
    ctx = Ctx(doc, {l for lab in f.labels for l in lab["lines"]}, f.shared)
    try:
        ed = TRANSFORMS[name](doc, ctx)
        if ed is None:
            return f.src, identity_map(f.src), "same"
        new, lmap = ed.apply()
    except (Conflict, ParseError, IndexError, KeyError, StopIteration, ValueError) as e:
        return f.src, identity_map(f.src), f"error: {type(e).__name__}: {e}"
    return new, lmap, "changed" if new != f.src else "same"


def generate(files, names, out):
    """write every set; returns {set: {file key: (line map, status, new source)}}"""
    result = OrderedDict()
    for name in names:
        d = os.path.join(out, name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        per = OrderedDict()
        for f in files.values():
            new, lmap, status = transform_file(f, name)
            p = os.path.join(d, f.bench, f.rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w", encoding="utf-8") as fh:
                fh.write(new)
            per[f.key] = (lmap, status, new)
        result[name] = per
    return result


def scan_all(binary, out, names, jobs):
    """scan every set (jobs at a time); returns {set: sarif path}"""
    procs, done, failed = [], {}, []
    pending = list(names)
    while pending or procs:
        while pending and len(procs) < jobs:
            name = pending.pop(0)
            sarif = os.path.join(out, f"{name}.sarif")
            if os.path.exists(sarif):
                os.remove(sarif)
            cmd = [binary, "scan", os.path.join(out, name), "--format", "sarif", "--output", sarif,
                   "--min-severity", "low", "--no-config", "--include", "**"]
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            procs.append((name, sarif, p))
        name, sarif, p = procs.pop(0)
        _, err = p.communicate()
        if p.returncode not in (0, 1) or not os.path.exists(sarif):
            failed.append((name, p.returncode, err.decode(errors="replace")[-2000:]))
        else:
            done[name] = sarif
    return done, failed


def load_findings(sarif, keys):
    with open(sarif, encoding="utf-8") as fh:
        doc = json.load(fh)
    by_file = defaultdict(list)
    suffix_cache = {}
    for run in doc.get("runs", []):
        for res in run.get("results", []) or []:
            locs = res.get("locations") or []
            if not locs:
                continue
            pl = locs[0].get("physicalLocation") or {}
            uri = ((pl.get("artifactLocation") or {}).get("uri") or "").replace("\\", "/")
            reg = pl.get("region") or {}
            s = reg.get("startLine")
            if s is None:
                continue
            e = reg.get("endLine") or s
            if e < s:
                e = s
            if e - s + 1 > MAX_SPAN:
                e = s
            if uri not in suffix_cache:
                m = [k for k in keys if uri.endswith(k) or uri.endswith("/" + k) or k.endswith(uri)]
                suffix_cache[uri] = m[0] if len(m) == 1 else None
            k = suffix_cache[uri]
            if k:
                by_file[k].append((res.get("ruleId"), s, e))
    return by_file


def score(files, maps, findings, cats_of):
    """per label: (file, index) -> (detected, rules, new lines)"""
    out = {}
    for f in files.values():
        lmap = maps[f.key][0]
        fnd = findings.get(f.key, [])
        for idx, lab in enumerate(f.labels):
            if not lab["counted"]:
                continue
            lines = set()
            for L in lab["lines"]:
                lines |= set(lmap.get(L, ()))
            rules = sorted({r for r, s, e in fnd if lab["category"] in cats_of(r)
                            and any(s <= L <= e for L in lines)})
            out[(f.key, idx)] = (bool(rules), rules, sorted(lines))
    return out


def moved(f, lab, maps, name):
    """is a labelled line at another line number in the variant?"""
    lmap = maps[name][f.key][0]
    return any(lmap.get(L, set()) != {L} for L in lab["lines"])


def touched(f, lab, maps, name):
    """did the transform change the text of the labelled lines (or split them)?"""
    lmap, _, new = maps[name][f.key]
    old_lines = f.src.split("\n")
    new_lines = new.split("\n")
    for L in lab["lines"]:
        tgt = lmap.get(L, set())
        if len(tgt) != 1:
            return True
        (n,) = tgt
        if L - 1 >= len(old_lines) or n - 1 >= len(new_lines) or \
                old_lines[L - 1].strip() != new_lines[n - 1].strip():
            return True
    return False


def load_mapping(path):
    with open(path, encoding="utf-8") as fh:
        m = json.load(fh)
    exact, regexes = {}, []
    for k, v in (m.get("smartbugs") or {}).items():
        cats = [v] if isinstance(v, str) else list(v)
        if k.startswith("re:"):
            regexes.append((re.compile(k[3:]), cats))
        else:
            exact[k] = cats

    def cats_of(rule):
        out = list(exact.get(rule, []))
        for rx, cats in regexes:
            if rx.fullmatch(rule or ""):
                out += [c for c in cats if c not in out]
        return out
    return cats_of


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shared", nargs="?", default=os.path.join(REPO, "..", "shared"))
    ap.add_argument("--bin", default=os.environ.get("WEB3AUDIT_BIN") or os.path.join(REPO, "target", "release", "web3audit"))
    ap.add_argument("--out", default=os.path.join(REPO, "target", "variants"))
    ap.add_argument("--mapping", default=os.path.join(REPO, "bench", "categories.json"))
    ap.add_argument("--only", help="comma-separated transforms (default: all)")
    ap.add_argument("--json", help="write the scores and lost labels here (default OUT/summary.json)")
    ap.add_argument("--threshold", type=float, default=3.0)
    ap.add_argument("--known", help="a file of known losses (one `transform<TAB>file:lines<TAB>category` a "
                    "line, as --write-known writes it): the run then fails only on a loss not listed "
                    "or a listed one that is found again, as well as on a category gap (unless --allow-gaps)")
    ap.add_argument("--allow-gaps", action="store_true", help="with --known: print the per-category gaps "
                    "above --threshold as open instead of failing on them")
    ap.add_argument("--write-known", help="write this run's losses to this file, in the --known format")
    ap.add_argument("--min-labels", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--no-scan", action="store_true", help="only write the variant sets")
    args = ap.parse_args()

    t0 = time.time()
    names = list(TRANSFORMS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = [n for n in names if n not in TRANSFORMS]
        if bad:
            sys.exit(f"unknown transform(s) {bad}; known: {', '.join(TRANSFORMS)}")
    sets = ["original"] + names
    files = load(args.shared)
    if not files:
        print("variants: no benchmark found, nothing to do")
        return 0
    os.makedirs(args.out, exist_ok=True)
    maps = generate(files, sets, args.out)
    t_gen = time.time() - t0
    n_labels = sum(1 for f in files.values() for lab in f.labels if lab["counted"])
    print(f"## Metamorphic variants ({len(files)} files, {n_labels} scored labels, written in {t_gen:.1f} s to {args.out})\n")
    print("| transform | files changed | scored labels whose lines changed | scored labels at new line numbers "
          "| files left as they were because of an error |")
    print("|---|---:|---:|---:|---:|")
    applied = {}
    for name in names:
        per = maps[name]
        changed = sum(1 for v in per.values() if v[1] == "changed")
        errs = [(k, v[1]) for k, v in per.items() if v[1].startswith(("error", "unparsed"))]
        tl = sum(1 for f in files.values() for lab in f.labels if lab["counted"] and touched(f, lab, maps, name))
        mv = sum(1 for f in files.values() for lab in f.labels if lab["counted"] and moved(f, lab, maps, name))
        applied[name] = {"files_changed": changed, "labels_touched": tl, "labels_moved": mv, "errors": errs}
        print(f"| {name} | {changed} | {tl} | {mv} | {len(errs)} |")
    for name in names:
        for k, e in applied[name]["errors"]:
            print(f"  {name}: {k}: {e}")
    if args.no_scan:
        return 0
    if not os.path.exists(args.bin):
        sys.exit(f"scanner binary {args.bin} is missing (build it, or set WEB3AUDIT_BIN)")
    t1 = time.time()
    sarifs, failed = scan_all(args.bin, args.out, sets, args.jobs)
    t_scan = time.time() - t1
    for name, rc, err in failed:
        print(f"FAIL variants: scan of {name} exited {rc}:\n{err}")
    if failed:
        return 2
    cats_of = load_mapping(args.mapping)
    keys = list(files)
    results = {}
    mapped = {}
    for name in sets:
        fnd = load_findings(sarifs[name], keys)
        results[name] = score(files, maps[name], fnd, cats_of)
        mapped[name] = sum(1 for v in fnd.values() for r, _, _ in v if cats_of(r))
    # ---- table
    benches = [b for b, *_ in BENCHES if any(f.bench == b for f in files.values())]
    rows = []   # (bench, category, labels, {set: detected})
    for b in benches:
        cats = defaultdict(list)
        for f in files.values():
            if f.bench != b:
                continue
            for idx, lab in enumerate(f.labels):
                if lab["counted"]:
                    cats[lab["category"]].append((f.key, idx))
        order = [c for c in CATEGORY_ORDER if c in cats] + sorted(c for c in cats if c not in CATEGORY_ORDER)
        for c in order + ["total"]:
            ids = cats[c] if c != "total" else [x for v in cats.values() for x in v]
            rows.append((b, c, ids))
    print(f"\n### Recall per category: originals and variants (scans {t_scan:.1f} s)\n")
    print("| benchmark | category | labels | " + " | ".join(sets) + " |")
    print("|---|---|---:|" + "---:|" * len(sets))
    failures = []
    table = []
    for b, c, ids in rows:
        n = len(ids)
        cells, rec = [], {}
        for s in sets:
            d = sum(1 for x in ids if results[s][x][0])
            rec[s] = 100.0 * d / n if n else 0.0
            cells.append(f"{rec[s]:.1f} ({d})" if s == "original" else
                         f"{rec[s]:.1f}" + ("" if abs(rec[s] - rec['original']) < 0.05 else
                                            f" ({rec[s] - rec['original']:+.1f})"))
        name_c = f"**{c}**" if c == "total" else c
        print(f"| {b} | {name_c} | {n} | " + " | ".join(cells) + " |")
        table.append({"benchmark": b, "category": c, "labels": n, "recall": rec})
        if c != "total" and n >= args.min_labels:
            for s in names:
                if rec[s] < rec["original"] - args.threshold:
                    failures.append(f"{b} {c}: {s} recall {rec[s]:.1f}% vs {rec['original']:.1f}% on the originals")
    print("\nmapped findings (any category, benchmark files): " +
          ", ".join(f"{s} {mapped[s]}" for s in sets))
    # ---- lost labels
    lost = defaultdict(lambda: defaultdict(list))
    gained = defaultdict(int)
    for s in names:
        for x, (det0, rules0, lines0) in results["original"].items():
            det, rules, lines = results[s][x]
            if det0 and not det:
                key, idx = x
                lab = files[key].labels[idx]
                lost[s][lab["category"]].append({"file": key, "lines": lab["lines"], "category": lab["category"],
                                                 "found_by": rules0, "variant": f"{s}/{key}", "variant_lines": lines})
            elif det and not det0:
                gained[s] += 1
    print("\n### Labels lost per transform (found in the original, missed in the variant)\n")
    if not any(lost.values()):
        print("none")
    for s in names:
        if not lost[s]:
            continue
        total = sum(len(v) for v in lost[s].values())
        print(f"#### {s}: {total} lost" + (f", {gained[s]} gained" if gained[s] else ""))
        for c in sorted(lost[s]):
            for e in lost[s][c]:
                print(f"- {c}: {e['file']}:{','.join(map(str, e['lines']))} (found by {', '.join(e['found_by'])}) "
                      f"-> {e['variant']}:{','.join(map(str, e['variant_lines'])) or 'no line'}")
        print()
    unmapped = [(s, x) for s in names for x, v in results[s].items() if not v[2]]
    for s, (key, idx) in unmapped:
        print(f"warning: {s}: label {key} #{idx} has no line in the variant")
    summary = {"sets": sets, "table": table, "applied": applied, "mapped_findings": mapped,
               "lost": {s: {c: v for c, v in lost[s].items()} for s in names},
               "gained": dict(gained), "failures": failures,
               "seconds": {"generate": round(t_gen, 2), "scan": round(t_scan, 2), "total": round(time.time() - t0, 2)}}
    with open(args.json or os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=1)
    print(f"total time {time.time() - t0:.1f} s")
    now_lost = sorted({f"{s}\t{e['file']}:{','.join(map(str, e['lines']))}\t{c}"
                       for s in names for c, v in lost[s].items() for e in v})
    if args.write_known:
        with open(args.write_known, "w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in now_lost))
    if args.known:
        with open(args.known, encoding="utf-8") as fh:
            known = {line.rstrip("\n") for line in fh if line.strip() and not line.startswith("#")}
        new_losses = [x for x in now_lost if x not in known]
        found_again = sorted(known - set(now_lost))
        for f in failures:
            print(f"{'open' if args.allow_gaps else 'FAIL'} variants: {f}")
        for x in new_losses:
            print(f"FAIL variants: new loss {x.replace(chr(9), ' ')}")
        for x in found_again:
            print(f"FAIL variants: {x.replace(chr(9), ' ')} is found again: remove it from {args.known}")
        if new_losses or found_again or (failures and not args.allow_gaps):
            return 1
        print(f"ok   variants: no loss beyond the {len(known)} known ones"
              + (f"; {len(failures)} category gaps above {args.threshold:g} points stay open" if failures else ""))
        return 0
    for f in failures:
        print(f"FAIL variants: {f}")
    if failures:
        return 1
    print(f"ok   variants: no transform loses more than {args.threshold:g} points in a category "
          f"with {args.min_labels}+ labels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
