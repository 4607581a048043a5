#!/usr/bin/env python3
"""Bug-injection benchmark: hand-written vulnerable snippets injected into clean real contracts.

USAGE
  python3 bench/inject/inject.py --shared SHARED_DIR [--out target/inject] [--seed N]
        [--per-class N] [--classes a,b] [--no-cache] [--list-snippets]
  (normally through bench/inject/run.sh SHARED_DIR, from the repository root)

  The scanner is $WEB3AUDIT_BIN (default target/release/web3audit, relative to the repository root).

WHAT IT DOES
  1. Baseline: scans SHARED_DIR/corpus/wild-sample (2,000 mainnet files, Solidity 0.4-0.5) once with
     `--format sarif --min-severity low --no-config`, plus a parse-only pass for syntax errors;
     SHARED_DIR/corpus/modern (OpenZeppelin, Uniswap v4; 0.8) the same way, because the wild sample
     has no file for 0.6 or later. The result is cached per scanner binary in OUT/cache/.
  2. Hosts: for each class, files whose original has no finding of that class's detectors, no syntax
     error, one unambiguous compiler minor version in the pragma, no import (wild sample), and a
     concrete contract (the last non-abstract `contract` whose functions all have bodies). The choice
     is seeded and deterministic and goes round-robin over version buckets.
  3. Injection: one snippet per host, picked among those valid for the host's lowest admitted compiler
     version (the version the scanner assumes), the least used one first. Members go before the
     contract's closing brace, an optional `@top` block before the contract, an optional base contract
     is appended to its inheritance list. Identifiers carry a suffix unique to the injection.
  4. One scan of the injected set (`OUT/run`), SARIF, same flags; plus a parse-only pass: a syntax
     error in an injected file is a broken snippet and fails the run.
  5. Score per class: an injected bug is found when a finding of one of the class's detectors in that
     file has a line range containing one of the bug's labelled lines (a range longer than 3 lines counts
     at its first line). "outside" = findings of the class's detectors in an injected file outside the
     injected lines (the hosts had none before; must be 0); "extra" = such findings inside the snippet
     at lines that are not labelled (reported, not gated).
  Exit 1 when a class has recall below 95% or any outside finding, or a snippet broke the parse;
  exit 2 on a usage or environment error.

OUTPUT (OUT, default target/inject/)
  run/            the injected files (run/wild/CLASS/..., run/modern/... beside the host's imports)
  scan.sarif      the scanner's findings on run/
  labels.json     the labels in SmartBugs format (category = class id), paths relative to run/
  mapping.json    detector id -> class, for ../shared/bench/score.py:
                    python3 SHARED/bench/score.py smartbugs --labels target/inject/labels.json \\
                      --mapping target/inject/mapping.json --findings target/inject/scan.sarif --max-span 3
  results.json    every injection: host, snippet, labelled lines, injected lines, detectors that hit each bug
  summary.json    the table per class, the misses, the outside and extra findings

SNIPPETS (bench/inject/snippets/CLASS/NAME.sol; see bench/inject/README.md)
  Header lines `// @class ID`, `// @shape TEXT`, optional `// @when >=0.5.0 <0.8.0` and `// @base NAME`,
  then an optional `// @top` block (file-level declarations) and the `// @members` block (state,
  modifiers, functions). `__ID__` is replaced by the injection's suffix. A trailing `// @bug` marks a
  labelled line (one bug per marker; `// @bug:NAME` groups several lines into one bug). Version
  conditionals `// @if <0.5.0` / `// @elif ...` / `// @else` / `// @endif` on their own lines, and macros
  `{{NAME(args)}}` (see MACROS below) adapt a snippet to the host's compiler version.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SNIPPET_DIR = os.path.join(HERE, "snippets")

# class id -> detector ids whose findings count for it
CLASSES = {
    "reentrancy": ["reentrancy-eth", "reentrancy-no-eth"],
    "tx-origin-auth": ["tx-origin-auth"],
    "unchecked-low-level-call": ["unchecked-low-level-call"],
    "unchecked-send": ["unchecked-send"],
    "integer-overflow": ["integer-overflow"],
    "unchecked-arithmetic": ["unchecked-arithmetic"],
    "timestamp-dependence": ["timestamp-dependence"],
    "weak-randomness": ["weak-randomness"],
    "unprotected-selfdestruct": ["unprotected-selfdestruct"],
    "controlled-delegatecall": ["controlled-delegatecall"],
    "arbitrary-send-eth": ["arbitrary-send-eth"],
    "unprotected-state-write": ["unprotected-state-write"],
    "unprotected-initializer": ["unprotected-initializer"],
    "tx-order-dependence": ["tx-order-dependence"],
    "arbitrary-transfer-from": ["arbitrary-transfer-from"],
    "signature-replay": ["signature-replay"],
    "ecrecover-zero": ["ecrecover-zero"],
    "strict-balance-equality": ["strict-balance-equality"],
    "unsafe-downcast": ["unsafe-downcast"],
    "encode-packed-collision": ["encode-packed-collision"],
    "msg-value-in-loop": ["msg-value-in-loop"],
    "divide-before-multiply": ["divide-before-multiply"],
    "unchecked-erc20-transfer": ["unchecked-erc20-transfer"],
}
RECALL_FLOOR = 0.95
MAX_SPAN = 3
SCAN_FLAGS = ["--format", "sarif", "--min-severity", "low", "--no-config"]
# a cheap parse-only pass: JSON output carries the syntax diagnostics SARIF does not
DIAG_FLAGS = ["--format", "json", "--no-config", "--detectors", "floating-pragma"]
CACHE_VERSION = "1"


def die(msg, code=2):
    print(f"inject: {msg}", file=sys.stderr)
    sys.exit(code)


# ================================================================== versions and pragmas
def vparse(s):
    parts = [int(x) for x in s.split(".") if x != ""]
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts[:3])


def vstr(v):
    return ".".join(str(x) for x in v)


_CMP = re.compile(r"(\^|~|>=|<=|>|<|=)?\s*v?(\d+(?:\s*\.\s*(?:\d+|x|\*))*)")


def constraint_bounds(expr):
    """(lo inclusive, hi exclusive) admitted by one version expression, or None (unsupported form).
    `x` wildcards and `||` are not supported (they do not occur in the corpora)."""
    if "||" in expr:
        return None
    expr = expr.replace('"', " ").replace("'", " ")
    lo, hi = (0, 0, 0), (99, 0, 0)
    pos = 0
    found = False
    while True:
        m = _CMP.search(expr, pos)
        if not m:
            break
        if expr[pos:m.start()].strip():
            return None
        pos = m.end()
        found = True
        op = m.group(1) or "="
        raw = re.sub(r"\s+", "", m.group(2))
        if "x" in raw or "*" in raw:
            return None
        nparts = raw.count(".") + 1
        v = vparse(raw)
        if op == "^":
            a, b = v, ((v[0], v[1] + 1, 0) if v[0] == 0 else (v[0] + 1, 0, 0))
        elif op == "~":
            a, b = v, (v[0], v[1] + 1, 0)
        elif op == "=":
            if nparts == 3:
                a, b = v, (v[0], v[1], v[2] + 1)
            else:
                a, b = v, (v[0], v[1] + 1, 0)
        elif op == ">=":
            a, b = v, (99, 0, 0)
        elif op == ">":
            a, b = (v[0], v[1], v[2] + 1), (99, 0, 0)
        elif op == "<":
            a, b = (0, 0, 0), v
        else:  # <=
            a, b = (0, 0, 0), (v[0], v[1], v[2] + 1)
        lo, hi = max(lo, a), min(hi, b)
    if not found or expr[pos:].strip():
        return None
    return lo, hi


def pragma_bounds(blank):
    """Intersection of every `pragma solidity` of a file (comments and strings already blanked)."""
    lo, hi, seen = (0, 0, 0), (99, 0, 0), False
    for m in re.finditer(r"\bpragma\s+solidity\b([^;]*);", blank):
        b = constraint_bounds(m.group(1))
        if b is None:
            return None
        seen = True
        lo, hi = max(lo, b[0]), min(hi, b[1])
    if not seen or lo >= hi:
        return None
    return lo, hi


def single_minor(lo, hi):
    """The pragma admits one minor version only (so a snippet valid for `lo` is valid for the file)."""
    return hi <= (lo[0], lo[1] + 1, 0)


def bucket_of(v):
    if v < (0, 4, 17):
        return "0.4.0-16"
    if v < (0, 4, 22):
        return "0.4.17-21"
    if v < (0, 5, 0):
        return "0.4.22-26"
    return f"{v[0]}.{v[1]}"


def version_ok(when, v):
    """`when` is a list of (op, version) pairs, all of which must hold."""
    for op, w in when:
        if op == ">=" and not v >= w:
            return False
        if op == ">" and not v > w:
            return False
        if op == "<" and not v < w:
            return False
        if op == "<=" and not v <= w:
            return False
        if op == "=" and not v == w:
            return False
    return True


def parse_when(text):
    out = []
    for m in re.finditer(r"(>=|<=|>|<|=)\s*(\d+\.\d+\.\d+)", text):
        out.append((m.group(1), vparse(m.group(2))))
    if not out and text.strip():
        raise ValueError(f"bad version condition {text!r}")
    return out


# ================================================================== Solidity structure
_TRIVIA = re.compile(r'//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?', re.S)


def blank_out(text):
    """Same-length copy of `text` with comments and the contents of string literals replaced by spaces
    (newlines kept), so that structure can be found with regular expressions."""
    def repl(m):
        t = m.group(0)
        if t[0] in "\"'":
            inner = re.sub(r"[^\n]", " ", t[1:-1]) if len(t) > 1 and t[-1] == t[0] else re.sub(r"[^\n]", " ", t[1:])
            return t[0] + inner + (t[-1] if len(t) > 1 and t[-1] == t[0] else "")
        return re.sub(r"[^\n]", " ", t)
    return _TRIVIA.sub(repl, text)


_DECL = re.compile(r"\b(abstract\s+)?(contract|interface|library)\s+([A-Za-z_$][\w$]*)")
_STRUCT = re.compile(r"[{}]|\b(?:abstract\s+)?(?:contract|interface|library)\s+[A-Za-z_$]")


def find_contracts(blank):
    """Top-level contract-like declarations: dicts with kind, name, abstract, start (offset of the
    first keyword), name_end, open and close (offsets of the body's braces)."""
    out = []
    depth, decl = 0, None
    for m in _STRUCT.finditer(blank):
        t = m.group(0)
        if t == "{":
            if depth == 0 and decl is not None and "open" not in decl:
                decl["open"] = m.start()
            depth += 1
        elif t == "}":
            depth -= 1
            if depth == 0 and decl is not None and "open" in decl:
                decl["close"] = m.start()
                out.append(decl)
                decl = None
            depth = max(depth, 0)
        elif depth == 0 and decl is None:
            d = _DECL.match(blank, m.start())
            decl = {"kind": d.group(2), "name": d.group(3), "abstract": bool(d.group(1)),
                    "start": m.start(), "name_end": d.end()}
    return out


def all_functions_implemented(blank, c):
    """Every `function` directly in the body has a body (so the contract is not abstract in 0.4/0.5)."""
    body = blank[c["open"] + 1:c["close"]]
    depth = 0
    for m in re.finditer(r"[{}]|\bfunction\b", body):
        t = m.group(0)
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
        elif depth == 0:
            # a function-typed state variable `function (uint) external f;` has no name after `function`
            if re.match(r"function\s*\(", body[m.start():]):
                continue
            k = m.end()
            paren = 0
            while k < len(body):
                ch = body[k]
                if ch == "(":
                    paren += 1
                elif ch == ")":
                    paren -= 1
                elif paren == 0 and ch in "{;":
                    break
                k += 1
            if k >= len(body) or body[k] == ";":
                return False
    return True


def host_contract(blank):
    """The last concrete contract of the file, or None."""
    cs = find_contracts(blank)
    for c in reversed(cs):
        if c["kind"] == "contract" and not c["abstract"] and all_functions_implemented(blank, c):
            return c
    return None


# ================================================================== snippets
class Snippet:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.cls = None
        self.shape = ""
        self.when = []
        self.base = None
        self.top = []
        self.members = []
        section = None
        with open(path, encoding="utf-8") as fh:
            for raw in fh.read().splitlines():
                s = raw.strip()
                m = re.match(r"//\s*@(class|shape|when|base|top|members)\b\s*(.*)$", s)
                if m:
                    key, val = m.group(1), m.group(2).strip()
                    if key == "class":
                        self.cls = val
                    elif key == "shape":
                        self.shape = (self.shape + " " + val).strip()
                    elif key == "when":
                        self.when = parse_when(val)
                    elif key == "base":
                        self.base = val
                    else:
                        section = key
                    continue
                if section == "top":
                    self.top.append(raw)
                elif section == "members":
                    self.members.append(raw)
                elif s and not s.startswith("//"):
                    raise ValueError(f"{path}: code before `// @members`")
        if self.cls not in CLASSES:
            raise ValueError(f"{path}: unknown or missing `// @class` ({self.cls})")
        if not self.members:
            raise ValueError(f"{path}: no `// @members` block")
        if not any("@bug" in l for l in self.top + self.members):
            raise ValueError(f"{path}: no `// @bug` marker")
        if self.base and not any(re.search(r"\bcontract\s+" + re.escape(self.base) + r"\b", l) for l in self.top):
            raise ValueError(f"{path}: `@base {self.base}` is not declared in the `@top` block")
        self.key = f"{self.cls}/{self.name}"

    def valid_for(self, v):
        return version_ok(self.when, v)

    def render(self, v, ident):
        top = expand("\n".join(conditionals(self.top, v)), v).replace("__ID__", ident)
        members = expand("\n".join(conditionals(self.members, v)), v).replace("__ID__", ident)
        base = self.base.replace("__ID__", ident) if self.base else None
        return top, members, base


def load_snippets():
    out = []
    for cls in sorted(os.listdir(SNIPPET_DIR)):
        d = os.path.join(SNIPPET_DIR, cls)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".sol"):
                s = Snippet(os.path.join(d, f))
                if s.cls != cls:
                    raise ValueError(f"{s.path}: `@class {s.cls}` in folder {cls}")
                out.append(s)
    return out


