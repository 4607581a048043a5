"""Semantics-preserving Solidity rewrites for the metamorphic suite (standard library only).

Every transform takes a parsed file (solparse.Doc) and a Ctx and returns an Editor (or None
when it has nothing to do). Each one only touches constructs it fully recognises, checks
the pragma window (Doc.allows) before writing version-specific syntax, and otherwise leaves
the code alone. The rules each transform follows are in its docstring; README.md sums them up.
"""
import re
from collections import OrderedDict

from editor import Editor
from solparse import ELEMENTARY_RE, NOT_A_TYPE, is_reference_type, is_value_type

BUILTINS = set("""
msg block tx now this super abi keccak256 sha3 sha256 ripemd160 ecrecover addmod mulmod require
assert revert selfdestruct suicide gasleft blockhash type address payable bytes string bool byte
var transfer send call callcode delegatecall staticcall balance code codehash value gas length push
pop sender data sig origin gasprice timestamp number difficulty prevrandao coinbase gaslimit chainid
basefee blobbasefee blobhash selector min max creationCode runtimeCode interfaceId name wrap unwrap
encode encodePacked encodeWithSelector encodeWithSignature encodeCall decode concat log0 log1 log2
log3 log4 ether wei gwei finney szabo seconds minutes hours days weeks years Error Panic
constructor fallback receive _ solidity experimental abicoder ABIEncoderV2 SMTChecker v2 v1
tload tstore mcopy
""".split())
# names outside callers rely on: token standards, callbacks other protocols make, test harness
ABI_NAMES = set("""
totalSupply balanceOf transfer transferFrom approve allowance name symbol decimals Transfer Approval
ownerOf safeTransferFrom setApprovalForAll getApproved isApprovedForAll ApprovalForAll tokenURI
supportsInterface onERC721Received onERC1155Received onERC1155BatchReceived tokensReceived
tokensToSend tokenFallback permit nonces DOMAIN_SEPARATOR onFlashLoan uniswapV2Call
uniswapV3SwapCallback executeOperation receiveApproval setUp IS_TEST failed
""".split())
ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "<<=", ">>="}


class Ctx:
    """Per-file context: labelled lines, whether other files import it, fresh names."""

    def __init__(self, doc, label_lines, shared=False):
        self.doc = doc
        self.label_lines = set(label_lines)
        self.shared = shared
        self.used = {t.text for t in doc.toks if t.kind == "id"}
        self.counter = {}

    def fresh(self, prefix):
        n = self.counter.get(prefix, 0)
        while True:
            n += 1
            name = f"{prefix}{n}"
            if name not in self.used:
                self.used.add(name)
                self.counter[prefix] = n
                return name


# ----------------------------------------------------------------------------- helpers
def stmt_lines(doc, st):
    return set(range(doc.toks[st.s].line, doc.toks[st.e].line + 1))


def split_args(doc, open_, close):
    """[(a, b)] token ranges (inclusive) of the comma-separated items inside open_..close"""
    out = []
    k = open_ + 1
    while k < close:
        e = k
        while e < close and doc.toks[e].text != ",":
            if doc.toks[e].text in "([{" and doc.toks[e].kind == "op":
                e = doc.match[e]
            e += 1
        if e - 1 >= k:
            out.append((k, e - 1))
        k = e + 1
    return out


def plain_ids(doc, a, b):
    """identifier tokens in a..b that are not member names (after '.') nor named-argument keys"""
    out = []
    for i in range(a, b + 1):
        t = doc.toks[i]
        if t.kind != "id" or doc.t(i - 1) == "." or is_key(doc, i):
            continue
        out.append(i)
    return out


def is_key(doc, i):
    if doc.t(i + 1) != ":" or doc.t(i - 1) not in ("{", ","):
        return False
    # innermost enclosing bracket must be '{'
    k = i - 1
    while k >= 0:
        t = doc.toks[k]
        if t.kind == "op" and t.text in ")]}":
            k = doc.match[k] - 1
            continue
        if t.kind == "op" and t.text in "([{":
            return t.text == "{"
        k -= 1
    return False


def src_with_subst(doc, a, b, subst):
    """source of tokens a..b with plain identifiers replaced per subst"""
    out = []
    for i in range(a, b + 1):
        t = doc.toks[i]
        if i > a:
            out.append(doc.src[doc.toks[i - 1].e:t.s])
        if t.kind == "id" and t.text in subst and doc.t(i - 1) != "." and not is_key(doc, i):
            out.append(subst[t.text])
        else:
            out.append(t.text)
    return "".join(out)


def mutability(doc, kind):
    """keyword for a view / pure helper the pragma window accepts ('' when none does)"""
    if doc.allows("view"):
        return kind
    if doc.allows("constant_fn"):
        return "constant"
    return ""


def body_indent(doc, m):
    return doc.indent_at(doc.toks[m.start].s) + "    "


def contains_token(doc, a, b, texts):
    return any(doc.toks[i].text in texts and doc.toks[i].kind in ("id", "op") for i in range(a, b + 1))


def visible_locals(doc, m, pos):
    """name -> Decl of parameters, named returns and locals of member m visible at token pos"""
    out = {}
    old = doc.lo < (0, 5, 0)   # 0.4: function-wide scoping
    for d in doc.decls:
        if d.kind not in ("param", "ret", "local"):
            continue
        if not (m.start <= d.tok <= m.end):
            continue
        if d.kind == "local" and not old:
            if d.tok >= pos:
                continue
            if d.scope and d.scope[1] is not None and not (d.scope[0] <= pos <= d.scope[1]):
                continue
        out[d.name] = d
    return out


# new locals / modifier parameters only go where the function has fewer variables than this
# (the EVM reaches 16 stack slots; 0.4 keeps every local of a function alive at once)
STACK_BUDGET = 7


def n_vars(doc, m):
    return sum(1 for d in doc.decls if d.kind in ("param", "ret", "local") and m.start <= d.tok <= m.end)


def state_names(doc):
    return {d.name for d in doc.decls if d.kind == "state"}


