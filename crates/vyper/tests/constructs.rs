//! One test per construct: the source, and the AST dump it must give.

use vyper::ast::{ExprKind, ItemKind, StmtKind, VarLocation};
use vyper::pragma::{PragmaKind, Version};
use vyper::{Builtin, EnvVar, TypeShape};

/// Parses `src`, asserts there is no error, and compares the dump.
fn check(src: &str, expected: &str) {
    let parse = vyper::parse(src);
    let errors: Vec<_> = parse.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "unexpected errors: {errors:?}");
    assert_eq!(
        vyper::dump::dump(parse.ast(), src).trim_end(),
        expected.trim()
    );
}

/// The dump of one expression, written as the value of a `return`.
fn expr(src: &str) -> String {
    let text = format!("def f():\n    return {src}\n");
    let parse = vyper::parse(&text);
    let errors: Vec<_> = parse.errors().map(|d| d.message.clone()).collect();
    assert!(
        errors.is_empty(),
        "unexpected errors in `{src}`: {errors:?}"
    );
    let f = parse.ast().functions().next().expect("a function");
    let StmtKind::Return(Some(value)) = parse.ast().stmt(f.body[0]).kind else {
        panic!("not a return");
    };
    vyper::dump::dump_expr(parse.ast(), &text, value)
}

#[test]
fn precedence_follows_python() {
    assert_eq!(expr("a + b * c"), "(+ a (* b c))");
    assert_eq!(expr("a - b - c"), "(- (- a b) c)");
    assert_eq!(expr("2 ** 3 ** 2"), "(** 2 (** 3 2))");
    assert_eq!(expr("-x ** 2"), "(- (** x 2))");
    assert_eq!(expr("2 ** -1"), "(** 2 (- 1))");
    assert_eq!(expr("a // b % c * d"), "(* (% (// a b) c) d)");
    assert_eq!(
        expr("a | b ^ c & d << 1 + 2"),
        "(| a (^ b (& c (<< d (+ 1 2)))))"
    );
    assert_eq!(expr("not a == b"), "(not (== a b))");
    assert_eq!(expr("a or b and not c"), "(or a (and b (not c)))");
    assert_eq!(
        expr("a < b and c >= d or e != f"),
        "(or (and (< a b) (>= c d)) (!= e f))"
    );
    assert_eq!(expr("x in self.list"), "(in x self.list)");
    assert_eq!(expr("x not in [1, 2]"), "(not in x (list 1 2))");
    assert_eq!(expr("~x & 0xff"), "(& (~ x) 0xff)");
    assert_eq!(expr("(a + b) * c"), "(* (+ a b) c)");
    assert_eq!(expr("a if c else b + 1"), "(if c a (+ b 1))");
}

#[test]
fn postfix_calls_keywords_and_literals() {
    assert_eq!(
        expr("raw_call(target, data, value=v, revert_on_failure=False)"),
        "(call raw_call target data value=v revert_on_failure=False)"
    );
    assert_eq!(
        expr("self.balances[msg.sender][i].amount"),
        "self.balances[msg.sender][i].amount"
    );
    assert_eq!(
        expr("IERC20(token).balanceOf(self)"),
        "(call (call IERC20 token).balanceOf self)"
    );
    assert_eq!(
        expr("(1, b\"ab\", x\"00ff\", 'c')"),
        "(tuple 1 b\"ab\" x\"00ff\" 'c')"
    );
    assert_eq!(
        expr("[1.5, 1e18, 0x1F, 0b11, 0o7, 1_000]"),
        "(list 1.5 1e18 0x1F 0b11 0o7 1_000)"
    );
    assert_eq!(expr("Point({x: 1, y: 2})"), "(call Point (dict x:1 y:2))");
    assert_eq!(expr("\"a\" \"b\""), "\"a\" \"b\"");
    assert_eq!(expr("()"), "(tuple)");
    assert_eq!(expr("(a,)"), "(tuple a)");
    assert_eq!(expr("extcall t.f(1)"), "(extcall (call t.f 1))");
    assert_eq!(expr("staticcall t.g()"), "(staticcall (call t.g))");
    assert_eq!(expr("True and False"), "(and True False)");
}