def conditionals(lines, v):
    out, stack = [], []   # stack of [active, taken]
    for raw in lines:
        m = re.match(r"\s*//\s*@(if|elif|else|endif)\b(.*)$", raw)
        if not m:
            if all(a for a, _ in stack):
                out.append(raw)
            continue
        kw, arg = m.group(1), m.group(2)
        if kw == "if":
            ok = version_ok(parse_when(arg), v)
            stack.append([ok, ok])
        elif kw == "elif":
            ok = not stack[-1][1] and version_ok(parse_when(arg), v)
            stack[-1] = [ok, stack[-1][1] or ok]
        elif kw == "else":
            stack[-1] = [not stack[-1][1], True]
        else:
            stack.pop()
    if stack:
        raise ValueError("unterminated `// @if`")
    return out


# ------------------------------------------------------------------ macros
# Each takes the host's compiler version and the macro's arguments (source text, already expanded).
def _m_callv(v, to, val):
    if v < (0, 5, 0):
        return f"{to}.call.value({val})()"
    if v < (0, 6, 2):
        return f"{to}.call.value({val})(\"\")"
    return f"{to}.call{{value: {val}}}(\"\")"


MACROS = {
    # block time: `now` where it exists, else block.timestamp
    "NOW": lambda v: "now" if v < (0, 7, 0) else "block.timestamp",
    # a payable msg.sender
    "SENDER": lambda v: "msg.sender" if v < (0, 8, 0) else "payable(msg.sender)",
    # make an `address` expression payable
    "PAY": lambda v, x: x if v < (0, 5, 0) else f"address(uint160({x}))" if v < (0, 6, 0) else f"payable({x})",
    # the type of a payable address
    "ADDRP": lambda v: "address" if v < (0, 5, 0) else "address payable",
    # low-level call with value and no data, as an expression
    "CALLV": _m_callv,
    # declare the success flag of a low-level call expression: OK(flag, call)
    "OK": lambda v, flag, call: f"bool {flag} = {call}" if v < (0, 5, 0) else f"(bool {flag}, ) = {call}",
    # `require(c);`, or `if (!(c)) throw;` before require existed
    "REQ": lambda v, c: f"if (!({c})) throw;" if v < (0, 4, 10) else f"require({c});",
    "REVERT": lambda v: "throw;" if v < (0, 4, 10) else "revert();",
    "THISBAL": lambda v: "this.balance" if v < (0, 5, 0) else "address(this).balance",
    # keccak256 of tightly packed arguments
    "KEC": lambda v, *a: (f"sha3({', '.join(a)})" if v < (0, 4, 4) else f"keccak256({', '.join(a)})") if v < (0, 5, 0)
    else f"keccak256(abi.encodePacked({', '.join(a)}))",
    # send ether, reverting on failure (`transfer` exists from 0.4.10)
    "XFER": lambda v, to, amt: f"if (!{to}.send({amt})) throw;" if v < (0, 4, 10) else f"{to}.transfer({amt});",
    # calldata of a signature without arguments
    "SIG": lambda v, s: (f"bytes4(sha3({s}))" if v < (0, 4, 4) else f"bytes4(keccak256({s}))") if v < (0, 5, 0)
    else f"abi.encodeWithSignature({s})",
    "IFACE": lambda v: "contract" if v < (0, 5, 0) else "interface",
    "IFN": lambda v: "public" if v < (0, 5, 0) else "external",
    "VIEW": lambda v: "constant" if v < (0, 4, 17) else "view",
    "PURE": lambda v: "constant" if v < (0, 4, 17) else "pure",
    "EMIT": lambda v: "" if v < (0, 4, 21) else "emit ",
    "BHASH": lambda v, n: f"block.blockhash({n})" if v < (0, 4, 22) else f"blockhash({n})",
    "DIFF": lambda v: "block.difficulty" if v < (0, 8, 18) else "block.prevrandao",
    # an address as an integer
    "ADDRINT": lambda v, a: f"uint256({a})" if v < (0, 8, 0) else f"uint256(uint160({a}))",
    # the contract's own address where an `address` is expected
    "THIS": lambda v: "this" if v < (0, 5, 0) else "address(this)",
    # keccak256 of a string
    "HASHSTR": lambda v, s: f"sha3({s})" if v < (0, 4, 4) else f"keccak256({s})" if v < (0, 5, 0) else f"keccak256(bytes({s}))",
    # calldata data location for parameters of external functions (0.5 on)
    "CDATA": lambda v: "" if v < (0, 5, 0) else " calldata",
}


