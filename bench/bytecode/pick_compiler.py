#!/usr/bin/env python3
"""Picks, for each Solidity file of a corpus, the newest compiler of a fixed list that satisfies
every `pragma solidity` of the file, and prints `VERSION<TAB>PATH` lines (files no listed
compiler satisfies are left out).

    pick_compiler.py DIR [LIMIT]
"""
import os
import re
import sys

COMPILERS = ["0.8.26", "0.7.6", "0.6.12", "0.5.17", "0.4.26"]

PRAGMA = re.compile(r"pragma\s+solidity\s+([^;]+);")
COMPARATOR = re.compile(r"(\^|~|>=|<=|>|<|=)?\s*v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?")


def parse(version):
    return tuple(int(p) for p in version.split("."))


def satisfies_one(version, op, parts):
    major, minor, patch = (None if p in (None, "x", "*") else int(p) for p in parts)
    lower = (major, minor or 0, patch or 0)
    if op in (None, "="):
        if minor is None:
            return version[0] == major
        if patch is None:
            return version[:2] == (major, minor)
        return version == lower
    if op == "^":
        if major != 0:
            return lower <= version < (major + 1, 0, 0)
        if minor is None:
            return version[0] == 0
        return lower <= version < (0, minor + 1, 0)
    if op == "~":
        if minor is None:
            return version[0] == major
        return lower <= version < (major, minor + 1, 0)
    return {">=": version >= lower, "<=": version <= lower, ">": version > lower,
            "<": version < lower}[op]


def satisfies(version, expression):
    for alternative in expression.split("||"):
        comparators = COMPARATOR.findall(alternative)
        if comparators and all(
            satisfies_one(version, op or None, (a, b or None, c or None))
            for op, a, b, c in comparators
        ):
            return True
    return False


def choose(text):
    pragmas = PRAGMA.findall(text)
    if not pragmas:
        return None
    for compiler in COMPILERS:
        if all(satisfies(parse(compiler), p) for p in pragmas):
            return compiler
    return None


def main():
    root = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
    count = 0
    for name in sorted(os.listdir(root)):
        if not name.endswith(".sol"):
            continue
        path = os.path.join(root, name)
        with open(path, encoding="utf-8", errors="replace") as f:
            version = choose(f.read())
        if version:
            print(f"{version}\t{path}")
            count += 1
            if limit and count >= limit:
                break


if __name__ == "__main__":
    main()