# ============================================================================ 1. rename
def t_rename(doc, ctx):
    """Rename identifiers declared in the file to neutral names (C1, f2, s3, v4, m5, ...).

    Renamed: contracts, libraries, interfaces, structs, enums, events, errors, functions,
    modifiers, state variables, parameters, return variables and locals, every occurrence of
    the name (the renaming is a bijection on names, so scoping and shadowing are unchanged).
    Names equal up to case keep that relation (Missing/missing -> C7/c7), so an old-style
    constructor stays the constructor and a misnamed one stays misnamed.
    Not renamed: builtins and global members; struct fields and enum values; names declared
    in interfaces or in functions without a body (external ABI); functions marked override;
    public/external functions of contracts that inherit from a contract not in the file;
    token-standard and callback names (ABI_NAMES); Foundry harness names (setUp, test*);
    names used after '.' on an expression whose type is not a contract of this file; names
    used as named-argument / call-option keys; names that appear inside assembly or as
    `name(` inside a string literal (signatures); names a contract with an imported base
    uses without declaring them; every name of a file other benchmark files import.
    """
    if ctx.shared:
        return None
    toks = doc.toks
    asm = set()
    for a, b in doc.asm:
        asm.update(range(a, b + 1))
    declared = OrderedDict()

    def add(name, kind):
        if name and name not in declared:
            declared[name] = kind
    contract_names = {c.name for c in doc.contracts}
    for c in doc.contracts:
        add(c.name, "C")
    for k, n, _ in doc.toplevel:
        add(n, {"function": "f", "struct": "S", "enum": "E", "event": "Ev", "error": "Er",
                "type": "T", "constant": "s"}.get(k, "x"))
    excluded = set(BUILTINS) | set(ABI_NAMES)
    for c in doc.contracts:
        for m in c.members:
            kind = {"function": "f", "modifier": "m", "statevar": "s", "struct": "S", "enum": "E",
                    "event": "Ev", "error": "Er"}.get(m.kind)
            if kind and m.name:
                add(m.name, kind)
            if m.name and (c.kind == "interface" or (m.kind == "function" and m.body is None)
                           or "override" in m.keywords):
                excluded.add(m.name)
    for d in doc.decls:
        if d.kind in ("field", "enumval"):
            excluded.add(d.name)
        elif d.kind == "state":
            add(d.name, "s")
        else:
            add(d.name, "v")
    for n in declared:
        if n.startswith(("test", "invariant")):
            excluded.add(n)
    # names inside string literals that look like signatures, names in assembly
    for t in toks:
        if t.kind == "str":
            excluded.update(re.findall(r"([A-Za-z_$][\w$]*)\s*\(", t.text))
    for i in asm:
        t = toks[i]
        if t.kind == "id":
            excluded.add(t.text)
            excluded.add(re.sub(r"_(slot|offset|length)$", "", t.text))
    # types of variables, to resolve `x.member`
    var_types = {}
    for d in doc.decls:
        if d.kind in ("state", "param", "ret", "local"):
            var_types.setdefault(d.name, set()).add(doc.type_text(d) if d.type_start is not None else None)

    def resolved(i):
        """is the member name at token i (after '.') a member of a contract of this file?"""
        b = i - 2
        if b < 0:
            return False
        bt = toks[b]
        if bt.text in ("this", "super"):
            return True
        if bt.kind == "id":
            if doc.t(b - 1) == ".":
                return False
            if bt.text in contract_names:
                return True
            ts = var_types.get(bt.text)
            return bool(ts) and all(x in contract_names for x in ts)
        if bt.text == ")":
            o = doc.match[b]
            return toks[o - 1].kind == "id" and toks[o - 1].text in contract_names and doc.t(o - 2) != "."
        return False
    plain, members = [], []
    for t in toks:
        if t.kind != "id" or t.i in asm:
            continue
        if doc.t(t.i - 1) == ".":
            if resolved(t.i):
                members.append(t.i)
            else:
                excluded.add(t.text)
        elif is_key(doc, t.i):
            excluded.add(t.text)
        else:
            plain.append(t.i)
    # contracts with a base outside the file
    by_name = {c.name: c for c in doc.contracts}

    def unresolved(c, seen=()):
        for b, _ in c.bases:
            bc = by_name.get(b)
            if bc is None or (bc.name not in seen and unresolved(bc, seen + (c.name,))):
                return True
        return False

    def declared_in(c, seen=()):
        names = set()
        for d in doc.decls:
            if c.head <= d.tok <= c.close:
                names.add(d.name)
        for m in c.members:
            if m.name:
                names.add(m.name)
        for b, _ in c.bases:
            bc = by_name.get(b)
            if bc is not None and bc.name not in seen:
                names |= declared_in(bc, seen + (c.name,))
        return names
    top = contract_names | {n for _, n, _ in doc.toplevel}
    for c in doc.contracts:
        if not unresolved(c):
            continue
        mine = declared_in(c) | top
        for i in plain:
            if c.open < i < c.close and toks[i].text not in mine:
                excluded.add(toks[i].text)
        for m in c.members:
            if m.kind == "function" and m.name and not ({"internal", "private"} & m.keywords):
                excluded.add(m.name)
    # build the map, one number per case-insensitive group
    groups = {}
    mapping = {}
    for name, kind in declared.items():
        if name in excluded:
            continue
        key = name.lower()
        if key not in groups:
            groups[key] = (kind, len(groups) + 1)
        kind, n = groups[key]
        new = f"{kind}{n}"
        new = (new[0].upper() if name[0].isupper() else new[0].lower()) + new[1:]
        while new in ctx.used or new in mapping.values():
            new += "_"
        mapping[name] = new
    ctx.used.update(mapping.values())
    if not mapping:
        return None
    ed = Editor(doc.src)
    for i in plain + members:
        t = toks[i]
        if t.text in mapping:
            ed.replace(t.s, t.e, mapping[t.text])
    # NatSpec names parameters (`@param _to ...`), and solc checks them
    for cs, ce in doc.comments:
        text = doc.src[cs:ce]
        if not text.startswith(("///", "/**")):
            continue
        for mm in re.finditer(r"@(?:param|return)\s+([A-Za-z_$][\w$]*)", text):
            if mm.group(1) in mapping:
                ed.replace(cs + mm.start(1), cs + mm.end(1), mapping[mm.group(1)])
    return ed


