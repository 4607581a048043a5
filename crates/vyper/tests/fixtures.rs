//! The committed fixtures (one per Vyper series) parse with no error, and
//! their AST dumps match the committed `.ast` files. Set `VYPER_BLESS=1` to
//! rewrite the `.ast` files after an intended change, then review the diff.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use vyper::ast::{ExprKind, ItemKind, Mutability, StmtKind, VarLocation, Visibility};

fn fixture(name: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    (path, text)
}

/// Compares the dump of a fixture (and its diagnostics, for `broken_*`
/// fixtures; the others must have no error) with the committed `.ast` file.
fn golden(name: &str) {
    let (path, text) = fixture(name);
    let parse = vyper::parse(&text);
    let mut dump = vyper::dump::dump(parse.ast(), &text);
    if name.starts_with("broken_") {
        let index = vyper::LineIndex::new(&text);
        dump.push_str("diagnostics:\n");
        for d in parse.diagnostics() {
            let lc = index.line_col(&text, d.span.lo);
            dump.push_str(&format!(
                "  {}:{} {:?}: {}\n",
                lc.line, lc.col, d.severity, d.message
            ));
        }
    } else {
        let errors: Vec<_> = parse.errors().map(|d| d.message.clone()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    let expected_path = path.with_extension(format!(
        "{}.ast",
        path.extension().and_then(|e| e.to_str()).unwrap_or("vy")
    ));
    if std::env::var_os("VYPER_BLESS").is_some() {
        std::fs::write(&expected_path, &dump).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    assert_eq!(
        dump,
        expected,
        "{name}: the dump differs from {}",
        expected_path.display()
    );
}

#[test]
fn broken_recovery_matches_golden() {
    golden("broken_recovery.vy");
}

#[test]
fn v01_legacy_matches_golden() {
    golden("v01_legacy.vy");
}

#[test]
fn v02_token_matches_golden() {
    golden("v02_token.vy");
}

#[test]
fn v03_vault_matches_golden() {
    golden("v03_vault.vy");
}

#[test]
fn v04_module_matches_golden() {
    golden("v04_module.vy");
}

#[test]
fn v04_interface_matches_golden() {
    golden("v04_interface.vyi");
}

#[test]
fn v02_facts() {
    let (_, text) = fixture("v02_token.vy");
    let parse = vyper::parse(&text);
    let ast = parse.ast();
    assert!(ast.docstring.is_some());
    let transfer = ast.function("transfer").expect("transfer");
    assert_eq!(transfer.nonreentrant_key(ast, &text), Some(Some("lock")));
    assert!(transfer.docstring.is_some());
    assert!(ast.function("__default__").expect("fallback").is_fallback());
    assert_eq!(
        ast.function("__default__").expect("fallback").mutability(),
        Mutability::Payable
    );
    let rate = ast.function("_rate").expect("_rate");
    assert_eq!(rate.visibility(), Some(Visibility::Internal));
    assert!(rate.params[1].default.is_some());
    let constants: Vec<_> = ast
        .variables()
        .filter(|v| v.location == VarLocation::Constant)
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(constants, ["DECIMALS", "MAX_SUPPLY"]);
    let events = ast
        .items
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Event(_)))
        .count();
    assert_eq!(events, 2);
}

#[test]
fn v03_facts() {
    let (_, text) = fixture("v03_vault.vy");
    let parse = vyper::parse(&text);
    let ast = parse.ast();
    assert!(
        ast.items
            .iter()
            .any(|i| matches!(&i.kind, ItemKind::Flag(f) if f.legacy_enum && f.members.len() == 3))
    );
    let immutables: Vec<_> = ast
        .variables()
        .filter(|v| v.location == VarLocation::Immutable && v.public)
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(immutables, ["ASSET"]);
    let unsafe_calls = ast
        .exprs()
        .filter(|(id, _)| {
            ast.builtin_call(*id)
                .is_some_and(vyper::Builtin::is_unchecked_arithmetic)
        })
        .count();
    assert_eq!(unsafe_calls, 4);
}

#[test]
fn v04_facts() {
    let (_, text) = fixture("v04_module.vy");
    let parse = vyper::parse(&text);
    let ast = parse.ast();
    assert_eq!(parse.nonreentrancy_pragma(), Some(false));
    let extcalls = ast
        .exprs()
        .filter(|(_, e)| matches!(e.kind, ExprKind::ExtCall(_)))
        .count();
    let staticcalls = ast
        .exprs()
        .filter(|(_, e)| matches!(e.kind, ExprKind::StaticCall(_)))
        .count();
    assert_eq!((extcalls, staticcalls), (2, 2));
    let harvest = ast.function("harvest").expect("harvest");
    assert_eq!(harvest.nonreentrant_key(ast, &text), Some(None));
    assert!(ast.function("__init__").expect("init").is_constructor());
    assert_eq!(ast.function("_helper").expect("helper").visibility(), None);
    assert!(
        ast.function("__default__")
            .expect("fallback")
            .decorator("raw_return")
            .is_some()
    );
    let transient: Vec<_> = ast
        .variables()
        .filter(|v| v.location == VarLocation::Transient)
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(transient, ["locked"]);
    let exports = ast
        .items
        .iter()
        .find_map(|i| match &i.kind {
            ItemKind::Exports(e) => Some(e.len()),
            _ => None,
        })
        .expect("exports");
    assert_eq!(exports, 2);
    let logs = ast
        .stmts()
        .filter(|(_, s)| matches!(s.kind, StmtKind::Log(_)))
        .count();
    assert_eq!(logs, 1);
}

#[test]
fn v04_interface_file_bodies_are_ellipses() {
    let (_, text) = fixture("v04_interface.vyi");
    let parse = vyper::parse(&text);
    let ast = parse.ast();
    let f = ast.function("balanceOf").expect("balanceOf");
    assert_eq!(f.mutability(), Mutability::View);
    assert!(
        matches!(ast.stmt(f.body[0]).kind, StmtKind::Expr(e) if ast.expr(e).kind == ExprKind::Ellipsis)
    );
}
