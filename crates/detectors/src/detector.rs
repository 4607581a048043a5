//! The `Detector` trait and what a detector sees.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use semantics::{ContractId, FunctionId, FunctionInfo, Model, Taint};
use syntax::ast::Ast;
use syntax::{FileId, Parse, Span};

use crate::finding::Finding;
use crate::meta::DetectorMeta;

/// A per-file analysis result shared by several detectors.
type CachedAnalysis = Arc<dyn Any + Send + Sync>;

/// Where one analysis is computed once and then read: by (analysis type, file).
type AnalysisSlots = HashMap<(TypeId, FileId), Arc<OnceLock<CachedAnalysis>>>;

/// What every detector shares: the semantic model of the whole project, and
/// analyses computed at most once, on first use: whole-project ones (taint) and
/// per-file ones that several detectors read ([`ProjectContext::per_file`]).
pub struct ProjectContext<'a> {
    model: &'a Model<'a>,
    taint: OnceLock<Taint>,
    per_file: Mutex<AnalysisSlots>,
}

impl<'a> ProjectContext<'a> {
    pub fn new(model: &'a Model<'a>) -> Self {
        Self {
            model,
            taint: OnceLock::new(),
            per_file: Mutex::new(HashMap::new()),
        }
    }

    /// The whole-project analysis of type `T`, computed by `compute` on first use and
    /// shared by every detector and file.
    pub fn project_wide<T: Any + Send + Sync>(&self, compute: impl FnOnce() -> T) -> Arc<T> {
        self.per_file(FileId(u32::MAX), compute)
    }

    /// The analysis of type `T` of `file`, computed by `compute` on first use and
    /// shared by every detector that asks for it. Detectors of one file run in
    /// parallel: the first caller computes while later ones wait for its result (the
    /// map's lock is not held while computing; analyses do not use the thread pool, so
    /// a waiting thread never holds work the computing one needs).
    pub fn per_file<T: Any + Send + Sync>(
        &self,
        file: FileId,
        compute: impl FnOnce() -> T,
    ) -> Arc<T> {
        let key = (TypeId::of::<T>(), file);
        let slot = self
            .per_file
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        let value = slot.get_or_init(|| Arc::new(compute()) as CachedAnalysis);
        match value.clone().downcast::<T>() {
            Ok(found) => found,
            // The key holds the type id: a slot always holds a `T`.
            Err(_) => unreachable!("per-file analysis cached under another type"),
        }
    }

    pub fn model(&self) -> &'a Model<'a> {
        self.model
    }

    /// The taint analysis of the whole project (computed once, on first use).
    pub fn taint(&self) -> &Taint {
        self.taint.get_or_init(|| self.model.taint())
    }
}

/// The functions and contracts of the model by the file declaring them.
struct FileIndex {
    functions: HashMap<FileId, Vec<FunctionId>>,
    contracts: HashMap<FileId, Vec<ContractId>>,
}

impl FileIndex {
    fn build(model: &Model<'_>) -> FileIndex {
        let mut index = FileIndex {
            functions: HashMap::new(),
            contracts: HashMap::new(),
        };
        for (f, info) in model.functions() {
            index.functions.entry(info.item.file).or_default().push(f);
        }
        for (c, info) in model.contracts() {
            index.contracts.entry(info.item.file).or_default().push(c);
        }
        index
    }
}

/// One source file as a detector sees it, with the project around it.
#[derive(Clone, Copy)]
pub struct FileContext<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub parse: &'a Parse,
    pub project: &'a ProjectContext<'a>,
}

impl<'a> FileContext<'a> {
    pub fn ast(&self) -> &'a Ast {
        self.parse.ast()
    }

    pub fn model(&self) -> &'a Model<'a> {
        self.project.model()
    }

    pub fn taint(&self) -> &'a Taint {
        self.project.taint()
    }

    /// The source text of `span`.
    pub fn snippet(&self, span: Span) -> &'a str {
        span.text(self.text)
    }

    /// The functions and modifiers declared in this file, with their ids, in the
    /// model's order (from a per-project index: no scan of the whole model).
    pub fn functions(&self) -> impl Iterator<Item = (FunctionId, &'a FunctionInfo)> + 'a {
        let model = self.model();
        let index = self.project.project_wide(|| FileIndex::build(model));
        let ids = index.functions.get(&self.file).cloned().unwrap_or_default();
        ids.into_iter().map(move |f| (f, model.function(f)))
    }

    /// The contracts, interfaces and libraries declared in this file.
    pub fn contracts(&self) -> impl Iterator<Item = ContractId> + 'a {
        let model = self.model();
        let index = self.project.project_wide(|| FileIndex::build(model));
        index
            .contracts
            .get(&self.file)
            .cloned()
            .unwrap_or_default()
            .into_iter()
    }

    /// A finding of `meta` at `span` in this file, with the contract and function of
    /// `function` as its context.
    pub fn finding(
        &self,
        meta: &'static DetectorMeta,
        function: Option<FunctionId>,
        span: Span,
        message: impl Into<String>,
    ) -> Finding {
        let model = self.model();
        let (contract, name) = match function {
            Some(f) => {
                let info = model.function(f);
                (
                    info.contract.map(|c| model.contract(c).name.as_str()),
                    Some(info.name.as_str()),
                )
            }
            None => (None, None),
        };
        Finding::new(meta, self.file, span, message).with_context(contract, name)
    }
}

/// A check. One implementation per file under `rules/`, registered in [`crate::registry`].
pub trait Detector: Sync + Send {
    /// What this detector is: static data.
    fn meta(&self) -> &'static DetectorMeta;

    /// Looks at one Solidity file and pushes what it finds.
    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>);

    /// Looks at one Vyper module and pushes what it finds. Detectors of a class that
    /// exists in both languages implement both methods under one id; the default does
    /// nothing (the detector has no Vyper form).
    fn check_vyper(&self, _cx: &crate::vyper_analysis::VyperContext<'_>, _out: &mut Vec<Finding>) {}

    /// True when [`Detector::check_file`] does something: false for Vyper-only detectors.
    fn supports_solidity(&self) -> bool {
        true
    }

    /// True when [`Detector::check_vyper`] does something.
    fn supports_vyper(&self) -> bool {
        false
    }

    /// True for the rules of Solana programs (Rust), which the scan runs through the
    /// Solana front-end, not through [`Detector::check_file`].
    fn supports_solana(&self) -> bool {
        false
    }
}