def _split_args(s):
    args, depth, cur, quote = [], 0, [], None
    for ch in s:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        args.append("".join(cur).strip())
    return args


def expand(text, v):
    """Expand `{{NAME}}` / `{{NAME(args)}}`, innermost (rightmost) first."""
    while True:
        i = text.rfind("{{")
        if i < 0:
            return text
        m = re.match(r"\{\{([A-Z_]+)", text[i:])
        if not m:
            raise ValueError(f"bad macro near {text[i:i + 30]!r}")
        name, j = m.group(1), i + m.end()
        args = []
        if j < len(text) and text[j] == "(":
            depth, k, quote = 0, j, None
            while k < len(text):
                ch = text[k]
                if quote:
                    if ch == quote:
                        quote = None
                elif ch in "\"'":
                    quote = ch
                elif ch == "(":
                    depth += 1
                elif ch == ")":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            args = _split_args(text[j + 1:k])
            j = k + 1
        if text[j:j + 2] != "}}":
            raise ValueError(f"unterminated macro {name} near {text[i:i + 40]!r}")
        if name not in MACROS:
            raise ValueError(f"unknown macro {name}")
        text = text[:i] + MACROS[name](v, *args) + text[j + 2:]


# ================================================================== injection
BEGIN, END, LINE_MARK = "//@@INJECT-BEGIN", "//@@INJECT-END", "/*@@INJECT-LINE*/"
BUG_RE = re.compile(r"\s*//\s*@bug(?::([\w-]+))?\s*$")