# ============================================================================ 2. require <-> if/revert
def _revert_stmt(doc, st):
    """(message_text or None) when st is `revert();`, `revert("m");` or `throw;`, else False"""
    t = doc.toks
    if st is None:
        return False
    if st.kind == "block" and len(st.children) == 1:
        return _revert_stmt(doc, st.children[0])
    if st.kind == "throw" and st.e == st.s + 1:
        return None
    if st.kind == "revert" and doc.t(st.s + 1) == "(":
        c = doc.match[st.s + 1]
        if c + 1 != st.e:
            return False
        args = split_args(doc, st.s + 1, c)
        if not args:
            return None
        if len(args) == 1:
            return doc.text(*args[0])
    return False


def t_require(doc, ctx):
    """`require(c[, m]);` -> `if (!(c)) revert([m]);` (`throw` where the window is before 0.5
    and has no revert), and `if (c) revert([m]);` / `if (c) throw;` / the same in braces, with
    no else -> `require(!(c)[, m]);`. Both directions in one variant. A rewritten statement
    that is not directly in a block is wrapped in braces (no dangling else)."""
    ed = Editor(doc.src)
    toks = doc.toks
    use_revert = doc.allows("revert")
    use_throw = doc.allows("throw")
    for c, m in doc.functions():
        for st in doc.walk(m.stmts):
            if st.kind == "require" and doc.t(st.s + 1) == "(" and doc.match[st.s + 1] + 1 == st.e:
                close = doc.match[st.s + 1]
                args = split_args(doc, st.s + 1, close)
                if len(args) not in (1, 2):
                    continue
                if len(args) == 2 and not use_revert:
                    continue
                if len(args) == 1 and not (use_revert or use_throw):
                    continue
                ca, cb = args[0]
                ed.replace(toks[st.s].s, toks[ca].s, "if (!(")
                if len(args) == 2:
                    ed.replace(toks[cb].e, toks[args[1][0]].s, ")) revert(")
                else:
                    ed.replace(toks[cb].e, toks[close].e, ")) revert()" if use_revert else ")) throw")
                if not st.in_block:
                    ed.insert(toks[st.s].s, "{ ")
                    ed.insert(toks[st.e].e, " }")
            elif st.kind == "if" and st.els is None and st.children and doc.allows("require"):
                msg = _revert_stmt(doc, st.children[0])
                if msg is False:
                    continue
                if msg is not None and not doc.allows("revert_reason"):
                    continue
                ca, cb = st.cond
                body = st.children[0]
                ed.replace(toks[st.s].s, toks[ca + 1].s, "require(!(")
                ed.replace(toks[cb].s, toks[body.e].e, ")" + (", " + msg if msg is not None else "") + ");")
    return None if ed.empty() else ed


# ============================================================================ 3. hoist
def _mapping_value_type(doc, d, depth):
    """type text of d's mapping value after `depth` index levels, if an elementary value type"""
    i = d.type_start
    for _ in range(depth):
        if doc.t(i) != "mapping" or doc.t(i + 1) != "(":
            return None
        close = doc.match[i + 1]
        k = i + 2
        while k < close and doc.t(k) != "=>":
            k += 1
        i = k + 1
        end = close
    if depth == 0:
        return None
    vt = doc.text(i, end - 1)
    if doc.parse_type(i) != end:
        return None
    return vt if ELEMENTARY_RE.match(vt) else None


def atom_type(doc, a, b):
    """type of the side-effect-free, non-reverting expression in tokens a..b, or None"""
    toks = doc.toks
    txt = "".join(toks[i].text for i in range(a, b + 1))
    if txt in ("msg.value", "block.timestamp", "block.number", "this.balance", "address(this).balance"):
        return "uint256"
    if txt == "now" and doc.allows("now"):
        return "uint256"
    if txt in ("msg.sender", "tx.origin"):
        if doc.allows("payable_msg_sender"):
            return "address payable"
        if doc.allows("plain_address_msg_sender"):
            return "address"
        return None
    if a == b and toks[a].kind == "id":
        ds = [d for d in doc.decls if d.name == toks[a].text]
        types = {doc.type_text(d) if d.type_start is not None else None for d in ds}
        if len(types) == 1 and all(d.kind in ("state", "param", "local", "ret") for d in ds):
            tt = types.pop()
            if tt and (ELEMENTARY_RE.match(tt) or tt == "address payable"):
                return tt
        return None
    # mapping read m[k]...[k]
    if toks[a].kind == "id" and doc.t(a + 1) == "[":
        depth, k = 0, a + 1
        while k <= b and doc.t(k) == "[":
            c = doc.match[k]
            if c > b:
                return None
            if not _is_key_atom(doc, k + 1, c - 1):
                return None
            depth += 1
            k = c + 1
        if k != b + 1:
            return None
        ds = [d for d in doc.decls if d.name == toks[a].text]
        if len(ds) != 1 or ds[0].kind != "state" or ds[0].type_start is None:
            return None
        return _mapping_value_type(doc, ds[0], depth)
    return None


def _is_key_atom(doc, a, b):
    if a > b:
        return False
    if a == b and doc.toks[a].kind in ("num", "str", "id"):
        return doc.toks[a].text not in ("this",)
    txt = "".join(doc.toks[i].text for i in range(a, b + 1))
    return txt in ("msg.sender", "tx.origin", "msg.value", "block.number", "block.timestamp")


def _prefix_ok(doc, s, a):
    for i in range(s, a):
        t = doc.toks[i]
        if t.kind == "op" and t.text == "(" and doc.match[i] < a:
            return False
        if t.text in ("++", "--", "delete"):
            return False
    return True


CALL_EXCLUDE = {"if", "for", "while", "return", "returns", "mapping", "catch", "emit"}


