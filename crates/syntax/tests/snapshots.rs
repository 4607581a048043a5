//! Snapshot tests: the AST dump of every fixture in `tests/fixtures/`.

fn check(name: &str, source: &str) {
    let parse = syntax::parse(source);
    assert!(
        parse.diagnostics().is_empty(),
        "{name}: unexpected diagnostics {:?}",
        parse.diagnostics()
    );
    let mut out = syntax::dump::dump(parse.ast());
    out.push_str("comments:\n");
    for c in parse.comments() {
        out.push_str(&format!(
            "  {:?} {:?} @{}..{}\n",
            c.kind,
            c.span.text(source),
            c.span.lo,
            c.span.hi
        ));
    }
    insta::assert_snapshot!(name, out);
}

#[test]
fn legacy_04() {
    check("legacy_04", include_str!("fixtures/legacy_04.sol"));
}

#[test]
fn modern_08() {
    check("modern_08", include_str!("fixtures/modern_08.sol"));
}

#[test]
fn errors_recover() {
    let source = include_str!("fixtures/errors.sol");
    let parse = syntax::parse(source);
    let mut out = String::new();
    for d in parse.diagnostics() {
        out.push_str(&format!(
            "{:?} @{}..{}: {}\n",
            d.span.text(source),
            d.span.lo,
            d.span.hi,
            d.message
        ));
    }
    out.push_str(&syntax::dump::dump(parse.ast()));
    insta::assert_snapshot!("errors", out);
}