def inject(text, blank, host, top, members, base):
    """Returns (new text, labels: list of sorted line lists, region: set of injected lines)."""
    edits = []   # (offset, inserted text), applied from the end
    # members before the closing brace
    close = host["close"]
    ls = text.rfind("\n", 0, close) + 1
    block = BEGIN + "\n\n" + members.strip("\n") + "\n" + END + "\n"
    if text[ls:close].strip():
        edits.append((close, "\n" + block))
    else:
        edits.append((ls, block))
    # base contract appended to the inheritance list
    if base:
        header = blank[host["name_end"]:host["open"]]
        if re.search(r"\bis\b", header):
            # after the last base (before `{`, trailing whitespace kept)
            end = host["name_end"] + len(header.rstrip())
            edits.append((end, f", {base}{LINE_MARK}"))
        else:
            edits.append((host["name_end"], f" is {base}{LINE_MARK}"))
    # file-level declarations before the contract
    if top.strip():
        start = host["start"]
        ls = text.rfind("\n", 0, start) + 1
        block = BEGIN + "\n" + top.strip("\n") + "\n\n" + END + "\n"
        edits.append((start, block) if not text[ls:start].strip() else (start, "\n" + block))
    for off, ins in sorted(edits, key=lambda e: -e[0]):
        text = text[:off] + ins + text[off:]
    out, region, bugs = [], set(), defaultdict(list)
    inside, anon = False, 0
    for raw in text.split("\n"):
        if raw == BEGIN:
            inside = True
            continue
        if raw == END:
            inside = False
            continue
        n = len(out) + 1
        if LINE_MARK in raw:
            raw = raw.replace(LINE_MARK, "")
            region.add(n)
        if inside:
            region.add(n)
            m = BUG_RE.search(raw)
            if m:
                raw = raw[:m.start()]
                key = m.group(1)
                if key is None:
                    anon += 1
                    key = f"#{anon}"
                bugs[key].append(n)
        out.append(raw)
    return "\n".join(out), [sorted(b) for b in bugs.values()], region