def t_hoist(doc, ctx):
    """Hoist one subexpression per statement into a fresh local on the line before:
    the condition of require/assert/if (-> `bool tmpN = c;`), else the first call argument
    that is side-effect free and cannot revert and whose type is known: msg.value,
    block.timestamp/number, this balance (uint256), msg.sender/tx.origin (address payable in
    0.5-0.7, address in 0.4 and 0.8, skipped where the window spans both), a variable whose
    every declaration in the file has one elementary type, or a read of a state mapping whose
    value type is elementary. Only statements directly in a block, and only when nothing
    evaluated before the hoisted expression in the statement can have a side effect. At most
    STACK_BUDGET variables per function, new ones and those of its modifiers included (old
    code generators run out of stack slots)."""
    ed = Editor(doc.src)
    toks = doc.toks
    hoisted = {}
    # a modifier's locals count against every function using it
    users = {}
    for c, f in doc.functions():
        for iv in f.invocations:
            users.setdefault(toks[iv[0]].text, []).append(f)
    for c, m in doc.functions():
        extra = 0
        if m.kind == "modifier":
            extra = max([n_vars(doc, f) for f in users.get(m.name, [])] + [0])
        for st in doc.walk(m.stmts):
            if not st.in_block or st.kind in ("block", "assembly", "unchecked", "try", "placeholder"):
                continue
            target = None
            if st.kind in ("require", "assert") and doc.t(st.s + 1) == "(":
                args = split_args(doc, st.s + 1, doc.match[st.s + 1])
                if args:
                    target = (args[0][0], args[0][1], "bool")
            elif st.kind == "if":
                ca, cb = st.cond
                if cb > ca + 1:
                    target = (ca + 1, cb - 1, "bool")
            if target is None and st.kind not in ("for", "while", "do", "if"):
                for i in range(st.s, st.e + 1):
                    t = toks[i]
                    if t.text != "(" or t.kind != "op":
                        continue
                    p = toks[i - 1]
                    if not (p.kind == "id" and p.text not in CALL_EXCLUDE | NOT_A_TYPE or p.text in (")", "]")):
                        continue
                    for a, b in split_args(doc, i, doc.match[i]):
                        if doc.t(a + 1) == ":" or not _prefix_ok(doc, st.s, a):
                            continue
                        ty = atom_type(doc, a, b)
                        if ty:
                            target = (a, b, ty)
                            break
                    if target:
                        break
            if target is None:
                continue
            if extra + n_vars(doc, m) + hoisted.get(m.start, 0) >= STACK_BUDGET:
                continue
            hoisted[m.start] = hoisted.get(m.start, 0) + 1
            a, b, ty = target
            oa, ob = toks[a].s, toks[b].e
            if ed.overlaps(oa, ob):
                continue
            name = ctx.fresh("tmp")
            ind = doc.indent_at(toks[st.s].s)
            if doc.starts_line(toks[st.s].s):
                pos = doc.line_start(toks[st.s].s)
                ed.insert(pos, [("n", f"{ind}{ty} {name} = ", None), ("o", oa, ob), ("n", ";\n", None)])
            else:
                ed.insert(toks[st.s].s, [("n", f"{ty} {name} = ", None), ("o", oa, ob), ("n", "; ", None)])
            ed.remove(oa, ob, [("n", name, (oa, ob))])
    return None if ed.empty() else ed


# ============================================================================ 4. modifiers
def _ids_in(doc, a, b):
    return [doc.toks[i].text for i in plain_ids(doc, a, b)]


PURE_CALLS = {"require", "assert", "keccak256", "sha3", "sha256", "ripemd160", "ecrecover", "addmod", "mulmod",
              "encode", "encodePacked", "encodeWithSelector", "encodeWithSignature", "encodeCall", "address",
              "payable", "bool", "string", "bytes", "type", "blockhash", "gasleft"}


def is_check(doc, a, b):
    """no call in tokens a..b but to pure builtins, type conversions and view/pure functions
    of the file (a check, not an action)"""
    views = {m.name for c in doc.contracts for m in c.members
             if m.kind == "function" and m.body and {"view", "pure", "constant"} & m.keywords}
    for i in range(a, b + 1):
        if doc.t(i) != "(" or doc.toks[i].kind != "op":
            continue
        p = doc.toks[i - 1]
        if p.kind != "id":
            if p.text in (")", "]"):
                return False
            continue
        if p.text in PURE_CALLS or ELEMENTARY_RE.match(p.text) or p.text in ("if", "while", "for", "return"):
            continue
        if p.text in views and doc.t(i - 2) != ".":
            continue
        return False
    return True