#[test]
fn storage_declarations() {
    check(
        "a: uint256\n\
         b: public(HashMap[address, HashMap[address, uint256]])\n\
         c: immutable(address)\n\
         D: constant(uint256) = 10 ** 18\n\
         E: public(constant(Bytes[4])) = b\"\\x01\"\n\
         f: transient(uint256)\n\
         g: DynArray[uint256, 10]\n\
         h: String[64]\n\
         i: address[3]\n",
        "storage a: uint256\n\
         storage public b: HashMap[(tuple address HashMap[(tuple address uint256)])]\n\
         immutable c: address\n\
         constant D: uint256 = (** 10 18)\n\
         constant public E: Bytes[4] = b\"\\x01\"\n\
         transient f: uint256\n\
         storage g: DynArray[(tuple uint256 10)]\n\
         storage h: String[64]\n\
         storage i: address[3]",
    );
}

/// 0.4.3 `reentrant(...)` (a public getter left out of `# pragma nonreentrancy
/// on`) is a wrapper like `public(...)`, not part of the type: the compiler's
/// AST keeps the type alone and flags the variable.
#[test]
fn reentrant_getter_wrapper() {
    let src = "# pragma nonreentrancy on\n\
               a: public(reentrant(uint256))\n\
               b: public(reentrant(HashMap[address, uint256]))\n\
               c: public(uint256)\n";
    check(
        src,
        "storage public reentrant a: uint256\n\
         storage public reentrant b: HashMap[(tuple address uint256)]\n\
         storage public c: uint256",
    );
    let parse = vyper::parse(src);
    let vars: Vec<_> = parse
        .ast()
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Variable(v) => Some(v),
            _ => None,
        })
        .collect();
    assert!(vars[0].reentrant && vars[1].reentrant && !vars[2].reentrant);
    assert!(
        matches!(parse.ast().type_shape(vars[0].ty), TypeShape::Named(n) if n.as_str() == "uint256")
    );
    assert!(matches!(
        parse.ast().type_shape(vars[1].ty),
        TypeShape::HashMap { .. }
    ));
}

#[test]
fn type_shapes() {
    let src = "a: HashMap[address, uint256]\nb: DynArray[uint8, 4]\nc: Bytes[32]\nd: String[8]\ne: uint256[3]\nf: map(address, bool)\ng: m.T\n";
    let parse = vyper::parse(src);
    let ast = parse.ast();
    let shapes: Vec<&'static str> = ast
        .variables()
        .map(|v| match ast.type_shape(v.ty) {
            TypeShape::HashMap { .. } => "hashmap",
            TypeShape::DynArray { .. } => "dynarray",
            TypeShape::Bytes { .. } => "bytes",
            TypeShape::String { .. } => "string",
            TypeShape::FixedArray { .. } => "array",
            TypeShape::Named(_) => "named",
            TypeShape::Tuple(_) => "tuple",
            TypeShape::Unknown => "unknown",
        })
        .collect();
    assert_eq!(
        shapes,
        [
            "hashmap", "dynarray", "bytes", "string", "array", "hashmap", "named"
        ]
    );
}

#[test]
fn constant_without_value_is_an_error() {
    let parse = vyper::parse("X: constant(uint256)\n");
    let errors: Vec<_> = parse.errors().map(|d| d.message.as_str()).collect();
    assert_eq!(errors, ["constant `X` needs a value"]);
}

#[test]
fn events_structs_flags_and_interfaces() {
    check(
        "event Transfer:\n    sender: indexed(address)\n    value: uint256\n\
         event Empty: pass\n\
         struct Point:\n    x: int128\n    y: int128\n\
         enum Role:\n    ADMIN\n    USER\n\
         flag Perm:\n    READ\n\
         interface Oracle:\n    def price() -> uint256: view\n    def set(x: uint256, y: bool = False): nonpayable\n\
         contract Legacy:\n    def f() -> uint256: constant\n",
        "event Transfer\n  sender: indexed address\n  value: uint256\n\
         event Empty\n\
         struct Point\n  x: int128\n  y: int128\n\
         enum Role ADMIN USER\n\
         flag Perm READ\n\
         interface Oracle\n  def price() -> uint256: view\n  def set(x: uint256, y: bool = False): nonpayable\n\
         interface Legacy\n  def f() -> uint256: constant",
    );
    let parse = vyper::parse("contract Legacy:\n    def f() -> uint256: constant\n");
    assert!(matches!(&parse.ast().items[0].kind, ItemKind::Interface(i) if i.legacy_contract));
}

