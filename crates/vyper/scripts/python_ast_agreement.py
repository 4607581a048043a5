#!/usr/bin/env python3
"""Cross-checks the Vyper front-end against Python's own parser.

Vyper's syntax is Python's plus a few keywords. This script rewrites those
keywords the way a pre-parser must (`event X:` -> `class X:`, `log X(...)` ->
`X(...)`, `extcall`/`staticcall` dropped, `for x: T in` -> `for x in`,
`x"..."` -> `b"..."`), parses each file with `ast`, and compares, function by
function, the statement count and shape (the kind of every statement, nested
blocks included, docstrings excluded) and the numbers of calls, attribute
accesses, subscripts and binary operations with what `cargo run --release -p vyper --example corpus -- DIR
--counts` prints.

usage: python_ast_agreement.py DIR COUNTS.tsv
"""
import ast
import pathlib
import re
import sys

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


def main():
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