def t_modifier(doc, ctx):
    """Forward: a `require(...)` that opens a function body and is a check (no call but to
    pure builtins, conversions and view/pure functions of the file) moves into a new modifier
    `modifier condN(T p, ...) { require(...); _; }` applied last to that function (so it
    still runs after the other modifiers and before the body), passing the parameters it
    uses (value types only; none that use named returns).
    Reverse: a modifier whose body is only checks (require / if-throw / if-revert) followed by
    `_;` is inlined at the start of each function that applies it last, substituting its
    parameters by the arguments (identifiers or literals only); the definition is removed
    when every use was inlined. A use is skipped when the function declares a name the checks
    read (capture) or the modifier name is declared twice."""
    ed = Editor(doc.src)
    toks = doc.toks
    contract_names = {c.name for c in doc.contracts}
    # ---- reverse first (so forward-created modifiers are not inlined again)
    mods = {}
    for c in doc.contracts:
        for m in c.members:
            if m.kind == "modifier":
                mods.setdefault(m.name, []).append(m)
    uses_total = {}
    for t in toks:
        if t.kind == "id" and t.text in mods and doc.t(t.i - 1) != ".":
            uses_total[t.text] = uses_total.get(t.text, 0) + 1
    inlined_bodies = set()
    for name, ms in mods.items():
        if len(ms) != 1:
            continue
        md = ms[0]
        if not md.body or not md.stmts or md.stmts[-1].kind != "placeholder" or len(md.stmts) < 2:
            continue
        checks = md.stmts[:-1]
        ok = True
        for st in checks:
            if st.kind == "require":
                continue
            if st.kind == "if" and st.els is None and st.children and _revert_stmt(doc, st.children[0]) is not False:
                continue
            ok = False
        if not ok or any(doc.in_asm(st.s) for st in checks):
            continue
        params = [d for d in doc.decls if d.kind == "param" and md.params and md.params[0] < d.tok < md.params[1]]
        read = set()
        for st in checks:
            read |= set(_ids_in(doc, st.s, st.e))
        read -= {d.name for d in params}
        inlined = 0
        derived_ok = _derived_from(doc, md.contract)
        for c in doc.contracts:
            if c.name not in derived_ok:
                continue
            for f in c.members:
                if f.kind not in ("function", "fallback", "receive") or not f.body:
                    continue
                mod_invs = [iv for iv in f.invocations if toks[iv[0]].text not in contract_names]
                if not mod_invs or toks[mod_invs[-1][0]].text != name:
                    continue
                if sum(1 for iv in mod_invs if toks[iv[0]].text == name) != 1:
                    continue
                nt, ao, ac = mod_invs[-1]
                args = split_args(doc, ao, ac) if ao is not None else []
                if len(args) != len(params):
                    continue
                subst = {}
                for d, (a, b) in zip(params, args):
                    txt = doc.text(a, b)
                    if not re.fullmatch(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*|\d+|\"[^\"]*\"", txt):
                        break
                    subst[d.name] = txt
                else:
                    fnames = {d.name for d in doc.decls if d.kind in ("param", "ret", "local")
                              and f.start <= d.tok <= f.end}
                    if fnames & read:
                        continue
                    end_inv = toks[ac].e if ac is not None else toks[nt].e
                    if ed.overlaps(toks[nt - 1].e, end_inv):
                        continue
                    ed.remove(toks[nt - 1].e, end_inv)
                    ind = body_indent(doc, f)
                    pieces = []
                    for st in checks:
                        pieces.append(("n", "\n" + ind, None))
                        # stands for the check and for the invocation it replaces
                        pieces.append(("n", src_with_subst(doc, st.s, st.e, subst),
                                       [(toks[st.s].s, toks[st.e].e), (toks[nt].s, end_inv)]))
                    ed.insert(toks[f.body[0]].e, pieces)
                    inlined += 1
        if inlined and inlined == uses_total.get(name, 0):
            ed.remove(_attached_start(doc, md), toks[md.end].e)
            inlined_bodies.add(md.start)
    # ---- forward
    for c, f in doc.functions():
        if f.kind not in ("function", "constructor", "fallback", "receive") or not f.stmts:
            continue
        st = f.stmts[0]
        if st.kind != "require" or doc.in_asm(st.s) or not is_check(doc, st.s, st.e):
            continue
        params = {d.name: d for d in doc.decls if d.kind == "param" and f.params and f.params[0] < d.tok < f.params[1]}
        rets = {d.name for d in doc.decls if d.kind == "ret" and f.start <= d.tok <= f.end}
        used = []
        ok = True
        for n in _ids_in(doc, st.s, st.e):
            if n in rets:
                ok = False
            elif n in params and n not in used:
                if params[n].type_start is None or not is_value_type(doc.type_text(params[n]), doc):
                    ok = False
                used.append(n)
        if not ok or n_vars(doc, f) + len(used) > STACK_BUDGET:
            continue
        a, b = toks[st.s].s, toks[st.e].e
        if ed.overlaps(a, b) or ed.overlaps(toks[f.start].s, toks[f.start].s + 1):
            continue
        name = ctx.fresh("cond")
        sig = ", ".join(f"{doc.type_text(params[n])} {n}" for n in used)
        ind = doc.indent_at(toks[f.start].s)
        # remove the check (and its line when it is alone on it)
        ls = doc.line_start(a)
        le = doc.src.find("\n", b)
        if doc.starts_line(a) and le != -1 and doc.src[b:le].strip() == "":
            ed.remove(ls, le + 1)
        else:
            ed.remove(a, b)
        head = doc.line_start(_attached_start(doc, f))   # above the function's doc comment
        ed.insert(head, [("n", f"{ind}modifier {name}({sig}) {{\n{ind}    ", None), ("o", a, b),
                         ("n", f"\n{ind}    _;\n{ind}}}\n", None)])
        inv = name + (f"({', '.join(used)})" if used else "")
        at = f.returns_kw if f.returns_kw is not None else f.header_end
        # the invocation stands for the check too: it runs there
        lead = "" if doc.src[toks[at].s - 1].isspace() else " "
        ed.insert(toks[at].s, [("n", lead, None), ("n", inv, (a, b)), ("n", " ", None)])
    return None if ed.empty() else ed


def _derived_from(doc, base):
    """names of contracts of the file that are `base` or inherit from it"""
    by_name = {c.name: c for c in doc.contracts}
    out = set()

    def inherits(c, seen=()):
        if c.name == base.name:
            return True
        for b, _ in c.bases:
            bc = by_name.get(b)
            if bc is not None and bc.name not in seen and inherits(bc, seen + (c.name,)):
                return True
        return False
    for c in doc.contracts:
        if inherits(c):
            out.add(c.name)
    return out


# ============================================================================ 5. extract
def _param_decl_text(doc, d):
    """parameter declaration for passing local/param d to an internal function, or None"""
    if d.type_start is None:
        return None
    tt = doc.type_text(d)
    if is_value_type(tt, doc):
        return f"{tt} {d.name}"
    if not is_reference_type(tt, doc):
        return None
    loc = d.loc
    if loc is None:
        if d.kind == "local" and doc.hi <= (0, 5, 0):
            loc = "storage"      # 0.4 locals of reference type default to storage
        elif d.kind in ("param", "ret") and doc.hi <= (0, 5, 0):
            loc = "memory"       # 0.4 parameters default to memory
        else:
            return None
    if loc == "calldata" and not doc.allows("calldata_internal"):
        return None
    if tt.startswith("mapping") and loc != "storage":
        return None
    return f"{tt} {loc} {d.name}"


def _extractable(doc, m, st, immutables):
    toks = doc.toks
    if st.kind in ("decl", "return", "break", "continue", "placeholder", "block", "assembly", "try", "unchecked"):
        return None
    if contains_token(doc, st.s, st.e, {"return", "break", "continue", "assembly", "_"}):
        return None
    if st.kind != "expr" and st.kind not in ("require", "assert", "revert", "throw", "emit", "delete", "if",
                                            "for", "while", "do"):
        return None
    if doc.lo < (0, 5, 0) and any(d.kind == "local" and st.s <= d.tok <= st.e for d in doc.decls):
        return None
    if any(d.kind == "local" and d.type_start is None and st.s <= d.tok <= st.e for d in doc.decls):
        return None
    vis = visible_locals(doc, m, st.s)
    inner = {d.name for d in doc.decls if d.kind == "local" and st.s <= d.tok <= st.e}
    used = []
    for i in plain_ids(doc, st.s, st.e):
        n = toks[i].text
        if n in inner:
            continue
        if n in vis:
            nt = doc.t(i + 1)
            # the local itself is written (a member or element write through a reference is fine)
            if nt in ASSIGN_OPS or nt in ("++", "--") or doc.t(i - 1) in ("++", "--", "delete"):
                return None
            if n not in used:
                used.append(n)
        elif n in immutables:
            return None
    params = []
    for n in used:
        p = _param_decl_text(doc, vis[n])
        if p is None:
            return None
        params.append(p)
    return used, params