# ================================================================== scanning
def run_scan(binary, path, flags, out):
    cmd = [binary, "scan", path] + flags + ["--output", out]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode not in (0, 1) or not os.path.exists(out):
        sys.stderr.write(p.stderr[-3000:])
        die(f"`{' '.join(cmd)}` exited with {p.returncode}")


def sarif_results(path):
    """(file relative to the scanned root, rule, start, end) of every result."""
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    out = []
    for run in doc.get("runs", []):
        for r in run.get("results", []) or []:
            locs = r.get("locations") or []
            if not locs:
                continue
            pl = locs[0].get("physicalLocation") or {}
            uri = (pl.get("artifactLocation") or {}).get("uri")
            reg = pl.get("region") or {}
            s = reg.get("startLine")
            if uri is None or s is None:
                continue
            if uri.startswith("file://"):
                uri = uri[len("file://"):]
            from urllib.parse import unquote
            out.append((os.path.normpath(unquote(uri)), r.get("ruleId"), s, reg.get("endLine") or s,
                        ((r.get("message") or {}).get("text") or "")))
    return out


def syntax_error_files(path):
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    out = defaultdict(list)
    for d in doc.get("diagnostics", []):
        if d.get("kind") == "syntax" and d.get("file"):
            out[os.path.normpath(d["file"])].append((d.get("line"), d.get("message")))
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sol_files(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".sol"):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return out


def baseline(binary, shared, out_dir, use_cache):
    """Per corpus root: {relative file: set of rule ids}, and files with syntax errors."""
    roots = {"wild": os.path.join(shared, "corpus", "wild-sample", "contracts"),
             "modern": os.path.join(shared, "corpus", "modern")}
    roots = {k: v for k, v in roots.items() if os.path.isdir(v)}
    if "wild" not in roots:
        die(f"{roots.get('wild', os.path.join(shared, 'corpus', 'wild-sample', 'contracts'))} is absent")
    sig = hashlib.sha256()
    sig.update(CACHE_VERSION.encode())
    sig.update(sha256_file(binary).encode())
    for k, r in sorted(roots.items()):
        for f in sol_files(r):
            st = os.stat(os.path.join(r, f))
            sig.update(f"{k}/{f}:{st.st_size}:{int(st.st_mtime)}\n".encode())
    cache_dir = os.path.join(out_dir, "cache")
    cache = os.path.join(cache_dir, f"baseline-{sig.hexdigest()[:16]}.json")
    if use_cache and os.path.exists(cache):
        with open(cache, encoding="utf-8") as fh:
            data = json.load(fh)
        print(f"baseline: cached ({os.path.relpath(cache, REPO)})")
        return roots, {k: {f: set(r) for f, r in v.items()} for k, v in data["rules"].items()}, \
            {k: set(v) for k, v in data["syntax"].items()}
    os.makedirs(cache_dir, exist_ok=True)
    rules, syntax = {}, {}
    for k, r in sorted(roots.items()):
        t0 = time.time()
        sarif = os.path.join(cache_dir, f"baseline-{k}.sarif")
        diag = os.path.join(cache_dir, f"baseline-{k}-diag.json")
        run_scan(binary, r, SCAN_FLAGS, sarif)
        run_scan(binary, r, DIAG_FLAGS, diag)
        per = defaultdict(set)
        for f, rule, _, _, _ in sarif_results(sarif):
            per[f].add(rule)
        rules[k] = dict(per)
        syntax[k] = set(syntax_error_files(diag))
        print(f"baseline: scanned {k} ({r}) in {time.time() - t0:.1f} s: "
              f"{sum(len(v) for v in per.values())} (file, rule) pairs, {len(syntax[k])} files with syntax errors")
    with open(cache, "w", encoding="utf-8") as fh:
        json.dump({"rules": {k: {f: sorted(s) for f, s in v.items()} for k, v in rules.items()},
                   "syntax": {k: sorted(v) for k, v in syntax.items()}}, fh)
    return roots, rules, syntax


