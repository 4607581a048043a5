//! `web3audit scan` on Solana programs: Anchor workspaces, native packages, folders that
//! mix Solidity and programs; the Solana rules selected, gated, suppressed and rendered
//! like the others.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn web3audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_web3audit"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/solana")
}

/// Copies the fixture folder `name` to `to`.
fn copy_fixture(name: &str, to: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    copy(&fixtures().join(name), to);
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A temporary folder holding a copy of the fixture `name`.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(name, dir.path());
    dir
}

fn json_scan(path: &Path, extra: &[&str]) -> (Value, Option<i32>) {
    let mut args = vec!["scan", path.to_str().unwrap(), "-f", "json", "--no-config"];
    args.extend_from_slice(extra);
    let out = web3audit(&args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code())
}

/// `(rule, file, line)` of every finding.
fn findings(report: &Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
                f["start_line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The 1-based line of `lib.rs` of the vault that holds `needle`.
fn vault_line(needle: &str) -> u64 {
    let text =
        std::fs::read_to_string(fixtures().join("anchor/programs/vault/src/lib.rs")).unwrap();
    let index = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the vault"));
    index as u64 + 1
}

const VAULT: &str = "programs/vault/src/lib.rs";

#[test]
fn an_anchor_workspace_reports_the_vulnerable_instructions_not_their_fixed_twins() {
    let dir = project("anchor");
    let (report, code) = json_scan(dir.path(), &[]);
    assert_eq!(code, Some(0));
    let found = findings(&report);
    let expected = [
        (
            "solana-unchecked-arithmetic",
            vault_line("vault.balance -= amount;"),
        ),
        (
            "solana-unchecked-arithmetic",
            vault_line("vault.withdrawn = vault.withdrawn + amount;"),
        ),
        (
            "solana-missing-owner-check",
            vault_line("bincode::deserialize(&raw)"),
        ),
        (
            "solana-missing-signer",
            vault_line("pub authority: AccountInfo<'info>,"),
        ),
        (
            "solana-unchecked-sysvar",
            vault_line("pub clock: UncheckedAccount<'info>,"),
        ),
    ];
    for (rule, line) in expected {
        assert!(
            found.contains(&(rule.to_owned(), VAULT.to_owned(), line)),
            "{rule} at {line} missing in {found:?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:?}");
    // The fixed twins start at `withdraw_checked`: nothing reported from there on.
    let twins = vault_line("pub fn withdraw_checked");
    let twin_structs = vault_line("pub struct WithdrawChecked");
    for (rule, _, line) in &found {
        assert!(
            *line < twins
                || (*line > vault_line("pub fn stamp_checked") + 3 && *line < twin_structs),
            "{rule} at {line} is in a fixed twin"
        );
    }
    let first = &report["findings"][0];
    assert_eq!(first["category"], "arithmetic");
    assert_eq!(first["contract"], "vault");
    let signer = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "solana-missing-signer")
        .unwrap();
    assert_eq!(signer["category"], "access_control");
    assert_eq!(signer["function"], "withdraw");
    assert_eq!(signer["snippet"], "authority");
    assert_eq!(signer["fingerprint"].as_str().unwrap().len(), 34);
    // The package's tests are not deployed code: not loaded.
    assert_eq!(report["stats"]["files_loaded"], 2);
    assert_eq!(report["stats"]["files_reported"], 2);
    assert_eq!(report["diagnostics"], Value::Array(Vec::new()));
}

#[test]
fn a_native_program_package_is_scanned() {
    let dir = project("native");
    let (report, code) = json_scan(dir.path(), &[]);
    assert_eq!(code, Some(0));
    let rules: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(rules, ["solana-missing-signer", "solana-type-cosplay"]);
    assert_eq!(report["findings"][0]["file"], "src/lib.rs");
    assert_eq!(report["findings"][0]["function"], "process_instruction");
}

#[test]
fn a_folder_mixes_solidity_and_programs_and_skips_other_rust_crates() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("anchor", &dir.path().join("anchor"));
    copy_fixture("native", &dir.path().join("native"));
    copy_fixture("plain", &dir.path().join("plain"));
    write(
        &dir.path().join("contracts/Wallet.sol"),
        "pragma solidity 0.8.24;\ncontract Wallet {\n    address owner;\n    function take() external view {\n        require(tx.origin == owner);\n    }\n}\n",
    );
    let (report, _) = json_scan(dir.path(), &[]);
    let files: Vec<String> = findings(&report).into_iter().map(|f| f.1).collect();
    assert!(
        files.contains(&"contracts/Wallet.sol".to_owned()),
        "{files:?}"
    );
    assert!(files.contains(&format!("anchor/{VAULT}")), "{files:?}");
    assert!(files.contains(&"native/src/lib.rs".to_owned()), "{files:?}");
    assert!(!files.iter().any(|f| f.starts_with("plain/")), "{files:?}");
    // Wallet.sol, the vault's two files and the counter; nothing of `plain`.
    assert_eq!(report["stats"]["files_loaded"], 4);
    // A crate that is not a program is no input at all.
    let out = web3audit(&["scan", fixtures().join("plain").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no .sol or .vy files nor Rust sources of Solana programs found"),
        "{stderr}"
    );
}

#[test]
fn rules_are_selected_gated_and_configured_like_the_others() {
    let dir = project("anchor");
    let (report, code) = json_scan(
        dir.path(),
        &["--detectors", "solana-missing-signer", "--fail-on", "high"],
    );
    assert_eq!(code, Some(1));
    let rules: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(rules, ["solana-missing-signer"]);
    let ids: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["solana-missing-signer"]);

    let (report, code) = json_scan(
        dir.path(),
        &[
            "--exclude-detectors",
            "solana-missing-signer,solana-unchecked-sysvar,solana-missing-owner-check",
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(code, Some(0));
    assert!(
        findings(&report)
            .iter()
            .all(|f| f.0 == "solana-unchecked-arithmetic")
    );
    let (report, _) = json_scan(dir.path(), &["--min-severity", "high"]);
    assert_eq!(findings(&report).len(), 3);

    // The configuration file: disable, severity overrides, fail-on.
    write(
        &dir.path().join("web3audit.toml"),
        "fail-on = \"critical\"\n\n[detectors]\ndisable = [\"solana-unchecked-arithmetic\"]\n\n\
         [severity]\nsolana-missing-signer = \"critical\"\n",
    );
    let out = web3audit(&["scan", dir.path().to_str().unwrap(), "-f", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = findings(&report);
    assert!(!found.iter().any(|f| f.0 == "solana-unchecked-arithmetic"));
    let signer = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "solana-missing-signer")
        .unwrap();
    assert_eq!(signer["severity"], "critical");

    let out = web3audit(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--detectors",
        "solana-nope",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_workspace_with_overflow_checks_has_no_arithmetic_findings() {
    let dir = project("anchor");
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    write(
        &manifest,
        &format!("{text}\n[profile.release]\noverflow-checks = true\n"),
    );
    let (report, _) = json_scan(dir.path(), &[]);
    let found = findings(&report);
    assert!(!found.is_empty());
    assert!(
        !found.iter().any(|f| f.0 == "solana-unchecked-arithmetic"),
        "{found:?}"
    );
}

#[test]
fn sarif_names_the_rules_and_the_rust_locations() {
    let dir = project("anchor");
    let out = web3audit(&[
        "scan",
        dir.path().to_str().unwrap(),
        "-f",
        "sarif",
        "--no-config",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &log["runs"][0];
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "solana-missing-signer")
        .expect("the rule is described");
    assert!(
        rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Why it matters")
    );
    assert!(
        rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("access_control"))
    );
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "solana-missing-signer")
        .unwrap();
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], VAULT);
    assert_eq!(
        location["region"]["startLine"],
        vault_line("pub authority: AccountInfo<'info>,")
    );
}

#[test]
fn text_markdown_and_html_show_the_rust_code() {
    let dir = project("anchor");
    let path = dir.path().to_str().unwrap();
    let text = web3audit(&["scan", path, "--no-config", "--color", "never"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&format!("--> {VAULT}:")), "{text}");
    assert!(
        text.contains("pub authority: AccountInfo<'info>,"),
        "{text}"
    );
    assert!(text.contains("high[solana-missing-signer]"), "{text}");
    let markdown = web3audit(&["scan", path, "--no-config", "-f", "markdown"]);
    let markdown = String::from_utf8_lossy(&markdown.stdout);
    assert!(markdown.contains("```rust\n"), "{markdown}");
    assert!(markdown.contains("solana-unchecked-sysvar"), "{markdown}");
    let html = web3audit(&["scan", path, "--no-config", "-f", "html"]);
    assert_eq!(html.status.code(), Some(0));
    let html = String::from_utf8_lossy(&html.stdout);
    // HTML escapes the slashes of paths.
    assert!(html.contains("solana-missing-signer"));
    assert!(html.contains(&VAULT.replace('/', "&#x2f;")));
    assert!(html.contains("AccountInfo"));
}

#[test]
fn a_syntax_error_is_a_diagnostic_and_the_rest_is_analysed() {
    let dir = project("anchor");
    write(
        &dir.path().join("programs/vault/src/broken.rs"),
        "pub fn half(x: u64 -> u64 {\n    x / 2\n}\n",
    );
    let (report, code) = json_scan(dir.path(), &[]);
    assert_eq!(code, Some(0));
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics.iter().any(|d| d["kind"] == "syntax"
            && d["file"] == "programs/vault/src/broken.rs"
            && d["line"].as_u64().is_some()),
        "{diagnostics:?}"
    );
    assert!(
        findings(&report)
            .iter()
            .any(|f| f.0 == "solana-missing-signer" && f.1 == VAULT)
    );
}

#[test]
fn suppression_comments_work_in_rust_files() {
    let dir = project("anchor");
    let lib = dir.path().join(VAULT);
    let text = std::fs::read_to_string(&lib).unwrap();
    let text = text.replace(
        "    pub authority: AccountInfo<'info>,\n}\n\n#[derive(Accounts)]\npub struct Stamp",
        "    // web3audit-disable-next-line solana-missing-signer -- only a key to compare\n    \
         pub authority: AccountInfo<'info>,\n}\n\n#[derive(Accounts)]\npub struct Stamp",
    );
    assert!(text.contains("web3audit-disable-next-line"));
    let text = text.replace(
        "pub fn stamp_checked",
        "// web3audit-disable-next-line solana-type-cosplay\n    pub fn stamp_checked",
    );
    write(&lib, &text);
    let (report, _) = json_scan(dir.path(), &[]);
    let found = findings(&report);
    assert!(
        !found.iter().any(|f| f.0 == "solana-missing-signer"),
        "{found:?}"
    );
    // The suppression that hid nothing is reported, like in Solidity.
    assert!(
        found
            .iter()
            .any(|f| f.0 == "unused-suppression" && f.1 == VAULT),
        "{found:?}"
    );
}

#[test]
fn the_catalog_lists_the_solana_rules() {
    let out = web3audit(&["detectors", "--json"]);
    let catalog: Value = serde_json::from_slice(&out.stdout).unwrap();
    let signer = catalog
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "solana-missing-signer")
        .expect("listed");
    assert_eq!(signer["languages"], serde_json::json!(["Rust (Solana)"]));
    assert_eq!(signer["category"], "access_control");
    let count = catalog
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["id"].as_str().unwrap().starts_with("solana-"))
        .count();
    assert_eq!(count, 13);
    let explain = web3audit(&["explain", "solana-unchecked-sysvar"]);
    assert_eq!(explain.status.code(), Some(0));
    let text = String::from_utf8_lossy(&explain.stdout);
    assert!(text.contains("## What it detects") && text.contains("`sysvar-address-checking`"));
}

