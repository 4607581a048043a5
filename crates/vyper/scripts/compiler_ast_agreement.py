#!/usr/bin/env python3
"""Compares our parse of a Vyper corpus with the Vyper compiler's own AST.

For every `.vy`/`.vyi` file under DIR, the script picks an installed compiler
that fits the file's version pragma, runs `vyper -f ast FILE`, turns the JSON
AST into the canonical S-expression form of `vyper::canonical` and compares it,
module declaration by declaration and function by function, statement by
statement, with what `cargo run --release -p vyper --example vyper_corpus --
DIR --canonical` printed (CANONICAL.tsv). The compilers are the executables
given after the TSV (`tools/vyper/install.sh` prints them), one virtual
environment per version; the compiler is a reference, never a dependency.

Choosing the compiler. The pragma (`# @version X`, `# pragma version X`,
`#pragma version X`: an exact version, `^`, `~`, `~=`, `>=`, `>`, `<=`, `<`,
`==`, clauses joined by commas or spaces) selects the installed versions that
satisfy it, newest first; a file without a pragma fits every version. When the
file fits none, or every fitting one rejects it, the next candidates are the
other installed versions of the pragma's own series (`0.2.x` for `0.2.7`)
nearest first, or, when the pragma names a series none is installed of (0.1
betas, 0.5 alphas), the two installed versions nearest to it. Five attempts at
most. Running a version the pragma does not accept needs the pragma rewritten
to that version: this is done on a copy in a temporary folder (the corpus is
never written to) and reported per file. A file every attempt rejects is "not
compared", with the pragma and each compiler's reason.

Imports are not resolved by `-f ast` (it parses only), so no search path is
needed.

The compiler's AST into the canonical form, in the conventions of the Python
cross-check (`python_ast_agreement.py`): names and attributes as written,
literals as `L` (the compiler folds `-1` into the literal -1, printed `(- L)`
as written), `and`/`or` chains nested to the left, `extcall`/`staticcall` and
`log` transparent, the loop variable's type dropped, docstrings left out,
`Index` wrappers of subscripts (before 0.4) transparent; a storage variable
(`VariableDecl`, from 0.3) gets its `constant`/`immutable`/`transient`,
`reentrant` and `public` flags back as wrappers, `(call public (call reentrant
(call constant T)))`, the order `vyper::canonical` prints.

Output: the summary table, the files not compared with their reasons, the
files compared under a rewritten pragma, and every differing line (file,
function, the compiler's line and ours). Exit status 1 when a difference is not
in the known-differences file (`--known`, tab-separated: file, function, the
compiler's line, our line, reason; `#` starts a comment), or when the corpus
yields nothing to compare.

usage: compiler_ast_agreement.py [--jobs N] [--known FILE] [--cache DIR]
           DIR CANONICAL.tsv VYPER...
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canonical_form import (  # noqa: E402
    BINOPS, CMPOPS, DECLS, UNARY, compare_lines, lines, load_ours, nest_left, sexpr,
)

PRAGMA = re.compile(r"^#\s*(?:@version|pragma\s+version)\s+(\S[^\r\n]*?)\s*$", re.M)
VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-.]?(a|b|rc|beta|alpha)\.?(\d*))?")
MAX_ATTEMPTS = 5
TIMEOUT = 120  # seconds for one compiler process


# ---------------------------------------------------------------- versions

def parse_version(text):
    """`0.2.8`, `0.5.0a4`, `0.1.0b17` as a sortable tuple (a pre-release sorts
    before its release), or None."""
    m = VERSION.match(text.strip())
    if not m:
        return None
    major, minor, patch = (int(g) if g else 0 for g in m.group(1, 2, 3))
    if m.group(4):
        rank = {"alpha": "a", "beta": "b"}.get(m.group(4), m.group(4))
        pre = (0, rank, int(m.group(5) or 0))
    else:
        pre = (1, "", 0)
    return (major, minor, patch) + pre


def release(v):
    return v[:3]


def satisfies(version, spec):
    """Whether `version` (a tuple) meets the pragma's requirement."""
    clauses = [c for c in re.split(r"[,\s]+", spec.strip()) if c]
    if not clauses:
        return True
    for clause in clauses:
        m = re.match(r"^(\^|~=|~|>=|<=|==|=|>|<)?\s*(.+)$", clause)
        op, base = m.group(1) or "==", parse_version(m.group(2))
        if base is None:
            return False
        major, minor, patch = release(base)
        if op in ("==", "="):
            # A release pin matches that release; `0.4` pins the series.
            given = len(m.group(2).split("."))
            ok = version == base if given >= 3 else release(version)[:given] == release(base)[:given]
        elif op == ">=":
            ok = version >= base
        elif op == ">":
            ok = version > base
        elif op == "<=":
            ok = version <= base
        elif op == "<":
            ok = version < base
        elif op == "^":
            upper = (major + 1, 0, 0) if major else ((0, minor + 1, 0) if minor else (0, 0, patch + 1))
            ok = base <= version and release(version) < upper
        elif op == "~":
            ok = base <= version and release(version) < (major, minor + 1, 0)
        else:  # "~=": at least base, same release prefix but the last component
            parts = len(re.match(r"^[\d.]*\d", m.group(2)).group(0).split("."))
            prefix = release(base)[: max(parts - 1, 1)]
            ok = version >= base and release(version)[: len(prefix)] == prefix
        if not ok:
            return False
    return True


