//! Lowering of the tree-sitter concrete syntax tree into the typed [`Ast`].
//!
//! Rules of this module: never panic (no indexing into child lists without
//! checks, text is sliced with `get`), never recurse deeper than
//! [`MAX_NESTING`] levels of statements/expressions/types/Yul, and never report
//! a diagnostic of its own except "nesting too deep": syntax errors come from
//! tree-sitter's `ERROR` and `MISSING` nodes (see [`collect_errors`]).

use tree_sitter::{Node, Parser, Tree, TreeCursor};

use crate::ast::*;
use crate::pragma::VersionReq;
use crate::{ImportDirective, ImportSymbol, MAX_NESTING, Span, SyntaxDiagnostic};

pub(crate) struct Lowered {
    pub(crate) ast: Ast,
    pub(crate) imports: Vec<ImportDirective>,
    pub(crate) diagnostics: Vec<SyntaxDiagnostic>,
}

pub(crate) fn lower(text: &str) -> Lowered {
    let empty = || Lowered {
        ast: Ast::default(),
        imports: Vec::new(),
        diagnostics: Vec::new(),
    };
    let mut parser = Parser::new();
    if parser
        .set_language(&tree_sitter_solidity::LANGUAGE.into())
        .is_err()
    {
        let mut l = empty();
        l.diagnostics.push(SyntaxDiagnostic {
            span: Span::default(),
            message: "internal error: the Solidity grammar could not be loaded".into(),
        });
        return l;
    }
    // tree-sitter's error recovery can go exponential on some malformed inputs (found by
    // fuzzing: minutes and gigabytes on 2.7 KB). The progress callback runs every 100
    // parser operations; the budget is deterministic and about nine times what the
    // worst real file of the corpora needs (0.014 callbacks per byte).
    let budget = parse_budget(text.len());
    let mut callbacks = 0u64;
    let mut over_budget = |_: &tree_sitter::ParseState| {
        callbacks += 1;
        callbacks > budget
    };
    let bytes = text.as_bytes();
    let tree = parser.parse_with_options(
        &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
        None,
        Some(tree_sitter::ParseOptions::new().progress_callback(&mut over_budget)),
    );
    let Some(tree) = tree else {
        let mut l = empty();
        l.diagnostics.push(SyntaxDiagnostic {
            span: Span::new(0, u32::try_from(text.len()).unwrap_or(u32::MAX)),
            message: "the file is too malformed to parse: the parser's error recovery exceeded its budget"
                .into(),
        });
        return l;
    };
    let mut diagnostics = collect_errors(&tree, text);
    let root = tree.root_node();
    let mut lowerer = Lowerer {
        src: text,
        ast: Ast::default(),
        imports: Vec::new(),
        diagnostics: Vec::new(),
        depth: 0,
        cursor: root.walk(),
        pool: Vec::new(),
        contract_name: None,
    };
    lowerer.source_file(root);
    diagnostics.append(&mut lowerer.diagnostics);
    diagnostics.sort_by_key(|d| (d.span.lo, d.span.hi));
    Lowered {
        ast: lowerer.ast,
        imports: lowerer.imports,
        diagnostics,
    }
}

/// How many progress callbacks (of 100 parser operations each) a text of `len` bytes may
/// take before parsing is abandoned.
pub(crate) fn parse_budget(len: usize) -> u64 {
    5_000 + (len as u64) / 8
}

fn span_of(node: Node<'_>) -> Span {
    let r = node.byte_range();
    Span::new(
        u32::try_from(r.start).unwrap_or(u32::MAX),
        u32::try_from(r.end).unwrap_or(u32::MAX),
    )
}

/// Turns tree-sitter `ERROR` and `MISSING` nodes into diagnostics, walking
/// iteratively and only into subtrees that contain errors.
fn collect_errors(tree: &Tree, src: &str) -> Vec<SyntaxDiagnostic> {
    let mut out = Vec::new();
    let root = tree.root_node();
    if !root.has_error() {
        return out;
    }
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        let mut descend = node.has_error();
        if node.is_error() {
            descend = false;
            out.push(error_diagnostic(node, src));
        } else if node.is_missing() {
            descend = false;
            let what = if node.is_named() {
                node.kind().replace('_', " ")
            } else {
                format!("`{}`", node.kind())
            };
            out.push(SyntaxDiagnostic {
                span: span_of(node),
                message: format!("expected {what}"),
            });
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

fn error_diagnostic(node: Node<'_>, src: &str) -> SyntaxDiagnostic {
    // Name the first token of the unexpected region.
    let mut first = node;
    while let Some(child) = first.child(0) {
        first = child;
    }
    let token = src.get(first.byte_range()).unwrap_or("").trim();
    let message = if token.is_empty() {
        "syntax error".to_string()
    } else {
        let shown: String = token.chars().take(40).collect();
        let ellipsis = if shown.len() < token.len() { "…" } else { "" };
        format!("unexpected `{shown}{ellipsis}`")
    };
    SyntaxDiagnostic {
        span: span_of(node),
        message,
    }
}

/// A child of a CST node with its field name.
#[derive(Clone, Copy)]
struct Kid<'t> {
    node: Node<'t>,
    field: Option<&'static str>,
}

impl<'t> Kid<'t> {
    fn kind(&self) -> &'static str {
        self.node.kind()
    }
}

struct Lowerer<'s, 't> {
    src: &'s str,
    ast: Ast,
    imports: Vec<ImportDirective>,
    diagnostics: Vec<SyntaxDiagnostic>,
    depth: u32,
    cursor: TreeCursor<'t>,
    /// Reusable child buffers (avoid one allocation per visited node).
    pool: Vec<Vec<Kid<'t>>>,
    /// Name of the contract whose members are being lowered.
    contract_name: Option<CompactString>,
}

impl<'s, 't> Lowerer<'s, 't> {
    // ----- helpers -----------------------------------------------------

