//! Deep nesting, random bytes, truncated and mutated files: never a panic,
//! never a stack overflow, and every span stays inside the text (parsing,
//! dumping and summarizing).
#![allow(clippy::disallowed_methods)]

mod common;

use std::path::{Path, PathBuf};

/// Spans of every node and diagnostic fall inside the text, on char boundaries.
fn check_invariants(parse: &vyper::Parse, text: &str) {
    let ok = |span: vyper::Span| {
        span.lo <= span.hi
            && (span.hi as usize) <= text.len()
            && text.is_char_boundary(span.lo as usize)
            && text.is_char_boundary(span.hi as usize)
    };
    let ast = parse.ast();
    for item in &ast.items {
        assert!(ok(item.span), "item span {:?} in {text:?}", item.span);
    }
    for (_, s) in ast.stmts() {
        assert!(ok(s.span), "stmt span {:?} in {text:?}", s.span);
    }
    for (_, e) in ast.exprs() {
        assert!(ok(e.span), "expr span {:?} in {text:?}", e.span);
    }
    for d in parse.diagnostics() {
        assert!(
            ok(d.span),
            "diagnostic span {:?} ({}) in {text:?}",
            d.span,
            d.message
        );
    }
}

/// Parses and dumps `source` on a thread with a 2 MiB stack (the default for
/// spawned threads), returning the error messages.
fn parse_on_small_stack(source: String) -> Vec<String> {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let parse = vyper::parse(&source);
            check_invariants(&parse, &source);
            let _ = vyper::dump::dump(parse.ast(), &source);
            let _ = vyper::summary::summarize(&parse, &source);
            parse.errors().map(|d| d.message.clone()).collect()
        })
        .expect("spawn")
        .join()
        .expect("no panic, no overflow")
}

fn in_function(expr: &str) -> String {
    format!("@external\ndef f():\n    x = {expr}\n\n@external\ndef g():\n    pass\n")
}

const DEEP: usize = 10_000;

fn assert_too_deep(src: String) {
    let errors = parse_on_small_stack(src);
    assert!(
        errors.iter().any(|e| e.contains("nesting too deep")),
        "no nesting diagnostic in {errors:?}"
    );
}

#[test]
fn deep_parentheses_brackets_and_braces() {
    assert_too_deep(in_function(&format!(
        "{}1{}",
        "(".repeat(DEEP),
        ")".repeat(DEEP)
    )));
    assert_too_deep(in_function(&format!(
        "{}1{}",
        "[".repeat(DEEP),
        "]".repeat(DEEP)
    )));
    assert_too_deep(in_function(&format!(
        "{}1{}",
        "{1: ".repeat(DEEP),
        "}".repeat(DEEP)
    )));
    assert_too_deep(in_function(&format!(
        "{}1{}",
        "f(".repeat(DEEP),
        ")".repeat(DEEP)
    )));
}

#[test]
fn deep_prefix_and_right_associative_operators() {
    assert_too_deep(in_function(&format!("{}1", "-".repeat(DEEP))));
    assert_too_deep(in_function(&format!("{}x", "not ".repeat(DEEP))));
    assert_too_deep(in_function(&format!("{}x", "extcall ".repeat(DEEP))));
    assert_too_deep(in_function(&vec!["2"; DEEP].join(" ** ")));
    assert_too_deep(in_function(&vec!["a := 1"; DEEP].join(" := ")));
    assert_too_deep(in_function(&format!("{}0", "1 if c else ".repeat(DEEP))));
}

#[test]
fn long_left_associative_chains_are_bounded() {
    assert_too_deep(in_function(&vec!["a"; 100_000].join(" + ")));
    assert_too_deep(in_function(&vec!["a"; 100_000].join(" and ")));
    assert_too_deep(in_function(&format!("a{}", ".b".repeat(DEEP))));
    assert_too_deep(in_function(&format!("a{}", "[0]".repeat(DEEP))));
    assert_too_deep(in_function(&format!("f{}", "()".repeat(DEEP))));
}

