#!/usr/bin/env python3
"""Cross-checks the Vyper front-end against Python's own parser.

Vyper's syntax is Python's plus a few keywords. This script rewrites those
keywords the way a pre-parser must (`event X:` -> `class X:`, `log X(...)` ->
`X(...)`, `extcall`/`staticcall` dropped, `for x: T in` -> `for x in`,
`x"..."` -> `b"..."`), parses each file with `ast`, and compares, function by
function, the statement count and shape (the kind of every statement, nested
blocks included, docstrings excluded) and the numbers of calls, attribute
accesses, subscripts and binary operations with what `cargo run --release -p vyper --example vyper_corpus -- DIR
--counts` prints.

With `--canonical`, the stricter check: every module-level declaration and
every statement and expression of every function, in a canonical S-expression form (literals as `L`, `and`/`or`
chains nested to the left), against `... --example vyper_corpus -- DIR --canonical`.

usage: python_ast_agreement.py DIR COUNTS.tsv
       python_ast_agreement.py --canonical DIR CANONICAL.tsv
"""
import ast
import pathlib
import re
import sys

from canonical_form import BINOPS, CMPOPS, DECLS, UNARY, load_ours, nest_left

DECL = re.compile(r"^(\s*)(event|struct|interface|enum|flag|contract)(\s+\w+\s*:)", re.M)
LOG = re.compile(r"^(\s*)log\s+(?=[A-Za-z_])", re.M)
CALLKW = re.compile(r"\b(extcall|staticcall)\s+")
FOR_ANN = re.compile(r"^(\s*for\s+\w+)\s*:\s*.+?(\s+in\s+)", re.M)
HEX = re.compile(r"\bx(['\"])")


def rewrite(text):
    text = DECL.sub(r"\1class\3", text)
    text = LOG.sub(r"\1", text)
    text = CALLKW.sub("", text)
    text = FOR_ANN.sub(r"\1\2", text)
    return HEX.sub(r"b\1", text)


def count(body):
    n = 0
    for stmt in body:
        n += 1
        for field in ("body", "orelse"):
            n += count(getattr(stmt, field, []) if isinstance(stmt, (ast.If, ast.For, ast.While)) else [])
    return n


KINDS = {
    ast.Expr: "e", ast.Assign: "=", ast.AugAssign: "+", ast.AnnAssign: ":", ast.Assert: "a",
    ast.Raise: "r", ast.Return: "R", ast.Pass: "p", ast.Break: "b", ast.Continue: "c",
}


def shape(body):
    out = []
    for stmt in body:
        if isinstance(stmt, ast.If):
            out.append("if(" + shape(stmt.body) + "|" + shape(stmt.orelse) + ")")
        elif isinstance(stmt, ast.For):
            out.append("for(" + shape(stmt.body) + ")")
        else:
            out.append(KINDS.get(type(stmt), "?"))
    return "".join(out)


def nodes(body):
    counts = [0, 0, 0, 0]
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                counts[0] += 1
            elif isinstance(node, ast.Attribute):
                counts[1] += 1
            elif isinstance(node, ast.Subscript):
                counts[2] += 1
            elif isinstance(node, ast.BinOp):
                counts[3] += 1
    return tuple(counts)


def functions(tree):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                body = body[1:]
            yield (node.name, count(body), shape(body), nodes(body))


def cexpr(e):
    if e is None:
        return "_"
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Constant):
        if e.value is True or e.value is False:
            return str(e.value)
        if e.value is None:
            return "None"
        if e.value is Ellipsis:
            return "..."
        return "L"
    if isinstance(e, ast.Attribute):
        return f"(. {cexpr(e.value)} {e.attr})"
    if isinstance(e, ast.Subscript):
        return f"([] {cexpr(e.value)} {cexpr(e.slice)})"
    if isinstance(e, ast.Call):
        parts = [cexpr(e.func)] + [cexpr(a) for a in e.args] + [f"{k.arg}={cexpr(k.value)}" for k in e.keywords]
        return "(call " + " ".join(parts) + ")"
    if isinstance(e, ast.UnaryOp):
        return f"({UNARY[type(e.op).__name__]} {cexpr(e.operand)})"
    if isinstance(e, ast.BinOp):
        return f"({BINOPS[type(e.op).__name__]} {cexpr(e.left)} {cexpr(e.right)})"
    if isinstance(e, ast.BoolOp):
        return nest_left("and" if isinstance(e.op, ast.And) else "or", [cexpr(v) for v in e.values])
    if isinstance(e, ast.Compare):
        acc = cexpr(e.left)
        for op, right in zip(e.ops, e.comparators):
            acc = f"({CMPOPS[type(op).__name__]} {acc} {cexpr(right)})"
        return acc
    if isinstance(e, ast.IfExp):
        return f"(if {cexpr(e.test)} {cexpr(e.body)} {cexpr(e.orelse)})"
    if isinstance(e, (ast.Tuple, ast.List)):
        head = "tuple" if isinstance(e, ast.Tuple) else "list"
        return "(" + " ".join([head] + [cexpr(x) for x in e.elts]) + ")"
    if isinstance(e, ast.Dict):
        parts = ["dict"]
        for k, v in zip(e.keys, e.values):
            parts += [cexpr(k), cexpr(v)]
        return "(" + " ".join(parts) + ")"
    if isinstance(e, ast.NamedExpr):
        return f"(:= {cexpr(e.target)} {cexpr(e.value)})"
    return "?" + type(e).__name__


