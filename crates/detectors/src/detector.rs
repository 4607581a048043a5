//! The `Detector` trait and what a detector sees.

use std::sync::OnceLock;

use semantics::{ContractId, FunctionId, FunctionInfo, Model, Taint};
use syntax::ast::Ast;
use syntax::{FileId, Parse, Span};

use crate::finding::Finding;
use crate::meta::DetectorMeta;

/// What every detector shares: the semantic model of the whole project, and
/// whole-project analyses computed at most once, on first use.
pub struct ProjectContext<'a> {
    model: &'a Model<'a>,
    taint: OnceLock<Taint>,
}

impl<'a> ProjectContext<'a> {
    pub fn new(model: &'a Model<'a>) -> Self {
        Self {
            model,
            taint: OnceLock::new(),
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

    /// The functions and modifiers declared in this file, with their ids.
    pub fn functions(&self) -> impl Iterator<Item = (FunctionId, &'a FunctionInfo)> + 'a {
        let file = self.file;
        self.model()
            .functions()
            .filter(move |(_, f)| f.item.file == file)
    }

    /// The contracts, interfaces and libraries declared in this file.
    pub fn contracts(&self) -> impl Iterator<Item = ContractId> + 'a {
        let file = self.file;
        self.model()
            .contracts()
            .filter(move |(_, c)| c.item.file == file)
            .map(|(id, _)| id)
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

    /// Looks at one file and pushes what it finds.
    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>);
}