#[test]
fn deep_blocks_and_long_elif_chains() {
    let mut src = String::from("def f():\n");
    for depth in 1..2_000 {
        src.push_str(&" ".repeat(depth));
        src.push_str("if x:\n");
    }
    src.push_str(&" ".repeat(2_000));
    src.push_str("pass\n");
    src.push_str("def g():\n    pass\n");
    let errors = parse_on_small_stack(src.clone());
    assert!(
        errors.iter().any(|e| e.contains("nesting too deep")),
        "{errors:?}"
    );
    let parse = vyper::parse(&src);
    assert!(
        parse.ast().function("g").is_some(),
        "the function after the deep one is parsed"
    );

    let mut chain = String::from("def f():\n    if x == 0:\n        pass\n");
    for i in 1..DEEP {
        chain.push_str(&format!("    elif x == {i}:\n        pass\n"));
    }
    chain.push_str("    else:\n        pass\n");
    assert_too_deep(chain);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    const ALPHABET: &[&str] = &[
        "def ",
        "@external\n",
        "if ",
        "elif ",
        "else:",
        "for ",
        " in ",
        "range(",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ":",
        ",",
        ".",
        "=",
        "+=",
        "**",
        "-",
        "not ",
        "and ",
        "x",
        "self.",
        "msg.sender",
        "\n",
        "\n    ",
        "\n        ",
        "\t",
        "\\\n",
        "#",
        "\"",
        "'''",
        "b\"",
        "x\"",
        "0x",
        "1",
        "1.5e",
        "log ",
        "extcall ",
        "event E:",
        "struct S:",
        "interface I:",
        "return",
        "pass",
        "@",
        "->",
        "é",
        "\r\n",
        " ",
        ";",
        "...",
        ":=",
    ];
    for _ in 0..3_000 {
        let mut src = String::new();
        for _ in 0..rng.usize(0..80) {
            src.push_str(ALPHABET[rng.usize(0..ALPHABET.len())]);
        }
        let _ = parse_on_small_stack_fast(&src);
    }
    for _ in 0..2_000 {
        let bytes: Vec<u8> = (0..rng.usize(0..200)).map(|_| rng.u8(..)).collect();
        let _ = parse_on_small_stack_fast(&String::from_utf8_lossy(&bytes));
    }
}

/// Like `parse_on_small_stack` without a thread per input (inputs here are small).
fn parse_on_small_stack_fast(src: &str) -> usize {
    let parse = vyper::parse(src);
    check_invariants(&parse, src);
    let _ = vyper::dump::dump(parse.ast(), src);
    let _ = vyper::summary::summarize(&parse, src);
    parse.errors().count()
}

fn fixture_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "vy" || e == "vyi"))
        .collect();
    paths.sort();
    paths
}

/// Every prefix, and random line deletions and duplications, of a text.
fn mutate_and_parse(text: &str, rng: &mut fastrand::Rng, step: usize) {
    let mut cut = 0;
    while cut <= text.len() {
        if text.is_char_boundary(cut) {
            parse_on_small_stack_fast(&text[..cut]);
        }
        cut += step;
    }
    let lines: Vec<&str> = text.lines().collect();
    for _ in 0..20 {
        if lines.is_empty() {
            break;
        }
        let mut mutated = lines.clone();
        let i = rng.usize(0..mutated.len());
        match rng.u8(0..3) {
            0 => {
                mutated.remove(i);
            }
            1 => {
                let j = rng.usize(0..mutated.len());
                mutated.insert(j, lines[i]);
            }
            _ => {
                let line = mutated[i];
                let mut at = rng.usize(0..=line.len());
                while !line.is_char_boundary(at) {
                    at -= 1;
                }
                mutated[i] = &line[..at];
            }
        }
        parse_on_small_stack_fast(&mutated.join("\n"));
    }
}

#[test]
fn truncated_and_mutated_fixtures_never_panic() {
    let mut rng = fastrand::Rng::with_seed(21);
    for path in fixture_paths() {
        let text = std::fs::read_to_string(&path).expect("fixture");
        mutate_and_parse(&text, &mut rng, 3);
    }
}

#[test]
fn truncated_and_mutated_corpus_files_never_panic() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let paths = common::vyper_files(&dir);
    let mut rng = fastrand::Rng::with_seed(342);
    // A sample keeps the debug-build test short; every file is parsed whole by the corpus test.
    for path in paths.iter().step_by(7) {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        mutate_and_parse(&text, &mut rng, text.len() / 40 + 1);
    }
}