    /// The children of `node` (comments excluded), in a pooled buffer; give it
    /// back with [`Self::give`].
    fn kids(&mut self, node: Node<'t>) -> Vec<Kid<'t>> {
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.clear();
        self.cursor.reset(node);
        if self.cursor.goto_first_child() {
            loop {
                let n = self.cursor.node();
                if n.kind() != "comment" {
                    buf.push(Kid {
                        node: n,
                        field: self.cursor.field_name(),
                    });
                }
                if !self.cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        buf
    }

    fn give(&mut self, buf: Vec<Kid<'t>>) {
        self.pool.push(buf);
    }

    fn text(&self, node: Node<'_>) -> &'s str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    fn ident(&self, node: Node<'_>) -> Ident {
        Ident {
            name: CompactString::from(self.text(node)),
            span: span_of(node),
        }
    }

    /// Enters one nesting level; false (with a diagnostic) when too deep.
    fn enter(&mut self, node: Node<'_>) -> bool {
        if self.depth >= MAX_NESTING {
            self.diagnostics.push(SyntaxDiagnostic {
                span: span_of(node),
                message: format!("nesting too deep (more than {MAX_NESTING} levels)"),
            });
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn push_item(&mut self, kind: ItemKind, span: Span, parent: Option<ItemId>) -> ItemId {
        let id = ItemId(self.ast.items.len() as u32);
        self.ast.items.push(Item { kind, span, parent });
        id
    }

    fn push_stmt(&mut self, kind: StmtKind, span: Span) -> StmtId {
        let id = StmtId(self.ast.stmts.len() as u32);
        self.ast.stmts.push(Stmt { kind, span });
        id
    }

    fn push_expr(&mut self, kind: ExprKind, span: Span) -> ExprId {
        let id = ExprId(self.ast.exprs.len() as u32);
        self.ast.exprs.push(Expr { kind, span });
        id
    }

    fn push_type(&mut self, kind: TypeKind, span: Span) -> TypeId {
        let id = TypeId(self.ast.types.len() as u32);
        self.ast.types.push(TypeName { kind, span });
        id
    }

    fn push_yul_stmt(&mut self, kind: YulStmtKind, span: Span) -> YulStmtId {
        let id = YulStmtId(self.ast.yul_stmts.len() as u32);
        self.ast.yul_stmts.push(YulStmt { kind, span });
        id
    }

    fn push_yul_expr(&mut self, kind: YulExprKind, span: Span) -> YulExprId {
        let id = YulExprId(self.ast.yul_exprs.len() as u32);
        self.ast.yul_exprs.push(YulExpr { kind, span });
        id
    }

    /// A path from the `identifier` children of `node` (e.g. `user_defined_type`).
    fn path(&mut self, node: Node<'t>) -> Path {
        let kids = self.kids(node);
        let segments = kids
            .iter()
            .filter(|k| k.kind() == "identifier")
            .map(|k| self.ident(k.node))
            .collect();
        self.give(kids);
        Path {
            segments,
            span: span_of(node),
        }
    }

    // ----- source unit and items ---------------------------------------

    fn source_file(&mut self, root: Node<'t>) {
        let kids = self.kids(root);
        let mut items = Vec::with_capacity(kids.len());
        for k in &kids {
            if let Some(id) = self.item(k.node, None) {
                items.push(id);
            }
        }
        self.give(kids);
        self.ast.source_unit = SourceUnit {
            items,
            span: span_of(root),
        };
    }

    fn item(&mut self, node: Node<'t>, parent: Option<ItemId>) -> Option<ItemId> {
        let span = span_of(node);
        let kind = match node.kind() {
            "pragma_directive" => ItemKind::Pragma(self.pragma(node)),
            "import_directive" => {
                let import = self.import(node)?;
                self.imports.push(import.clone());
                ItemKind::Import(import)
            }
            "contract_declaration" | "interface_declaration" | "library_declaration" => {
                return Some(self.contract(node, parent));
            }
            "function_definition"
            | "modifier_definition"
            | "constructor_definition"
            | "fallback_receive_definition" => ItemKind::Function(self.function(node)),
            "state_variable_declaration" | "constant_variable_declaration" => {
                ItemKind::Variable(self.variable(node))
            }
            "struct_declaration" => ItemKind::Struct(self.struct_def(node)),
            "enum_declaration" => ItemKind::Enum(self.enum_def(node)),
            "event_definition" => {
                let (name, params, anonymous) = self.event_or_error(node);
                ItemKind::Event(EventDef {
                    name,
                    params,
                    is_anonymous: anonymous,
                })
            }
            "error_declaration" => {
                let (name, params, _) = self.event_or_error(node);
                ItemKind::CustomError(ErrorDef { name, params })
            }
            "user_defined_type_definition" => ItemKind::UserDefinedValueType(self.udvt(node)),
            "using_directive" => ItemKind::Using(self.using(node)),
            "ERROR" => ItemKind::Error,
            _ => return None,
        };
        Some(self.push_item(kind, span, parent))
    }

    fn pragma(&mut self, node: Node<'t>) -> Pragma {
        let kids = self.kids(node);
        let mut result = None;
        for k in &kids {
            match k.kind() {
                "solidity_pragma_token" => {
                    // Take everything after `solidity` up to the end of the directive,
                    // so that text tree-sitter could not split (`0.8.x`) is kept.
                    let keyword_end = k
                        .node
                        .child(0)
                        .map_or(k.node.start_byte(), |c| c.end_byte());
                    let end = node.end_byte();
                    let raw = self.src.get(keyword_end..end).unwrap_or("");
                    let raw = raw.trim_end().strip_suffix(';').unwrap_or(raw);
                    let lead = raw.len() - raw.trim_start().len();
                    let trimmed = raw.trim();
                    let lo = keyword_end + lead;
                    let text_span = Span::new(lo as u32, (lo + trimmed.len()) as u32);
                    result = Some(Pragma::Solidity {
                        req: VersionReq::parse(trimmed),
                        text: CompactString::from(trimmed),
                        text_span,
                    });
                }
                "any_pragma_token" => {
                    let inner = self.kids(k.node);
                    let name = inner
                        .iter()
                        .find(|c| c.kind() == "identifier")
                        .map(|c| self.ident(c.node));
                    let value = inner
                        .iter()
                        .find(|c| c.kind() == "pragma_value")
                        .map(|c| CompactString::from(self.text(c.node).trim()))
                        .unwrap_or_default();
                    self.give(inner);
                    let name = name.unwrap_or(Ident {
                        name: CompactString::default(),
                        span: span_of(k.node),
                    });
                    result = Some(Pragma::Other { name, value });
                }
                _ => {}
            }
        }
        self.give(kids);
        result.unwrap_or_else(|| Pragma::Other {
            name: Ident {
                name: CompactString::default(),
                span: span_of(node),
            },
            value: CompactString::default(),
        })
    }

    fn import(&mut self, node: Node<'t>) -> Option<ImportDirective> {
        let kids = self.kids(node);
        let mut path = None;
        let mut alias = None;
        let mut symbols: Vec<ImportSymbol> = Vec::new();
        let mut glob = false;
        let mut braces = false;
        let mut seen_source = false;
        for k in &kids {
            match (k.kind(), k.field) {
                ("*", _) => glob = true,
                ("{", _) => braces = true,
                (_, Some("source")) => {
                    seen_source = true;
                    let raw = self.text(k.node);
                    let unquoted = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
                    path = Some((unquoted.to_string(), span_of(k.node)));
                }
                (_, Some("import_name")) => symbols.push(ImportSymbol {
                    name: self.ident(k.node),
                    alias: None,
                }),
                (_, Some("alias")) => {
                    let a = self.ident(k.node);
                    if glob || seen_source || (!braces && symbols.is_empty()) {
                        alias = Some(a);
                    } else if let Some(last) = symbols.last_mut() {
                        last.alias = Some(a);
                    }
                }
                _ => {}
            }
        }
        self.give(kids);
        let (path, path_span) = path?;
        Some(ImportDirective {
            path,
            path_span,
            span: span_of(node),
            alias,
            symbols,
        })
    }

    fn contract(&mut self, node: Node<'t>, parent: Option<ItemId>) -> ItemId {
        let span = span_of(node);
        // Reserve the id first so members can point to their contract.
        let id = self.push_item(ItemKind::Error, span, parent);
        let kids = self.kids(node);
        let mut kind = match node.kind() {
            "interface_declaration" => ContractKind::Interface,
            "library_declaration" => ContractKind::Library,
            _ => ContractKind::Contract,
        };
        let mut name = None;
        let mut bases = Vec::new();
        let mut layout = None;
        let mut body = None;
        for k in &kids {
            match k.kind() {
                "abstract" => kind = ContractKind::Abstract,
                "identifier" if k.field == Some("name") => name = Some(self.ident(k.node)),
                "inheritance_specifier" => bases.push(self.inheritance(k.node)),
                "layout_specifier" => {
                    let inner = self.kids(k.node);
                    let e = inner.iter().find(|c| c.node.is_named()).map(|c| c.node);
                    self.give(inner);
                    layout = e.map(|e| self.expr(e));
                }
                "contract_body" => body = Some(k.node),
                _ => {}
            }
        }
        self.give(kids);
        let name = name.unwrap_or(Ident {
            name: CompactString::default(),
            span,
        });
        let outer_name = self.contract_name.replace(name.name.clone());
        let mut members = Vec::new();
        if let Some(body) = body {
            let kids = self.kids(body);
            for k in &kids {
                if let Some(m) = self.item(k.node, Some(id)) {
                    members.push(m);
                }
            }
            self.give(kids);
        }
        self.contract_name = outer_name;
        self.ast.items[id.index()].kind = ItemKind::Contract(ContractDef {
            kind,
            name,
            bases,
            layout,
            members,
        });
        id
    }

    fn inheritance(&mut self, node: Node<'t>) -> InheritanceSpecifier {
        let kids = self.kids(node);
        let mut path = None;
        for k in &kids {
            if k.field == Some("ancestor") {
                path = Some(self.path(k.node));
            }
        }
        self.give(kids);
        let args = self.call_args(node);
        let span = span_of(node);
        InheritanceSpecifier {
            path: path.unwrap_or(Path {
                segments: Vec::new(),
                span,
            }),
            args,
            span,
        }
    }

    /// The arguments among the children of `node`: `call_argument`s after a `(`
    /// (or inside a `revert_arguments` child). `None` when no `(` is written.
    fn call_args(&mut self, node: Node<'t>) -> Option<CallArgs> {
        let kids = self.kids(node);
        let mut open = false;
        let mut positional = Vec::new();
        let mut named = Vec::new();
        let mut arg_nodes = Vec::new();
        for k in &kids {
            match k.kind() {
                "(" => open = true,
                "call_argument" => arg_nodes.push(k.node),
                _ => {}
            }
        }
        self.give(kids);
        for a in arg_nodes {
            let inner = self.kids(a);
            let mut braced = false;
            for c in &inner {
                match c.kind() {
                    "{" => braced = true,
                    "call_struct_argument" => named.push(c.node),
                    _ if c.node.is_named() && !braced => positional.push(c.node),
                    _ => {}
                }
            }
            self.give(inner);
        }
        if !open {
            return None;
        }
        if !named.is_empty() && positional.is_empty() {
            let args = named.into_iter().map(|n| self.named_arg(n)).collect();
            Some(CallArgs::Named(args))
        } else {
            Some(CallArgs::Positional(
                positional.into_iter().map(|n| self.expr(n)).collect(),
            ))
        }
    }

    /// `name: value` (`call_struct_argument` / `struct_field_assignment`).
    fn named_arg(&mut self, node: Node<'t>) -> NamedArg {
        let kids = self.kids(node);
        let mut name = None;
        let mut value = None;
        for k in &kids {
            match k.field {
                Some("name") => name = Some(self.ident(k.node)),
                Some("value") => value = Some(k.node),
                _ => {}
            }
        }
        self.give(kids);
        let span = span_of(node);
        let value = match value {
            Some(v) => self.expr(v),
            None => self.push_expr(ExprKind::Error, span),
        };
        NamedArg {
            name: name.unwrap_or(Ident {
                name: CompactString::default(),
                span,
            }),
            value,
            span,
        }
    }

    fn function(&mut self, node: Node<'t>) -> FunctionDef {
        let kids = self.kids(node);
        let mut kind = match node.kind() {
            "modifier_definition" => FunctionKind::Modifier,
            "constructor_definition" => FunctionKind::Constructor,
            _ => FunctionKind::Function,
        };
        let mut is_legacy_fallback = false;
        let mut name = None;
        let mut params = Vec::new();
        let mut returns = Vec::new();
        let mut visibility = None;
        let mut mutability = None;
        let mut is_virtual = false;
        let mut overrides = None;
        let mut modifiers = Vec::new();
        let mut body_node = None;
        let mut after_returns = false;
        for (i, k) in kids.iter().enumerate() {
            match k.kind() {
                "fallback" if i == 0 => kind = FunctionKind::Fallback,
                "receive" if i == 0 => kind = FunctionKind::Receive,
                "function" if i == 0 && node.kind() == "fallback_receive_definition" => {
                    kind = FunctionKind::Fallback;
                    is_legacy_fallback = true;
                }
                "identifier" if k.field == Some("name") => name = Some(self.ident(k.node)),
                "returns" => after_returns = true,
                "parameter" => {
                    let p = self.var_decl(k.node);
                    if after_returns {
                        returns.push(p)
                    } else {
                        params.push(p)
                    }
                }
                "return_type_definition" => {
                    let inner = self.kids(k.node);
                    for c in &inner {
                        if c.kind() == "parameter" {
                            returns.push(self.var_decl(c.node));
                        }
                    }
                    self.give(inner);
                }
                "visibility" => visibility = visibility_of(self.text(k.node)),
                "public" => visibility = Some(Visibility::Public),
                "internal" => visibility = Some(Visibility::Internal),
                "state_mutability" => mutability = mutability_of(self.text(k.node)),
                "payable" => mutability = Some(Mutability::Payable),
                "virtual" => is_virtual = true,
                "override_specifier" => overrides = Some(self.override_spec(k.node)),
                "modifier_invocation" => {
                    let m = self.modifier_invocation(k.node);
                    if m.args.is_none() && m.path.is_single("constant") {
                        mutability = Some(Mutability::Constant);
                    } else {
                        modifiers.push(m);
                    }
                }
                "function_body" => body_node = Some(k.node),
                _ => {}
            }
        }
        self.give(kids);
        let span = span_of(node);
        let header_end = body_node.map_or(span.hi, |b| b.start_byte() as u32);
        let body = body_node.map(|b| self.block(b, false));
        let is_legacy_constructor = kind == FunctionKind::Function
            && matches!((&name, &self.contract_name), (Some(n), Some(c)) if n.name == *c);
        FunctionDef {
            kind,
            name,
            params,
            returns,
            visibility,
            mutability,
            is_virtual,
            overrides,
            modifiers,
            body,
            is_legacy_constructor,
            is_legacy_fallback,
            header_span: Span::new(span.lo, header_end.max(span.lo)),
        }
    }

    fn override_spec(&mut self, node: Node<'t>) -> OverrideSpecifier {
        let kids = self.kids(node);
        let nodes: Vec<Node<'t>> = kids
            .iter()
            .filter(|k| k.kind() == "user_defined_type")
            .map(|k| k.node)
            .collect();
        self.give(kids);
        let bases = nodes.into_iter().map(|n| self.path(n)).collect();
        OverrideSpecifier {
            bases,
            span: span_of(node),
        }
    }

    fn modifier_invocation(&mut self, node: Node<'t>) -> ModifierInvocation {
        let kids = self.kids(node);
        let idents: Vec<Ident> = kids
            .iter()
            .filter(|k| k.kind() == "identifier")
            .map(|k| self.ident(k.node))
            .collect();
        self.give(kids);
        let span = span_of(node);
        let path_span = match (idents.first(), idents.last()) {
            (Some(a), Some(b)) => a.span.cover(b.span),
            _ => span,
        };
        let args = self.call_args(node);
        ModifierInvocation {
            path: Path {
                segments: idents,
                span: path_span,
            },
            args,
            span,
        }
    }

    /// `parameter`, `return_parameter`, `event_parameter`, `error_parameter`,
    /// `struct_member`, `variable_declaration`.
    fn var_decl(&mut self, node: Node<'t>) -> VarDecl {
        let kids = self.kids(node);
        let mut ty = None;
        let mut location = None;
        let mut name = None;
        let mut indexed = false;
        for k in &kids {
            match k.kind() {
                "type_name" => ty = Some(k.node),
                "memory" => location = Some(DataLocation::Memory),
                "storage" => location = Some(DataLocation::Storage),
                "calldata" => location = Some(DataLocation::Calldata),
                "indexed" => indexed = true,
                "identifier" => name = Some(self.ident(k.node)),
                _ => {}
            }
        }
        self.give(kids);
        let span = span_of(node);
        let ty = match ty {
            Some(t) => self.ty(t),
            None => self.push_type(TypeKind::Error, span),
        };
        VarDecl {
            ty,
            location,
            name,
            indexed,
            span,
        }
    }

    fn variable(&mut self, node: Node<'t>) -> VariableDef {
        let kids = self.kids(node);
        let mut ty = None;
        let mut name = None;
        let mut visibility = None;
        let mut is_constant = false;
        let mut is_immutable = false;
        let mut is_transient = false;
        let mut overrides = None;
        let mut value = None;
        for k in &kids {
            match k.kind() {
                "type_name" => ty = Some(k.node),
                "visibility" => visibility = visibility_of(self.text(k.node)),
                "constant" => is_constant = true,
                "immutable" => is_immutable = true,
                "state_location" => is_transient = true,
                "override_specifier" => overrides = Some(self.override_spec(k.node)),
                "identifier" if k.field == Some("name") => name = Some(self.ident(k.node)),
                _ if k.field == Some("value") => value = Some(k.node),
                _ => {}
            }
        }
        self.give(kids);
        let span = span_of(node);
        let ty = match ty {
            Some(t) => self.ty(t),
            None => self.push_type(TypeKind::Error, span),
        };
        let value = value.map(|v| self.expr(v));
        VariableDef {
            ty,
            name: name.unwrap_or(Ident {
                name: CompactString::default(),
                span,
            }),
            visibility,
            is_constant,
            is_immutable,
            is_transient,
            overrides,
            value,
        }
    }

    fn struct_def(&mut self, node: Node<'t>) -> StructDef {
        let kids = self.kids(node);
        let mut name = None;
        let mut body = None;
        for k in &kids {
            match k.kind() {
                "identifier" => name = Some(self.ident(k.node)),
                "struct_body" => body = Some(k.node),
                _ => {}
            }
        }
        self.give(kids);
        let mut fields = Vec::new();
        if let Some(body) = body {
            let kids = self.kids(body);
            let members: Vec<Node<'t>> = kids
                .iter()
                .filter(|k| k.kind() == "struct_member")
                .map(|k| k.node)
                .collect();
            self.give(kids);
            fields = members.into_iter().map(|m| self.var_decl(m)).collect();
        }
        let span = span_of(node);
        StructDef {
            name: name.unwrap_or(Ident {
                name: CompactString::default(),
                span,
            }),
            fields,
        }
    }

    fn enum_def(&mut self, node: Node<'t>) -> EnumDef {
        let kids = self.kids(node);
        let mut name = None;
        let mut variants = Vec::new();
        for k in &kids {
            match k.kind() {
                "identifier" => name = Some(self.ident(k.node)),
                "enum_body" => {
                    let inner = self.kids(k.node);
                    variants = inner
                        .iter()
                        .filter(|c| c.kind() == "enum_value")
                        .map(|c| self.ident(c.node))
                        .collect();
                    self.give(inner);
                }
                _ => {}
            }
        }
        self.give(kids);
        let span = span_of(node);
        EnumDef {
            name: name.unwrap_or(Ident {
                name: CompactString::default(),
                span,
            }),
            variants,
        }
    }

    fn event_or_error(&mut self, node: Node<'t>) -> (Ident, Vec<VarDecl>, bool) {
        let kids = self.kids(node);
        let mut name = None;
        let mut param_nodes = Vec::new();
        let mut anonymous = false;
        for k in &kids {
            match k.kind() {
                "identifier" if k.field == Some("name") => name = Some(self.ident(k.node)),
                "event_parameter" | "error_parameter" => param_nodes.push(k.node),
                "anonymous" => anonymous = true,
                _ => {}
            }
        }
        self.give(kids);
        let params = param_nodes.into_iter().map(|p| self.var_decl(p)).collect();
        let span = span_of(node);
        (
            name.unwrap_or(Ident {
                name: CompactString::default(),
                span,
            }),
            params,
            anonymous,
        )
    }

    fn udvt(&mut self, node: Node<'t>) -> UserDefinedValueTypeDef {
        let kids = self.kids(node);
        let mut name = None;
        let mut ty = None;
        for k in &kids {
            match k.kind() {
                "identifier" => name = Some(self.ident(k.node)),
                "primitive_type" => ty = Some(k.node),
                _ => {}
            }
        }
        self.give(kids);
        let span = span_of(node);
        let underlying = match ty {
            Some(t) => self.ty(t),
            None => self.push_type(TypeKind::Error, span),
        };
        UserDefinedValueTypeDef {
            name: name.unwrap_or(Ident {
                name: CompactString::default(),
                span,
            }),
            underlying,
        }
    }

    fn using(&mut self, node: Node<'t>) -> UsingDirective {
        let kids = self.kids(node);
        let mut library = None;
        let mut functions = Vec::new();
        let mut target_node = None;
        let mut is_global = false;
        for k in &kids {
            match k.kind() {
                "type_alias" => library = Some(self.path(k.node)),
                "using_alias" => {
                    let inner = self.kids(k.node);
                    let mut path = None;
                    let mut operator = None;
                    for c in &inner {
                        match c.kind() {
                            "user_defined_type" => path = Some(c.node),
                            "user_definable_operator" => {
                                operator = Some(CompactString::from(self.text(c.node)))
                            }
                            _ => {}
                        }
                    }
                    self.give(inner);
                    let span = span_of(k.node);
                    let path = path.map_or(
                        Path {
                            segments: Vec::new(),
                            span,
                        },
                        |p| self.path(p),
                    );
                    functions.push(UsingFunction {
                        path,
                        operator,
                        span,
                    });
                }
                "global" => is_global = true,
                _ if k.field == Some("source") => target_node = Some(k.node),
                _ => {}
            }
        }
        self.give(kids);
        let target = match target_node {
            Some(t) if t.kind() == "any_source_type" => None,
            Some(t) => Some(self.ty(t)),
            None => None,
        };
        UsingDirective {
            library,
            functions,
            target,
            is_global,
        }
    }

    // ----- statements ---------------------------------------------------

    fn block(&mut self, node: Node<'t>, unchecked: bool) -> StmtId {
        if !self.enter(node) {
            return self.push_stmt(StmtKind::Error, span_of(node));
        }
        let kids = self.kids(node);
        let mut unchecked = unchecked;
        let mut stmt_nodes = Vec::with_capacity(kids.len());
        for k in &kids {
            match k.kind() {
                "unchecked" => unchecked = true,
                _ if k.node.is_named() => stmt_nodes.push(k.node),
                _ => {}
            }
        }
        self.give(kids);
        let stmts = stmt_nodes.into_iter().map(|s| self.stmt(s)).collect();
        self.leave();
        self.push_stmt(StmtKind::Block { stmts, unchecked }, span_of(node))
    }

    fn stmt(&mut self, node: Node<'t>) -> StmtId {
        // Unwrap the `statement` wrapper.
        let node = if node.kind() == "statement" {
            first_named(node).unwrap_or(node)
        } else {
            node
        };
        let span = span_of(node);
        match node.kind() {
            "block_statement" | "function_body" => return self.block(node, false),
            "ERROR" => return self.push_stmt(StmtKind::Error, span),
            _ => {}
        }
        if !self.enter(node) {
            return self.push_stmt(StmtKind::Error, span);
        }
        let kind = self.stmt_kind(node);
        self.leave();
        self.push_stmt(kind, span)
    }

    fn stmt_kind(&mut self, node: Node<'t>) -> StmtKind {
        let kids = self.kids(node);
        let kind = match node.kind() {
            "expression_statement" => match kids.iter().find(|k| k.node.is_named()) {
                Some(k) => {
                    let e = k.node;
                    let inner = if e.kind() == "expression" {
                        first_named(e).unwrap_or(e)
                    } else {
                        e
                    };
                    if inner.kind() == "identifier" && self.text(inner) == "throw" {
                        StmtKind::Throw
                    } else if inner.kind() == "identifier" && self.text(inner) == "_" {
                        StmtKind::Placeholder
                    } else {
                        StmtKind::Expr(self.expr(e))
                    }
                }
                None => StmtKind::Error,
            },
            "variable_declaration_statement" => {
                let mut decls = Vec::new();
                let mut is_tuple = false;
                let mut value = None;
                for k in &kids {
                    match k.kind() {
                        "variable_declaration" => decls.push(Some(self.var_decl(k.node))),
                        "variable_declaration_tuple" => {
                            is_tuple = true;
                            decls = self.decl_tuple(k.node);
                        }
                        _ if k.field == Some("value") => value = Some(self.expr(k.node)),
                        _ => {}
                    }
                }
                StmtKind::VarDecl {
                    decls,
                    is_tuple,
                    value,
                }
            }
            "if_statement" => {
                let mut cond = None;
                let mut then_branch = None;
                let mut else_branch = None;
                for k in &kids {
                    if k.field == Some("condition") {
                        cond = Some(self.expr(k.node));
                    } else if k.kind() == "statement" || k.kind() == "ERROR" {
                        let s = self.stmt(k.node);
                        if then_branch.is_none() {
                            then_branch = Some(s)
                        } else {
                            else_branch = Some(s)
                        }
                    }
                }
                let span = span_of(node);
                StmtKind::If {
                    cond: cond.unwrap_or_else(|| self.push_expr(ExprKind::Error, span)),
                    then_branch: then_branch
                        .unwrap_or_else(|| self.push_stmt(StmtKind::Error, span)),
                    else_branch,
                }
            }
            "for_statement" => {
                let (mut init, mut cond, mut update, mut body) = (None, None, None, None);
                for k in &kids {
                    match k.field {
                        Some("initial") if k.node.is_named() => init = Some(self.stmt(k.node)),
                        Some("condition") if k.node.is_named() => {
                            let e = first_named(k.node);
                            cond = e.map(|e| self.expr(e));
                        }
                        Some("update") => update = Some(self.expr(k.node)),
                        Some("body") => body = Some(self.stmt(k.node)),
                        _ => {}
                    }
                }
                let span = span_of(node);
                StmtKind::For {
                    init,
                    cond,
                    update,
                    body: body.unwrap_or_else(|| self.push_stmt(StmtKind::Error, span)),
                }
            }
            "while_statement" | "do_while_statement" => {
                let (mut cond, mut body) = (None, None);
                for k in &kids {
                    match k.field {
                        Some("condition") => cond = Some(self.expr(k.node)),
                        Some("body") => body = Some(self.stmt(k.node)),
                        _ => {}
                    }
                }
                let span = span_of(node);
                let cond = cond.unwrap_or_else(|| self.push_expr(ExprKind::Error, span));
                let body = body.unwrap_or_else(|| self.push_stmt(StmtKind::Error, span));
                if node.kind() == "while_statement" {
                    StmtKind::While { cond, body }
                } else {
                    StmtKind::DoWhile { body, cond }
                }
            }
            "continue_statement" => StmtKind::Continue,
            "break_statement" => StmtKind::Break,
            "return_statement" => {
                let e = kids.iter().find(|k| k.node.is_named()).map(|k| k.node);
                StmtKind::Return {
                    value: e.map(|e| self.expr(e)),
                }
            }
            "emit_statement" => {
                let e = kids
                    .iter()
                    .find(|k| k.field == Some("name"))
                    .map(|k| k.node);
                let span = span_of(node);
                let event = match e {
                    Some(e) => self.expr(e),
                    None => self.push_expr(ExprKind::Error, span),
                };
                let args = self.call_args(node).unwrap_or_default();
                StmtKind::Emit { event, args }
            }
            "revert_statement" => {
                let e = kids
                    .iter()
                    .find(|k| k.field == Some("error"))
                    .map(|k| k.node);
                let args_node = kids
                    .iter()
                    .find(|k| k.kind() == "revert_arguments")
                    .map(|k| k.node);
                let args = args_node.and_then(|a| self.call_args(a));
                match (e, args) {
                    (Some(e), Some(args)) => StmtKind::Revert {
                        error: Some(self.expr(e)),
                        args,
                    },
                    // `revert("message");` and `revert (x);` parse as a parenthesized error.
                    (Some(e), None) => {
                        let inner = if e.kind() == "expression" {
                            first_named(e).unwrap_or(e)
                        } else {
                            e
                        };
                        if inner.kind() == "parenthesized_expression" {
                            let arg = first_named(inner).map(|a| self.expr(a));
                            StmtKind::Revert {
                                error: None,
                                args: CallArgs::Positional(arg.into_iter().collect()),
                            }
                        } else {
                            StmtKind::Revert {
                                error: Some(self.expr(e)),
                                args: CallArgs::default(),
                            }
                        }
                    }
                    (None, args) => StmtKind::Revert {
                        error: None,
                        args: args.unwrap_or_default(),
                    },
                }
            }
            "try_statement" => {
                let (mut call, mut body) = (None, None);
                let mut returns = Vec::new();
                let mut clauses = Vec::new();
                for k in &kids {
                    match k.kind() {
                        "parameter" => returns.push(self.var_decl(k.node)),
                        "catch_clause" => clauses.push(k.node),
                        _ if k.field == Some("attempt") => call = Some(self.expr(k.node)),
                        _ if k.field == Some("body") => body = Some(self.block(k.node, false)),
                        _ => {}
                    }
                }
                let span = span_of(node);
                let catches = clauses.into_iter().map(|c| self.catch_clause(c)).collect();
                StmtKind::Try {
                    call: call.unwrap_or_else(|| self.push_expr(ExprKind::Error, span)),
                    returns,
                    body: body.unwrap_or_else(|| self.push_stmt(StmtKind::Error, span)),
                    catches,
                }
            }
            "assembly_statement" => {
                let mut evmasm = false;
                let mut flags = Vec::new();
                let mut body: Vec<Node<'t>> = Vec::new();
                for k in &kids {
                    match k.kind() {
                        "\"evmasm\"" => evmasm = true,
                        "assembly_flags" => {
                            let inner = self.kids(k.node);
                            for c in &inner {
                                if c.kind() == "string" {
                                    let raw = self.text(c.node);
                                    let unquoted =
                                        raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
                                    flags.push(CompactString::from(unquoted));
                                }
                            }
                            self.give(inner);
                        }
                        _ if k.node.is_named() => body.push(k.node),
                        _ => {}
                    }
                }
                let body = self.yul_stmt_list(body);
                StmtKind::Assembly {
                    evmasm,
                    flags,
                    body,
                }
            }
            "variable_declaration" => StmtKind::VarDecl {
                decls: vec![Some(self.var_decl(node))],
                is_tuple: false,
                value: None,
            },
            _ => StmtKind::Error,
        };
        self.give(kids);
        kind
    }

    /// `(uint a, , uint b)` or `var (a, , b)`.
    fn decl_tuple(&mut self, node: Node<'t>) -> Vec<Option<VarDecl>> {
        let kids = self.kids(node);
        let mut out = Vec::new();
        let mut pending = false; // a position was opened and not yet filled
        let mut var_span = None;
        let mut items = Vec::new();
        for k in &kids {
            match k.kind() {
                "var" => var_span = Some(span_of(k.node)),
                "(" => pending = true,
                "," | ")" => {
                    if pending && (k.kind() == "," || !items.is_empty() || out_has_comma(&kids)) {
                        items.push(None);
                    }
                    pending = k.kind() == ",";
                }
                "variable_declaration" | "identifier" => {
                    items.push(Some(k.node));
                    pending = false;
                }
                _ => {}
            }
        }
        self.give(kids);
        for it in items {
            out.push(it.map(|n| {
                if n.kind() == "identifier" {
                    let span = span_of(n);
                    let ty = self.push_type(TypeKind::Var, var_span.unwrap_or(span));
                    VarDecl {
                        ty,
                        location: None,
                        name: Some(self.ident(n)),
                        indexed: false,
                        span,
                    }
                } else {
                    self.var_decl(n)
                }
            }));
        }
        out
    }

    fn catch_clause(&mut self, node: Node<'t>) -> CatchClause {
        let kids = self.kids(node);
        let mut name = None;
        let mut params = Vec::new();
        let mut body = None;
        for k in &kids {
            match k.kind() {
                "identifier" => name = Some(self.ident(k.node)),
                "parameter" => params.push(self.var_decl(k.node)),
                _ if k.field == Some("body") => body = Some(self.block(k.node, false)),
                _ => {}
            }
        }
        self.give(kids);
        let span = span_of(node);
        let body = body.unwrap_or_else(|| self.push_stmt(StmtKind::Error, span));
        CatchClause {
            name,
            params,
            body,
            span,
        }
    }

    // ----- expressions --------------------------------------------------

    fn expr(&mut self, node: Node<'t>) -> ExprId {
        let node = unwrap_expression(node);
        let span = span_of(node);
        if !self.enter(node) {
            return self.push_expr(ExprKind::Error, span);
        }
        if node.kind() == "binary_expression" {
            let id = self.binary(node, span);
            self.leave();
            return id;
        }
        let kind = self.expr_kind(node);
        self.leave();
        self.push_postfix_aware(kind, span)
    }

    /// Pushes an expression, repairing tree-sitter-solidity's precedence for
    /// postfix operations.
    ///
    /// The grammar sometimes attaches a member access, index, slice, call, call
    /// options or postfix `++`/`--` to a whole unparenthesized binary, prefix
    /// unary, ternary or assignment expression: `a + b.c()` comes out as
    /// `(a + b).c()` and `-a.b()` as `(-a).b()`. Postfix operations bind tightest
    /// in Solidity, so the operation is moved down onto the rightmost operand.
    fn push_postfix_aware(&mut self, mut kind: ExprKind, span: Span) -> ExprId {
        if let ExprKind::Ternary {
            cond,
            then_expr,
            else_expr,
        } = kind
        {
            return self.push_ternary(cond, then_expr, else_expr, span);
        }
        let Some(base) = postfix_base(&kind) else {
            return self.push_expr(kind, span);
        };
        if !self.is_loose(base) {
            return self.push_expr(kind, span);
        }
        // Walk down the right spine of loose expressions to the operand the
        // postfix operation really applies to.
        let mut path = vec![base];
        let mut cur = base;
        while let Some(next) = loose_right_child(&self.ast.exprs[cur.index()].kind) {
            if !self.is_loose(next) {
                break;
            }
            path.push(next);
            cur = next;
        }
        let Some(operand) = loose_right_child(&self.ast.exprs[cur.index()].kind) else {
            return self.push_expr(kind, span);
        };
        let operand_lo = self.ast.exprs[operand.index()].span.lo;
        set_postfix_base(&mut kind, operand);
        let fixed = self.push_expr(kind, Span::new(operand_lo, span.hi));
        if let Some(slot) = loose_right_child_mut(&mut self.ast.exprs[cur.index()].kind) {
            *slot = fixed;
        }
        for id in path {
            let e = &mut self.ast.exprs[id.index()];
            e.span.hi = e.span.hi.max(span.hi);
        }
        base
    }

    /// Pushes `cond ? then_expr : else_expr`, making the conditional operator
    /// right-associative: tree-sitter-solidity parses `a ? b : c ? d : e` as
    /// `(a ? b : c) ? d : e`; Solidity reads `a ? b : (c ? d : e)`.
    fn push_ternary(
        &mut self,
        cond: ExprId,
        then_expr: ExprId,
        else_expr: ExprId,
        span: Span,
    ) -> ExprId {
        if !matches!(self.ast.exprs[cond.index()].kind, ExprKind::Ternary { .. }) {
            return self.push_expr(
                ExprKind::Ternary {
                    cond,
                    then_expr,
                    else_expr,
                },
                span,
            );
        }
        let mut path = vec![cond];
        let mut cur = cond;
        while let ExprKind::Ternary {
            else_expr: next, ..
        } = self.ast.exprs[cur.index()].kind
        {
            if !matches!(self.ast.exprs[next.index()].kind, ExprKind::Ternary { .. }) {
                break;
            }
            path.push(next);
            cur = next;
        }
        let ExprKind::Ternary {
            else_expr: last, ..
        } = self.ast.exprs[cur.index()].kind
        else {
            return self.push_expr(
                ExprKind::Ternary {
                    cond,
                    then_expr,
                    else_expr,
                },
                span,
            );
        };
        let lo = self.ast.exprs[last.index()].span.lo;
        let inner = self.push_expr(
            ExprKind::Ternary {
                cond: last,
                then_expr,
                else_expr,
            },
            Span::new(lo, span.hi),
        );
        if let ExprKind::Ternary {
            else_expr: slot, ..
        } = &mut self.ast.exprs[cur.index()].kind
        {
            *slot = inner;
        }
        for id in path {
            let e = &mut self.ast.exprs[id.index()];
            e.span.hi = e.span.hi.max(span.hi);
        }
        cond
    }

    fn is_loose(&self, id: ExprId) -> bool {
        match &self.ast.exprs[id.index()].kind {
            ExprKind::Binary { .. } | ExprKind::Ternary { .. } | ExprKind::Assign { .. } => true,
            ExprKind::Unary { op, .. } => !matches!(op, UnaryOp::PostInc | UnaryOp::PostDec),
            _ => false,
        }
    }

    fn expr_kind(&mut self, node: Node<'t>) -> ExprKind {
        match node.kind() {
            "identifier" => return ExprKind::Ident(self.ident(node)),
            "number_literal"
            | "string_literal"
            | "boolean_literal"
            | "hex_string_literal"
            | "unicode_string_literal" => return ExprKind::Literal(self.literal(node)),
            "primitive_type" => {
                return match ElementaryType::from_keyword(&normalize_ws(self.text(node))) {
                    Some(t) => ExprKind::ElementaryType(t),
                    None => {
                        let ty = self.ty(node);
                        ExprKind::Type(ty)
                    }
                };
            }
            "user_defined_type" => return self.path_expr(node),
            _ => {}
        }
        let kids = self.kids(node);
        let kind = match node.kind() {
            "parenthesized_expression" => match kids.iter().find(|k| k.node.is_named()) {
                Some(k) => ExprKind::Paren(self.expr(k.node)),
                None => ExprKind::Error,
            },
            "member_expression" => {
                let base = kids
                    .iter()
                    .find(|k| k.field == Some("object"))
                    .map(|k| k.node);
                let member = kids
                    .iter()
                    .find(|k| k.field == Some("property"))
                    .map(|k| self.ident(k.node));
                match (base, member) {
                    (Some(b), Some(member)) => ExprKind::Member {
                        base: self.expr(b),
                        member,
                    },
                    _ => ExprKind::Error,
                }
            }
            "array_access" => {
                let base = kids
                    .iter()
                    .find(|k| k.field == Some("base"))
                    .map(|k| k.node);
                let index = kids
                    .iter()
                    .find(|k| k.field == Some("index"))
                    .map(|k| k.node);
                match base {
                    Some(b) => ExprKind::Index {
                        base: self.expr(b),
                        index: index.map(|i| self.expr(i)),
                    },
                    None => ExprKind::Error,
                }
            }
            "slice_access" => {
                let base = kids
                    .iter()
                    .find(|k| k.field == Some("base"))
                    .map(|k| k.node);
                let from = kids
                    .iter()
                    .find(|k| k.field == Some("from"))
                    .map(|k| k.node);
                let to = kids.iter().find(|k| k.field == Some("to")).map(|k| k.node);
                match base {
                    Some(b) => ExprKind::Slice {
                        base: self.expr(b),
                        start: from.map(|e| self.expr(e)),
                        end: to.map(|e| self.expr(e)),
                    },
                    None => ExprKind::Error,
                }
            }
            "assignment_expression" | "augmented_assignment_expression" => {
                let lhs = kids
                    .iter()
                    .find(|k| k.field == Some("left"))
                    .map(|k| k.node);
                let rhs = kids
                    .iter()
                    .find(|k| k.field == Some("right"))
                    .map(|k| k.node);
                let op_text = kids
                    .iter()
                    .find(|k| !k.node.is_named())
                    .map_or("=", |k| k.kind());
                let op = op_text.strip_suffix('=').and_then(BinaryOp::from_str_op);
                match (lhs, rhs) {
                    (Some(l), Some(r)) => ExprKind::Assign {
                        op,
                        lhs: self.expr(l),
                        rhs: self.expr(r),
                    },
                    _ => ExprKind::Error,
                }
            }
            "tuple_expression" => {
                let mut elements = Vec::new();
                let mut slot: Option<Node<'t>> = None;
                let mut any_comma = false;
                for k in &kids {
                    match k.kind() {
                        "," | ")" => {
                            if k.kind() == "," {
                                any_comma = true;
                            }
                            if k.kind() == "," || slot.is_some() || any_comma {
                                elements.push(slot.take().map(|n| self.expr(n)));
                            }
                        }
                        _ if k.node.is_named() => slot = Some(k.node),
                        _ => {}
                    }
                }
                ExprKind::Tuple { elements }
            }
            "inline_array_expression" => ExprKind::InlineArray {
                elements: kids
                    .iter()
                    .filter(|k| k.node.is_named())
                    .map(|k| self.expr(k.node))
                    .collect(),
            },
            "new_expression" => {
                let ty_node = kids
                    .iter()
                    .find(|k| k.field == Some("name"))
                    .map(|k| k.node);
                let span = span_of(node);
                let ty = match ty_node {
                    Some(t) => self.ty(t),
                    None => self.push_type(TypeKind::Error, span),
                };
                match self.call_args(node) {
                    Some(args) => {
                        let new_span = Span::new(span.lo, self.ast.types[ty.index()].span.hi);
                        let callee = self.push_expr(ExprKind::New { ty }, new_span);
                        ExprKind::Call { callee, args }
                    }
                    None => ExprKind::New { ty },
                }
            }
            "unary_expression" => {
                let op = kids
                    .iter()
                    .find(|k| k.field == Some("operator"))
                    .map_or("", |k| k.kind());
                let op = match op {
                    "-" => Some(UnaryOp::Neg),
                    "!" => Some(UnaryOp::Not),
                    "~" => Some(UnaryOp::BitNot),
                    "delete" => Some(UnaryOp::Delete),
                    _ => None,
                };
                let arg = kids
                    .iter()
                    .find(|k| k.field == Some("argument"))
                    .map(|k| k.node);
                match (op, arg) {
                    (Some(op), Some(a)) => ExprKind::Unary {
                        op,
                        operand: self.expr(a),
                    },
                    _ => ExprKind::Error,
                }
            }
            "update_expression" => {
                let prefix = kids.first().is_some_and(|k| k.field == Some("operator"));
                let op = kids
                    .iter()
                    .find(|k| k.field == Some("operator"))
                    .map_or("", |k| k.kind());
                let op = match (op, prefix) {
                    ("++", true) => Some(UnaryOp::PreInc),
                    ("--", true) => Some(UnaryOp::PreDec),
                    ("++", false) => Some(UnaryOp::PostInc),
                    ("--", false) => Some(UnaryOp::PostDec),
                    _ => None,
                };
                let arg = kids
                    .iter()
                    .find(|k| k.field == Some("argument"))
                    .map(|k| k.node);
                match (op, arg) {
                    (Some(op), Some(a)) => ExprKind::Unary {
                        op,
                        operand: self.expr(a),
                    },
                    _ => ExprKind::Error,
                }
            }
            "call_expression" => {
                let callee = kids
                    .iter()
                    .find(|k| k.field == Some("function"))
                    .map(|k| k.node);
                match callee {
                    Some(c) => {
                        let callee = self.expr(c);
                        let args = self.call_args(node).unwrap_or_default();
                        ExprKind::Call { callee, args }
                    }
                    None => ExprKind::Error,
                }
            }
            "struct_expression" => {
                let callee = kids
                    .iter()
                    .find(|k| k.field == Some("type"))
                    .map(|k| k.node);
                let fields: Vec<Node<'t>> = kids
                    .iter()
                    .filter(|k| k.kind() == "struct_field_assignment")
                    .map(|k| k.node)
                    .collect();
                match callee {
                    Some(c) => {
                        let callee = self.expr(c);
                        let options = fields.into_iter().map(|f| self.named_arg(f)).collect();
                        ExprKind::CallOptions { callee, options }
                    }
                    None => ExprKind::Error,
                }
            }
            "ternary_expression" => {
                let mut named = kids.iter().filter(|k| k.node.is_named());
                match (named.next(), named.next(), named.next(), named.next()) {
                    (Some(c), Some(t), Some(e), None) => ExprKind::Ternary {
                        cond: self.expr(c.node),
                        then_expr: self.expr(t.node),
                        else_expr: self.expr(e.node),
                    },
                    _ => ExprKind::Error,
                }
            }
            "type_cast_expression" => {
                let ty = kids
                    .iter()
                    .find(|k| k.kind() == "primitive_type")
                    .map(|k| k.node);
                match ty {
                    Some(t) => {
                        let callee = self.expr(t);
                        let args = self.call_args(node).unwrap_or_default();
                        ExprKind::Call { callee, args }
                    }
                    None => ExprKind::Error,
                }
            }
            "payable_conversion_expression" => {
                let kw = kids
                    .iter()
                    .find(|k| k.kind() == "payable")
                    .map_or(span_of(node), |k| span_of(k.node));
                let callee = self.push_expr(
                    ExprKind::ElementaryType(ElementaryType::Address { payable: true }),
                    kw,
                );
                let args = self.call_args(node).unwrap_or_default();
                ExprKind::Call { callee, args }
            }
            "meta_type_expression" => match kids.iter().find(|k| k.node.is_named()) {
                Some(t) => ExprKind::TypeOf {
                    ty: self.ty(t.node),
                },
                None => ExprKind::Error,
            },
            "type_name" => ExprKind::Type(self.ty(node)),
            _ => ExprKind::Error,
        };
        self.give(kids);
        kind
    }

    /// `user_defined_type` in expression position: `A` or `A.B.C` as identifiers
    /// and member accesses.
    fn path_expr(&mut self, node: Node<'t>) -> ExprKind {
        let path = self.path(node);
        let mut segs = path.segments.into_iter();
        let Some(first) = segs.next() else {
            return ExprKind::Error;
        };
        let lo = first.span.lo;
        let mut kind = ExprKind::Ident(first);
        let mut span = Span::new(lo, lo);
        for seg in segs {
            let prev_span = Span::new(lo, span.hi.max(lo));
            let base = self.push_expr(
                kind,
                if span.hi == lo {
                    Span::new(lo, prev_span.hi)
                } else {
                    prev_span
                },
            );
            span = Span::new(lo, seg.span.hi);
            kind = ExprKind::Member { base, member: seg };
        }
        kind
    }

    /// Lowers `lhs op rhs`, repairing precedence when the left operand is an
    /// unparenthesized expression that binds more loosely than `op` (which
    /// happens after [`Self::push_postfix_aware`] moved a postfix operation), and
    /// making `**` right-associative: tree-sitter-solidity parses `a ** b ** c`
    /// as `(a ** b) ** c`, Solidity (0.8+) as `a ** (b ** c)`.
    fn binary(&mut self, node: Node<'t>, span: Span) -> ExprId {
        let Some((l, op, r)) = self.binary_parts(node) else {
            return self.push_expr(ExprKind::Error, span);
        };
        let lhs = self.expr(l);
        let rhs = self.expr(r);
        let power = binding_power(op);
        let needs_rotation = |kind: &ExprKind| match op_power(kind) {
            Some(p) => p < power || (p == power && op == BinaryOp::Pow),
            None => false,
        };
        if !needs_rotation(&self.ast.exprs[lhs.index()].kind) {
            return self.push_expr(ExprKind::Binary { op, lhs, rhs }, span);
        }
        // Walk down the right spine of `lhs` while it binds more loosely than `op`.
        let mut path = vec![lhs];
        let mut cur = lhs;
        while let Some(next) = loose_right_child(&self.ast.exprs[cur.index()].kind) {
            if !needs_rotation(&self.ast.exprs[next.index()].kind) {
                break;
            }
            path.push(next);
            cur = next;
        }
        let Some(operand) = loose_right_child(&self.ast.exprs[cur.index()].kind) else {
            return self.push_expr(ExprKind::Binary { op, lhs, rhs }, span);
        };
        let lo = self.ast.exprs[operand.index()].span.lo;
        let inner = self.push_expr(
            ExprKind::Binary {
                op,
                lhs: operand,
                rhs,
            },
            Span::new(lo, span.hi),
        );
        if let Some(slot) = loose_right_child_mut(&mut self.ast.exprs[cur.index()].kind) {
            *slot = inner;
        }
        for id in path {
            let e = &mut self.ast.exprs[id.index()];
            e.span.hi = e.span.hi.max(span.hi);
        }
        lhs
    }

    fn binary_parts(&mut self, node: Node<'t>) -> Option<(Node<'t>, BinaryOp, Node<'t>)> {
        let kids = self.kids(node);
        let lhs = kids
            .iter()
            .find(|k| k.field == Some("left"))
            .map(|k| k.node);
        let rhs = kids
            .iter()
            .find(|k| k.field == Some("right"))
            .map(|k| k.node);
        let op = kids
            .iter()
            .find(|k| k.field == Some("operator"))
            .and_then(|k| BinaryOp::from_str_op(k.kind()));
        self.give(kids);
        Some((lhs?, op?, rhs?))
    }

    fn literal(&mut self, node: Node<'t>) -> Literal {
        match node.kind() {
            "boolean_literal" => Literal::Bool(self.text(node).trim() == "true"),
            "number_literal" => {
                let kids = self.kids(node);
                let unit = kids
                    .iter()
                    .find(|k| k.kind() == "number_unit")
                    .and_then(|k| NumberUnit::from_keyword(self.text(k.node).trim()));
                let digits_end = kids
                    .iter()
                    .find(|k| k.kind() == "number_unit")
                    .map(|k| k.node.start_byte());
                self.give(kids);
                let text = self
                    .src
                    .get(node.start_byte()..digits_end.unwrap_or(node.end_byte()))
                    .unwrap_or("")
                    .trim();
                let is_hex = text.starts_with("0x") || text.starts_with("0X");
                Literal::Number {
                    text: CompactString::from(text),
                    is_hex,
                    unit,
                }
            }
            kind => {
                let string_kind = match kind {
                    "hex_string_literal" => StringKind::Hex,
                    "unicode_string_literal" => StringKind::Unicode,
                    _ => StringKind::Plain,
                };
                Literal::String {
                    kind: string_kind,
                    value: string_value(self.text(node)),
                }
            }
        }
    }

    // ----- types --------------------------------------------------------

    fn opt_ty(&mut self, node: Option<Node<'t>>, span: Span) -> TypeId {
        match node {
            Some(n) => self.ty(n),
            None => self.push_type(TypeKind::Error, span),
        }
    }

    fn ty(&mut self, node: Node<'t>) -> TypeId {
        let span = span_of(node);
        if !self.enter(node) {
            return self.push_type(TypeKind::Error, span);
        }
        let kind = self.ty_kind(node);
        self.leave();
        self.push_type(kind, span)
    }

    fn ty_kind(&mut self, node: Node<'t>) -> TypeKind {
        match node.kind() {
            "primitive_type" => {
                let text = normalize_ws(self.text(node));
                if text == "var" {
                    return TypeKind::Var;
                }
                return ElementaryType::from_keyword(&text)
                    .map_or(TypeKind::Error, TypeKind::Elementary);
            }
            "user_defined_type" | "type_alias" => return TypeKind::UserDefined(self.path(node)),
            "type_name" => {}
            _ => return TypeKind::Error,
        }
        let kids = self.kids(node);
        let first = kids.first().map(|k| k.kind());
        let kind = match first {
            Some("mapping") => {
                let mut key = None;
                let mut value = None;
                let mut key_name = None;
                let mut value_name = None;
                for k in &kids {
                    match k.field {
                        Some("key_type") => key = Some(k.node),
                        Some("value_type") => value = Some(k.node),
                        Some("key_identifier") => key_name = Some(self.ident(k.node)),
                        Some("value_identifier") => value_name = Some(self.ident(k.node)),
                        _ => {}
                    }
                }
                let span = span_of(node);
                let key = self.opt_ty(key, span);
                let value = self.opt_ty(value, span);
                TypeKind::Mapping {
                    key,
                    key_name,
                    value,
                    value_name,
                }
            }
            Some("function") => {
                let mut params = Vec::new();
                let mut returns = Vec::new();
                let mut visibility = None;
                let mut mutability = None;
                for k in &kids {
                    match k.kind() {
                        "parameter" => params.push(self.var_decl(k.node)),
                        "return_parameter" => returns.push(self.var_decl(k.node)),
                        "visibility" => visibility = visibility_of(self.text(k.node)),
                        "state_mutability" => mutability = mutability_of(self.text(k.node)),
                        _ => {}
                    }
                }
                TypeKind::Function {
                    params,
                    returns,
                    visibility,
                    mutability,
                }
            }
            _ if kids.iter().any(|k| k.kind() == "[") => {
                let element = kids.first().map(|k| k.node);
                let size = kids
                    .iter()
                    .skip(1)
                    .find(|k| k.node.is_named())
                    .map(|k| k.node);
                let span = span_of(node);
                let element = self.opt_ty(element, span);
                TypeKind::Array {
                    element,
                    size: size.map(|s| self.expr(s)),
                }
            }
            _ => match kids.iter().find(|k| k.node.is_named()) {
                Some(k) => {
                    let inner = k.node;
                    self.ty_kind(inner)
                }
                None => TypeKind::Error,
            },
        };
        self.give(kids);
        kind
    }

    // ----- Yul ----------------------------------------------------------

    fn yul_stmt(&mut self, node: Node<'t>) -> YulStmtId {
        let span = span_of(node);
        if node.kind() == "ERROR" || !self.enter(node) {
            return self.push_yul_stmt(YulStmtKind::Error, span);
        }
        let kind = self.yul_stmt_kind(node);
        self.leave();
        self.push_yul_stmt(kind, span)
    }

    fn yul_stmt_kind(&mut self, node: Node<'t>) -> YulStmtKind {
        match node.kind() {
            "yul_leave" => return YulStmtKind::Leave,
            "yul_break" => return YulStmtKind::Break,
            "yul_continue" => return YulStmtKind::Continue,
            "yul_function_call"
            | "yul_decimal_number"
            | "yul_string_literal"
            | "yul_hex_number"
            | "yul_boolean"
            | "yul_hex_string_literal"
            | "yul_path" => {
                return YulStmtKind::Expr(self.yul_expr(node));
            }
            _ => {}
        }
        let kids = self.kids(node);
        let kind = match node.kind() {
            "yul_block" => {
                let stmts = kids
                    .iter()
                    .filter(|k| k.node.is_named())
                    .map(|k| k.node)
                    .collect::<Vec<_>>();
                YulStmtKind::Block(self.yul_stmt_list(stmts))
            }
            "yul_label" => match kids.iter().find(|k| k.kind() == "identifier") {
                Some(k) => YulStmtKind::Label(self.ident(k.node)),
                None => YulStmtKind::Error,
            },
            "yul_variable_declaration" => {
                let mut names = Vec::new();
                let mut value = None;
                for k in &kids {
                    match k.field {
                        Some("left") if k.kind() == "yul_identifier" => {
                            names.push(self.ident(k.node))
                        }
                        Some("right") => value = Some(self.yul_expr(k.node)),
                        _ => {}
                    }
                }
                YulStmtKind::Let { names, value }
            }
            "yul_assignment" => {
                let mut targets = Vec::new();
                let mut value = None;
                let mut seen_op = false;
                for k in &kids {
                    match k.kind() {
                        ":=" | "=" => seen_op = true,
                        "yul_path" if !seen_op => targets.push(self.yul_path(k.node)),
                        _ if seen_op && k.node.is_named() => value = Some(self.yul_expr(k.node)),
                        _ => {}
                    }
                }
                YulStmtKind::Assign { targets, value }
            }
            "yul_if_statement" => {
                let named: Vec<Node<'t>> = kids
                    .iter()
                    .filter(|k| k.node.is_named())
                    .map(|k| k.node)
                    .collect();
                match named.as_slice() {
                    [c, b] => YulStmtKind::If {
                        cond: self.yul_expr(*c),
                        body: self.yul_stmt(*b),
                    },
                    _ => YulStmtKind::Error,
                }
            }
            "yul_for_statement" => {
                let named: Vec<Node<'t>> = kids
                    .iter()
                    .filter(|k| k.node.is_named())
                    .map(|k| k.node)
                    .collect();
                match named.as_slice() {
                    [i, c, p, b] => YulStmtKind::For {
                        init: self.yul_stmt(*i),
                        cond: self.yul_expr(*c),
                        post: self.yul_stmt(*p),
                        body: self.yul_stmt(*b),
                    },
                    _ => YulStmtKind::Error,
                }
            }
            "yul_switch_statement" => {
                let mut expr = None;
                let mut cases = Vec::new();
                let mut case_start: Option<(u32, bool)> = None; // (start byte, is default)
                let mut value = None;
                for k in &kids {
                    match k.kind() {
                        "switch" => {}
                        "case" => case_start = Some((k.node.start_byte() as u32, false)),
                        "default" => case_start = Some((k.node.start_byte() as u32, true)),
                        "yul_block" => {
                            let body = self.yul_stmt(k.node);
                            let lo = case_start.map_or(k.node.start_byte() as u32, |c| c.0);
                            let span = Span::new(lo, k.node.end_byte() as u32);
                            let value = if case_start.is_some_and(|c| c.1) {
                                None
                            } else {
                                value.take()
                            };
                            cases.push(YulCase { value, body, span });
                            case_start = None;
                        }
                        _ if k.node.is_named() => {
                            if expr.is_none() {
                                expr = Some(self.yul_expr(k.node));
                            } else {
                                value = Some(self.yul_expr(k.node));
                            }
                        }
                        _ => {}
                    }
                }
                match expr {
                    Some(expr) => YulStmtKind::Switch { expr, cases },
                    None => YulStmtKind::Error,
                }
            }
            "yul_function_definition" => {
                let mut name = None;
                let mut params = Vec::new();
                let mut returns = Vec::new();
                let mut body = None;
                let mut arrow = false;
                for k in &kids {
                    match k.kind() {
                        "->" => arrow = true,
                        "yul_identifier" => {
                            let id = self.ident(k.node);
                            if name.is_none() {
                                name = Some(id);
                            } else if arrow {
                                returns.push(id);
                            } else {
                                params.push(id);
                            }
                        }
                        "yul_block" => body = Some(self.yul_stmt(k.node)),
                        _ => {}
                    }
                }
                match (name, body) {
                    (Some(name), Some(body)) => YulStmtKind::FunctionDef {
                        name,
                        params,
                        returns,
                        body,
                    },
                    _ => YulStmtKind::Error,
                }
            }
            _ => YulStmtKind::Error,
        };
        self.give(kids);
        kind
    }

    /// Lowers a list of Yul statements. tree-sitter-solidity splits
    /// `let a, b := f()` into `let a,` and the assignment `b := f()`; the two are
    /// merged back into one `let`.
    fn yul_stmt_list(&mut self, nodes: Vec<Node<'t>>) -> Vec<YulStmtId> {
        let mut out: Vec<YulStmtId> = Vec::with_capacity(nodes.len());
        for n in nodes {
            let id = self.yul_stmt(n);
            if let Some(&prev) = out.last()
                && self.merge_split_let(prev, id)
            {
                continue;
            }
            out.push(id);
        }
        out
    }

    fn merge_split_let(&mut self, prev: YulStmtId, next: YulStmtId) -> bool {
        let prev_stmt = &self.ast.yul_stmts[prev.index()];
        let open_let = matches!(prev_stmt.kind, YulStmtKind::Let { value: None, .. })
            && prev_stmt.span.text(self.src).trim_end().ends_with(',');
        // Only the node pushed last can be removed from the arena.
        if !open_let || next.index() + 1 != self.ast.yul_stmts.len() {
            return false;
        }
        let YulStmtKind::Assign { targets, value } = &self.ast.yul_stmts[next.index()].kind else {
            return false;
        };
        if targets.iter().any(|t| t.len() != 1) {
            return false;
        }
        let names: Vec<Ident> = targets.iter().flatten().cloned().collect();
        let value = *value;
        let hi = self.ast.yul_stmts[next.index()].span.hi;
        self.ast.yul_stmts.pop();
        let prev_stmt = &mut self.ast.yul_stmts[prev.index()];
        if let YulStmtKind::Let {
            names: existing,
            value: slot,
        } = &mut prev_stmt.kind
        {
            existing.extend(names);
            *slot = value;
        }
        prev_stmt.span.hi = hi;
        true
    }

    fn yul_path(&mut self, node: Node<'t>) -> Vec<Ident> {
        let kids = self.kids(node);
        let segs = kids
            .iter()
            .filter(|k| k.node.is_named())
            .map(|k| self.ident(k.node))
            .collect();
        self.give(kids);
        segs
    }

    fn yul_expr(&mut self, node: Node<'t>) -> YulExprId {
        let span = span_of(node);
        if !self.enter(node) {
            return self.push_yul_expr(YulExprKind::Error, span);
        }
        let kind = match node.kind() {
            "yul_path" => YulExprKind::Path(self.yul_path(node)),
            "yul_identifier" => YulExprKind::Path(vec![self.ident(node)]),
            "yul_decimal_number"
            | "yul_string_literal"
            | "yul_hex_number"
            | "yul_boolean"
            | "yul_hex_string_literal" => {
                YulExprKind::Literal(CompactString::from(self.text(node)))
            }
            "yul_function_call" => {
                let kids = self.kids(node);
                let mut function = None;
                let mut builtin = false;
                let mut args = Vec::new();
                for k in &kids {
                    if k.field == Some("function") {
                        builtin = k.kind() == "yul_evm_builtin";
                        function = Some(self.ident(k.node));
                    } else if k.node.is_named() {
                        args.push(k.node);
                    }
                }
                self.give(kids);
                let args = args.into_iter().map(|a| self.yul_expr(a)).collect();
                match function {
                    Some(function) => YulExprKind::Call {
                        function,
                        builtin,
                        args,
                    },
                    None => YulExprKind::Error,
                }
            }
            _ => YulExprKind::Error,
        };
        self.leave();
        self.push_yul_expr(kind, span)
    }
}

/// How tightly a binary operator binds (higher binds tighter).
fn binding_power(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq | BinaryOp::Ne => 3,
        BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge => 4,
        BinaryOp::BitOr => 5,
        BinaryOp::BitXor => 6,
        BinaryOp::BitAnd => 7,
        BinaryOp::Shl | BinaryOp::Shr => 8,
        BinaryOp::Add | BinaryOp::Sub => 9,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 10,
        BinaryOp::Pow => 11,
    }
}

/// The binding power of an expression that can take a right operand:
/// ternaries and assignments bind loosest; operands (and unary expressions,
/// which bind tighter than every binary operator) have none.
fn op_power(kind: &ExprKind) -> Option<u8> {
    match kind {
        ExprKind::Binary { op, .. } => Some(binding_power(*op)),
        ExprKind::Ternary { .. } | ExprKind::Assign { .. } => Some(0),
        _ => None,
    }
}

/// The base of a postfix operation.
fn postfix_base(kind: &ExprKind) -> Option<ExprId> {
    match kind {
        ExprKind::Member { base, .. }
        | ExprKind::Index { base, .. }
        | ExprKind::Slice { base, .. } => Some(*base),
        ExprKind::Call { callee, .. } | ExprKind::CallOptions { callee, .. } => Some(*callee),
        ExprKind::Unary {
            op: UnaryOp::PostInc | UnaryOp::PostDec,
            operand,
        } => Some(*operand),
        _ => None,
    }
}

fn set_postfix_base(kind: &mut ExprKind, new: ExprId) {
    match kind {
        ExprKind::Member { base, .. }
        | ExprKind::Index { base, .. }
        | ExprKind::Slice { base, .. } => *base = new,
        ExprKind::Call { callee, .. } | ExprKind::CallOptions { callee, .. } => *callee = new,
        ExprKind::Unary {
            op: UnaryOp::PostInc | UnaryOp::PostDec,
            operand,
        } => *operand = new,
        _ => {}
    }
}

/// The operand a postfix operation written after a loose expression belongs to.
fn loose_right_child(kind: &ExprKind) -> Option<ExprId> {
    match kind {
        ExprKind::Binary { rhs, .. } | ExprKind::Assign { rhs, .. } => Some(*rhs),
        ExprKind::Ternary { else_expr, .. } => Some(*else_expr),
        ExprKind::Unary { op, operand } if !matches!(op, UnaryOp::PostInc | UnaryOp::PostDec) => {
            Some(*operand)
        }
        _ => None,
    }
}

fn loose_right_child_mut(kind: &mut ExprKind) -> Option<&mut ExprId> {
    match kind {
        ExprKind::Binary { rhs, .. } | ExprKind::Assign { rhs, .. } => Some(rhs),
        ExprKind::Ternary { else_expr, .. } => Some(else_expr),
        ExprKind::Unary { op, operand } if !matches!(op, UnaryOp::PostInc | UnaryOp::PostDec) => {
            Some(operand)
        }
        _ => None,
    }
}

/// Skips the `expression` wrapper nodes tree-sitter puts around expressions.
fn unwrap_expression(mut node: Node<'_>) -> Node<'_> {
    // Wrappers never nest deeply, but bound the loop anyway.
    for _ in 0..8 {
        if node.kind() != "expression" {
            break;
        }
        match first_named(node) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

fn first_named(node: Node<'_>) -> Option<Node<'_>> {
    // Fast path without a heap-allocated cursor; comments are named extras.
    match node.named_child(0) {
        Some(n) if n.kind() != "comment" => return Some(n),
        None => return None,
        Some(_) => {}
    }
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return None;
    }
    loop {
        let n = cursor.node();
        if n.is_named() && n.kind() != "comment" {
            return Some(n);
        }
        if !cursor.goto_next_sibling() {
            return None;
        }
    }
}

/// Whether a tuple child list contains a comma (so `()` stays empty but `(a,)` has two slots).
fn out_has_comma(kids: &[Kid<'_>]) -> bool {
    kids.iter().any(|k| k.kind() == ",")
}

fn visibility_of(text: &str) -> Option<Visibility> {
    match text.trim() {
        "public" => Some(Visibility::Public),
        "internal" => Some(Visibility::Internal),
        "private" => Some(Visibility::Private),
        "external" => Some(Visibility::External),
        _ => None,
    }
}

fn mutability_of(text: &str) -> Option<Mutability> {
    match text.trim() {
        "pure" => Some(Mutability::Pure),
        "view" => Some(Mutability::View),
        "payable" => Some(Mutability::Payable),
        "constant" => Some(Mutability::Constant),
        _ => None,
    }
}

/// Collapses runs of whitespace (and comments are not expected) in a type keyword,
/// e.g. `address   payable` → `address payable`.
fn normalize_ws(text: &str) -> CompactString {
    let mut out = CompactString::default();
    for (i, part) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// The contents of (possibly several adjacent) string literal parts, without
/// quotes and `hex`/`unicode` prefixes; escapes are kept as written.
fn string_value(text: &str) -> CompactString {
    let mut out = CompactString::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let q = bytes[i];
        if q != b'"' && q != b'\'' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while j < bytes.len() && bytes[j] != q {
            j += if bytes[j] == b'\\' { 2 } else { 1 };
        }
        out.push_str(text.get(start..j.min(bytes.len())).unwrap_or(""));
        i = j + 1;
    }
    out
}