def candidates(spec, installed):
    """The installed versions to try for a pragma, in order (see the module
    docstring), at most MAX_ATTEMPTS."""
    order = sorted(installed, key=parse_version, reverse=True)
    fitting = [v for v in order if spec is None or satisfies(parse_version(v), spec)]
    rest = [v for v in order if v not in fitting]
    base = None
    if spec is not None:
        m = re.search(r"\d+(?:\.\d+)*(?:[-.]?(?:a|b|rc|alpha|beta)\.?\d*)?", spec)
        base = parse_version(m.group(0)) if m else None
    if base is None:
        return (fitting + rest)[:MAX_ATTEMPTS]
    series = [v for v in order if release(parse_version(v))[:2] == release(base)[:2]]
    same = [v for v in rest if v in series]
    if series:
        # Nearest patch first, the newer one on a tie.
        same.sort(key=lambda v: (abs(parse_version(v)[2] - base[2]), -parse_version(v)[2]))
        extra = same
    else:
        extra = sorted(rest, key=lambda v: (rank_distance(v, base, order), -order.index(v)))[:2]
    return (fitting + extra)[:MAX_ATTEMPTS]


def rank_distance(v, base, order):
    """How many installed versions lie between `v` and `base`."""
    ranked = sorted(order, key=parse_version)
    position = sum(1 for x in ranked if parse_version(x) < base)
    i = ranked.index(v)
    return position - i - 1 if i < position else i - position


# ---------------------------------------------------------------- the compiler

def compiler_version(exe):
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    return out.strip().split("+")[0]


def reason(stderr):
    """The compiler's one-line reason for rejecting a file."""
    text = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in text:
        m = re.match(r"^(?:vyper\.exceptions\.)?([A-Za-z_]\w*(?:Exception|Error|Literal)): ?(.*)$", line)
        if m:
            return f"{m.group(1)}: {m.group(2)}"[:160]
    return (text[-1] if text else "no output")[:160]