# ================================================================== hosts
def modern_host_ok(rel):
    parts = rel.replace("\\", "/").split("/")
    skip = {"mocks", "test", "tests", "script", "scripts", "lib", "node_modules", "interfaces"}
    return not (set(parts[:-1]) & skip)


def collect_hosts(roots, syntax):
    hosts = []
    for k, root in sorted(roots.items()):
        for rel in sol_files(root):
            if rel in syntax.get(k, ()):
                continue
            if k == "modern" and not modern_host_ok(rel):
                continue
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            if "\r" in text or "\ufffd" in text:
                continue
            blank = blank_out(text)
            if k == "wild" and re.search(r"^[ \t]*import\b", blank, re.M):
                continue
            b = pragma_bounds(blank)
            if b is None or not single_minor(*b):
                continue
            c = host_contract(blank)
            if c is None:
                continue
            hosts.append({"root": k, "rel": rel, "version": b[0], "bucket": bucket_of(b[0]), "contract": c["name"]})
    return hosts


def stable_hash(*parts):
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def choose(cls, snippets, hosts, rules, per_class, seed):
    """[(host, snippet)] for one class: round-robin over version buckets, least-used snippet first."""
    dets = set(CLASSES[cls])
    by_bucket = defaultdict(list)
    for h in hosts:
        if rules.get(h["root"], {}).get(h["rel"], set()) & dets:
            continue
        if not any(s.valid_for(h["version"]) for s in snippets):
            continue
        by_bucket[h["bucket"]].append(h)
    for b in by_bucket:
        by_bucket[b].sort(key=lambda h: stable_hash(seed, cls, h["root"], h["rel"]))
    buckets = sorted(by_bucket, key=lambda b: vparse(b.split("-")[0]))
    used, used_in = Counter(), Counter()
    picks, i = [], 0
    while len(picks) < per_class and any(by_bucket[b] for b in buckets):
        b = buckets[i % len(buckets)]
        i += 1
        if not by_bucket[b]:
            continue
        h = by_bucket[b].pop(0)
        ok = [s for s in snippets if s.valid_for(h["version"])]
        s = min(ok, key=lambda s: (used_in[(b, s.key)], used[s.key], s.name))
        used[s.key] += 1
        used_in[(b, s.key)] += 1
        picks.append((h, s))
    return picks


