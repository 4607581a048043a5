//! The account model: per program and instruction, the accounts received,
//! what is checked about each, what is done with each, and the cross-program
//! invocations. Plain data (no syntax trees), so it can be kept, compared and
//! serialised after the sources are gone.

use serde::Serialize;

use crate::Location;

/// How the program is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgramKind {
    /// A `#[program]` module with `#[derive(Accounts)]` structs.
    Anchor,
    /// `entrypoint!` / `process_instruction` with `next_account_info`.
    Native,
}

/// One program of the package.
#[derive(Clone, Debug, Serialize)]
pub struct Program {
    /// The `#[program]` module name, or the crate's entrypoint function.
    pub name: String,
    pub kind: ProgramKind,
    pub location: Location,
    pub instructions: Vec<Instruction>,
    /// Names of the `#[account]` data types (Anchor) declared in the package.
    pub account_types: Vec<String>,
}

/// One instruction: an Anchor handler, or a native function that reads
/// accounts with `next_account_info`.
#[derive(Clone, Debug, Serialize)]
pub struct Instruction {
    pub name: String,
    pub location: Location,
    /// The `#[derive(Accounts)]` struct of an Anchor handler.
    pub accounts_struct: Option<String>,
    /// Instruction arguments (after the context or the account slice).
    pub args: Vec<String>,
    pub accounts: Vec<Account>,
    pub cpis: Vec<Cpi>,
}

/// The declared type of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountKind {
    /// `Account<'info, T>`: owner and discriminator checked by Anchor.
    Account,
    /// `AccountLoader<'info, T>` (zero-copy): owner and discriminator checked.
    AccountLoader,
    /// `InterfaceAccount<'info, T>`.
    InterfaceAccount,
    Signer,
    /// `Program<'info, T>` / `Interface<'info, T>`: address checked.
    Program,
    /// `Sysvar<'info, T>`: address checked.
    Sysvar,
    SystemAccount,
    /// `UncheckedAccount<'info>`: nothing checked.
    Unchecked,
    /// `AccountInfo<'info>` in an accounts struct: nothing checked.
    AccountInfo,
    /// A native program's `&AccountInfo` (from `next_account_info`).
    Native,
    Other,
}

impl AccountKind {
    /// Nothing about the account is checked by the framework.
    pub fn is_raw(self) -> bool {
        matches!(
            self,
            AccountKind::Unchecked | AccountKind::AccountInfo | AccountKind::Native
        )
    }
}

/// Where a PDA's bump comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "expr")]
pub enum BumpSource {
    /// Bare `bump` (Anchor finds the canonical bump) or `find_program_address`.
    Canonical,
    /// A field of account data (the stored canonical bump).
    Stored(String),
    /// An instruction argument: any bump the caller chooses.
    Supplied(String),
    Unknown(String),
}

/// A PDA derivation checked for the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pda {
    pub seeds: Vec<String>,
    pub bump: BumpSource,
}

/// What is verified about an account before it is used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Checks {
    pub signer: bool,
    pub owner: bool,
    /// Key compared, `address =`, `has_one`, PDA seeds, or a program/sysvar type.
    pub address: bool,
    /// Type discriminator verified (Anchor typed accounts, or a compared field).
    pub discriminator: bool,
    pub writable: bool,
    pub pda: Option<Pda>,
}

/// What the instruction does with an account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub reads_data: bool,
    pub writes_data: bool,
    /// Closed by `close =` or by draining its lamports.
    pub closes: bool,
    /// `payer =` of an `init`, or lamports taken from it.
    pub pays: bool,
    /// Types its data is deserialised as.
    pub deserialized_as: Vec<String>,
    pub init: bool,
    pub init_if_needed: bool,
    pub realloc: bool,
}

/// One account an instruction receives.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    pub name: String,
    pub kind: AccountKind,
    /// `T` of `Account<'info, T>` and the like.
    pub inner_type: Option<String>,
    pub location: Location,
    /// A `/// CHECK:` doc comment justifies an unchecked account.
    pub check_comment: bool,
    pub checks: Checks,
    pub usage: Usage,
}

/// How a cross-program invocation is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpiKind {
    Invoke,
    InvokeSigned,
    /// An Anchor `CpiContext` (program account given; helpers fix the id).
    CpiContext,
}

/// Where the program id of a CPI comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum ProgramId {
    /// The key of an account of the instruction.
    Account(String),
    /// A constant or a path such as `spl_token::ID`.
    Constant(String),
    Unknown,
}

/// One cross-program invocation.
#[derive(Clone, Debug, Serialize)]
pub struct Cpi {
    pub kind: CpiKind,
    pub location: Location,
    pub program: ProgramId,
    /// Signed with PDA seeds.
    pub signed: bool,
    /// The callee, when it is a program of the same package or workspace
    /// (reached through its generated `cpi::` client or its declared id).
    pub callee: Option<Callee>,
}

/// A program of the workspace that a CPI reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Callee {
    /// The callee's `#[program]` module name.
    pub program: String,
    /// The instruction, when the CPI names it (`callee::cpi::deposit`).
    pub instruction: Option<String>,
}
