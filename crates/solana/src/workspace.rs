//! The programs of a Cargo workspace as their callers see them: per program,
//! its names (crate and `#[program]` module), and per instruction the accounts
//! struct and which of its accounts must sign. Plain data, built from the
//! models of already analysed packages ([`Workspace::add`]) and, for the
//! package being analysed, from its own index.
//!
//! A CPI into a program of the workspace is then known: the callee and the
//! instruction are recorded in the model ([`crate::Callee`]), and the rules can
//! tell whether the callee verifies the signature of an account it is given.

use crate::extract::{AccountsStruct, PackageIndex};
use crate::model::{AccountKind, Program};

/// One instruction of a workspace program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InstructionInterface {
    pub(crate) name: String,
    pub(crate) accounts_struct: Option<String>,
    /// The accounts, each with whether the callee requires its signature.
    pub(crate) accounts: Vec<(String, bool)>,
}

/// One program of the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProgramInterface {
    /// The `#[program]` module name.
    pub(crate) program: String,
    /// Names a caller uses for it: the module name and the crate name (with
    /// `-` as `_`).
    pub(crate) names: Vec<String>,
    pub(crate) instructions: Vec<InstructionInterface>,
}

/// The programs of a workspace, for [`crate::analyze_package_in`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workspace {
    programs: Vec<ProgramInterface>,
}

impl Workspace {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the programs of one analysed package (`crate_name` is the `name`
    /// of its `[package]`, when known).
    pub fn add(&mut self, crate_name: Option<&str>, programs: &[Program]) {
        for p in programs {
            let mut names = vec![p.name.clone()];
            if let Some(c) = crate_name {
                names.push(c.replace('-', "_"));
            }
            self.programs.push(ProgramInterface {
                program: p.name.clone(),
                names,
                instructions: p
                    .instructions
                    .iter()
                    .map(|ix| InstructionInterface {
                        name: ix.name.clone(),
                        accounts_struct: ix.accounts_struct.clone(),
                        accounts: ix
                            .accounts
                            .iter()
                            .map(|a| (a.name.clone(), a.checks.signer))
                            .collect(),
                    })
                    .collect(),
            });
        }
    }

    /// Whether no program is known.
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
    }

    /// Adds the Anchor programs declared in the package being analysed
    /// (accounts typed `Signer` or with a `signer` constraint must sign).
    pub(crate) fn add_index(&mut self, index: &PackageIndex<'_>) {
        for (_, m) in &index.program_mods {
            let program = m.ident.to_string();
            let mut instructions = Vec::new();
            if let Some((_, items)) = &m.content {
                for item in items {
                    let syn::Item::Fn(f) = item else { continue };
                    let Some(fi) = index.fns.iter().find(|x| std::ptr::eq(x.block, &*f.block))
                    else {
                        continue;
                    };
                    let st: Option<&AccountsStruct> = fi
                        .ctx_struct
                        .as_ref()
                        .and_then(|s| index.accounts_structs.get(s));
                    instructions.push(InstructionInterface {
                        name: fi.name.clone(),
                        accounts_struct: fi.ctx_struct.clone(),
                        accounts: st
                            .map(|s| {
                                s.fields
                                    .iter()
                                    .map(|f| {
                                        (
                                            f.name.clone(),
                                            f.kind == AccountKind::Signer || f.has("signer"),
                                        )
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    });
                }
            }
            if self.program(&program).is_none() {
                self.programs.push(ProgramInterface {
                    names: vec![program.clone()],
                    program,
                    instructions,
                });
            }
        }
    }

    /// The program a caller names `name` (crate or module name).
    pub(crate) fn program(&self, name: &str) -> Option<&ProgramInterface> {
        self.programs
            .iter()
            .find(|p| p.names.iter().any(|n| n == name))
    }
}

impl ProgramInterface {
    /// The instruction whose accounts struct is `name` (the generated
    /// `cpi::accounts::Name` mirrors it).
    pub(crate) fn by_accounts_struct(&self, name: &str) -> Option<&InstructionInterface> {
        self.instructions
            .iter()
            .find(|i| i.accounts_struct.as_deref() == Some(name))
    }
}
