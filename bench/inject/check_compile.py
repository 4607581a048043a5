#!/usr/bin/env python3
"""Optional check for snippet authors: are the snippets valid Solidity? Compiles them with solc-js.

USAGE
  python3 bench/inject/check_compile.py --solcjs DIR [--classes a,b] [--real [--out target/inject]]

  DIR holds one folder per compiler version, each an npm install of that version of the `solc` package
  (needs node), e.g.
      for v in 0.4.4 0.4.9 0.4.11 0.4.15 0.4.18 0.4.21 0.4.24 0.4.26 0.5.0 0.5.17 0.6.12 0.7.6 0.8.20 0.8.28
      do mkdir -p DIR/$v && (cd DIR/$v && npm install solc@$v); done
  The versions straddle the thresholds the macros switch on (0.4.4, 0.4.10, 0.4.17, 0.4.21, 0.4.22, 0.5,
  0.6, 0.6.2, 0.7, 0.8, 0.8.18).

  Default: every snippet is rendered for every installed version it admits and injected, exactly as
  inject.py does (top block, base contract, members), into a minimal host contract (and once more into a
  host that already has a base); each file is compiled with that version. Fast (one compiler load per
  version).
  --real: compile instead the injected files of the last run (OUT/results.json) with the lowest installed
  compiler of the host's minor version that compiles the original host (slow with old compilers: large
  flattened files take seconds each).
  Warnings are ignored. Exit 1 when a file does not compile.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import inject  # noqa: E402

# Reads jobs [[root, rel], ...] as JSON on stdin; compiles each (imports read from its root) with one
# loaded compiler; prints a JSON list with the errors of each job.
JS = r"""
const path = require('path'); const fs = require('fs');
const dir = process.argv[2];
const solc = require(path.join(dir, 'node_modules', 'solc'));
const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
const std = solc.compileStandardWrapper || solc.compileStandard;
const legacyOnly = !std && solc.version && /^0\.4\./.test(solc.version());
const results = [];
for (const [root, rel] of jobs) {
  const findImports = p => {
    try { return { contents: fs.readFileSync(path.join(root, p), 'utf8') }; }
    catch (e) { return { error: 'not found: ' + p }; }
  };
  let errs = [];
  try {
    const src = fs.readFileSync(path.join(root, rel), 'utf8');
    if (!legacyOnly) {
      const input = { language: 'Solidity', sources: { [rel]: { content: src } },
        settings: { outputSelection: { '*': { '*': [] } } } };
      let out;
      if (std) out = std(JSON.stringify(input), findImports);
      else out = solc.compile(JSON.stringify(input), { import: findImports });
      out = JSON.parse(out);
      errs = (out.errors || []).filter(e => e.severity === 'error').map(e => e.formattedMessage || e.message);
    } else {
      const out = solc.compile({ sources: { [rel]: src } }, 0, findImports);
      errs = (out.errors || []).filter(e => !/Warning:/.test(e));
    }
  } catch (e) { errs = ['solc-js failed: ' + e]; }
  results.push(errs);
}
process.stdout.write(JSON.stringify(results));
"""

# Minimal hosts: one without and one with a base contract (so that `@base` is appended to a list).
HOSTS = [
    "pragma solidity {v};\n\ncontract Host {{\n    uint256 internal hostValue;\n\n"
    "    function hostSet(uint256 x) public {{\n        hostValue = x;\n    }}\n}}\n",
    "pragma solidity {v};\n\ncontract HostBase {{\n    uint256 internal baseValue;\n}}\n\n"
    "contract Host is HostBase {{\n    function hostSet(uint256 x) public {{\n        baseValue = x;\n    }}\n}}\n",
]


def vparse(s):
    return tuple(int(x) for x in s.split("."))


class Compiler:
    def __init__(self, solcjs, jobs):
        self.solcjs, self.jobs = solcjs, jobs
        with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as fh:
            fh.write(JS)
            self.js = fh.name

    def batch(self, version, jobs):
        d = os.path.join(self.solcjs, ".".join(map(str, version)))
        p = subprocess.run(["node", self.js, d], input=json.dumps(jobs), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        try:
            return json.loads(p.stdout)
        except ValueError:
            return [[f"solc-js crashed: {p.stderr.strip()[-300:]}"]] * len(jobs)

    def run(self, by_version):
        """{version: [(root, rel), ...]} -> {version: [errors, ...]}"""
        with ThreadPoolExecutor(self.jobs) as ex:
            futs = {v: ex.submit(self.batch, v, jobs) for v, jobs in by_version.items()}
            return {v: f.result() for v, f in futs.items()}

    def close(self):
        os.unlink(self.js)


def report(items):
    """items: (label, errors); returns the number of failures."""
    bad = 0
    for label, errs in items:
        if errs:
            bad += 1
            print(f"FAIL {label}:")
            for e in errs[:4]:
                print("     " + "\n     ".join(e.strip().splitlines()[:3]))
    return bad


def check_snippets(args, comp, installed):
    snippets = inject.load_snippets()
    if args.classes:
        keep = set(args.classes.split(","))
        snippets = [s for s in snippets if s.cls in keep]
    tmp = tempfile.mkdtemp(prefix="inject-check-")
    by_version, labels = {}, {}
    for s in snippets:
        for v in installed:
            if not s.valid_for(v):
                continue
            for k, host_text in enumerate(HOSTS):
                text = host_text.format(v=inject.vstr(v))
                blank = inject.blank_out(text)
                host = inject.host_contract(blank)
                top, members, base = s.render(v, "_chk")
                new, bugs, _ = inject.inject(text, blank, host, top, members, base)
                if not bugs:
                    print(f"FAIL {s.key} at {inject.vstr(v)}: no labelled line survives the version conditionals")
                rel = f"{s.cls}.{s.name}.{inject.vstr(v)}.{k}.sol"
                with open(os.path.join(tmp, rel), "w", encoding="utf-8") as fh:
                    fh.write(new)
                by_version.setdefault(v, []).append((tmp, rel))
                labels[(v, rel)] = f"{s.key} for solc {inject.vstr(v)} (host {k})"
    results = comp.run(by_version)
    items = [(labels[(v, job[1])], errs) for v, jobs in by_version.items() for job, errs in zip(jobs, results[v])]
    bad = report(sorted(items))
    print(f"\n{len(items)} files ({len(snippets)} snippets x admitted versions x 2 hosts): "
          f"{len(items) - bad} compiled, {bad} failed" + (f"; files in {tmp}" if args.keep else ""))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return bad


def check_real(args, comp, installed):
    with open(os.path.join(args.out, "results.json"), encoding="utf-8") as fh:
        injections = json.load(fh)
    if args.classes:
        keep = set(args.classes.split(","))
        injections = [i for i in injections if i["class"] in keep]
    if args.min_version:
        injections = [i for i in injections if vparse(i["version"]) >= vparse(args.min_version)]
    run = os.path.join(args.out, "run")
    shared = args.shared or os.path.join(REPO, "..", "shared")
    plans = []   # [injection, candidate versions, original (root, rel), injected (root, rel)]
    for inj in injections:
        v = vparse(inj["version"])
        cands = [i for i in installed if i[:2] == v[:2] and i >= v]
        if inj["file"].startswith("modern" + os.sep):
            parts = os.path.relpath(os.path.join(run, inj["file"]), os.path.join(run, "modern")).split(os.sep)
            root, rel = os.path.join(run, "modern", parts[0]), os.sep.join(parts[1:])
            orig = (root, os.path.join(os.path.dirname(rel), os.path.basename(inj["host"])))
        else:
            root, rel = run, inj["file"]
            orig = (os.path.join(shared, "corpus", "wild-sample", "contracts"), inj["host"].split("/", 1)[1])
        plans.append([inj, cands, orig, (root, rel)])
    chosen, pending = {}, list(range(len(plans)))
    while pending:   # the lowest candidate version that compiles the original host
        by_version = {}
        for k in pending:
            if plans[k][1]:
                by_version.setdefault(plans[k][1][0], []).append(k)
        if not by_version:
            break
        res = comp.run({v: [plans[k][2] for k in ks] for v, ks in by_version.items()})
        pending = []
        for v, ks in by_version.items():
            for k, errs in zip(ks, res[v]):
                if errs:
                    plans[k][1] = plans[k][1][1:]
                    pending.append(k)
                else:
                    chosen[k] = v
    by_version = {}
    for k, v in chosen.items():
        by_version.setdefault(v, []).append(k)
    res = comp.run({v: [plans[k][3] for k in ks] for v, ks in by_version.items()})
    items = []
    for v, ks in by_version.items():
        for k, errs in zip(ks, res[v]):
            items.append((f"{plans[k][0]['file']} ({plans[k][0]['snippet']}, solc {inject.vstr(v)})", errs))
    for k, (inj, _, _, _) in enumerate(plans):
        if k not in chosen:
            print(f"skip {inj['file']} (solc {inj['version']}): no installed compiler of that minor compiles the host")
    bad = report(sorted(items))
    print(f"\n{len(items)} injected files: {len(items) - bad} compiled, {bad} failed, "
          f"{len(plans) - len(chosen)} skipped")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--solcjs", required=True, help="folder of solc-js installs, one per version")
    ap.add_argument("--classes", help="comma-separated class ids (default: all)")
    ap.add_argument("--real", action="store_true", help="compile the injected files of the last run instead")
    ap.add_argument("--out", default=os.path.join(REPO, "target", "inject"))
    ap.add_argument("--shared", help="the shared folder (default: ../shared beside the repository)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--min-version", help="with --real: only hosts at or above this version (old solc-js "
                    "builds take minutes on large files)")
    ap.add_argument("--keep", action="store_true", help="keep the rendered files of the default check")
    args = ap.parse_args()
    installed = sorted(vparse(d) for d in os.listdir(args.solcjs)
                       if os.path.exists(os.path.join(args.solcjs, d, "node_modules", "solc")))
    if not installed:
        sys.exit(f"no solc-js install under {args.solcjs}")
    comp = Compiler(args.solcjs, args.jobs)
    try:
        bad = check_real(args, comp, installed) if args.real else check_snippets(args, comp, installed)
    finally:
        comp.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
