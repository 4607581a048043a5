//! `web3audit scan --dump cfg|callgraph|symbols`: the semantic model made visible, for
//! people debugging a detector or a surprising finding. Graphs are Graphviz DOT.

use std::fmt::Write as _;

use project::Project;
use semantics::{CallKind, EdgeKind, FunctionId, ItemRef, Model, NodeKind};
use syntax::Span;

/// What `--dump` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DumpKind {
    /// One control-flow graph per function (DOT), modifiers expanded.
    Cfg,
    /// Functions and the calls between them, external calls included (DOT).
    Callgraph,
    /// Contracts with their C3 linearization and functions with their guards (text).
    Symbols,
}

/// Builds the model of `project` and renders the requested view of its reported files.
pub(crate) fn dump(project: &Project, kind: DumpKind, version: Option<syntax::Version>) -> String {
    let model = crate::analysis::build_model(project, version);
    let dumper = Dumper {
        project,
        model: &model,
    };
    match kind {
        DumpKind::Cfg => dumper.cfgs(),
        DumpKind::Callgraph => dumper.callgraph(),
        DumpKind::Symbols => dumper.symbols(),
    }
}

struct Dumper<'p, 'm> {
    project: &'p Project,
    model: &'m Model<'p>,
}

impl Dumper<'_, '_> {
    fn reported(&self, item: ItemRef) -> bool {
        self.project.file(item.file).reported
    }

