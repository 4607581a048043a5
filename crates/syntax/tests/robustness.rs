//! Deep nesting, huge files and broken input: never a crash, never a stack overflow.

use syntax::visit::{self, VisitCx, Visitor};

/// Counts every node through the visitor (exercises the recursive walk).
#[derive(Default)]
struct Count(usize);

impl<'a> Visitor<'a> for Count {
    fn visit_stmt(&mut self, cx: VisitCx<'a>, id: syntax::ast::StmtId) {
        self.0 += 1;
        visit::walk_stmt(self, cx, id);
    }
    fn visit_expr(&mut self, cx: VisitCx<'a>, id: syntax::ast::ExprId) {
        self.0 += 1;
        visit::walk_expr(self, cx, id);
    }
    fn visit_type(&mut self, cx: VisitCx<'a>, id: syntax::ast::TypeId) {
        self.0 += 1;
        visit::walk_type(self, cx, id);
    }
    fn visit_yul_stmt(&mut self, cx: VisitCx<'a>, id: syntax::ast::YulStmtId) {
        self.0 += 1;
        visit::walk_yul_stmt(self, cx, id);
    }
    fn visit_yul_expr(&mut self, cx: VisitCx<'a>, id: syntax::ast::YulExprId) {
        self.0 += 1;
        visit::walk_yul_expr(self, cx, id);
    }
}

/// Parses, lowers, walks and dumps `source` on a thread with a 2 MiB stack
/// (the default for spawned threads), returning the diagnostics' messages.
fn parse_on_small_stack(source: String) -> Vec<String> {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let parse = syntax::parse(&source);
            let mut count = Count::default();
            count.visit_source_unit(parse.ast());
            let _ = syntax::dump::dump(parse.ast());
            parse
                .diagnostics()
                .iter()
                .map(|d| d.message.clone())
                .collect()
        })
        .expect("spawn")
        .join()
        .expect("no panic, no overflow")
}

fn in_function(body: &str) -> String {
    format!("contract C {{ function f() public {{ {body} }} }}")
}

const DEEP: usize = 10_000;

#[test]
fn deeply_parenthesized_expression_is_a_diagnostic() {
    let expr = format!("{}1{}", "(".repeat(DEEP), ")".repeat(DEEP));
    let diags = parse_on_small_stack(in_function(&format!("x = {expr};")));
    assert!(
        diags.iter().any(|m| m.contains("nesting too deep")),
        "{diags:?}"
    );
}

#[test]
fn deeply_nested_blocks_are_a_diagnostic() {
    let blocks = format!("{}{}", "{".repeat(DEEP), "}".repeat(DEEP));
    let diags = parse_on_small_stack(in_function(&blocks));
    assert!(
        diags.iter().any(|m| m.contains("nesting too deep")),
        "{diags:?}"
    );
}

#[test]
fn long_left_nested_binary_chain_is_a_diagnostic() {
    let chain = vec!["1"; DEEP].join("+");
    let diags = parse_on_small_stack(in_function(&format!("x = {chain};")));
    assert!(
        diags.iter().any(|m| m.contains("nesting too deep")),
        "{diags:?}"
    );
}

#[test]
fn other_deep_shapes_do_not_crash() {
    let n = DEEP;
    let shapes = [
        in_function(&format!("x = {}1;", "-".repeat(n))),
        in_function(&format!("x = {}1;", "!".repeat(n))),
        in_function(&format!("x = a{};", ".b".repeat(n))),
        in_function(&format!("x = a{};", "[0]".repeat(n))),
        in_function(&format!("x = f{};", "()".repeat(n))),
        in_function(&format!("x = {};", vec!["2"; n].join("**"))),
        in_function(&format!("x = {}1{};", "c ? ".repeat(n), " : 0".repeat(n))),
        in_function(&format!("x = {}1;", "y = ".repeat(n))),
        in_function(&format!("{}x = 1;", "if (a) ".repeat(n))),
        in_function(&format!("{}x = 1;", "while (a) ".repeat(n))),
        in_function(&format!(
            "assembly {{ {}{} }}",
            "{".repeat(n),
            "}".repeat(n)
        )),
        in_function(&format!(
            "assembly {{ pop({}1{}) }}",
            "add(".repeat(n),
            ", 1)".repeat(n)
        )),
        format!(
            "contract C {{ {}uint{} x; }}",
            "mapping(uint => ".repeat(n),
            ")".repeat(n)
        ),
        format!("contract C {{ uint{} x; }}", "[]".repeat(n)),
        format!("contract C {{ {} }}", "contract D {".repeat(n)),
        "{".repeat(n),
        "(".repeat(n),
    ];
    for source in shapes {
        let _ = parse_on_small_stack(source);
    }
}

#[test]
fn nesting_just_below_the_limit_lowers_cleanly() {
    // Lowering must not report anything for nesting real code uses.
    let depth = 100;
    let expr = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    let diags = parse_on_small_stack(in_function(&format!("x = {expr};")));
    assert!(diags.is_empty(), "{diags:?}");
    let chain = vec!["1"; depth].join(" + ");
    let diags = parse_on_small_stack(in_function(&format!("x = {chain};")));
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn five_megabyte_file_parses_without_diagnostics() {
    let unit = include_str!("fixtures/modern_08.sol");
    let body_start = unit.find("interface IVault").expect("fixture layout");
    let mut source = String::from(&unit[..body_start]);
    let mut i = 0;
    while source.len() < 5 * 1024 * 1024 {
        // Rename the declarations so that the file stays meaningful.
        source.push_str(
            &unit[body_start..]
                .replace("Vault", &format!("Vault{i}"))
                .replace("Lib", &format!("Lib{i}"))
                .replace("contract Base", &format!("contract Base{i}")),
        );
        i += 1;
    }
    let parse = syntax::parse(&source);
    assert!(
        parse.diagnostics().is_empty(),
        "{:?}",
        &parse.diagnostics()[..parse.diagnostics().len().min(5)]
    );
    assert!(parse.ast().contracts().count() >= 4 * i);
    let mut count = Count::default();
    count.visit_source_unit(parse.ast());
    assert!(count.0 > 100_000);
}

#[test]
fn arbitrary_garbage_never_panics() {
    let samples = [
        "",
        "\0",
        "contract",
        "contract {",
        "function",
        "pragma solidity",
        "pragma solidity ;",
        "import",
        "import \"",
        "contract C { function f() { assembly { let } } }",
        "contract C { function f() { x = ; } }",
        "}}}}",
        "/*",
        "\"unterminated",
        "hex\"zz\"",
        "contract C is { }",
        "using for;",
        "type T is;",
        "error E(;",
        "event E(uint indexed indexed);",
        "contract C { modifier m { _ } }",
        "contract C { function f() { try } }",
        "contract C { function f() { revert; emit; } }",
        "contract C { uint[ x; }",
        "contract C { mapping(=> ) m; }",
        "\u{feff}contract C {}",
        "contract Ü { function é() {} }",
    ];
    for s in samples {
        let _ = parse_on_small_stack(s.to_string());
    }
}

/// Found by fuzzing: tree-sitter's error recovery on this 2.7 KB input ran for minutes
/// and grew to gigabytes. The parse is now abandoned when it exceeds its operation
/// budget, which gives a diagnostic instead.
#[test]
fn pathological_error_recovery_is_abandoned_with_a_diagnostic() {
    let bytes = include_bytes!("fixtures/pathological_error_recovery.bin");
    let source = String::from_utf8_lossy(bytes).into_owned();
    let messages = parse_on_small_stack(source);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("too malformed to parse")),
        "{messages:?}"
    );
}
