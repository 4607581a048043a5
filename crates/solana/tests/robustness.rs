//! Never panics: every fixture cut at many points, with bytes deleted and
//! brackets unbalanced, still analyses; hostile nesting is refused.

// The harness reads its fixture files.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

fn fixtures() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root).unwrap().flatten() {
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let text = std::fs::read_to_string(file.path()).unwrap();
            out.push((file.path().display().to_string(), text));
        }
    }
    out.sort();
    out
}

fn char_boundaries(text: &str, step: usize) -> impl Iterator<Item = usize> + '_ {
    (0..text.len())
        .step_by(step)
        .filter(|i| text.is_char_boundary(*i))
}

#[test]
fn truncated_and_damaged_sources_do_not_panic() {
    for (name, text) in fixtures() {
        for cut in char_boundaries(&text, 37) {
            let truncated = &text[..cut];
            let a = solana::analyze_package(&[(name.clone(), truncated.to_owned())]);
            // Diagnostics carry real positions.
            for d in &a.diagnostics {
                assert!(d.location.line >= 1, "{name}: {d:?}");
            }
            // Deleting a window of bytes mid-file.
            let end = (cut + 23).min(text.len());
            if text.is_char_boundary(end) {
                let damaged = format!("{}{}", &text[..cut], &text[end..]);
                let _ = solana::analyze_package(&[(name.clone(), damaged)]);
            }
        }
        let unbalanced = text.replace('}', "");
        let _ = solana::analyze_package(&[(name.clone(), unbalanced)]);
        let extra = text.replace('{', "{{");
        let _ = solana::analyze_package(&[(name.clone(), extra)]);
    }
}

#[test]
fn hostile_nesting_is_a_diagnostic() {
    let deep = format!(
        "fn f() {{ let x = {}1{}; }}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let a = solana::analyze_package(&[("deep.rs".to_owned(), deep)]);
    assert!(a.diagnostics.iter().any(|d| d.message.contains("nesting")));
    let unary = format!("fn f() {{ let x = {}y; }}", "!".repeat(100_000));
    let a = solana::analyze_package(&[("unary.rs".to_owned(), unary)]);
    assert!(!a.diagnostics.is_empty());
    let binary = format!(
        "fn f(amount: u64) {{ let x = amount{}; }}",
        " + amount".repeat(100_000)
    );
    let a = solana::analyze_package(&[("binary.rs".to_owned(), binary)]);
    assert!(!a.diagnostics.is_empty());
}

#[test]
fn constraints_written_as_strings_are_bounded() {
    for inner in [
        format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}x", "!".repeat(50_000)),
        format!("x{}", " + x".repeat(20_000)),
        "x.key == &y.k".to_owned(),
    ] {
        let text = format!(
            "#[program]\nmod m {{\n    pub fn f(ctx: Context<F>) -> Result<()> {{ Ok(()) }}\n}}\n\
             #[derive(Accounts)]\npub struct F<'info> {{\n    #[account(\"{inner}\")]\n    x: AccountInfo<'info>,\n}}\n"
        );
        let a = solana::analyze_package(&[("s.rs".to_owned(), text)]);
        assert_eq!(a.programs.len(), 1);
    }
}

#[test]
fn nesting_just_below_the_limit_fits_a_test_thread_stack() {
    let n = solana::MAX_NESTING - 4;
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}")] {
        let text = format!(
            "fn f(amount: u64) {{ let x = {}amount + 1{}; }}",
            open.repeat(n),
            close.repeat(n)
        );
        let a = solana::analyze_package(&[("near.rs".to_owned(), text)]);
        assert!(a.diagnostics.iter().all(|d| !d.message.contains("nesting")));
    }
    let blocks = format!("fn f() {}{}", "{ if x ".repeat(60), "{}}".repeat(60));
    let _ = solana::analyze_package(&[("blocks.rs".to_owned(), blocks)]);
}

#[test]
fn empty_and_non_rust_input() {
    for text in [
        "",
        "\u{feff}",
        "#!/bin/sh\necho hi\n",
        "fn",
        "}}}}",
        "\"unterminated",
        "/* open comment",
    ] {
        let a = solana::analyze_package(&[("x.rs".to_owned(), text.to_owned())]);
        assert!(a.findings.is_empty());
    }
}