def cblock(body, out):
    for s in body:
        if isinstance(s, ast.Expr):
            out.append(f"e {cexpr(s.value)}")
        elif isinstance(s, ast.Assign):
            out.append(f"= {cexpr(s.targets[0])} {cexpr(s.value)}")
        elif isinstance(s, ast.AugAssign):
            out.append(f"+= {BINOPS[type(s.op).__name__]} {cexpr(s.target)} {cexpr(s.value)}")
        elif isinstance(s, ast.AnnAssign):
            out.append(f": {cexpr(s.target)} {cexpr(s.annotation)} {cexpr(s.value)}")
        elif isinstance(s, ast.If):
            out.append(f"if {cexpr(s.test)}")
            cblock(s.body, out)
            out.append("else")
            cblock(s.orelse, out)
            out.append("end")
        elif isinstance(s, ast.For):
            out.append(f"for {cexpr(s.target)} {cexpr(s.iter)}")
            cblock(s.body, out)
            out.append("end")
        elif isinstance(s, ast.Assert):
            out.append(f"assert {cexpr(s.test)} {cexpr(s.msg)}")
        elif isinstance(s, ast.Raise):
            out.append(f"raise {cexpr(s.exc)}")
        elif isinstance(s, ast.Return):
            out.append(f"return {cexpr(s.value)}")
        elif isinstance(s, ast.Pass):
            out.append("pass")
        elif isinstance(s, ast.Break):
            out.append("break")
        elif isinstance(s, ast.Continue):
            out.append("continue")
        else:
            out.append("?" + type(s).__name__)


def cparams(args):
    plain = args.args
    defaults = [None] * (len(plain) - len(args.defaults)) + list(args.defaults)
    return ",".join(f"{a.arg}:{cexpr(a.annotation)}={cexpr(d)}" for a, d in zip(plain, defaults))


def is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def cfields(body, out):
    for m in body:
        if isinstance(m, ast.AnnAssign):
            ty, indexed = m.annotation, "_"
            if isinstance(ty, ast.Call) and isinstance(ty.func, ast.Name) and ty.func.id == "indexed" and len(ty.args) == 1:
                ty, indexed = ty.args[0], "indexed"
            out.append(f"field {cexpr(m.target)} {cexpr(ty)} {indexed}")
        elif isinstance(m, ast.Expr) and isinstance(m.value, ast.Name):
            out.append(f"member {m.value.id}")
        elif isinstance(m, ast.FunctionDef):
            mut = m.body[0].value.id if m.body and isinstance(m.body[0], ast.Expr) and isinstance(m.body[0].value, ast.Name) else "_"
            out.append(f"def {m.name} {cparams(m.args)} {cexpr(m.returns)} {mut}")
        elif isinstance(m, ast.Pass) or is_docstring(m):
            pass
        else:
            out.append("?" + type(m).__name__)