def run_compiler(exe, version, path, text, spec, cache):
    """Runs `vyper -f ast` on the file (its pragma rewritten to `version` when
    the pragma does not accept it). Returns (ast or None, reason, rewritten)."""
    rewritten = spec is not None and not satisfies(parse_version(version), spec)
    source = PRAGMA.sub(lambda m: m.group(0).replace(m.group(1), version), text, count=1) if rewritten else text
    key = None
    if cache:
        key = pathlib.Path(cache) / (version + "-" + hashlib.sha256(source.encode()).hexdigest() + path.suffix + ".json")
        if key.exists():
            data = json.loads(key.read_text(encoding="utf-8"))
            return data.get("ast"), data.get("reason"), rewritten
    with tempfile.TemporaryDirectory(prefix="vyper-ast-") as tmp:
        target = path
        if rewritten:
            target = pathlib.Path(tmp) / path.name
            target.write_text(source, encoding="utf-8")
        try:
            proc = subprocess.run([exe, "-f", "ast", str(target)], capture_output=True, text=True, cwd=tmp,
                                  timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, f"no answer within {TIMEOUT} s", rewritten
    tree, why = None, None
    if proc.returncode == 0:
        try:
            tree = json.loads(proc.stdout)["ast"]
        except (ValueError, KeyError) as e:
            why = f"unreadable output ({e})"
    else:
        why = reason(proc.stderr)
    if key is not None:
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_text(json.dumps({"ast": tree, "reason": why}), encoding="utf-8")
    return tree, why, rewritten


def compile_file(path, compilers, cache):
    """Tries the candidate compilers in order. Returns a dict with the AST (or
    None), the version used, the pragma, whether it was rewritten and the
    rejections met on the way."""
    text = path.read_text(encoding="utf-8", errors="replace")
    m = PRAGMA.search(text)
    spec = m.group(1) if m else None
    rejections = []
    for version in candidates(spec, list(compilers)):
        tree, why, rewritten = run_compiler(compilers[version], version, path, text, spec, cache)
        if tree is not None:
            return {"ast": tree, "version": version, "spec": spec, "rewritten": rewritten, "rejections": rejections}
        rejections.append((version, why))
    return {"ast": None, "version": None, "spec": spec, "rewritten": False, "rejections": rejections}


# ---------------------------------------------------------------- the canonical form

LITERALS = ("Int", "Decimal", "Hex", "Str", "Bytes", "HexBytes", "Num", "Constant")


def kind(node):
    return node.get("ast_type") if isinstance(node, dict) else None


def cexpr(e):
    if e is None:
        return "_"
    k = kind(e)
    if k == "Name":
        return e["id"]
    if k in LITERALS:
        value = e.get("value")
        if k in ("Int", "Decimal") and isinstance(value, (int, float, str)) and str(value).startswith("-"):
            return "(- L)"
        return "L"
    if k == "NameConstant":
        return "None" if e.get("value") is None else str(bool(e["value"]))
    if k == "Ellipsis":
        return "..."
    if k == "Index":
        return cexpr(e["value"])
    if k == "Attribute":
        return f"(. {cexpr(e['value'])} {e['attr']})"
    if k == "Subscript":
        return f"([] {cexpr(e['value'])} {cexpr(e['slice'])})"
    if k == "Call":
        parts = [cexpr(e["func"])] + [cexpr(a) for a in e.get("args", [])]
        parts += [f"{kw['arg']}={cexpr(kw['value'])}" for kw in e.get("keywords", [])]
        return sexpr("call", parts)
    if k == "UnaryOp":
        return f"({UNARY[kind(e['op'])]} {cexpr(e['operand'])})"
    if k == "BinOp":
        return f"({BINOPS[kind(e['op'])]} {cexpr(e['left'])} {cexpr(e['right'])})"
    if k == "BoolOp":
        return nest_left("and" if kind(e["op"]) == "And" else "or", [cexpr(v) for v in e["values"]])
    if k == "Compare":
        if "ops" in e:  # Python's chained form, should a version keep it
            acc = cexpr(e["left"])
            for op, right in zip(e["ops"], e["comparators"]):
                acc = f"({CMPOPS[kind(op)]} {acc} {cexpr(right)})"
            return acc
        return f"({CMPOPS[kind(e['op'])]} {cexpr(e['left'])} {cexpr(e['right'])})"
    if k == "IfExp":
        return f"(if {cexpr(e['test'])} {cexpr(e['body'])} {cexpr(e['orelse'])})"
    if k in ("Tuple", "List"):
        items = e.get("elements", e.get("elts", []))
        return sexpr("tuple" if k == "Tuple" else "list", [cexpr(x) for x in items])
    if k == "Dict":
        parts = []
        for key, value in zip(e["keys"], e["values"]):
            parts += [cexpr(key), cexpr(value)]
        return sexpr("dict", parts)
    if k == "NamedExpr":
        return f"(:= {cexpr(e['target'])} {cexpr(e['value'])})"
    if k in ("ExtCall", "StaticCall"):
        return cexpr(e["value"])
    return "?" + str(k)


def cblock(body, out):
    for s in body:
        k = kind(s)
        if k in ("Expr", "Log"):
            out.append(f"e {cexpr(s['value'])}")
        elif k == "Assign":
            target = s["target"] if "target" in s else s["targets"][0]
            out.append(f"= {cexpr(target)} {cexpr(s['value'])}")
        elif k == "AugAssign":
            out.append(f"+= {BINOPS[kind(s['op'])]} {cexpr(s['target'])} {cexpr(s['value'])}")
        elif k == "AnnAssign":
            out.append(f": {cexpr(s['target'])} {cexpr(s['annotation'])} {cexpr(s.get('value'))}")
        elif k == "If":
            out.append(f"if {cexpr(s['test'])}")
            cblock(s["body"], out)
            out.append("else")
            cblock(s["orelse"], out)
            out.append("end")
        elif k == "For":
            target = s["target"]
            if kind(target) == "AnnAssign":  # 0.4: `for x: T in ...`
                target = target["target"]
            out.append(f"for {cexpr(target)} {cexpr(s['iter'])}")
            cblock(s["body"], out)
            out.append("end")
        elif k == "Assert":
            out.append(f"assert {cexpr(s['test'])} {cexpr(s.get('msg'))}")
        elif k == "Raise":
            out.append(f"raise {cexpr(s.get('exc'))}")
        elif k == "Return":
            out.append(f"return {cexpr(s.get('value'))}")
        elif k == "Pass":
            out.append("pass")
        elif k == "Break":
            out.append("break")
        elif k == "Continue":
            out.append("continue")
        else:
            out.append("?" + str(k))


def cparams(args):
    plain = args.get("args", [])
    defaults = list(args.get("defaults") or [])
    defaults = [None] * (len(plain) - len(defaults)) + defaults
    return ",".join(f"{a['arg']}:{cexpr(a.get('annotation'))}={cexpr(d)}" for a, d in zip(plain, defaults))


def is_docstring(node):
    return kind(node) == "Expr" and kind(node["value"]) == "Str"


def cfields(body, out):
    for m in body:
        k = kind(m)
        if k == "AnnAssign":
            ty, indexed = m["annotation"], "_"
            if kind(ty) == "Call" and cexpr(ty["func"]) == "indexed" and len(ty["args"]) == 1:
                ty, indexed = ty["args"][0], "indexed"
            out.append(f"field {cexpr(m['target'])} {cexpr(ty)} {indexed}")
        elif k == "Expr" and kind(m["value"]) == "Name":
            out.append(f"member {m['value']['id']}")
        elif k == "FunctionDef":
            first = m["body"][0] if m["body"] else None
            mut = first["value"]["id"] if kind(first) == "Expr" and kind(first["value"]) == "Name" else "_"
            out.append(f"def {m['name']} {cparams(m['args'])} {cexpr(m.get('returns'))} {mut}")
        elif k == "Pass" or is_docstring(m):
            pass
        else:
            out.append("?" + str(k))


def cvariable(node):
    """A `VariableDecl` (0.3 on) with its wrappers written back."""
    ty = cexpr(node["annotation"])
    wrappers = (("is_constant", "constant"), ("is_immutable", "immutable"), ("is_transient", "transient"),
                ("is_reentrant", "reentrant"))
    for flag, wrapper in wrappers:
        if node.get(flag):
            ty = f"(call {wrapper} {ty})"
    if node.get("is_public"):
        ty = f"(call public {ty})"
    return f"var {cexpr(node['target'])} {ty} {cexpr(node.get('value'))}"


def cmodule(tree):
    out = []
    for node in tree["body"]:
        k = kind(node)
        if k == "Import":
            out.append(f"import {node['name']} as {node.get('alias') or '_'}")
        elif k == "ImportFrom":
            module = "." * (node.get("level") or 0) + (node.get("module") or "")
            out.append(f"from {module} import {node['name']} as {node.get('alias') or '_'}")
        elif k in ("ImplementsDecl", "UsesDecl", "InitializesDecl", "ExportsDecl"):
            head = k[: -len("Decl")].lower()
            ann = node["annotation"]
            items = ann.get("elements", []) if kind(ann) == "Tuple" else [ann]
            out.append(f"decl {head} " + sexpr("", [cexpr(x) for x in items]))
        elif k == "VariableDecl":
            out.append(cvariable(node))
        elif k == "AnnAssign":  # before 0.3: variables and declarations as written
            name = cexpr(node["target"])
            ann = node["annotation"]
            if name in DECLS:
                items = ann.get("elements", []) if kind(ann) == "Tuple" else [ann]
                out.append(f"decl {name} " + sexpr("", [cexpr(x) for x in items]))
            else:
                out.append(f"var {name} {cexpr(ann)} {cexpr(node.get('value'))}")
        elif k in ("EventDef", "StructDef", "InterfaceDef", "EnumDef", "FlagDef"):
            out.append(f"class {node['name']}")
            cfields(node["body"], out)
        elif k == "FunctionDef":
            decorators = []
            for d in node.get("decorator_list", []):
                if kind(d) == "Call":
                    decorators.append(sexpr(f"call {cexpr(d['func'])}", [cexpr(a) for a in d["args"]]))
                else:
                    decorators.append(cexpr(d))
            out.append(f"def {node['name']} {cparams(node['args'])} {cexpr(node.get('returns'))} @" + "@".join(decorators))
        elif is_docstring(node):
            pass
        else:
            out.append("?" + str(k))
    return out


def canonical(tree):
    """`[("<module>", lines), (function, lines), ...]` as `vyper_corpus --canonical`."""
    forms = [("<module>", cmodule(tree))]
    for node in tree["body"]:
        if kind(node) == "FunctionDef":
            out = []
            body = node["body"]
            if body and is_docstring(body[0]):
                body = body[1:]
            cblock(body, out)
            forms.append((node["name"], out))
    return forms


# ---------------------------------------------------------------- report

def load_known(path):
    known = {}
    if not path:
        return known
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 5:
                sys.exit(f"{path}: expected 5 tab-separated fields (file, function, compiler line, our line, reason): {line!r}")
            known[tuple(fields[:4])] = fields[4]
    return known


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2, help="compiler processes at once (default 2)")
    ap.add_argument("--known", help="the known-differences file")
    ap.add_argument("--cache", help="keep the compilers' ASTs here, by version and source hash")
    ap.add_argument("root", type=pathlib.Path)
    ap.add_argument("tsv")
    ap.add_argument("vyper", nargs="+", help="compiler executables, one per version")
    args = ap.parse_args()

    start = time.monotonic()
    compilers = {}
    for exe in args.vyper:
        compilers.setdefault(compiler_version(exe), exe)
    ours = load_ours(args.tsv)
    known = load_known(args.known)
    paths = sorted(p for p in args.root.resolve().rglob("*") if p.suffix in (".vy", ".vyi") and p.is_file())
    with concurrent.futures.ThreadPoolExecutor(max(args.jobs, 1)) as pool:
        results = list(pool.map(lambda p: compile_file(p, compilers, args.cache), paths))

    compared = []
    not_compared = []
    rewritten = []
    used = {}
    totals = {"decl": [0, 0, 0], "fn": [0, 0, 0], "stmt": [0, 0, 0]}
    files_agreeing = 0
    differences = []
    for path, result in zip(paths, results):
        rel = str(path.relative_to(args.root.resolve()))
        pragma = result["spec"] or "none"
        if result["ast"] is None:
            tried = "; ".join(f"{v}: {why}" for v, why in result["rejections"])
            not_compared.append(f"{rel} (pragma {pragma}): {tried}")
            continue
        used[result["version"]] = used.get(result["version"], 0) + 1
        if result["rewritten"]:
            before = "; ".join(f"{v} rejects it: {why}" for v, why in result["rejections"])
            rewritten.append(f"{rel}: pragma {pragma} rewritten to {result['version']}" + (f" ({before})" if before else ""))
        compared.append(rel)
        theirs = canonical(result["ast"])
        mine = [(name, lines(form)) for name, form in ours.get(rel, [])]
        file_ok = len(theirs) == len(mine)
        if not file_ok:
            differences.append((rel, "<functions>", f"{len(theirs) - 1} functions: " + ",".join(n for n, _ in theirs[1:]),
                                f"{len(mine) - 1} functions: " + ",".join(n for n, _ in mine[1:])))
        mine_by_position = dict(enumerate(mine))
        for i, (name, their_lines) in enumerate(theirs):
            my_name, my_lines = mine_by_position.get(i, ("", []))
            is_module = name == "<module>"
            group = totals["decl"] if is_module else totals["stmt"]
            same, pairs = compare_lines(their_lines, my_lines)
            group[0] += len(their_lines)
            group[1] += len(my_lines)
            group[2] += same
            if not is_module:
                totals["fn"][0] += 1
            if name != my_name:
                pairs = [(f"function {name}", f"function {my_name}")] + pairs
            if not pairs and not is_module:
                totals["fn"][2] += 1
            for a, b in pairs:
                differences.append((rel, name, a, b))
            file_ok = file_ok and not pairs
        if file_ok:
            files_agreeing += 1
    compared_set = set(compared)
    totals["fn"][1] = sum(len(v) - 1 for k, v in ours.items() if k in compared_set)

    unknown = [d for d in differences if d not in known]
    stale = [k for k in known if k not in set(differences)]
    pct = lambda a, b: f"{100.0 * a / b:.2f}%" if b else "-"  # noqa: E731
    print(f"corpus: {args.root}, {len(paths)} files; compilers: {', '.join(sorted(compilers, key=parse_version))}")
    print()
    print("| | compiler | ours | agreeing |")
    print("|---|---|---|---|")
    print(f"| files compared | {len(compared)} | {len(compared)} | {files_agreeing} ({pct(files_agreeing, len(compared))}) |")
    print(f"| files not compared (listed below) | {len(not_compared)} | | |")
    d, f, s = totals["decl"], totals["fn"], totals["stmt"]
    print(f"| module declaration lines | {d[0]} | {d[1]} | {d[2]} ({pct(d[2], d[0])}) |")
    print(f"| functions | {f[0]} | {f[1]} | {f[2]} ({pct(f[2], f[0])}) |")
    print(f"| statement lines | {s[0]} | {s[1]} | {s[2]} ({pct(s[2], s[0])}) |")
    print()
    print("files compared per compiler version: " + ", ".join(f"{v}: {used[v]}" for v in sorted(used, key=parse_version)))
    print(f"files not compared: {len(not_compared)}")
    for line in not_compared:
        print("  " + line)
    print(f"files compared under a rewritten pragma: {len(rewritten)}")
    for line in rewritten:
        print("  " + line)
    print(f"differences: {len(differences)} ({len(differences) - len(unknown)} known, {len(unknown)} not)")
    for rel, name, a, b in differences:
        why = known.get((rel, name, a, b))
        mark = "known" if why is not None else "DIFF"
        print(f"  {mark} {rel}: {name}: compiler `{a}`, ours `{b}`" + (f" ({why})" if why else ""))
    for k in stale:
        print(f"  stale known difference (no longer seen): {k[0]}: {k[1]}")
    print(f"time: {time.monotonic() - start:.0f} s with {args.jobs} compiler processes at once")
    if unknown or not compared:
        sys.exit(1)


if __name__ == "__main__":
    main()