def t_extract(doc, ctx):
    """Move a labelled statement (or, when it cannot move, a neighbour in the same block) into
    a new internal function placed after the enclosing one, called from the same place.
    The locals and parameters it reads are passed as arguments (value types, or reference
    types with their data location: storage/memory, calldata only from 0.6.9). Skipped when
    the statement declares a variable, assigns a local or parameter, returns, breaks,
    continues, holds `_` or assembly, or assigns an immutable. The helper takes the mutability
    (view/pure/constant) of the enclosing function and keeps an enclosing `unchecked`."""
    ed = Editor(doc.src)
    toks = doc.toks
    immutables = set()
    for c in doc.contracts:
        for m in c.members:
            if m.kind == "statevar" and "immutable" in m.keywords:
                immutables.add(m.name)
    for c, m in doc.functions():
        if m.kind == "modifier" or c.kind == "interface":
            continue
        labelled = [st for st in doc.walk(m.stmts) if stmt_lines(doc, st) & ctx.label_lines]
        if not labelled:
            continue
        chosen = []
        # innermost labelled statements first
        labelled.sort(key=lambda s: s.e - s.s)
        for st in labelled:
            cands = [st]
            # neighbours in the same block
            sibs = st.parent.children if st.parent else m.stmts
            if st in sibs:
                k = sibs.index(st)
                cands += [sibs[j] for j in (k + 1, k - 1) if 0 <= j < len(sibs)]
            # the enclosing statements
            p = st.parent
            while p is not None:
                if p.kind != "block":
                    cands.append(p)
                p = p.parent
            for cand in cands:
                if any(x.s <= cand.s <= x.e or cand.s <= x.s <= cand.e for x, _ in chosen):
                    if any(x is cand for x, _ in chosen):
                        break
                    continue
                r = _extractable(doc, m, cand, immutables)
                if r is not None:
                    chosen.append((cand, r))
                    break
        mut = ""
        for kw in ("view", "pure", "constant"):
            if kw in m.keywords:
                mut = " " + kw
        ind = doc.indent_at(toks[m.start].s)
        after = []
        for st, (used, params) in sorted(chosen, key=lambda x: x[0].s):
            a, b = toks[st.s].s, toks[st.e].e
            if ed.overlaps(a, b):
                continue
            name = ctx.fresh("step")
            ed.remove(a, b, [("n", f"{name}({', '.join(used)});", (a, b))])
            body_open, body_close = ("unchecked { ", " }") if st.unchecked else ("", "")
            after += [("n", f"\n\n{ind}function {name}({', '.join(params)}) internal{mut} {{\n{ind}    {body_open}", None),
                      ("o", a, b), ("n", f"{body_close}\n{ind}}}", None)]
        if after:
            ed.insert(toks[m.end].e, after)
    return None if ed.empty() else ed


# ============================================================================ 6. state -> base
UNITS = {"wei", "gwei", "ether", "finney", "szabo", "seconds", "minutes", "hours", "days", "weeks", "years"}


def _base_function_names(doc, c):
    """names of the functions c inherits from bases in the file; None when a base is not in the file"""
    by_name = {x.name: x for x in doc.contracts}
    names = set()
    todo, seen = [b for b, _ in c.bases], set()
    while todo:
        b = todo.pop()
        if b in seen:
            continue
        seen.add(b)
        bc = by_name.get(b)
        if bc is None:
            return None
        names |= {m.name for m in bc.members if m.kind == "function" and m.name}
        todo += [x for x, _ in bc.bases]
    return names