# ================================================================== main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", required=True, help="the shared folder (with corpus/wild-sample)")
    ap.add_argument("--out", default=os.path.join(REPO, "target", "inject"))
    ap.add_argument("--seed", default="1")
    ap.add_argument("--per-class", type=int, default=20, help="hosts per class (default 20)")
    ap.add_argument("--classes", help="comma-separated class ids (default: all)")
    ap.add_argument("--no-cache", action="store_true", help="re-scan the corpora for the baseline")
    ap.add_argument("--list-snippets", action="store_true")
    args = ap.parse_args()

    try:
        snippets = load_snippets()
    except (ValueError, OSError) as e:
        die(str(e))
    by_class = defaultdict(list)
    for s in snippets:
        by_class[s.cls].append(s)
    classes = list(CLASSES)
    if args.classes:
        classes = [c.strip() for c in args.classes.split(",") if c.strip()]
        for c in classes:
            if c not in CLASSES:
                die(f"unknown class {c}")
    if args.list_snippets:
        for c in classes:
            for s in by_class[c]:
                when = " ".join(f"{op}{vstr(w)}" for op, w in s.when) or "any"
                print(f"{s.key:55s} {when:18s} {s.shape}")
        return 0

    binary = os.environ.get("WEB3AUDIT_BIN") or os.path.join(REPO, "target", "release", "web3audit")
    if not os.path.isabs(binary):
        binary = os.path.join(REPO, binary) if os.sep in binary else (shutil.which(binary) or binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        die(f"scanner {binary} not found: build it (cargo build --release -p web3audit) or set WEB3AUDIT_BIN")
    shared = os.path.abspath(args.shared)
    out_dir = os.path.abspath(args.out)
    t_start = time.time()

    roots, rules, syntax = baseline(binary, shared, out_dir, not args.no_cache)
    hosts = collect_hosts(roots, syntax)
    print(f"hosts: {len(hosts)} candidate files: " +
          ", ".join(f"{b} {n}" for b, n in sorted(Counter(h['bucket'] for h in hosts).items(),
                                                    key=lambda x: vparse(x[0].split('-')[0]))))

    run_dir = os.path.join(out_dir, "run")
    if os.path.exists(run_dir):
        shutil.rmtree(run_dir)
    os.makedirs(run_dir)
    # modern hosts are injected beside their originals, so relative imports resolve: copy the tree once
    if "modern" in roots:
        for rel in sol_files(roots["modern"]):
            dst = os.path.join(run_dir, "modern", rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(roots["modern"], rel), dst)
        for d, _, files in os.walk(roots["modern"]):
            for f in files:
                if f in ("foundry.toml", "remappings.txt"):
                    rel = os.path.relpath(os.path.join(d, f), roots["modern"])
                    os.makedirs(os.path.join(run_dir, "modern", os.path.dirname(rel)), exist_ok=True)
                    shutil.copyfile(os.path.join(d, f), os.path.join(run_dir, "modern", rel))

    injections = []
    text_cache = {}
    for cls in classes:
        if not by_class[cls]:
            print(f"warning: no snippet for {cls}")
            continue
        for h, s in choose(cls, by_class[cls], hosts, rules, args.per_class, args.seed):
            key = (h["root"], h["rel"])
            if key not in text_cache:
                with open(os.path.join(roots[h["root"]], h["rel"]), encoding="utf-8") as fh:
                    text_cache[key] = fh.read()
            text = text_cache[key]
            blank = blank_out(text)
            host = host_contract(blank)
            ident = "_" + stable_hash(args.seed, cls, s.name, h["root"], h["rel"])[:6]
            while ident in text:
                ident = "_" + stable_hash(ident)[:6]
            try:
                top, members, base = s.render(h["version"], ident)
            except (ValueError, TypeError) as e:
                die(f"{s.path}: {e}")
            new, bugs, region = inject(text, blank, host, top, members, base)
            if not bugs:
                die(f"{s.path}: no `// @bug` line left for solc {vstr(h['version'])}")
            stem = os.path.splitext(os.path.basename(h["rel"]))[0]
            if h["root"] == "wild":
                rel = os.path.join("wild", cls, f"{stem}.{s.name}.sol")
            else:
                rel = os.path.join("modern", os.path.dirname(h["rel"]), f"{stem}.{cls}.{s.name}.sol")
            dst = os.path.join(run_dir, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w", encoding="utf-8") as fh:
                fh.write(new)
            injections.append({"file": rel, "class": cls, "snippet": s.key, "shape": s.shape,
                               "host": f"{h['root']}/{h['rel']}", "contract": h["contract"],
                               "version": vstr(h["version"]), "bucket": h["bucket"], "bugs": bugs,
                               "region": sorted(region)})
    print(f"injected: {len(injections)} files for {len(classes)} classes")

    t0 = time.time()
    sarif = os.path.join(out_dir, "scan.sarif")
    run_scan(binary, run_dir, SCAN_FLAGS, sarif)
    diag = os.path.join(out_dir, "scan-diag.json")
    run_scan(binary, run_dir, DIAG_FLAGS, diag)
    print(f"scan of the injected set: {time.time() - t0:.1f} s")
    findings = defaultdict(list)
    for f, rule, s, e, msg in sarif_results(sarif):
        findings[f].append((rule, s, e, msg))
    broken = syntax_error_files(diag)

    ok, summary = score(injections, findings, broken, classes, by_class)
    write_outputs(out_dir, injections, classes, summary)
    print(f"\ntotal wall time {time.time() - t_start:.1f} s; labels in {os.path.relpath(out_dir, REPO)}/labels.json")
    return 0 if ok else 1


def eff_range(s, e):
    if e is None or e < s:
        e = s
    if e - s + 1 > MAX_SPAN:
        e = s
    return s, e


def score(injections, findings, broken, classes, by_class):
    rows = {c: Counter() for c in classes}
    missed, outside, extra, broken_list = [], [], [], []
    for inj in injections:
        cls, dets = inj["class"], set(CLASSES[inj["class"]])
        fs = findings.get(os.path.normpath(inj["file"]), [])
        mine = [(r, *eff_range(s, e), msg) for r, s, e, msg in fs if r in dets]
        region = set(inj["region"])
        labelled = {l for b in inj["bugs"] for l in b}
        row = rows[cls]
        row["files"] += 1
        if os.path.normpath(inj["file"]) in broken:
            errs = broken[os.path.normpath(inj["file"])]
            broken_list.append((inj, errs))
            row["broken"] += 1
        inj["found"] = []
        for bug in inj["bugs"]:
            row["injected"] += 1
            hit = [r for r, s, e, _ in mine if any(s <= l <= e for l in bug)]
            inj["found"].append(sorted(set(hit)))
            if hit:
                row["found"] += 1
            else:
                missed.append((inj, bug, why_missed(inj, bug, fs, mine, dets)))
        for r, s, e, msg in mine:
            lines = set(range(s, e + 1))
            if not (lines & region):
                row["outside"] += 1
                outside.append((inj, r, s, e, msg))
            elif not (lines & labelled):
                row["extra"] += 1
                extra.append((inj, r, s, e, msg))
    # ------------------------------------------------------------ report
    print("\n### Injected bugs found per class\n")
    print("| class | detectors | snippets | hosts by pragma | injected | found | recall | outside | extra (snippet, unlabelled) |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    tot = Counter()
    ok = True
    for c in classes:
        r = rows[c]
        tot.update(r)
        rec = r["found"] / r["injected"] if r["injected"] else 0.0
        flag = ""
        if r["injected"] == 0 or rec < RECALL_FLOOR or r["outside"] or r["broken"]:
            ok = False
            flag = " **FAIL**"
        spread = Counter(i["bucket"] for i in injections if i["class"] == c)
        spread = " ".join(f"{b}:{n}" for b, n in sorted(spread.items(), key=lambda x: vparse(x[0].split("-")[0])))
        print(f"| {c}{flag} | {', '.join(CLASSES[c])} | {len(by_class[c])} | {spread} | {r['injected']} | "
              f"{r['found']} | {100 * rec:.1f}% | {r['outside']} | {r['extra']} |")
    rec = tot["found"] / tot["injected"] if tot["injected"] else 0.0
    print(f"| **total** | | {sum(len(by_class[c]) for c in classes)} | {tot['files']} files | {tot['injected']} | "
          f"{tot['found']} | {100 * rec:.1f}% | {tot['outside']} | {tot['extra']} |")
    if broken_list:
        print(f"\n### Broken injections (syntax errors; fix the snippet): {len(broken_list)}\n")
        for inj, errs in broken_list:
            print(f"- {inj['file']} ({inj['snippet']}): " + "; ".join(f"L{l}: {m}" for l, m in errs[:3]))
    print(f"\n### Missed injections: {len(missed)}\n")
    per_snippet = Counter(b for inj in injections for b in [inj["snippet"]] for _ in inj["bugs"])
    groups = defaultdict(list)
    for inj, bug, why in missed:
        groups[(inj["class"], inj["snippet"])].append((inj, bug, why))
    for (cls, key), items in sorted(groups.items()):
        print(f"- **{key}** ({items[0][0]['shape']}): {len(items)} of {per_snippet[key]} missed")
        for inj, bug, why in sorted(items, key=lambda x: x[0]["file"]):
            print(f"  - {inj['file']}:{','.join(map(str, bug))} (solc {inj['version']}): {why}")
    if outside:
        print(f"\n### Findings outside the injected snippet: {len(outside)}\n")
        for inj, r, s, e, msg in outside:
            print(f"- [{inj['class']}] {inj['file']}:{s}-{e} {r}: {msg[:160]} (snippet {inj['snippet']})")
    if extra:
        print(f"\n### Findings inside a snippet at unlabelled lines: {len(extra)}\n")
        for inj, r, s, e, msg in extra:
            print(f"- [{inj['class']}] {inj['file']}:{s}-{e} {r}: {msg[:160]} (snippet {inj['snippet']})")
    fails = [c for c in classes if rows[c]["injected"] == 0 or rows[c]["found"] < RECALL_FLOOR * rows[c]["injected"]
             or rows[c]["outside"] or rows[c]["broken"]]
    print()
    if fails:
        print(f"FAIL inject: {', '.join(fails)} (recall below {100 * RECALL_FLOOR:.0f}%, outside findings, "
              f"broken injections, or nothing injected)")
    else:
        print(f"ok   inject: every class at {100 * RECALL_FLOOR:.0f}% recall or more, no finding outside the snippets")
    summary = {"classes": {c: dict(rows[c], detectors=CLASSES[c]) for c in classes}, "total": dict(tot),
               "failing_classes": fails,
               "missed": [{"file": i["file"], "snippet": i["snippet"], "lines": b, "why": w} for i, b, w in missed],
               "outside": [{"file": i["file"], "rule": r, "start_line": s, "end_line": e, "message": m}
                           for i, r, s, e, m in outside],
               "extra": [{"file": i["file"], "rule": r, "start_line": s, "end_line": e, "message": m}
                         for i, r, s, e, m in extra]}
    return ok, summary


def why_missed(inj, bug, fs, mine, dets):
    region = set(inj["region"])
    reasons = []
    near = [f"{r} at L{s}" + (f"-{e}" if e != s else "") for r, s, e, _ in mine if set(range(s, e + 1)) & region]
    if near:
        reasons.append("the class's detector fired elsewhere in the snippet: " + ", ".join(near))
    others = sorted({r for r, s, e, _ in fs if r not in dets and any(eff_range(s, e)[0] <= l <= eff_range(s, e)[1]
                                                                       for l in bug)})
    if others:
        reasons.append("other detectors at the line: " + ", ".join(others))
    if not reasons:
        reasons.append("no finding of " + "/".join(sorted(dets)) + " in the snippet")
    return "; ".join(reasons)


def write_outputs(out_dir, injections, classes, summary):
    labels = []
    for inj in injections:
        labels.append({"name": os.path.basename(inj["file"]), "path": inj["file"].replace(os.sep, "/"),
                       "pragma": inj["version"],
                       "source": f"bench/inject: {inj['snippet']} injected into {inj['host']} ({inj['contract']})",
                       "vulnerabilities": [{"lines": b, "category": inj["class"]} for b in inj["bugs"]]})
    with open(os.path.join(out_dir, "labels.json"), "w", encoding="utf-8") as fh:
        json.dump(labels, fh, indent=1)
    mapping = {"tool": "web3audit", "smartbugs": {d: [c] for c in classes for d in CLASSES[c]}}
    with open(os.path.join(out_dir, "mapping.json"), "w", encoding="utf-8") as fh:
        json.dump(mapping, fh, indent=1)
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as fh:
        json.dump(injections, fh, indent=1)
    with open(os.path.join(out_dir, "summary.json"), "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    sys.exit(main())