#[test]
fn imports_and_modules() {
    check(
        "import a.b as c\n\
         from vyper.interfaces import ERC20, ERC721 as NFT\n\
         from . import sibling\n\
         from ..lib import (x, y)\n\
         implements: ERC20\n\
         uses: c\n\
         initializes: lib[dep := c]\n\
         exports: (c.f, c.__interface__)\n",
        "import a.b as c\n\
         from vyper.interfaces import ERC20 ERC721 as NFT\n\
         from . import sibling\n\
         from ..lib import x y\n\
         implements: ERC20\n\
         uses: c\n\
         initializes: lib[(:= dep c)]\n\
         exports: c.f c.__interface__",
    );
}

#[test]
fn functions_decorators_and_signatures() {
    let src = "@external\n@view\n@nonreentrant(\"lock\")\ndef f(a: uint256, b: address = msg.sender) -> (uint256, bool):\n    \"\"\"doc\"\"\"\n    return a, True\n\n\
               @internal\n@pure\ndef g() -> uint256: return 1\n\n\
               @deploy\n@payable\ndef __init__():\n    pass\n\n\
               @external\n@nonreentrant\ndef h():\n    pass\n";
    check(
        src,
        "@external @view @nonreentrant( \"lock\" ) def f(a: uint256, b: address = msg.sender) -> (tuple uint256 bool) docstring\n  return (tuple a True)\n\
         @internal @pure def g() -> uint256\n  return 1\n\
         @deploy @payable def __init__()\n  pass\n\
         @external @nonreentrant def h()\n  pass",
    );
    let parse = vyper::parse(src);
    let ast = parse.ast();
    let f = ast.function("f").expect("f");
    assert_eq!(f.visibility(), Some(vyper::ast::Visibility::External));
    assert_eq!(f.mutability(), vyper::ast::Mutability::View);
    assert_eq!(f.nonreentrant_key(ast, src), Some(Some("lock")));
    assert_eq!(
        ast.function("h").expect("h").nonreentrant_key(ast, src),
        Some(None)
    );
    assert_eq!(
        ast.function("g").expect("g").nonreentrant_key(ast, src),
        None
    );
    assert!(ast.function("__init__").expect("init").is_constructor());
    assert_eq!(
        ast.function("__init__").expect("init").mutability(),
        vyper::ast::Mutability::Payable
    );
}

#[test]
fn statements() {
    check(
        "def f():\n\
         \x20   x: uint256 = 1\n\
         \x20   y: uint256\n\
         \x20   x += 2\n\
         \x20   x **= 2\n\
         \x20   a, b = self.pair()\n\
         \x20   self.m[k] = v\n\
         \x20   if x > 1:\n        pass\n    elif x == 1:\n        x = 0\n    else:\n        raise \"no\"\n\
         \x20   for i in range(10):\n        break\n\
         \x20   for j: uint256 in self.list:\n        continue\n\
         \x20   assert x > 0, \"msg\"\n\
         \x20   assert x > 0, UNREACHABLE\n\
         \x20   log Transfer(a, b, 1)\n\
         \x20   raise\n\
         \x20   self.g(); return\n",
        "def f()\n\
         \x20 let x: uint256 = 1\n\
         \x20 let y: uint256\n\
         \x20 x += 2\n\
         \x20 x **= 2\n\
         \x20 (tuple a b) = (call self.pair)\n\
         \x20 self.m[k] = v\n\
         \x20 if (> x 1)\n    pass\n  else\n    if (== x 1)\n      x = 0\n    else\n      raise \"no\"\n\
         \x20 for i in (call range 10)\n    break\n\
         \x20 for j: uint256 in self.list\n    continue\n\
         \x20 assert (> x 0), \"msg\"\n\
         \x20 assert (> x 0), UNREACHABLE\n\
         \x20 log (call Transfer a b 1)\n\
         \x20 raise\n\
         \x20 (call self.g)\n\
         \x20 return",
    );
}

#[test]
fn continuation_lines_and_comments() {
    check(
        "def f() -> uint256:\n    x: uint256 = 1 + \\\n        2  # trailing\n    # alone\n\n    return (x +\n  3)\n",
        "def f() -> uint256\n  let x: uint256 = (+ 1 2)\n  return (+ x 3)",
    );
}