    /// Functions declared in reported files, in model order.
    fn functions(&self) -> impl Iterator<Item = FunctionId> + '_ {
        self.model
            .functions()
            .filter(|(_, info)| self.reported(info.item))
            .map(|(id, _)| id)
    }

    fn function_name(&self, f: FunctionId) -> String {
        let info = self.model.function(f);
        let name = if info.name.is_empty() {
            format!("{:?}", info.kind).to_lowercase()
        } else {
            info.name.to_string()
        };
        match info.contract {
            Some(c) => format!("{}.{name}", self.model.contract(c).name),
            None => name,
        }
    }

    fn item_name(&self, item: ItemRef) -> String {
        match self.model.function_of_item(item) {
            Some(f) => self.function_name(f),
            None => "?".to_owned(),
        }
    }

    /// The first line of the source at `span`, shortened.
    fn code(&self, file: syntax::FileId, span: Span) -> String {
        let text = span.text(&self.project.file(file).text);
        let line = text.lines().next().unwrap_or("").trim();
        if line.chars().count() > 60 {
            format!("{}…", line.chars().take(60).collect::<String>())
        } else {
            line.to_owned()
        }
    }

    fn location(&self, file: syntax::FileId, span: Span) -> String {
        let f = self.project.file(file);
        let at = f.line_index.line_col(&f.text, span.lo);
        format!("{}:{}", f.display_path, at.line)
    }

    fn cfgs(&self) -> String {
        let mut out = String::from("digraph cfg {\n  node [shape=box, fontname=monospace];\n");
        for (n, f) in self.functions().enumerate() {
            let Some(cfg) = self.model.cfg(f) else {
                continue;
            };
            let _ = writeln!(
                out,
                "  subgraph cluster_{n} {{\n    label={};",
                quote(&self.function_name(f))
            );
            for id in cfg.node_ids() {
                let node = cfg.node(id);
                let label = match node.kind {
                    NodeKind::Entry => "ENTRY".to_owned(),
                    NodeKind::Exit => "EXIT".to_owned(),
                    NodeKind::Revert => "REVERT".to_owned(),
                    NodeKind::Join => "join".to_owned(),
                    NodeKind::Stmt { file, stmt } => {
                        let span = self.project.file(file).parse.ast().stmt(stmt).span;
                        format!("{}  {}", self.location(file, span), self.code(file, span))
                    }
                    NodeKind::Condition { file, expr } | NodeKind::Update { file, expr } => {
                        let span = self.project.file(file).parse.ast().expr(expr).span;
                        format!("{}  {}?", self.location(file, span), self.code(file, span))
                    }
                };
                let _ = writeln!(out, "    f{n}_{} [label={}];", id.0, quote(&label));
                for (to, edge) in &node.succs {
                    let label = match edge {
                        EdgeKind::Normal => "",
                        EdgeKind::True => " [label=\"true\"]",
                        EdgeKind::False => " [label=\"false\"]",
                        EdgeKind::Revert => " [label=\"revert\", style=dashed]",
                        EdgeKind::Catch => " [label=\"catch\", style=dashed]",
                    };
                    let _ = writeln!(out, "    f{n}_{} -> f{n}_{}{label};", id.0, to.0);
                }
            }
            out.push_str("  }\n");
        }
        out.push_str("}\n");
        out
    }

    fn callgraph(&self) -> String {
        let mut out =
            String::from("digraph callgraph {\n  node [shape=box, fontname=monospace];\n");
        for f in self.functions() {
            let from = quote(&self.function_name(f));
            let style = if self.model.is_entry_point(f) {
                " [peripheries=2]"
            } else {
                ""
            };
            let _ = writeln!(out, "  {from}{style};");
            for call in self.model.calls(f) {
                let (to, label) = match call.kind {
                    CallKind::Internal {
                        function,
                        via_super,
                    } => (
                        self.item_name(function),
                        if via_super { "super" } else { "" }.to_owned(),
                    ),
                    CallKind::Modifier { modifier } => {
                        (self.item_name(modifier), "modifier".to_owned())
                    }
                    CallKind::Library { function, .. } => {
                        (self.item_name(function), "library".to_owned())
                    }
                    CallKind::HighLevel {
                        callee_contract,
                        function,
                        value,
                        ..
                    } => {
                        let target = match (callee_contract, function) {
                            (_, Some(function)) => self.item_name(function),
                            (Some(c), None) => format!("{}.?", self.model.contract(c).name),
                            (None, None) => "external ?".to_owned(),
                        };
                        (
                            target,
                            if value.is_some() {
                                "external, value"
                            } else {
                                "external"
                            }
                            .to_owned(),
                        )
                    }
                    CallKind::LowLevel { kind, value, .. } => {
                        let kind = format!("{kind:?}").to_lowercase();
                        (
                            format!("<{kind}>"),
                            if value.is_some() {
                                "low-level, value"
                            } else {
                                "low-level"
                            }
                            .to_owned(),
                        )
                    }
                    CallKind::Creation { contract, .. } => {
                        let name = contract.map_or_else(
                            || "?".to_owned(),
                            |c| self.model.contract(c).name.to_string(),
                        );
                        (format!("new {name}"), "creation".to_owned())
                    }
                };
                let style = if call.kind.is_external() {
                    ", style=dashed"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "  {from} -> {} [label={}{style}];",
                    quote(&to),
                    quote(&label)
                );
            }
        }
        out.push_str("}\n");
        out
    }

    fn symbols(&self) -> String {
        let mut out = String::new();
        for (_, c) in self
            .model
            .contracts()
            .filter(|(_, c)| self.reported(c.item))
        {
            let span = self
                .project
                .file(c.item.file)
                .parse
                .ast()
                .item(c.item.item)
                .span;
            let linearization: Vec<&str> = c
                .linearization
                .iter()
                .map(|&b| self.model.contract(b).name.as_str())
                .collect();
            let _ = writeln!(
                out,
                "{:?} {} ({})\n  linearization: {}",
                c.kind,
                c.name,
                self.location(c.item.file, span),
                linearization.join(" -> ")
            );
            for f in self
                .functions()
                .filter(|&f| self.model.function(f).contract == self.model.contract_of_item(c.item))
            {
                let info = self.model.function(f);
                let kind = if self.model.is_constructor(f) {
                    "constructor".to_owned()
                } else {
                    format!("{:?}", info.kind).to_lowercase()
                };
                let mut facts = vec![kind, format!("{} params", info.arity)];
                if self.model.is_entry_point(f) {
                    facts.push("entry point".to_owned());
                }
                if let Some(guard) = self.model.guard(f) {
                    let file = self.model.function(guard.function).item.file;
                    facts.push(format!(
                        "guarded by `{}` in {}",
                        self.code(file, guard.span),
                        self.function_name(guard.function)
                    ));
                }
                if self.model.has_reentrancy_mutex(f) {
                    facts.push("reentrancy mutex".to_owned());
                }
                let name = if info.name.is_empty() {
                    "(unnamed)"
                } else {
                    info.name.as_str()
                };
                let _ = writeln!(out, "  {name}: {}", facts.join(", "));
            }
        }
        out
    }
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
