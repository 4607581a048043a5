"""A small, compiler-free Solidity reader for the metamorphic suite (standard library only).

It is not a full parser: it tokenizes, matches brackets, finds contracts and their members,
splits function bodies into statements and records declarations. That is enough for the
source-to-source rewrites in transforms.py, which only touch constructs it recognises and
leave everything else as it is.
"""
import bisect
import re

# --------------------------------------------------------------------------- tokens
_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<lcom>//[^\n]*)
  | (?P<bcom>/\*.*?(?:\*/|\Z))
  | (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<num>0[xX][0-9a-fA-F_]*|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)
  | (?P<id>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>>>>=|>>>|>>=|<<=|\*\*|=>|->|==|!=|<=|>=|&&|\|\||\+\+|--|\+=|-=|\*=|/=|%=|\|=|&=|\^=|<<|>>|:=|=:|.)
""", re.S | re.X)

ELEMENTARY_RE = re.compile(r"^(?:u?int(?:8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256)?|bytes(?:[1-9]|[12][0-9]|3[0-2])|byte|address|bool|u?fixed(?:\d+x\d+)?)$")
REFERENCE_ELEMENTARY = {"string", "bytes"}
LOCATIONS = {"memory", "storage", "calldata"}
VAR_KEYWORDS = {"public", "private", "internal", "external", "constant", "immutable", "override",
                "transient", "indexed", "payable"} | LOCATIONS
NOT_A_TYPE = {"return", "emit", "delete", "new", "throw", "if", "else", "for", "while", "do",
              "break", "continue", "revert", "assembly", "unchecked", "try", "catch", "using",
              "is", "returns", "true", "false", "this", "super", "_", "type", "var", "let",
              "pragma", "import", "contract", "library", "interface", "function", "modifier",
              "event", "struct", "enum", "constructor", "fallback", "receive", "error",
              "anonymous", "case", "default", "after", "in", "of", "relocatable", "static",
              "switch", "typeof"} | VAR_KEYWORDS | {"pure", "view", "virtual"}
# words that may name a variable in some version (`error` before 0.8.4, `receive` before 0.6)
NOT_A_NAME = NOT_A_TYPE - {"error", "receive", "fallback", "after", "case", "default", "in", "of",
                           "relocatable", "static", "switch", "typeof", "type", "let", "anonymous"}


class Tok:
    __slots__ = ("kind", "text", "s", "e", "line", "i")

    def __init__(self, kind, text, s, e, line, i):
        self.kind, self.text, self.s, self.e, self.line, self.i = kind, text, s, e, line, i

    def __repr__(self):
        return f"Tok({self.text!r}@{self.line})"


class ParseError(Exception):
    pass


# --------------------------------------------------------------------------- versions
def _v(s):
    parts = [int(x) for x in re.findall(r"\d+", s)][:3]
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def pragma_range(src):
    """[lo, hi) of compiler versions the `pragma solidity` allows (hull of || alternatives)."""
    m = re.search(r"pragma\s+solidity\s+([^;]*);", src)
    if not m:
        return (0, 4, 0), (0, 9, 0)
    los, his = [], []
    for alt in m.group(1).split("||"):
        lo, hi = (0, 0, 0), (1, 0, 0)
        for op, ver in re.findall(r"(\^|~|>=|<=|>|<|=)?\s*v?(\d+(?:\.\d+){0,2})", alt):
            v = _v(ver)
            if op == "^":
                lo = max(lo, v)
                hi = min(hi, (0, v[1] + 1, 0) if v[0] == 0 else (v[0] + 1, 0, 0))
            elif op == "~":
                lo = max(lo, v)
                hi = min(hi, (v[0], v[1] + 1, 0))
            elif op == ">=":
                lo = max(lo, v)
            elif op == ">":
                lo = max(lo, (v[0], v[1], v[2] + 1))
            elif op == "<":
                hi = min(hi, v)
            elif op == "<=":
                hi = min(hi, (v[0], v[1], v[2] + 1))
            else:
                lo, hi = max(lo, v), min(hi, (v[0], v[1], v[2] + 1))
        los.append(lo)
        his.append(hi)
    lo, hi = min(los), max(his)
    # nothing older than 0.4 is in the benchmarks, nothing newer than 0.8 exists
    return max(lo, (0, 4, 0)), min(hi, (0, 9, 0))


# --------------------------------------------------------------------------- structures
class Contract:
    def __init__(self, kind, name, tok, head, open_, close, bases, abstract):
        self.kind, self.name, self.tok, self.head, self.open, self.close = kind, name, tok, head, open_, close
        self.bases, self.abstract = bases, abstract
        self.members = []


class Member:
    """kind: function|modifier|constructor|fallback|receive|statevar|struct|enum|event|error|using|other"""

    def __init__(self, kind, start, end, contract):
        self.kind, self.start, self.end, self.contract = kind, start, end, contract
        self.name = None
        self.name_tok = None
        self.params = None        # (open, close) token indices
        self.returns = None       # (open, close)
        self.header_end = None    # index of '{' or ';'
        self.body = None          # (open, close)
        self.stmts = []
        self.keywords = set()
        self.invocations = []     # (name_tok_idx, args_open or None, args_close or None)
        self.returns_kw = None    # index of 'returns'
        self.type_range = None    # statevar: (start, end exclusive)
        self.init = None          # statevar: (start, end exclusive) of initializer


class Stmt:
    def __init__(self, kind, s, e, in_block, member):
        self.kind, self.s, self.e, self.in_block, self.member = kind, s, e, in_block, member
        self.children = []   # direct sub-statements
        self.cond = None     # (open, close) of a condition
        self.els = None      # else statement
        self.unchecked = False
        self.parent = None


class Decl:
    def __init__(self, name, tok, type_start, type_end, loc, kind, scope):
        self.name, self.tok, self.type_start, self.type_end = name, tok, type_start, type_end
        self.loc, self.kind, self.scope = loc, kind, scope   # scope: (open, close) tokens or None


class Doc:
    def __init__(self, src, path=""):
        self.src = src
        self.path = path
        self.nl = [m.start() for m in re.finditer("\n", src)]
        self.toks, self.comments = self._tokenize(src)
        self.match = self._match()
        self.contracts = []
        self.toplevel = []          # (kind, name, tok_idx)
        self.decls = []             # Decl
        self.asm = []               # (open, close) of assembly blocks
        self.imports = []
        self._parse()
        self.lo, self.hi = pragma_range(src)
        self._feature_bounds()

    # ---------------------------------------------------------------- helpers
    def line_of(self, off):
        return bisect.bisect_right(self.nl, off - 1) + 1 if off > 0 else 1

    def line_start(self, off):
        return self.src.rfind("\n", 0, off) + 1

    def indent_at(self, off):
        ls = self.line_start(off)
        m = re.match(r"[ \t]*", self.src[ls:])
        return m.group(0)

    def starts_line(self, off):
        ls = self.line_start(off)
        return self.src[ls:off].strip() == ""

    def text(self, a, b):
        """source text of tokens a..b inclusive"""
        return self.src[self.toks[a].s:self.toks[b].e]

    def t(self, i):
        if 0 <= i < len(self.toks):
            return self.toks[i].text
        return ""

    def _tokenize(self, src):
        toks, comments = [], []
        pos, n = 0, len(src)
        line = 1
        while pos < n:
            m = _TOKEN_RE.match(src, pos)
            if not m:
                raise ParseError(f"cannot tokenize at {pos}")
            kind = m.lastgroup
            txt = m.group(0)
            if kind in ("lcom", "bcom"):
                comments.append((m.start(), m.end()))
            elif kind != "ws":
                toks.append(Tok(kind, txt, m.start(), m.end(), line, len(toks)))
            line += txt.count("\n")
            pos = m.end()
        toks.append(Tok("eof", "", n, n, line, len(toks)))
        return toks, comments

    def _match(self):
        match = {}
        stack = []
        pairs = {")": "(", "]": "[", "}": "{"}
        for t in self.toks:
            if t.kind != "op":
                continue
            if t.text in "([{":
                stack.append(t.i)
            elif t.text in ")]}":
                if not stack or self.toks[stack[-1]].text != pairs[t.text]:
                    raise ParseError(f"unbalanced {t.text} at line {t.line}")
                o = stack.pop()
                match[o] = t.i
                match[t.i] = o
        if stack:
            raise ParseError("unbalanced brackets at end of file")
        return match

    def skip_to_semicolon(self, i):
        while self.toks[i].kind != "eof" and self.toks[i].text != ";":
            if self.toks[i].text in "([{" and self.toks[i].kind == "op":
                i = self.match[i]
            i += 1
        return i

    # ---------------------------------------------------------------- top level
    def _parse(self):
        toks = self.toks
        i = 0
        while toks[i].kind != "eof":
            t = toks[i].text
            if t == "pragma":
                i = self.skip_to_semicolon(i) + 1
            elif t == "import":
                j = self.skip_to_semicolon(i)
                self.imports.append((i, j))
                i = j + 1
            elif t in ("contract", "library", "interface") or (t == "abstract" and self.t(i + 1) == "contract"):
                i = self._parse_contract(i)
            elif t in ("struct", "enum"):
                self.toplevel.append((t, self.t(i + 1), i + 1))
                self._record_struct_enum(i, None)
                j = i + 2
                while self.t(j) != "{":
                    j += 1
                i = self.match[j] + 1
            elif t == "function":
                m = self._parse_function(i, None)
                self.toplevel.append(("function", m.name, m.name_tok))
                i = m.end + 1
            elif t == "event" or t == "error":
                self.toplevel.append((t, self.t(i + 1), i + 1))
                i = self.skip_to_semicolon(i) + 1
            elif t == "type" and self.toks[i + 1].kind == "id" and self.t(i + 2) == "is":
                self.toplevel.append(("type", self.t(i + 1), i + 1))
                i = self.skip_to_semicolon(i) + 1
            elif t == "using":
                i = self.skip_to_semicolon(i) + 1
            elif t == ";":
                i += 1
            else:
                # file-level constant
                j = self.skip_to_semicolon(i)
                m = Member("statevar", i, j, None)
                self._parse_statevar(m)
                if m.name:
                    self.toplevel.append(("constant", m.name, m.name_tok))
                i = j + 1

    def _parse_contract(self, i):
        toks = self.toks
        head = i
        abstract = False
        if toks[i].text == "abstract":
            abstract = True
            i += 1
        kind = toks[i].text
        name_tok = i + 1
        name = toks[name_tok].text
        j = name_tok + 1
        bases = []
        if toks[j].text == "is":
            j += 1
            while toks[j].text != "{":
                if toks[j].kind == "id" and toks[j - 1].text in ("is", ","):
                    nm = toks[j].text
                    while toks[j + 1].text == "." and toks[j + 2].kind == "id":
                        j += 2
                        nm += "." + toks[j].text
                    bases.append((nm, j))
                if toks[j].text == "(":
                    j = self.match[j]
                j += 1
        if toks[j].text != "{":
            raise ParseError(f"contract {name}: no body")
        c = Contract(kind, name, name_tok, head, j, self.match[j], bases, abstract)
        self.contracts.append(c)
        self._parse_members(c)
        return c.close + 1

    def _parse_members(self, c):
        toks = self.toks
        i = c.open + 1
        while i < c.close:
            t = toks[i].text
            if t in ("function", "modifier", "constructor", "fallback", "receive") and not (
                    t == "function" and toks[i + 1].text == "(" and self._is_function_type_var(i)):
                if t in ("fallback", "receive") and toks[i + 1].text != "(":
                    m = self._statevar_member(i, c)
                else:
                    m = self._parse_function(i, c)
                c.members.append(m)
                i = m.end + 1
            elif t in ("struct", "enum"):
                m = Member(t, i, None, c)
                m.name, m.name_tok = toks[i + 1].text, i + 1
                j = i + 2
                while toks[j].text != "{":
                    j += 1
                m.end = self.match[j]
                m.body = (j, m.end)
                self._record_struct_enum(i, c)
                c.members.append(m)
                i = m.end + 1
            elif t in ("event", "error"):
                j = self.skip_to_semicolon(i)
                m = Member(t, i, j, c)
                m.name, m.name_tok = toks[i + 1].text, i + 1
                if toks[i + 2].text == "(":
                    m.params = (i + 2, self.match[i + 2])
                    self._param_decls(m.params, "param", None)
                c.members.append(m)
                i = j + 1
            elif t == "using":
                j = self.skip_to_semicolon(i)
                c.members.append(Member("using", i, j, c))
                i = j + 1
            elif t == ";":
                i += 1
            else:
                m = self._statevar_member(i, c)
                c.members.append(m)
                i = m.end + 1

    def _is_function_type_var(self, i):
        # `function (uint) external returns (uint) f;` at member level
        j = self.match[i + 1] + 1
        while self.toks[j].text not in ("{", ";") and self.toks[j].kind != "eof":
            if self.toks[j].text == "(":
                j = self.match[j]
            j += 1
        if self.toks[j].text == "{":
            return False
        k = j - 1
        return self.toks[k].kind == "id" and self.toks[k].text not in NOT_A_TYPE | {"payable"}

    def _statevar_member(self, i, c):
        j = self.skip_to_semicolon(i)
        m = Member("statevar", i, j, c)
        self._parse_statevar(m)
        return m

    def _parse_statevar(self, m):
        i = m.start
        te = self.parse_type(i)
        if te is None:
            m.kind = "other"
            return
        j = te
        while self.toks[j].text in VAR_KEYWORDS:
            if self.toks[j].text == "override" and self.toks[j + 1].text == "(":
                j = self.match[j + 1]
            m.keywords.add(self.toks[j].text)
            j += 1
        if self.toks[j].kind != "id" or self.toks[j].text in NOT_A_NAME:
            m.kind = "other"
            return
        m.name, m.name_tok = self.toks[j].text, j
        m.type_range = (i, te)
        if self.toks[j + 1].text == "=":
            m.init = (j + 2, m.end)
        self.decls.append(Decl(m.name, j, i, te, None, "state", None))

    def _record_struct_enum(self, i, c):
        # fields / values are recorded as decls of kind field/enumval
        kind = self.toks[i].text
        j = i + 2
        while self.toks[j].text != "{":
            j += 1
        close = self.match[j]
        if kind == "enum":
            for k in range(j + 1, close):
                if self.toks[k].kind == "id":
                    self.decls.append(Decl(self.toks[k].text, k, None, None, None, "enumval", None))
        else:
            k = j + 1
            while k < close:
                e = k
                while e < close and self.toks[e].text != ";":
                    if self.toks[e].text in "([" and self.toks[e].kind == "op":
                        e = self.match[e]
                    e += 1
                if e - 1 >= k and self.toks[e - 1].kind == "id":
                    te = self.parse_type(k)
                    self.decls.append(Decl(self.toks[e - 1].text, e - 1, k, te if te else e - 1, None, "field", None))
                k = e + 1

    def _parse_function(self, i, c):
        toks = self.toks
        kw = toks[i].text
        m = Member(kw, i, None, c)
        j = i + 1
        if kw in ("function", "modifier") and toks[j].kind == "id" and toks[j].text != "(":
            m.name, m.name_tok = toks[j].text, j
            j += 1
        if kw == "function" and m.name is None:
            m.kind = "fallback"
        if toks[j].text == "(":
            m.params = (j, self.match[j])
            j = self.match[j] + 1
        # header
        while toks[j].text not in ("{", ";") and toks[j].kind != "eof":
            t = toks[j]
            if t.text == "returns":
                m.returns_kw = j
                m.returns = (j + 1, self.match[j + 1])
                j = self.match[j + 1] + 1
                continue
            if t.kind == "id" and t.text in ("public", "private", "internal", "external", "pure", "view",
                                            "payable", "constant", "virtual", "override"):
                m.keywords.add(t.text)
                if t.text == "override" and toks[j + 1].text == "(":
                    j = self.match[j + 1] + 1
                    continue
                j += 1
                continue
            if t.kind == "id":
                nm_start = j
                while toks[j + 1].text == "." and toks[j + 2].kind == "id":
                    j += 2
                if toks[j + 1].text == "(":
                    m.invocations.append((nm_start, j + 1, self.match[j + 1]))
                    j = self.match[j + 1] + 1
                else:
                    m.invocations.append((nm_start, None, None))
                    j += 1
                continue
            if t.text == "(":
                j = self.match[j]
            j += 1
        m.header_end = j
        if toks[j].text == "{":
            m.body = (j, self.match[j])
            m.end = self.match[j]
        else:
            m.end = j
        scope = m.body
        if m.params:
            self._param_decls(m.params, "param", scope)
        if m.returns:
            self._param_decls(m.returns, "ret", scope)
        if m.body:
            m.stmts = self.parse_block(m.body[0], m, False)
        return m

    def _param_decls(self, rng, kind, scope):
        a, b = rng
        k = a + 1
        while k < b:
            e = k
            while e < b and self.toks[e].text != ",":
                if self.toks[e].text in "([" and self.toks[e].kind == "op":
                    e = self.match[e]
                e += 1
            # tokens k..e-1 form one parameter
            if e - 1 > k and self.toks[e - 1].kind == "id" and self.toks[e - 1].text not in NOT_A_NAME:
                te = self.parse_type(k)
                if te is not None and te <= e - 1:
                    loc = None
                    for q in range(te, e - 1):
                        if self.toks[q].text in LOCATIONS:
                            loc = self.toks[q].text
                    self.decls.append(Decl(self.toks[e - 1].text, e - 1, k, te, loc, kind, scope))
            k = e + 1

    # ---------------------------------------------------------------- types
    def parse_type(self, i):
        """index just past a type expression starting at i, or None"""
        toks = self.toks
        t = toks[i]
        if t.text == "mapping" and toks[i + 1].text == "(":
            j = self.match[i + 1] + 1
        elif t.text == "function" and toks[i + 1].text == "(":
            j = self.match[i + 1] + 1
            while toks[j].kind == "id" and toks[j].text in ("internal", "external", "pure", "view", "payable", "constant"):
                j += 1
            if toks[j].text == "returns" and toks[j + 1].text == "(":
                j = self.match[j + 1] + 1
        elif t.kind == "id" and t.text not in NOT_A_TYPE:
            j = i + 1
            if t.text == "address" and toks[j].text == "payable":
                j += 1
            while toks[j].text == "." and toks[j + 1].kind == "id":
                j += 2
        else:
            return None
        while toks[j].text == "[" and toks[j].kind == "op":
            j = self.match[j] + 1
        return j

    def type_text(self, d):
        return self.src[self.toks[d.type_start].s:self.toks[d.type_end - 1].e]

    # ---------------------------------------------------------------- statements
    def parse_block(self, open_, member, unchecked):
        close = self.match[open_]
        out = []
        i = open_ + 1
        while i < close:
            st, i = self.parse_stmt(i, member, True, unchecked, (open_, close))
            if st is not None:
                out.append(st)
        return out

    def parse_stmt(self, i, member, in_block, unchecked, scope):
        toks = self.toks
        t = toks[i].text
        if t == ";" and toks[i].kind == "op":
            return None, i + 1
        if t == "{" and toks[i].kind == "op":
            st = Stmt("block", i, self.match[i], in_block, member)
            st.unchecked = unchecked
            st.children = self.parse_block(i, member, unchecked)
            return self._link(st), st.e + 1
        if t == "unchecked" and toks[i + 1].text == "{":
            st = Stmt("unchecked", i, self.match[i + 1], in_block, member)
            st.unchecked = unchecked
            inner = Stmt("block", i + 1, self.match[i + 1], False, member)
            inner.unchecked = True
            inner.children = self.parse_block(i + 1, member, True)
            self._link(inner)
            st.children = [inner]
            return self._link(st), st.e + 1
        if t == "if" and toks[i + 1].text == "(":
            c = self.match[i + 1]
            st = Stmt("if", i, None, in_block, member)
            st.unchecked = unchecked
            st.cond = (i + 1, c)
            body, j = self.parse_stmt(c + 1, member, False, unchecked, scope)
            st.children = [body] if body else []
            if toks[j].text == "else":
                els, j = self.parse_stmt(j + 1, member, False, unchecked, scope)
                st.els = els
                if els:
                    st.children.append(els)
            st.e = j - 1
            return self._link(st), j
        if t in ("for", "while") and toks[i + 1].text == "(":
            c = self.match[i + 1]
            st = Stmt(t, i, None, in_block, member)
            st.unchecked = unchecked
            st.cond = (i + 1, c)
            if t == "for":
                # declarations in the init part
                k = i + 2
                if toks[k].text != ";":
                    e = self.skip_to_semicolon(k)
                    self._stmt_decls(k, e, member, (i, None))
            body, j = self.parse_stmt(c + 1, member, False, unchecked, scope)
            st.children = [body] if body else []
            st.e = j - 1
            if t == "for":
                for d in self.decls:
                    if d.scope == (i, None):
                        d.scope = (i, st.e)
            return self._link(st), j
        if t == "do":
            body, j = self.parse_stmt(i + 1, member, False, unchecked, scope)
            st = Stmt("do", i, None, in_block, member)
            st.unchecked = unchecked
            st.children = [body] if body else []
            if toks[j].text == "while":
                st.cond = (j + 1, self.match[j + 1])
                j = self.match[j + 1] + 1
            if toks[j].text == ";":
                j += 1
            st.e = j - 1
            return self._link(st), j
        if t == "assembly":
            j = i + 1
            if toks[j].kind == "str":
                j += 1
            if toks[j].text == "(":
                j = self.match[j] + 1
            if toks[j].text == "{":
                self.asm.append((j, self.match[j]))
                st = Stmt("assembly", i, self.match[j], in_block, member)
                return self._link(st), st.e + 1
        if t == "try":
            j = i + 1
            while toks[j].text != "{":
                if toks[j].text == "(":
                    if toks[j - 1].text == "returns":
                        self._param_decls((j, self.match[j]), "local", None)
                    j = self.match[j]
                j += 1
            st = Stmt("try", i, None, in_block, member)
            blk = Stmt("block", j, self.match[j], False, member)
            blk.children = self.parse_block(j, member, unchecked)
            st.children.append(self._link(blk))
            j = self.match[j] + 1
            while toks[j].text == "catch":
                j += 1
                while toks[j].text != "{":
                    if toks[j].text == "(":
                        self._param_decls((j, self.match[j]), "local", None)
                        j = self.match[j]
                    j += 1
                blk = Stmt("block", j, self.match[j], False, member)
                blk.children = self.parse_block(j, member, unchecked)
                st.children.append(self._link(blk))
                j = self.match[j] + 1
            st.e = j - 1
            return self._link(st), j
        # simple statement
        e = self.skip_to_semicolon(i)
        kind = "expr"
        if t in ("return", "emit", "throw", "break", "continue", "require", "assert", "revert", "delete"):
            kind = t
        elif t == "_" and toks[i + 1].text == ";":
            kind = "placeholder"
        elif self._stmt_decls(i, e, member, scope):
            kind = "decl"
        st = Stmt(kind, i, e, in_block, member)
        st.unchecked = unchecked
        return self._link(st), e + 1

    def _link(self, st):
        for ch in st.children:
            ch.parent = st
        if st.els:
            st.els.parent = st
        return st

    def _stmt_decls(self, i, e, member, scope):
        toks = self.toks
        if toks[i].text == "var":
            if toks[i + 1].text == "(":
                c = self.match[i + 1]
                for k in range(i + 2, c):
                    if toks[k].kind == "id":
                        self.decls.append(Decl(toks[k].text, k, None, None, None, "local", scope))
                return True
            if toks[i + 1].kind == "id":
                self.decls.append(Decl(toks[i + 1].text, i + 1, None, None, None, "local", scope))
                return True
            return False
        if toks[i].text == "(" and toks[self.match[i] + 1].text == "=":
            c = self.match[i]
            found = False
            k = i + 1
            while k < c:
                q = k
                while q < c and toks[q].text != ",":
                    if toks[q].text in "([" and toks[q].kind == "op":
                        q = self.match[q]
                    q += 1
                if q - 1 > k and toks[q - 1].kind == "id":
                    te = self.parse_type(k)
                    if te is not None and te <= q - 1:
                        loc = next((toks[x].text for x in range(te, q - 1) if toks[x].text in LOCATIONS), None)
                        self.decls.append(Decl(toks[q - 1].text, q - 1, k, te, loc, "local", scope))
                        found = True
                k = q + 1
            return found
        te = self.parse_type(i)
        if te is None or te >= e:
            return False
        j = te
        loc = None
        while toks[j].text in LOCATIONS:
            loc = toks[j].text
            j += 1
        if toks[j].kind == "id" and toks[j].text not in NOT_A_NAME and toks[j + 1].text in ("=", ";"):
            self.decls.append(Decl(toks[j].text, j, i, te, loc, "local", scope))
            return True
        return False

    # ---------------------------------------------------------------- walking
    def functions(self):
        for c in self.contracts:
            for m in c.members:
                if m.kind in ("function", "modifier", "constructor", "fallback", "receive") and m.body:
                    yield c, m

    def walk(self, stmts):
        for st in stmts:
            yield st
            yield from self.walk(st.children)

    def in_asm(self, i):
        return any(a <= i <= b for a, b in self.asm)

    # ---------------------------------------------------------------- feature bounds
    def _feature_bounds(self):
        """Narrow [lo, hi) by what the file already uses (a ^0.4.0 file using `constructor`
        needs 0.4.22; a file using `throw` cannot be compiled by 0.5)."""
        toks = self.toks
        lo, hi = self.lo, self.hi

        def need(v):
            nonlocal lo
            lo = max(lo, v)

        def below(v):
            nonlocal hi
            hi = min(hi, v)
        for t in toks:
            if t.kind != "id":
                continue
            x, nxt, prv = t.text, self.t(t.i + 1), self.t(t.i - 1)
            if x in ("require", "revert", "assert") and nxt == "(" and prv != ".":
                need((0, 4, 10))
            elif x == "constructor" and nxt == "(":
                need((0, 4, 22))
            elif x == "emit" and self.toks[t.i + 1].kind == "id":
                need((0, 4, 21))
            elif x in ("view", "pure"):
                need((0, 4, 17))
            elif x == "abi" and nxt == ".":
                need((0, 4, 22))
            elif x == "gasleft" and nxt == "(":
                need((0, 4, 21))
            elif x == "address" and nxt == "payable":
                need((0, 5, 0))
            elif x in ("abstract", "virtual", "override", "receive") and prv != ".":
                need((0, 6, 0))
            elif x == "unchecked" and nxt == "{":
                need((0, 8, 0))
            elif x == "throw" or x == "var" and (self.toks[t.i + 1].kind == "id" or nxt == "("):
                below((0, 5, 0))
            elif x in ("sha3", "suicide", "callcode") and nxt == "(" or x == "years":
                below((0, 5, 0))
            elif x == "now" and prv != ".":
                below((0, 7, 0))
            elif x == "value" and prv == "." and nxt == "(":
                below((0, 7, 0))
            elif x == "gas" and prv == "." and nxt == "(" and self.t(t.i - 2) != "msg":
                below((0, 7, 0))
            elif x in ("blockhash", "gas") and prv == "." and self.t(t.i - 2) in ("block", "msg"):
                below((0, 5, 0))
            elif x == "constant" and self._in_function_header(t.i):
                below((0, 5, 0))
        for c in self.contracts:
            for m in c.members:
                if m.kind == "function" and m.name == c.name:
                    below((0, 5, 0))
        self.lo, self.hi = lo, hi

    def _in_function_header(self, i):
        for c in self.contracts:
            for m in c.members:
                if m.kind in ("function", "fallback", "constructor") and m.start < i < (m.header_end or m.start):
                    return True
        return False

    # what the version window allows -----------------------------------------
    def allows(self, feature):
        lo, hi = self.lo, self.hi
        rules = {
            "throw": hi <= (0, 5, 0),
            "revert": lo >= (0, 4, 10),
            "require": lo >= (0, 4, 10),
            "revert_reason": lo >= (0, 4, 22),
            "abstract": lo >= (0, 6, 0),
            "call_options": lo >= (0, 6, 2),
            "call_value_member": hi <= (0, 7, 0),
            "now": hi <= (0, 7, 0),
            "sha3": hi <= (0, 5, 0),
            "keccak256": lo >= (0, 4, 3),
            "suicide": hi <= (0, 5, 0),
            "blockhash": lo >= (0, 4, 22),
            "block.blockhash": hi <= (0, 5, 0),
            "gasleft": lo >= (0, 4, 21),
            "msg.gas": hi <= (0, 5, 0),
            "this.balance": hi <= (0, 5, 0),
            "byte": hi <= (0, 8, 0),
            "view": lo >= (0, 4, 17),
            "constant_fn": hi <= (0, 5, 0),
            "address_payable": lo >= (0, 5, 0),
            "payable_msg_sender": lo >= (0, 5, 0) and hi <= (0, 8, 0),
            "plain_address_msg_sender": hi <= (0, 5, 0) or lo >= (0, 8, 0),
            "calldata_internal": lo >= (0, 6, 9),
            "storage_params": True,
            "memory_kw": True,
            "immutable": lo >= (0, 6, 5),
        }
        return rules[feature]


def is_value_type(type_text, doc):
    """True for types copied by value (elementary non-reference types, enums, contracts)."""
    tt = type_text.strip()
    if "[" in tt or tt.startswith("mapping"):
        return False
    if ELEMENTARY_RE.match(tt) or tt == "address payable":
        return True
    if tt in REFERENCE_ELEMENTARY:
        return False
    base = tt.split(".")[-1]
    kinds = doc_type_kinds(doc).get(base)
    return kinds is not None and kinds <= {"contract", "interface", "library", "enum"}


def is_reference_type(type_text, doc):
    tt = type_text.strip()
    if "[" in tt or tt.startswith("mapping") or tt in REFERENCE_ELEMENTARY:
        return True
    base = tt.split(".")[-1]
    kinds = doc_type_kinds(doc).get(base)
    return kinds is not None and kinds == {"struct"}


def doc_type_kinds(doc):
    cache = getattr(doc, "_type_kinds", None)
    if cache is not None:
        return cache
    kinds = {}
    for c in doc.contracts:
        kinds.setdefault(c.name, set()).add(c.kind)
        for m in c.members:
            if m.kind in ("struct", "enum"):
                kinds.setdefault(m.name, set()).add(m.kind)
    for k, n, _ in doc.toplevel:
        if k in ("struct", "enum"):
            kinds.setdefault(n, set()).add(k)
    doc._type_kinds = kinds
    return kinds