#[test]
fn pragmas_in_all_spellings() {
    let src = "# @version ^0.3.7\n#pragma version 0.4.0\n# pragma nonreentrancy on\n# pragma evm-version shanghai\n#pragma optimize codesize\n# pragma experimental-codegen\n# not a pragma\n";
    let parse = vyper::parse(src);
    let kinds: Vec<String> = parse
        .pragmas()
        .iter()
        .map(|p| match &p.kind {
            PragmaKind::Version { text, legacy, .. } => format!("version {text} legacy={legacy}"),
            PragmaKind::NonReentrancy { on } => format!("nonreentrancy {on}"),
            PragmaKind::EvmVersion(v) => format!("evm {v}"),
            PragmaKind::Optimize(v) => format!("optimize {v}"),
            PragmaKind::Other { name, .. } => format!("other {name}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "version ^0.3.7 legacy=true",
            "version 0.4.0 legacy=false",
            "nonreentrancy true",
            "evm shanghai",
            "optimize codesize",
            "other experimental-codegen"
        ]
    );
    assert_eq!(parse.lowest_version(), Some(Version::new(0, 3, 7)));
    assert_eq!(parse.nonreentrancy_pragma(), Some(true));
}

#[test]
fn legacy_events_and_logs_become_events_and_logs() {
    let src = "Transfer: event({_from: indexed(address), _value: uint256})\n@public\ndef f():\n    log.Transfer(msg.sender, 1)\n";
    check(
        src,
        "event Transfer\n  _from: indexed address\n  _value: uint256\n@public def f()\n  log (call log.Transfer msg.sender 1)",
    );
    let parse = vyper::parse(src);
    let ast = parse.ast();
    let f = ast.function("f").expect("f");
    let StmtKind::Log(e) = ast.stmt(f.body[0]).kind else {
        panic!("not a log");
    };
    assert_eq!(ast.logged_event(e).map(|i| i.as_str()), Some("Transfer"));
}

#[test]
fn a_second_version_pragma_is_an_error() {
    let parse = vyper::parse("# @version 0.3.7\n# pragma version 0.3.10\nx: uint256\n");
    let errors: Vec<_> = parse.errors().map(|d| d.message.as_str()).collect();
    assert_eq!(
        errors,
        ["a second version pragma: the compiler accepts only one"]
    );
    assert_eq!(parse.lowest_version(), Some(Version::new(0, 3, 7)));
}

#[test]
fn unsupported_versions_are_warnings_not_errors() {
    let old = vyper::parse("# @version 0.1.0b17\n@public\ndef f():\n    log.X(1)\n");
    assert!(old.is_clean());
    let warnings: Vec<_> = old
        .diagnostics()
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        warnings,
        [
            "Vyper `0.1.0b17` predates 0.2: read with the 0.2 grammar and legacy forms, analyses may be incomplete"
        ]
    );
    let new = vyper::parse("# pragma version ~=0.5.0a4\n");
    assert_eq!(new.diagnostics().len(), 1);
    assert!(new.diagnostics()[0].message.contains("newer than 0.4"));
    let bad = vyper::parse("# pragma version banana\n");
    assert_eq!(bad.errors().count(), 1);
}

#[test]
fn builtins_and_environment_are_recognised() {
    let src = "def f():\n    raw_call(t, b\"\", value=1, revert_on_failure=False)\n    send(a, 1)\n    selfdestruct(a)\n    x: uint256 = unsafe_add(block.timestamp, 1)\n    assert tx.origin == msg.sender\n    self.total = 1\n";
    let parse = vyper::parse(src);
    let ast = parse.ast();
    let builtins: Vec<_> = ast
        .exprs()
        .filter_map(|(id, _)| ast.builtin_call(id))
        .map(Builtin::name)
        .collect();
    assert_eq!(builtins, ["raw_call", "send", "selfdestruct", "unsafe_add"]);
    let env: Vec<_> = ast.exprs().filter_map(|(id, _)| ast.env_var(id)).collect();
    assert_eq!(
        env,
        [EnvVar::BlockTimestamp, EnvVar::TxOrigin, EnvVar::MsgSender]
    );
    let members: Vec<_> = ast
        .exprs()
        .filter_map(|(id, _)| ast.self_member(id))
        .map(|i| i.as_str())
        .collect();
    assert_eq!(members, ["total"]);
    let call = ast
        .exprs()
        .find(|(id, _)| ast.builtin_call(*id) == Some(Builtin::RawCall))
        .map(|(id, _)| id)
        .expect("raw_call");
    let flag = ast.keyword_arg(call, "revert_on_failure").expect("kwarg");
    assert_eq!(ast.expr(flag).kind, ExprKind::Bool(false));
    assert!(Builtin::RawCall.is_external_call());
    assert!(Builtin::UnsafeAdd.is_unchecked_arithmetic());
}