#[test]
fn one_rust_file_given_alone_is_analysed_with_its_package() {
    let dir = project("anchor");
    let (report, _) = json_scan(&dir.path().join(VAULT), &[]);
    let found = findings(&report);
    assert!(
        found
            .iter()
            .any(|f| f.0 == "solana-missing-signer" && f.1 == "lib.rs"),
        "{found:?}"
    );
    // `state.rs` is analysed (the vault's type) but not reported.
    assert_eq!(report["stats"]["files_loaded"], 2);
    assert_eq!(report["stats"]["files_reported"], 1);
}

const TREASURY: &str = r#"use anchor_lang::prelude::*;

declare_id!("Treasury11111111111111111111111111111111111");

#[program]
pub mod treasury {
    use super::*;
    pub fn pay_out(ctx: Context<PayOut>, amount: u64) -> Result<()> {
        ctx.accounts.fund.paid = ctx.accounts.fund.paid.checked_add(amount).unwrap();
        Ok(())
    }
}

#[derive(Accounts)]
pub struct PayOut<'info> {
    #[account(mut)]
    pub fund: Account<'info, Fund>,
    /// CHECK: where the payment goes
    #[account(mut)]
    pub recipient: RECIPIENT,
}

#[account]
pub struct Fund {
    pub paid: u64,
}
"#;