def t_base(doc, ctx):
    """Move the state variables of each contract into a new base contract it inherits last
    (`contract C is A, B, StateBaseN`), so the storage layout is unchanged (A's and B's
    variables first, then C's). The base is `abstract` from 0.6. Structs and enums declared in
    C that the variables use move along (unless code names them as `C.X`). `private` becomes
    `internal` so C still sees them. All non-constant variables move or none (layout);
    immutables and overriding variables never move, nor public ones whose getter may implement
    a function of a base; an initializer may only use literals, builtins, names declared at
    file level and variables moved before it; a type may not use names declared inside C that
    do not move."""
    ed = Editor(doc.src)
    toks = doc.toks
    top = {c.name for c in doc.contracts} | {n for _, n, _ in doc.toplevel}
    for c in doc.contracts:
        if c.kind != "contract":
            continue
        svars = [m for m in c.members if m.kind == "statevar" and m.name]
        if not svars or any(m.kind == "other" for m in c.members):
            continue
        inner_types = {m.name: m for m in c.members if m.kind in ("struct", "enum")}
        qualified = {toks[i + 2].text for i in range(len(toks) - 2)
                     if toks[i].text == c.name and toks[i + 1].text == "."}
        c_names = {m.name for m in c.members if m.name}
        moved_types = []
        moved = []
        moved_names = set()
        ok = True
        base_fns = _base_function_names(doc, c)
        for m in svars:
            const = "constant" in m.keywords
            good = "immutable" not in m.keywords and "override" not in m.keywords
            # a public getter may implement a function of a base: it must stay beside that base
            if "public" in m.keywords and (base_fns is None or m.name in base_fns):
                good = False
            ta, tb = m.type_range
            for i in range(ta, tb):
                t = toks[i]
                if t.kind == "id" and doc.t(i - 1) != "." and t.text in c_names:
                    if t.text in inner_types and t.text not in qualified:
                        if inner_types[t.text] not in moved_types:
                            moved_types.append(inner_types[t.text])
                    else:
                        good = False
            if m.init:
                ia, ib = m.init
                for i in plain_ids(doc, ia, ib - 1):
                    n = toks[i].text
                    if n in BUILTINS or n in UNITS or ELEMENTARY_RE.match(n) or n in ("true", "false", "new", "type"):
                        continue
                    if n in moved_names or (n in top and n not in c_names):
                        continue
                    good = False
                for i in range(ia, ib):
                    if toks[i].text == "." and doc.t(i - 1) not in ("msg", "block", "tx", "abi", "this", ")", "type") \
                            and toks[i - 1].text not in top:
                        good = False
            if good:
                moved.append(m)
                moved_names.add(m.name)
            elif not const:
                ok = False
                break
        if not ok or not any("constant" not in m.keywords for m in moved):
            continue
        # structs/enums a moved type needs may themselves use other inner types
        for st in list(moved_types):
            for i in range(st.start, st.end + 1):
                t = toks[i]
                if t.kind == "id" and t.text in inner_types and inner_types[t.text] not in moved_types:
                    if t.text in qualified:
                        ok = False
                    else:
                        moved_types.append(inner_types[t.text])
        if not ok:
            continue
        name = ctx.fresh("StateBase")
        ind = doc.indent_at(toks[moved[0].start].s)
        pieces = [("n", ("abstract " if doc.allows("abstract") else "") + f"contract {name} {{\n", None)]
        for m in sorted(moved_types, key=lambda m: m.start) + moved:
            a, b = toks[m.start].s, toks[m.end].e
            if ed.overlaps(a, b):
                ok = False
                break
            pieces.append(("n", ind, None))
            if "private" in m.keywords:
                k = next(i for i in range(m.start, m.end) if toks[i].text == "private")
                pieces += [("o", a, toks[k].s), ("n", "internal", (toks[k].s, toks[k].e)), ("o", toks[k].e, b)]
            else:
                pieces.append(("o", a, b))
            pieces.append(("n", "\n", None))
            ls, le = doc.line_start(a), doc.src.find("\n", b)
            if doc.starts_line(a) and le != -1 and doc.src[b:le].strip() == "":
                ed.remove(ls, le + 1)
            else:
                ed.remove(a, b)
        if not ok:
            continue
        pieces.append(("n", "}\n\n", None))
        ed.insert(doc.line_start(toks[c.head].s), pieces)
        if c.bases:
            ed.insert(toks[c.open - 1].e, f", {name}")
        else:
            ed.insert(toks[c.open].s, ("" if doc.src[toks[c.open].s - 1].isspace() else " ") + f"is {name} ")
    return None if ed.empty() else ed


# ============================================================================ 7. reorder
def _attached_start(doc, m):
    """offset where member m starts, with the comment lines right above it"""
    start = doc.toks[m.start].s
    prev_end = doc.toks[m.start - 1].e if m.start > 0 else 0
    for cs, ce in reversed(doc.comments):
        if ce > start:
            continue
        if cs < prev_end:
            break
        gap = doc.src[ce:start]
        if gap.count("\n") > 1 or gap.strip():
            break
        start = cs
    return start


def t_reorder(doc, ctx):
    """Reverse the order of the functions (constructors, fallbacks included) of each contract;
    every other member keeps its place. Comment lines right above a function move with it."""
    ed = Editor(doc.src)
    for c in doc.contracts:
        fs = [m for m in c.members if m.kind in ("function", "constructor", "fallback", "receive")]
        if len(fs) < 2:
            continue
        slots = [(_attached_start(doc, m), doc.toks[m.end].e) for m in fs]
        for (a, b), (x, y) in zip(slots, reversed(slots)):
            ed.remove(a, b, [("o", x, y)])
    return None if ed.empty() else ed


