//! The public API: parsing diagnostics, the account model, packages.

use solana::{AccountKind, BumpSource, CpiKind, ProgramId, ProgramKind};

const ANCHOR: &str = r#"
use anchor_lang::prelude::*;

#[program]
pub mod shop {
    use super::*;
    pub fn buy(ctx: Context<Buy>, price: u64) -> Result<()> {
        require_keys_eq!(ctx.accounts.catalog.owner_key, ctx.accounts.seller.key());
        ctx.accounts.catalog.sold = ctx.accounts.catalog.sold.checked_add(price).unwrap();
        Ok(())
    }
}
"#;

const ACCOUNTS: &str = r#"
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct Buy<'info> {
    #[account(mut, seeds = [b"catalog", seller.key().as_ref()], bump = catalog.bump)]
    pub catalog: Account<'info, Catalog>,
    pub seller: Signer<'info>,
    #[account(mut)]
    pub buyer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

#[account]
pub struct Catalog {
    pub owner_key: Pubkey,
    pub sold: u64,
    pub bump: u8,
}
"#;

const NATIVE: &str = r#"
use solana_program::{account_info::{next_account_info, AccountInfo}, entrypoint, entrypoint::ProgramResult, program::invoke, pubkey::Pubkey};

entrypoint!(process_instruction);

pub fn process_instruction(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let iter = &mut accounts.iter();
    let payer = next_account_info(iter)?;
    let target = next_account_info(iter)?;
    let system = next_account_info(iter)?;
    if !payer.is_signer {
        return Err(ProgramError::MissingRequiredSignature);
    }
    let ix = solana_program::system_instruction::transfer(payer.key, target.key, 1);
    invoke(&ix, &[payer.clone(), target.clone(), system.clone()])?;
    Ok(())
}
"#;

#[test]
fn syntax_errors_have_positions_and_the_rest_of_the_package_is_read() {
    let parsed = solana::parse_file("bad.rs", "fn ok() {}\n\nfn broken( {\n");
    let d = &parsed.diagnostics[0];
    assert_eq!(d.level, solana::DiagnosticLevel::Error);
    assert!(d.location.line >= 3, "{d:?}");
    let a = solana::analyze_package(&[
        ("src/lib.rs".to_owned(), ANCHOR.to_owned()),
        ("src/instructions/buy.rs".to_owned(), ACCOUNTS.to_owned()),
        ("src/broken.rs".to_owned(), "fn broken( {".to_owned()),
    ]);
    assert_eq!(a.diagnostics.len(), 1);
    assert_eq!(a.programs.len(), 1);
}

#[test]
fn anchor_model_spans_files() {
    let a = solana::analyze_package(&[
        ("src/lib.rs".to_owned(), ANCHOR.to_owned()),
        ("src/instructions/buy.rs".to_owned(), ACCOUNTS.to_owned()),
    ]);
    let p = &a.programs[0];
    assert_eq!((p.name.as_str(), p.kind), ("shop", ProgramKind::Anchor));
    assert_eq!(p.account_types, vec!["Catalog".to_owned()]);
    let ix = &p.instructions[0];
    assert_eq!(ix.name, "buy");
    assert_eq!(ix.accounts_struct.as_deref(), Some("Buy"));
    assert_eq!(ix.args, vec!["price".to_owned()]);
    let catalog = ix.accounts.iter().find(|a| a.name == "catalog").unwrap();
    assert_eq!(catalog.kind, AccountKind::Account);
    assert_eq!(catalog.inner_type.as_deref(), Some("Catalog"));
    assert_eq!(catalog.location.file, "src/instructions/buy.rs");
    assert_eq!(catalog.location.line, 7);
    assert!(catalog.checks.owner && catalog.checks.discriminator && catalog.checks.writable);
    let pda = catalog.checks.pda.as_ref().unwrap();
    assert_eq!(pda.bump, BumpSource::Stored("catalog.bump".to_owned()));
    let seller = ix.accounts.iter().find(|a| a.name == "seller").unwrap();
    assert!(seller.checks.signer && seller.checks.address && !seller.checks.writable);
    let system = ix
        .accounts
        .iter()
        .find(|a| a.name == "system_program")
        .unwrap();
    assert!(system.checks.address);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn native_model_and_cpi() {
    let a = solana::analyze_package(&[("src/lib.rs".to_owned(), NATIVE.to_owned())]);
    let p = &a.programs[0];
    assert_eq!(
        (p.name.as_str(), p.kind),
        ("process_instruction", ProgramKind::Native)
    );
    let ix = &p.instructions[0];
    let names: Vec<&str> = ix.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["payer", "target", "system"]);
    assert!(ix.accounts[0].checks.signer);
    assert!(!ix.accounts[1].checks.signer);
    assert_eq!(ix.cpis.len(), 1);
    assert_eq!(ix.cpis[0].kind, CpiKind::Invoke);
    assert_eq!(ix.cpis[0].program, ProgramId::Unknown);
}