const DESK: &str = r#"use anchor_lang::prelude::*;
use treasury::program::Treasury;

declare_id!("Desk111111111111111111111111111111111111111");

#[program]
pub mod desk {
    use super::*;
    pub fn withdraw(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
        let cpi = CpiContext::new(
            ctx.accounts.treasury_program.to_account_info(),
            treasury::cpi::accounts::PayOut {
                fund: ctx.accounts.fund.to_account_info(),
                recipient: ctx.accounts.boss.to_account_info(),
            },
        );
        treasury::cpi::pay_out(cpi, amount)
    }
}

#[derive(Accounts)]
pub struct Withdraw<'info> {
    #[account(has_one = boss)]
    pub desk: Account<'info, Desk>,
    /// CHECK: the treasury fund
    #[account(mut)]
    pub fund: UncheckedAccount<'info>,
    /// CHECK: bound to the desk
    #[account(mut)]
    pub boss: UncheckedAccount<'info>,
    pub treasury_program: Program<'info, Treasury>,
}

#[account]
pub struct Desk {
    pub boss: Pubkey,
}
"#;

/// An Anchor workspace of two programs: `desk` forwards its bound boss to `treasury`.
fn two_program_workspace(dir: &Path, recipient: &str) {
    write(
        &dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"programs/*\"]\n",
    );
    for (name, source) in [
        ("treasury", TREASURY.replace("RECIPIENT", recipient)),
        ("desk", DESK.to_owned()),
    ] {
        let deps = if name == "desk" {
            "anchor-lang = \"0.30\"\ntreasury = { path = \"../treasury\", features = [\"cpi\"] }\n"
        } else {
            "anchor-lang = \"0.30\"\n"
        };
        write(
            &dir.join(format!("programs/{name}/Cargo.toml")),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n{deps}"),
        );
        write(&dir.join(format!("programs/{name}/src/lib.rs")), &source);
    }
}

#[test]
fn cpis_between_programs_of_a_workspace_follow_the_callees_signer_requirements() {
    let missing_signer = |recipient: &str| {
        let dir = tempfile::tempdir().unwrap();
        two_program_workspace(dir.path(), recipient);
        let (report, _) = json_scan(dir.path(), &["--min-severity", "low"]);
        findings(&report)
            .into_iter()
            .filter(|(rule, _, _)| rule == "solana-missing-signer")
            .collect::<Vec<_>>()
    };
    // The treasury takes the recipient without its signature: nobody checks the boss.
    let boss_line = DESK.lines().position(|l| l.contains("pub boss:")).unwrap() as u64 + 1;
    assert_eq!(
        missing_signer("UncheckedAccount<'info>"),
        [(
            "solana-missing-signer".to_owned(),
            "programs/desk/src/lib.rs".to_owned(),
            boss_line
        )]
    );
    // The treasury requires the recipient's signature: the callee checks it.
    assert_eq!(missing_signer("Signer<'info>"), []);
}
