//! Fixture tests: `tests/fixtures/<rule>/*.rs`, each file one package. A line
//! ending in `//~ solana-<rule>` expects a finding of that rule on that line;
//! the harness compares the exact set of lines of the directory's rule.

// The harness reads its fixture files.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::path::Path;

fn expected(text: &str, rule: &str) -> BTreeSet<u32> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            l.split("//~")
                .nth(1)
                .is_some_and(|m| m.split_whitespace().any(|r| r == rule))
        })
        .map(|(i, _)| u32::try_from(i + 1).unwrap())
        .collect()
}

fn check_rule(dir: &str) {
    let rule = format!("solana-{dir}");
    assert!(solana::rule(&rule).is_some(), "no rule `{rule}`");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut entries: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut saw_vulnerable = false;
    let mut saw_safe = false;
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let want = expected(&text, &rule);
        if name.starts_with("vulnerable") {
            assert!(
                !want.is_empty(),
                "{dir}/{name}: a vulnerable fixture needs a `//~ {rule}` marker"
            );
            saw_vulnerable = true;
        } else {
            assert!(
                want.is_empty(),
                "{dir}/{name}: a safe fixture has no markers"
            );
            saw_safe = true;
        }
        let analysis = solana::analyze_package(&[(name.clone(), text)]);
        assert!(
            analysis
                .diagnostics
                .iter()
                .all(|d| d.level != solana::DiagnosticLevel::Error),
            "{dir}/{name}: {:?}",
            analysis.diagnostics
        );
        let got: BTreeSet<u32> = analysis
            .findings
            .iter()
            .filter(|f| f.rule_id == rule)
            .map(|f| f.line)
            .collect();
        assert_eq!(
            got, want,
            "{dir}/{name}: lines with `{rule}` findings (got vs want): {:#?}",
            analysis.findings
        );
    }
    assert!(
        saw_vulnerable && saw_safe,
        "{dir}: needs vulnerable and safe fixtures"
    );
}

macro_rules! fixture_tests {
    ($($test:ident => $dir:literal,)*) => {
        $(#[test] fn $test() { check_rule($dir); })*

        #[test]
        fn every_rule_has_fixtures() {
            let dirs: BTreeSet<String> = [$($dir),*].iter().map(|d| format!("solana-{d}")).collect();
            let rules: BTreeSet<String> = solana::RULES.iter().map(|r| r.id.to_owned()).collect();
            assert_eq!(dirs, rules);
        }
    };
}

fixture_tests! {
    account_data_matching => "account-data-matching",
    account_revival => "account-revival",
    arbitrary_cpi => "arbitrary-cpi",
    bump_seed_canonicalization => "bump-seed-canonicalization",
    duplicate_mutable_accounts => "duplicate-mutable-accounts",
    missing_owner_check => "missing-owner-check",
    missing_signer => "missing-signer",
    pda_sharing => "pda-sharing",
    reinitialization => "reinitialization",
    type_cosplay => "type-cosplay",
    unchecked_account_without_check => "unchecked-account-without-check",
    unchecked_arithmetic => "unchecked-arithmetic",
    unchecked_sysvar => "unchecked-sysvar",
}