#[test]
fn packages_from_a_listing() {
    let paths: Vec<String> = [
        "ws/programs/p/src/lib.rs",
        "ws/programs/p/tests/t.rs",
        "ws/target/x.rs",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let manifests = vec![(
        "ws/programs/p/Cargo.toml".to_owned(),
        "[package]\nname = \"p\"\n".to_owned(),
    )];
    let groups = solana::group_packages(&paths, &manifests);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].files, vec!["ws/programs/p/src/lib.rs".to_owned()]);
    assert!(!groups[0].options.overflow_checks);
}

#[test]
fn rules_table_is_documented() {
    assert_eq!(solana::RULES.len(), 13);
    let r = solana::rule("solana-missing-signer").unwrap();
    assert_eq!(r.class, "signer-authorization");
    assert_eq!(r.severity, solana::Severity::High);
}

#[test]
fn analysis_is_plain_data_that_crosses_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<solana::Analysis>();
    send_sync::<solana::Finding>();
    let handle = std::thread::spawn(|| {
        solana::analyze_package(&[("src/lib.rs".to_owned(), NATIVE.to_owned())])
    });
    let a = handle.join().unwrap();
    assert_eq!(a.programs.len(), 1);
}

#[test]
fn finding_positions_point_at_the_source() {
    let text = "use anchor_lang::prelude::*;\n\n#[program]\npub mod m {\n    use super::*;\n    pub fn f(ctx: Context<F>) -> Result<()> {\n        msg!(\"{}\", ctx.accounts.rent_ñ.key());\n        Ok(())\n    }\n}\n\n#[derive(Accounts)]\npub struct F<'info> {\n    /// CHECK: é\n    pub rent_ñ: AccountInfo<'info>,\n}\n";
    let a = solana::analyze_package(&[("lib.rs".to_owned(), text.to_owned())]);
    let f = a
        .findings
        .iter()
        .find(|f| f.rule_id == "solana-unchecked-sysvar")
        .expect("finding");
    assert_eq!((f.line, f.column), (15, 9));
    assert_eq!(&text[f.start..f.end], "rent_ñ");
    assert_eq!(f.instruction.as_deref(), Some("f"));
    assert_eq!(f.account.as_deref(), Some("rent_ñ"));
}

const CALLEE: &str = r#"
use anchor_lang::prelude::*;

declare_id!("Vau1t11111111111111111111111111111111111111");

#[program]
pub mod vault {
    use super::*;
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        ctx.accounts.ledger.total = ctx.accounts.ledger.total.checked_add(amount).unwrap();
        Ok(())
    }
}

#[derive(Accounts)]
pub struct Deposit<'info> {
    #[account(mut)]
    pub ledger: Account<'info, Ledger>,
    /// CHECK: credited, does not sign
    pub beneficiary: UncheckedAccount<'info>,
}

#[account]
pub struct Ledger {
    pub total: u64,
}
"#;

const CALLER: &str = r#"
use anchor_lang::prelude::*;
use anchor_lang::solana_program::{instruction::Instruction, program::invoke};
use vault_program::cpi::accounts::Deposit;

#[program]
pub mod router {
    use super::*;
    pub fn forward(ctx: Context<Forward>, amount: u64) -> Result<()> {
        let cpi = CpiContext::new(
            ctx.accounts.vault.to_account_info(),
            Deposit {
                ledger: ctx.accounts.ledger.to_account_info(),
                beneficiary: ctx.accounts.owner.to_account_info(),
            },
        );
        vault_program::cpi::deposit(cpi, amount)?;
        let ix = Instruction { program_id: vault_program::ID, accounts: vec![], data: vec![] };
        invoke(&ix, &[ctx.accounts.ledger.to_account_info()])?;
        Ok(())
    }
}

#[derive(Accounts)]
pub struct Forward<'info> {
    #[account(has_one = owner)]
    pub config: Account<'info, Config>,
    /// CHECK: the vault checks its ledger
    #[account(mut)]
    pub ledger: UncheckedAccount<'info>,
    /// CHECK: bound to the config
    pub owner: UncheckedAccount<'info>,
    /// CHECK: meant to be the vault program
    pub vault: UncheckedAccount<'info>,
}

#[account]
pub struct Config {
    pub owner: Pubkey,
}
"#;