# ============================================================================ 8. insert
def t_insert(doc, ctx):
    """Add unrelated code: in each contract a public view getter (returning an elementary
    state variable when there is one) at the top and an internal pure helper after the
    middle function, a block comment at the top of every function body and a comment line
    before every statement that starts a line. Mutability keywords follow the pragma window
    (view/pure from 0.4.17, constant before 0.5, none where the window spans both)."""
    ed = Editor(doc.src)
    toks = doc.toks
    view, pure = mutability(doc, "view"), mutability(doc, "pure")
    for c in doc.contracts:
        if c.kind != "contract":
            continue
        ind = None
        for m in c.members:
            ind = doc.indent_at(toks[m.start].s)
            break
        if ind is None:
            ind = "    "
        getter = ctx.fresh("extraView")
        ret, expr = "uint256", "0"
        for m in c.members:
            if m.kind == "statevar" and m.type_range and "immutable" not in m.keywords:
                tt = doc.text(m.type_range[0], m.type_range[1] - 1)
                if re.fullmatch(r"u?int\d*|bool", tt):
                    ret, expr = tt, m.name
                    break
        g = (f"\n{ind}// unrelated view getter\n{ind}function {getter}() public {view} returns ({ret}) {{\n"
             f"{ind}    return {expr};\n{ind}}}\n").replace("  returns", " returns")
        ed.insert(toks[c.open].e, g)
        fs = [m for m in c.members if m.kind in ("function", "constructor", "fallback", "receive", "modifier")]
        helper = ctx.fresh("extraMath")
        h = (f"\n\n{ind}/* unrelated pure helper:\n{ind}   absolute difference */\n"
             f"{ind}function {helper}(uint256 a, uint256 b) internal {pure} returns (uint256) {{\n"
             f"{ind}    return a > b ? a - b : b - a;\n{ind}}}").replace("  returns", " returns")
        if fs:
            mid = fs[len(fs) // 2]
            ed.insert(toks[mid.end].e, h)
        else:
            ed.insert(toks[c.close].s, h.lstrip("\n") + "\n")
    k = 0
    for c, m in doc.functions():
        ind = body_indent(doc, m)
        ed.insert(toks[m.body[0]].e, f"\n{ind}/* body of a function:\n{ind}   nothing to see here */")
        for st in doc.walk(m.stmts):
            if st.in_block and doc.starts_line(toks[st.s].s):
                k += 1
                ed.insert(doc.line_start(toks[st.s].s), f"{doc.indent_at(toks[st.s].s)}// step {k}\n")
    return None if ed.empty() else ed


# ============================================================================ 9. syntax
def t_syntax(doc, ctx):
    """Switch between equivalent spellings where the pragma window has both:
    `.call.value(v).gas(g)(d)` <-> `.call{value: v, gas: g}(d)` (braces from 0.6.2, members
    before 0.7); `now` <-> `block.timestamp` (now before 0.7); `sha3` <-> `keccak256`
    (sha3 before 0.5); `suicide` <-> `selfdestruct` (before 0.5); `this.balance` <->
    `address(this).balance` (before 0.5); `block.blockhash` <-> `blockhash` (0.4.22-0.4.x);
    `msg.gas` <-> `gasleft()` (0.4.21-0.4.x); `uint` <-> `uint256`, `int` <-> `int256`,
    `byte` -> `bytes1`. Global names are left alone where the file declares the same name."""
    ed = Editor(doc.src)
    toks = doc.toks
    declared = {d.name for d in doc.decls} | {m.name for c in doc.contracts for m in c.members if m.name} \
        | {c.name for c in doc.contracts}
    asm = set()
    for a, b in doc.asm:
        asm.update(range(a, b + 1))
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if i in asm or t.kind not in ("id",):
            i += 1
            continue
        x, prv, nxt = t.text, doc.t(i - 1), doc.t(i + 1)
        # call options ------------------------------------------------------------
        if prv == "." and x in ("value", "gas") and nxt == "(" and doc.allows("call_options") \
                and "value" not in declared and "gas" not in declared and doc.t(i - 2) in ("call", "delegatecall"):
            # gather the chain .value(..).gas(..)
            opts = []
            j = i
            while doc.t(j - 1) == "." and doc.t(j) in ("value", "gas") and doc.t(j + 1) == "(":
                c = doc.match[j + 1]
                opts.append((doc.t(j), j + 2, c - 1))
                j = c + 1
                if doc.t(j) == "." and doc.t(j + 1) in ("value", "gas") and doc.t(j + 2) == "(":
                    j += 1
                else:
                    break
            if doc.t(j) == "(" and len({o[0] for o in opts}) == len(opts):
                a, b = toks[i - 1].s, toks[j - 1].e
                pieces = [("n", "{", (a, toks[opts[0][1]].s))]
                for k, (kw, oa, ob) in enumerate(opts):
                    pieces.append(("n", (", " if k else "") + kw + ": ", None))
                    pieces.append(("o", toks[oa].s, toks[ob].e))
                pieces.append(("n", "}", (toks[opts[-1][2]].e, b)))
                ed.remove(a, b, pieces)
                i = j
                continue
        if x in ("call", "delegatecall") and prv == "." and nxt == "{" and doc.allows("call_value_member"):
            c = doc.match[i + 1]
            items = split_args(doc, i + 1, c)
            parts = []
            for a, b in items:
                if doc.t(a + 1) != ":" or doc.t(a) not in ("value", "gas"):
                    parts = None
                    break
                parts.append((doc.t(a), a + 2, b))
            if parts:
                pieces = []
                for kw, a, b in parts:
                    pieces += [("n", f".{kw}(", None), ("o", toks[a].s, toks[b].e), ("n", ")", None)]
                ed.remove(toks[i + 1].s, toks[c].e, pieces)
                i = c + 1
                continue
        if prv != ".":
            if x == "now" and "now" not in declared:
                ed.replace(t.s, t.e, "block.timestamp")
            elif x == "sha3" and nxt == "(" and doc.allows("keccak256") and "sha3" not in declared:
                ed.replace(t.s, t.e, "keccak256")
            elif x == "keccak256" and nxt == "(" and doc.allows("sha3") and "keccak256" not in declared:
                ed.replace(t.s, t.e, "sha3")
            elif x == "suicide" and nxt == "(" and "suicide" not in declared:
                ed.replace(t.s, t.e, "selfdestruct")
            elif x == "selfdestruct" and nxt == "(" and doc.allows("suicide") and "selfdestruct" not in declared:
                ed.replace(t.s, t.e, "suicide")
            elif x == "gasleft" and nxt == "(" and doc.t(i + 2) == ")" and doc.allows("msg.gas"):
                ed.replace(t.s, toks[i + 2].e, "msg.gas")
            elif x == "blockhash" and nxt == "(" and doc.allows("block.blockhash") and "blockhash" not in declared:
                ed.replace(t.s, t.e, "block.blockhash")
            elif x == "this" and nxt == "." and doc.t(i + 2) == "balance" and doc.t(i + 3) != "(" \
                    and "balance" not in declared:
                ed.replace(t.s, t.e, "address(this)")
            elif x == "address" and nxt == "(" and doc.t(i + 2) == "this" and doc.t(i + 3) == ")" \
                    and doc.t(i + 4) == "." and doc.t(i + 5) == "balance" and doc.allows("this.balance") \
                    and "balance" not in declared:
                ed.replace(t.s, toks[i + 3].e, "this")
                i += 4
                continue
            elif x == "msg" and nxt == "." and doc.t(i + 2) == "gas" and doc.t(i + 3) != "(" and doc.allows("gasleft"):
                ed.replace(t.s, toks[i + 2].e, "gasleft()")
                i += 3
                continue
            elif x == "block" and nxt == "." and doc.t(i + 2) == "blockhash" and doc.allows("blockhash"):
                ed.replace(t.s, toks[i + 2].e, "blockhash")
                i += 3
                continue
            elif x == "block" and nxt == "." and doc.t(i + 2) == "timestamp" and doc.allows("now") \
                    and "now" not in declared:
                ed.replace(t.s, toks[i + 2].e, "now")
                i += 3
                continue
            elif x in ("uint", "uint256", "int", "int256"):
                ed.replace(t.s, t.e, {"uint": "uint256", "uint256": "uint", "int": "int256", "int256": "int"}[x])
            elif x == "byte" and nxt != "(":
                ed.replace(t.s, t.e, "bytes1")
        i += 1
    return None if ed.empty() else ed


TRANSFORMS = OrderedDict([
    ("rename", t_rename),
    ("require", t_require),
    ("hoist", t_hoist),
    ("modifier", t_modifier),
    ("extract", t_extract),
    ("base", t_base),
    ("reorder", t_reorder),
    ("insert", t_insert),
    ("syntax", t_syntax),
])