#[test]
fn spans_cover_their_source() {
    let src =
        "x: public(uint256)\n\n@external\ndef f(a: uint256) -> uint256:\n    return a + self.x\n";
    let parse = vyper::parse(src);
    let ast = parse.ast();
    let v = ast.variables().next().expect("x");
    assert_eq!(v.span.text(src), "x: public(uint256)");
    assert_eq!(v.location, VarLocation::Storage);
    assert_eq!(ast.expr(v.ty).span.text(src), "uint256");
    let f = ast.function("f").expect("f");
    assert_eq!(f.signature_span.text(src), "def f(a: uint256) -> uint256:");
    assert_eq!(ast.stmt(f.body[0]).span.text(src), "return a + self.x");
    let index = vyper::LineIndex::new(src);
    let lc = index.line_col(src, ast.stmt(f.body[0]).span.lo);
    assert_eq!((lc.line, lc.col), (5, 5));
}

#[test]
fn child_iteration_reaches_every_expression_once() {
    let src = "def f(a: uint256):\n    x: uint256 = self.m[a].b + f(1, k=[2, (3, 4)])\n    assert not x in self.l, \"m\"\n    for i: uint256 in range(a if a > 1 else 2):\n        log E(i := 3, {k: v})\n    return extcall t.g(-a)\n";
    let parse = vyper::parse(src);
    assert!(parse.is_clean(), "{:?}", parse.diagnostics());
    let ast = parse.ast();
    let mut seen = vec![0u32; ast.exprs().count()];
    fn visit(ast: &vyper::ast::Ast, e: vyper::ast::ExprId, seen: &mut [u32]) {
        seen[e.index()] += 1;
        ast.for_each_child_expr(e, |c| visit(ast, c, seen));
    }
    fn block(ast: &vyper::ast::Ast, stmts: &[vyper::ast::StmtId], seen: &mut [u32]) {
        for &s in stmts {
            ast.for_each_stmt_expr(s, |e| visit(ast, e, seen));
            match &ast.stmt(s).kind {
                StmtKind::If { then, orelse, .. } => {
                    block(ast, then, seen);
                    block(ast, orelse, seen);
                }
                StmtKind::For { body, .. } => block(ast, body, seen),
                _ => {}
            }
        }
    }
    let f = ast.function("f").expect("f");
    visit(ast, f.params[0].ty, &mut seen);
    block(ast, &f.body, &mut seen);
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
}

#[test]
fn crlf_tabs_and_comments() {
    let src = "# @version 0.3.10\r\n@external\r\ndef f():\r\n\tx: uint256 = 1  # web3audit-disable-next-line\r\n\tif x > 0:\r\n\t\treturn\r\n";
    check(
        src,
        "@external def f()\n  let x: uint256 = 1\n  if (> x 0)\n    return",
    );
    let parse = vyper::parse(src);
    let bodies: Vec<_> = parse
        .comments()
        .iter()
        .map(|c| c.body(src).trim())
        .collect();
    assert_eq!(bodies, ["@version 0.3.10", "web3audit-disable-next-line"]);
    let index = vyper::LineIndex::new(src);
    assert_eq!(index.line_col(src, parse.comments()[1].span.lo).line, 4);
}

#[test]
fn canonical_form() {
    let src = "x: public(constant(uint256)) = 1\nevent E:\n    a: indexed(address)\n@external\n@nonreentrant(\"k\")\ndef f(a: uint256 = 2) -> bool:\n    log E(extcall t.g(a or b and c))\n    return -a ** 2 > 1\n";
    let parse = vyper::parse(src);
    assert_eq!(
        vyper::canonical::file(parse.ast()),
        [
            (
                "<module>".to_string(),
                "var x (call public (call constant uint256)) L ; class E ; field a address indexed ; def f a:uint256=L bool @external@(call nonreentrant L)".to_string()
            ),
            (
                "f".to_string(),
                "e (call E (call (. t g) (or a (and b c)))) ; return (> (- (** a L)) L)".to_string()
            ),
        ]
    );
}