def cmodule(tree):
    out = []
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.Import):
            for a in node.names:
                out.append(f"import {a.name} as {a.asname or '_'}")
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for a in node.names:
                out.append(f"from {module} import {a.name} as {a.asname or '_'}")
        elif isinstance(node, ast.AnnAssign):
            name = cexpr(node.target)
            ann = node.annotation
            if name in DECLS:
                items = ann.elts if isinstance(ann, ast.Tuple) else [ann]
                out.append(f"decl {name} (" + " ".join([""] + [cexpr(x) for x in items]) + ")")
            elif isinstance(ann, ast.Call) and isinstance(ann.func, ast.Name) and ann.func.id == "event" and node.value is None:
                out.append(f"class {name}")
                if ann.args and isinstance(ann.args[0], ast.Dict):
                    body = [ast.AnnAssign(target=k, annotation=v, value=None, simple=1) for k, v in zip(ann.args[0].keys, ann.args[0].values)]
                    cfields(body, out)
            else:
                out.append(f"var {name} {cexpr(ann)} {cexpr(node.value)}")
        elif isinstance(node, ast.ClassDef):
            out.append(f"class {node.name}")
            cfields(node.body, out)
        elif isinstance(node, ast.FunctionDef):
            decorators = []
            for d in node.decorator_list:
                if isinstance(d, ast.Call):
                    decorators.append("(" + " ".join([f"call {cexpr(d.func)}"] + [cexpr(a) for a in d.args]) + ")")
                else:
                    decorators.append(cexpr(d))
            out.append(f"def {node.name} {cparams(node.args)} {cexpr(node.returns)} @" + "@".join(decorators))
        elif is_docstring(node):
            pass
        else:
            out.append("?" + type(node).__name__)
    return out


def canonical(root, tsv):
    ours = load_ours(tsv)
    functions = agree = statements = 0
    disagreements = []
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".vy", ".vyi")):
        rel = str(path.relative_to(root))
        try:
            tree = ast.parse(rewrite(path.read_text(encoding="utf-8", errors="replace")))
        except SyntaxError as e:
            disagreements.append(f"{rel}: Python cannot parse the rewritten file ({e.msg}, line {e.lineno})")
            continue
        theirs = [("<module>", " ; ".join(cmodule(tree)))]
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                    body = body[1:]
                out = []
                cblock(body, out)
                theirs.append((node.name, " ; ".join(out)))
        mine = ours.get(rel, [])
        if len(theirs) != len(mine):
            disagreements.append(f"{rel}: {len(theirs)} functions for Python, {len(mine)} for us")
        for (a, b) in zip(theirs, mine):
            functions += 1
            statements += a[1].count(" ; ") + 1 if a[1] else 0
            if a == b:
                agree += 1
            else:
                ta, tb = a[1].split(" ; "), b[1].split(" ; ")
                first = next((i for i, (x, y) in enumerate(zip(ta, tb)) if x != y), min(len(ta), len(tb)))
                disagreements.append(
                    f"{rel}: {a[0]}: Python `{ta[first] if first < len(ta) else ''}`, ours `{tb[first] if first < len(tb) else ''}`"
                )
    print(f"modules and functions compared: {functions}, identical: {agree}, canonical lines: {statements}")
    for d in disagreements:
        print("  " + d)


def main():
    if sys.argv[1] == "--canonical":
        canonical(pathlib.Path(sys.argv[2]), sys.argv[3])
        return
    root = pathlib.Path(sys.argv[1])
    ours = {}
    for line in open(sys.argv[2], encoding="utf-8"):
        path, name, n, shp, *counts = line.rstrip("\n").split("\t")
        ours.setdefault(path, []).append((name, int(n), shp, tuple(int(c) for c in counts)))
    files = agree_files = python_errors = 0
    functions_total = functions_agree = 0
    statements_python = statements_ours = 0
    disagreements = []
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".vy", ".vyi")):
        rel = str(path.relative_to(root))
        files += 1
        try:
            tree = ast.parse(rewrite(path.read_text(encoding="utf-8", errors="replace")))
        except SyntaxError as e:
            python_errors += 1
            disagreements.append(f"{rel}: Python cannot parse the rewritten file ({e.msg}, line {e.lineno})")
            continue
        theirs = list(functions(tree))
        mine = ours.get(rel, [])
        functions_total += len(theirs)
        statements_python += sum(t[1] for t in theirs)
        statements_ours += sum(m[1] for m in mine)
        same = 0
        for (a, b) in zip(theirs, mine):
            if a == b:
                same += 1
            else:
                disagreements.append(f"{rel}: Python {a}, ours {b}")
        if len(theirs) != len(mine):
            disagreements.append(f"{rel}: {len(theirs)} functions for Python, {len(mine)} for us")
        functions_agree += same
        if same == len(theirs) == len(mine):
            agree_files += 1
    print(f"files: {files}, Python parse failures after rewriting: {python_errors}")
    print(f"files where every function agrees: {agree_files}")
    print(f"functions: {functions_total}, agreeing: {functions_agree}")
    print(f"statements: Python {statements_python}, ours {statements_ours}")
    for d in disagreements:
        print("  " + d)


if __name__ == "__main__":
    main()