#[test]
fn cpis_into_workspace_programs_are_resolved() {
    let caller = vec![("router/src/lib.rs".to_owned(), CALLER.to_owned())];
    let callee = solana::analyze_package(&[("vault/src/lib.rs".to_owned(), CALLEE.to_owned())]);
    let mut ws = solana::Workspace::new();
    ws.add(Some("vault-program"), &callee.programs);
    let alone = solana::analyze_package(&caller);
    let within = solana::analyze_package_in(&caller, solana::Options::default(), &ws);

    let cpis = |a: &solana::Analysis| a.programs[0].instructions[0].cpis.clone();
    assert!(cpis(&alone).iter().all(|c| c.callee.is_none()));
    let resolved = cpis(&within);
    assert_eq!(resolved.len(), 2, "{resolved:#?}");
    assert_eq!(resolved[0].kind, CpiKind::CpiContext);
    assert_eq!(resolved[0].program, ProgramId::Account("vault".to_owned()));
    assert_eq!(
        resolved[0].callee,
        Some(solana::Callee {
            program: "vault".to_owned(),
            instruction: Some("deposit".to_owned()),
        })
    );
    assert_eq!(
        resolved[1].callee,
        Some(solana::Callee {
            program: "vault".to_owned(),
            instruction: None,
        })
    );

    // The generated client invokes the context's program: an unchecked account.
    let rules = |a: &solana::Analysis| {
        let mut r: Vec<(&str, Option<String>)> = a
            .findings
            .iter()
            .filter(|f| f.severity >= solana::Severity::High)
            .map(|f| (f.rule_id, f.account.clone()))
            .collect();
        r.sort();
        r
    };
    // Alone, the owner is forwarded to a callee assumed to check its signature;
    // in the workspace the callee's `beneficiary` does not sign.
    assert_eq!(
        rules(&alone),
        vec![("solana-arbitrary-cpi", Some("vault".to_owned()))]
    );
    assert_eq!(
        rules(&within),
        vec![
            ("solana-arbitrary-cpi", Some("vault".to_owned())),
            ("solana-missing-signer", Some("owner".to_owned())),
        ]
    );
}

#[test]
fn names_alone_are_low_confidence_evidence() {
    let text = r#"
use anchor_lang::prelude::*;

#[program]
pub mod desk {
    use super::*;
    pub fn open(ctx: Context<Open>) -> Result<()> {
        ctx.accounts.desk.clerk = ctx.accounts.opener.key();
        Ok(())
    }
    pub fn stamp(ctx: Context<Stamp>) -> Result<()> {
        ctx.accounts.desk.stamps += 1;
        msg!("{}", ctx.accounts.admin.key());
        let slots: Clock = bincode::deserialize(&ctx.accounts.timer.data.borrow()).unwrap();
        msg!("{} {}", ctx.accounts.clock.key(), slots.slot);
        Ok(())
    }
}

#[derive(Accounts)]
pub struct Open<'info> {
    #[account(mut)]
    pub opener: Signer<'info>,
    #[account(init, payer = opener, space = 64)]
    pub desk: Account<'info, Desk>,
    pub system_program: Program<'info, System>,
}

#[derive(Accounts)]
pub struct Stamp<'info> {
    #[account(mut, has_one = clerk)]
    pub desk: Account<'info, Desk>,
    /// CHECK: bound to the stored clerk
    pub clerk: UncheckedAccount<'info>,
    /// CHECK: only its name says what it is
    pub admin: UncheckedAccount<'info>,
    /// CHECK: read as the clock
    pub timer: UncheckedAccount<'info>,
    /// CHECK: only its name says what it is
    pub clock: UncheckedAccount<'info>,
}

#[account]
pub struct Desk {
    pub clerk: Pubkey,
    pub stamps: u64,
}
"#;
    let a = solana::analyze_package(&[("lib.rs".to_owned(), text.to_owned())]);
    let mut got: Vec<(&str, String, solana::Confidence)> = a
        .findings
        .iter()
        .filter(|f| f.rule_id == "solana-missing-signer" || f.rule_id == "solana-unchecked-sysvar")
        .map(|f| {
            (
                f.rule_id,
                f.account.clone().unwrap_or_default(),
                f.confidence,
            )
        })
        .collect();
    got.sort();
    use solana::Confidence::{Low, Medium};
    assert_eq!(
        got,
        vec![
            ("solana-missing-signer", "admin".to_owned(), Low),
            ("solana-missing-signer", "clerk".to_owned(), Medium),
            ("solana-unchecked-sysvar", "clock".to_owned(), Low),
            ("solana-unchecked-sysvar", "timer".to_owned(), Medium),
        ]
    );
}
