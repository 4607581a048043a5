//! A first semantic layer: what each function of a module does, read from the
//! AST alone.
//!
//! Per function: visibility, mutability, the `@nonreentrant` key (or the
//! module-wide `# pragma nonreentrancy on`), storage reads and writes
//! (`self.x`), internal calls (`self.f()`, `module.f()`), external calls
//! (`raw_call`, `send`, `selfdestruct`, `create_*`, interface calls,
//! `extcall`/`staticcall`) and caller guards (`assert msg.sender ==
//! self.owner`, `if msg.sender != self.owner: raise`, `assert
//! self.admins[msg.sender]`), with guards of called internal functions
//! propagated to their callers.
//!
//! Everything is syntactic and per module: names resolve against the module's
//! own declarations and imports, not across files.

use std::collections::{HashMap, HashSet};

use crate::ast::*;
use crate::{Builtin, EnvVar, Parse, Span, TypeShape};

/// How an external call is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternalCallKind {
    /// `raw_call(...)`.
    RawCall,
    /// `send(to, value)`.
    Send,
    /// `selfdestruct(to)`.
    Selfdestruct,
    /// `create_minimal_proxy_to`, `create_forwarder_to`, `create_copy_of`,
    /// `create_from_blueprint`, `raw_create`: deploys code (runs its constructor).
    Create(Builtin),
    /// `Iface(addr).f()` or `self.token.f()` before 0.4: may change state.
    Interface,
    /// A call to an interface function declared `view`/`pure`/`constant` before 0.4.
    InterfaceView,
    /// `extcall target.f()` (0.4).
    ExtCall,
    /// `staticcall target.f()` (0.4).
    StaticCall,
}

impl ExternalCallKind {
    /// True when the callee may change state or re-enter (not a static call).
    pub fn can_reenter(self) -> bool {
        !matches!(
            self,
            ExternalCallKind::StaticCall | ExternalCallKind::InterfaceView
        )
    }
}

/// One external call in a function body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalCall {
    pub kind: ExternalCallKind,
    /// The call expression.
    pub expr: ExprId,
    pub span: Span,
    /// `raw_call(..., revert_on_failure=False)`: failure is a return value.
    pub revert_on_failure_disabled: bool,
    /// `raw_call(..., is_delegate_call=True)`: the callee runs on this
    /// contract's storage.
    pub delegate: bool,
    /// `value=` is passed, or the call is `send`.
    pub sends_value: bool,
}

/// A read or a write of a storage (or transient) variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageAccess {
    /// `x` of `self.x`.
    pub name: String,
    /// The `self.x` expression.
    pub span: Span,
}

/// How a function restricts its caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuardKind {
    /// `msg.sender == X` (or `!=` then `raise`), X a storage variable, an
    /// immutable or constant; `X` is its name.
    SenderEquals(String),
    /// `self.m[msg.sender]` used as the condition (an allow-list); `m` is its name.
    SenderInMapping(String),
    /// `msg.sender in self.l`, `l` a list of allowed callers.
    SenderInList(String),
    /// `tx.origin == X`: an authorization on the transaction origin.
    OriginEquals(String),
    /// The guard is in the internal function called here (by name).
    Inherited(String),
}

/// One caller check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    pub kind: GuardKind,
    /// The `assert` / `if` statement.
    pub span: Span,
}

/// What one function does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionSummary {
    pub name: String,
    /// Index into the module's items.
    pub item: usize,
    pub visibility: Option<Visibility>,
    pub mutability: Mutability,
    /// `Some(Some(key))` for `@nonreentrant("key")`; `Some(None)` for the
    /// key-less 0.4 form or an external, non-`pure` function locked by
    /// `# pragma nonreentrancy on`; `None` when unlocked.
    pub nonreentrant: Option<Option<String>>,
    pub storage_reads: Vec<StorageAccess>,
    pub storage_writes: Vec<StorageAccess>,
    pub external_calls: Vec<ExternalCall>,
    /// Names of internal functions called (`self.f()`, or `module.f()` in 0.4).
    pub internal_calls: Vec<String>,
    /// The same calls with the span of each call expression, in source order.
    pub internal_call_sites: Vec<(String, Span)>,
    pub guards: Vec<Guard>,
    /// Environment variables read (`msg.sender`, `tx.origin`, `block.timestamp`, ...).
    pub env_reads: Vec<(EnvVar, Span)>,
}

impl FunctionSummary {
    /// True when some guard restricts the caller (directly or in a called internal function).
    pub fn is_guarded(&self) -> bool {
        !self.guards.is_empty()
    }

    /// True when the function writes `name`.
    pub fn writes(&self, name: &str) -> bool {
        self.storage_writes.iter().any(|w| w.name == name)
    }

    /// True when the function reads `name`.
    pub fn reads(&self, name: &str) -> bool {
        self.storage_reads.iter().any(|r| r.name == name)
    }
}

/// The view functions of the ERC-20, ERC-721, ERC-165 and ERC-4626 interfaces
/// the compiler ships (`vyper.interfaces`, `ethereum.ercs`).
const STANDARD_VIEWS: &[&str] = &[
    "totalSupply",
    "balanceOf",
    "allowance",
    "name",
    "symbol",
    "decimals",
    "ownerOf",
    "getApproved",
    "isApprovedForAll",
    "tokenURI",
    "supportsInterface",
    "asset",
    "totalAssets",
    "convertToShares",
    "convertToAssets",
    "maxDeposit",
    "previewDeposit",
    "maxMint",
    "previewMint",
    "maxWithdraw",
    "previewWithdraw",
    "maxRedeem",
    "previewRedeem",
];

/// Names a module declares, for resolving `self.x`, `Iface(addr)` and `mod.f()`.
struct ModuleNames<'a> {
    /// Storage and transient variables, with their declared types.
    storage: HashMap<&'a str, ExprId>,
    /// Immutables and constants, with their declared types.
    constants: HashMap<&'a str, ExprId>,
    /// Interface names: declared, or imported before 0.4 (where imports are interfaces).
    interfaces: HashSet<&'a str>,
    /// `(interface, function)` for interface functions declared
    /// `view`/`pure`/`constant`.
    view_functions: HashSet<(&'a str, &'a str)>,
    /// Interfaces imported from the compiler's own set (`vyper.interfaces`,
    /// `ethereum.ercs`), whose view functions are known by name.
    standard_interfaces: HashSet<&'a str>,
    /// 0.4 module aliases (`import a.b as m`, `from a import m`).
    modules: HashSet<&'a str>,
}

impl<'a> ModuleNames<'a> {
    fn new(ast: &'a Ast, modules_are_interfaces: bool) -> Self {
        let mut names = ModuleNames {
            storage: HashMap::new(),
            constants: HashMap::new(),
            interfaces: HashSet::new(),
            view_functions: HashSet::new(),
            standard_interfaces: HashSet::new(),
            modules: HashSet::new(),
        };
        for item in &ast.items {
            match &item.kind {
                ItemKind::Variable(v) => match v.location {
                    VarLocation::Storage | VarLocation::Transient => {
                        names.storage.insert(v.name.as_str(), v.ty);
                    }
                    VarLocation::Immutable | VarLocation::Constant => {
                        names.constants.insert(v.name.as_str(), v.ty);
                    }
                },
                ItemKind::Interface(i) => {
                    names.interfaces.insert(i.name.as_str());
                    for f in &i.functions {
                        if f.mutability
                            .as_ref()
                            .is_some_and(|m| matches!(m.as_str(), "view" | "pure" | "constant"))
                        {
                            names
                                .view_functions
                                .insert((i.name.as_str(), f.name.as_str()));
                        }
                    }
                }
                ItemKind::Import(import) => {
                    let bound: Vec<&str> = if import.names.is_empty() {
                        vec![import.alias.as_ref().map_or_else(
                            || import.module.rsplit('.').next().unwrap_or(""),
                            Ident::as_str,
                        )]
                    } else {
                        import
                            .names
                            .iter()
                            .map(|n| n.alias.as_ref().unwrap_or(&n.name).as_str())
                            .collect()
                    };
                    let standard =
                        matches!(import.module.as_str(), "vyper.interfaces" | "ethereum.ercs");
                    for name in bound {
                        if standard {
                            names.standard_interfaces.insert(name);
                        }
                        // Interfaces are capitalised by convention (`IERC20`, `ERC20`);
                        // before 0.4 every import is an interface.
                        if modules_are_interfaces
                            || name.starts_with(|c: char| c.is_ascii_uppercase())
                        {
                            names.interfaces.insert(name);
                        } else {
                            names.modules.insert(name);
                        }
                    }
                }
                _ => {}
            }
        }
        names
    }

    /// The interface `ty` names, if it names one.
    fn interface_type(&self, ast: &'a Ast, ty: ExprId) -> Option<&'a str> {
        match ast.type_shape(ty) {
            TypeShape::Named(n) if self.interfaces.contains(n.as_str()) => Some(n.as_str()),
            _ => None,
        }
    }

    /// True when `function` of `interface` cannot change state.
    fn is_view(&self, interface: &str, function: &str) -> bool {
        self.view_functions.contains(&(interface, function))
            || self.standard_interfaces.contains(interface) && STANDARD_VIEWS.contains(&function)
    }
}

/// Summarizes every function of a parsed module.
pub fn summarize(parse: &Parse, source: &str) -> Vec<FunctionSummary> {
    let ast = parse.ast();
    let pre_04 = parse
        .lowest_version()
        .is_some_and(|v| v < crate::pragma::Version::new(0, 4, 0));
    let names = ModuleNames::new(ast, pre_04);
    let locked_by_default = parse.nonreentrancy_pragma() == Some(true);
    let mut summaries: Vec<FunctionSummary> = ast
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match &item.kind {
            ItemKind::Function(f) => Some(summarize_function(
                ast,
                source,
                &names,
                i,
                f,
                locked_by_default,
            )),
            _ => None,
        })
        .collect();
    propagate_guards(&mut summaries);
    summaries
}

/// A function calling a guarded internal function is guarded too (to a fixed point).
fn propagate_guards(summaries: &mut [FunctionSummary]) {
    loop {
        let guarded: HashSet<String> = summaries
            .iter()
            .filter(|s| s.is_guarded() && s.visibility != Some(Visibility::External))
            .map(|s| s.name.clone())
            .collect();
        let mut changed = false;
        for s in summaries.iter_mut() {
            let inherited: Vec<String> = s
                .internal_calls
                .iter()
                .filter(|c| guarded.contains(c.as_str()))
                .filter(|c| {
                    !s.guards
                        .iter()
                        .any(|g| matches!(&g.kind, GuardKind::Inherited(n) if n == *c))
                })
                .cloned()
                .collect();
            for name in inherited {
                s.guards.push(Guard {
                    kind: GuardKind::Inherited(name),
                    span: Span::default(),
                });
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

fn summarize_function(
    ast: &Ast,
    source: &str,
    names: &ModuleNames<'_>,
    item: usize,
    f: &FunctionDef,
    locked_by_default: bool,
) -> FunctionSummary {
    let visibility = f.visibility();
    let mutability = f.mutability();
    let nonreentrant = match f.nonreentrant_key(ast, source) {
        Some(key) => Some(key.map(str::to_string)),
        // The 0.4 pragma locks every external function; `pure` ones cannot
        // read the lock. (`view` ones check it: read-only reentrancy.)
        None if locked_by_default
            && visibility == Some(Visibility::External)
            && mutability != Mutability::Pure =>
        {
            Some(None)
        }
        None => None,
    };
    let mut walker = Walker {
        ast,
        names,
        locals: HashMap::new(),
        local_sources: HashMap::new(),
        summary: FunctionSummary {
            name: f.name.as_str().to_string(),
            item,
            visibility,
            mutability,
            nonreentrant,
            storage_reads: Vec::new(),
            storage_writes: Vec::new(),
            external_calls: Vec::new(),
            internal_calls: Vec::new(),
            internal_call_sites: Vec::new(),
            guards: Vec::new(),
            env_reads: Vec::new(),
        },
    };
    for p in &f.params {
        walker.locals.insert(p.name.as_str(), p.ty);
    }
    walker.block(&f.body);
    walker.summary
}

struct Walker<'a> {
    ast: &'a Ast,
    names: &'a ModuleNames<'a>,
    /// Parameters and annotated locals, with their types.
    locals: HashMap<&'a str, ExprId>,
    /// Locals assigned from a storage variable (`owner: address = self.owner`), by the
    /// variable's name: a caller compared with such a local is compared with storage.
    local_sources: HashMap<&'a str, String>,
    summary: FunctionSummary,
}

impl<'a> Walker<'a> {
    fn block(&mut self, stmts: &[StmtId]) {
        for &s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, id: StmtId) {
        let ast = self.ast;
        let stmt = ast.stmt(id);
        match &stmt.kind {
            StmtKind::Expr(e) | StmtKind::Log(e) => self.expr(*e),
            StmtKind::Assign { target, value } => {
                self.expr(*value);
                self.target(*target, false);
            }
            StmtKind::AugAssign { target, value, .. } => {
                self.expr(*value);
                self.target(*target, true);
            }
            StmtKind::AnnAssign { target, ty, value } => {
                self.locals.insert(target.as_str(), *ty);
                if let Some(v) = value {
                    self.expr(*v);
                    if let Some(root) = self.storage_root(*v) {
                        self.local_sources.insert(target.as_str(), root.to_string());
                    }
                }
            }
            StmtKind::If { cond, then, orelse } => {
                self.expr(*cond);
                // `if msg.sender != self.owner: raise` guards what follows.
                if then
                    .last()
                    .is_some_and(|&s| matches!(ast.stmt(s).kind, StmtKind::Raise(_)))
                {
                    self.guards_in(*cond, true, stmt.span);
                }
                self.block(then);
                self.block(orelse);
            }
            StmtKind::For {
                target,
                ty,
                iter,
                body,
            } => {
                if let (ExprKind::Name(n), Some(ty)) = (&ast.expr(*target).kind, ty) {
                    self.locals.insert(n.as_str(), *ty);
                }
                self.expr(*iter);
                self.block(body);
            }
            StmtKind::Assert { cond, msg } => {
                self.expr(*cond);
                if let Some(m) = msg {
                    self.expr(*m);
                }
                self.guards_in(*cond, false, stmt.span);
            }
            StmtKind::Raise(v) | StmtKind::Return(v) => {
                if let Some(v) = v {
                    self.expr(*v);
                }
            }
            StmtKind::Pass | StmtKind::Break | StmtKind::Continue | StmtKind::Error => {}
        }
    }

    /// An assignment target: `self.x...` is written (and read too when
    /// `also_read`, for `+=`); indices are read.
    fn target(&mut self, id: ExprId, also_read: bool) {
        let ast = self.ast;
        match &ast.expr(id).kind {
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for &i in items {
                    self.target(i, also_read);
                }
            }
            ExprKind::Subscript { base, index } => {
                self.expr(*index);
                self.target(*base, also_read);
            }
            ExprKind::Attribute { base, .. } => {
                if let Some(name) = self.storage_name(id) {
                    let access = StorageAccess {
                        name: name.to_string(),
                        span: ast.expr(id).span,
                    };
                    if also_read {
                        self.summary.storage_reads.push(access.clone());
                    }
                    self.summary.storage_writes.push(access);
                } else {
                    // `self.s[k].field = v`: the struct field's base is written.
                    self.target(*base, also_read);
                }
            }
            _ => self.expr(id),
        }
    }

    /// `x` when `id` is `self.x` and `x` is a storage or transient variable.
    fn storage_name(&self, id: ExprId) -> Option<&'a str> {
        let member = self.ast.self_member(id)?;
        self.names
            .storage
            .get_key_value(member.as_str())
            .map(|(k, _)| *k)
    }

    /// The root storage variable of `self.x[i].y...`, if any.
    fn storage_root(&self, mut id: ExprId) -> Option<&'a str> {
        loop {
            if let Some(name) = self.storage_name(id) {
                return Some(name);
            }
            match &self.ast.expr(id).kind {
                ExprKind::Subscript { base, .. } | ExprKind::Attribute { base, .. } => id = *base,
                _ => return None,
            }
        }
    }

    fn expr(&mut self, id: ExprId) {
        let ast = self.ast;
        let e = ast.expr(id);
        if let Some(env) = ast.env_var(id) {
            self.summary.env_reads.push((env, e.span));
            return;
        }
        if let Some(name) = self.storage_name(id) {
            self.summary.storage_reads.push(StorageAccess {
                name: name.to_string(),
                span: e.span,
            });
            return;
        }
        match &e.kind {
            ExprKind::Call {
                func,
                args,
                keywords,
            } => {
                self.call(id, *func, None);
                for &a in args {
                    self.expr(a);
                }
                for k in keywords {
                    self.expr(k.value);
                }
            }
            ExprKind::ExtCall(inner) | ExprKind::StaticCall(inner) => {
                let kind = if matches!(e.kind, ExprKind::ExtCall(_)) {
                    ExternalCallKind::ExtCall
                } else {
                    ExternalCallKind::StaticCall
                };
                if let ExprKind::Call {
                    func,
                    args,
                    keywords,
                } = &ast.expr(*inner).kind
                {
                    self.call(*inner, *func, Some(kind));
                    for &a in args {
                        self.expr(a);
                    }
                    for k in keywords {
                        self.expr(k.value);
                    }
                } else {
                    self.expr(*inner);
                }
            }
            ExprKind::Attribute { base, .. } => self.expr(*base),
            ExprKind::Subscript { base, index } => {
                self.expr(*base);
                self.expr(*index);
            }
            ExprKind::Unary { operand, .. } => self.expr(*operand),
            ExprKind::Binary { lhs, rhs, .. }
            | ExprKind::Logical { lhs, rhs, .. }
            | ExprKind::Compare { lhs, rhs, .. } => {
                self.expr(*lhs);
                self.expr(*rhs);
            }
            ExprKind::IfExp { body, cond, orelse } => {
                self.expr(*cond);
                self.expr(*body);
                self.expr(*orelse);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for &i in items {
                    self.expr(i);
                }
            }
            ExprKind::Dict(pairs) => {
                for &(_, v) in pairs {
                    self.expr(v);
                }
            }
            ExprKind::Walrus { value, .. } => self.expr(*value),
            ExprKind::Name(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Ellipsis
            | ExprKind::Error => {}
        }
    }

    /// Classifies a call (`keyword` is set inside `extcall`/`staticcall`) and
    /// walks its callee.
    fn call(&mut self, call: ExprId, func: ExprId, keyword: Option<ExternalCallKind>) {
        let ast = self.ast;
        let span = ast.expr(call).span;
        if let Some(b) = ast.builtin_call(call) {
            let kind = match b {
                Builtin::RawCall => Some(ExternalCallKind::RawCall),
                Builtin::Send => Some(ExternalCallKind::Send),
                Builtin::Selfdestruct => Some(ExternalCallKind::Selfdestruct),
                b if b.is_external_call() => Some(ExternalCallKind::Create(b)),
                _ => None,
            };
            if let Some(kind) = kind {
                let flag = |name: &str, value: bool| {
                    ast.keyword_arg(call, name)
                        .is_some_and(|v| ast.expr(v).kind == ExprKind::Bool(value))
                };
                let revert_off = flag("revert_on_failure", false);
                let delegate = flag("is_delegate_call", true);
                // `raw_call(..., is_static_call=True)` cannot change state.
                let kind = if kind == ExternalCallKind::RawCall && flag("is_static_call", true) {
                    ExternalCallKind::StaticCall
                } else {
                    kind
                };
                self.summary.external_calls.push(ExternalCall {
                    kind,
                    expr: call,
                    span,
                    revert_on_failure_disabled: revert_off,
                    delegate,
                    sends_value: kind == ExternalCallKind::Send
                        || ast.keyword_arg(call, "value").is_some(),
                });
            }
            return;
        }
        let ExprKind::Attribute { base, attr } = &ast.expr(func).kind else {
            // `Iface(addr)` (a conversion) or a struct constructor: nothing to record.
            self.expr(func);
            return;
        };
        // `self.f()`: an internal call; `self.x.append(v)` / `.pop()`: a write.
        if let ExprKind::Name(n) = &ast.expr(*base).kind
            && n.as_str() == "self"
        {
            if keyword.is_none() {
                self.internal_call(attr.as_str(), span);
            }
            return;
        }
        if let ExprKind::Name(n) = &ast.expr(*base).kind
            && self.names.modules.contains(n.as_str())
            && keyword.is_none()
        {
            self.internal_call(attr.as_str(), span);
            return;
        }
        if keyword.is_none()
            && matches!(attr.as_str(), "append" | "pop")
            && let Some(root) = self.storage_root(*base)
        {
            self.summary.storage_writes.push(StorageAccess {
                name: root.to_string(),
                span: ast.expr(*base).span,
            });
            self.expr(*base);
            return;
        }
        self.expr(*base);
        let kind = keyword.or_else(|| {
            self.interface_of(*base).map(|interface| {
                if self.names.is_view(interface, attr.as_str()) {
                    ExternalCallKind::InterfaceView
                } else {
                    ExternalCallKind::Interface
                }
            })
        });
        if let Some(kind) = kind {
            self.summary.external_calls.push(ExternalCall {
                kind,
                expr: call,
                span,
                revert_on_failure_disabled: false,
                delegate: false,
                sends_value: ast.keyword_arg(call, "value").is_some(),
            });
        }
    }

    fn internal_call(&mut self, name: &str, span: Span) {
        self.summary.internal_calls.push(name.to_string());
        self.summary
            .internal_call_sites
            .push((name.to_string(), span));
    }

    /// The interface `id` evaluates to: `Iface(addr)`, or a storage
    /// variable, constant, parameter or local of an interface type (or an
    /// element of an array or mapping of them).
    fn interface_of(&self, id: ExprId) -> Option<&'a str> {
        let ast = self.ast;
        let names = self.names;
        match &ast.expr(id).kind {
            ExprKind::Call { func, .. } => match &ast.expr(*func).kind {
                ExprKind::Name(n) if names.interfaces.contains(n.as_str()) => Some(n.as_str()),
                _ => None,
            },
            ExprKind::Name(n) => self
                .locals
                .get(n.as_str())
                .or_else(|| names.constants.get(n.as_str()))
                .and_then(|&ty| names.interface_type(ast, ty)),
            ExprKind::Attribute { .. } => self
                .storage_name(id)
                .and_then(|name| names.storage.get(name))
                .and_then(|&ty| names.interface_type(ast, ty)),
            ExprKind::Subscript { base, .. } => {
                let name = self.storage_name(*base)?;
                let &ty = names.storage.get(name)?;
                match ast.type_shape(ty) {
                    TypeShape::DynArray { elem, .. } | TypeShape::FixedArray { elem, .. } => {
                        names.interface_type(ast, elem)
                    }
                    TypeShape::HashMap { value, .. } => names.interface_type(ast, value),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Records the caller checks in a condition. `negated` is set for the
    /// condition of `if ...: raise` (so `!=` is the check).
    fn guards_in(&mut self, cond: ExprId, negated: bool, span: Span) {
        let ast = self.ast;
        match &ast.expr(cond).kind {
            ExprKind::Logical { lhs, rhs, .. } => {
                self.guards_in(*lhs, negated, span);
                self.guards_in(*rhs, negated, span);
            }
            ExprKind::Compare { op, lhs, rhs }
                if *op == (if negated { CmpOp::NotIn } else { CmpOp::In }) =>
            {
                // `msg.sender in self.admins` (a list of allowed callers).
                if ast.env_var(*lhs) == Some(EnvVar::MsgSender)
                    && let Some(name) = self.storage_root(*rhs)
                {
                    self.summary.guards.push(Guard {
                        kind: GuardKind::SenderInList(name.to_string()),
                        span,
                    });
                }
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let wanted = if negated { CmpOp::NotEq } else { CmpOp::Eq };
                if *op != wanted {
                    return;
                }
                for (a, b) in [(*lhs, *rhs), (*rhs, *lhs)] {
                    let Some(env) = ast.env_var(a) else { continue };
                    let Some(subject) = self.privileged_value(b) else {
                        continue;
                    };
                    let kind = match env {
                        EnvVar::MsgSender => GuardKind::SenderEquals(subject),
                        EnvVar::TxOrigin => GuardKind::OriginEquals(subject),
                        _ => continue,
                    };
                    self.summary.guards.push(Guard { kind, span });
                }
            }
            ExprKind::Subscript { base, index } if !negated => {
                if ast.env_var(*index) == Some(EnvVar::MsgSender)
                    && let Some(name) = self.storage_name(*base)
                {
                    self.summary.guards.push(Guard {
                        kind: GuardKind::SenderInMapping(name.to_string()),
                        span,
                    });
                }
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } if negated => {
                if let ExprKind::Subscript { base, index } = &ast.expr(*operand).kind
                    && ast.env_var(*index) == Some(EnvVar::MsgSender)
                    && let Some(name) = self.storage_name(*base)
                {
                    self.summary.guards.push(Guard {
                        kind: GuardKind::SenderInMapping(name.to_string()),
                        span,
                    });
                }
            }
            _ => {}
        }
    }

    /// The name of a value a caller can be compared against for
    /// authorization: `self.owner`, an immutable or constant `OWNER`, or a local
    /// that holds a storage variable (`admin: address = self.admin`).
    fn privileged_value(&self, id: ExprId) -> Option<String> {
        if let Some(name) = self.storage_root(id) {
            return Some(name.to_string());
        }
        match &self.ast.expr(id).kind {
            ExprKind::Name(n) if self.names.constants.contains_key(n.as_str()) => {
                Some(n.as_str().to_string())
            }
            ExprKind::Name(n) => self.local_sources.get(n.as_str()).cloned(),
            // `ownable.owner` (a 0.4 module's storage).
            ExprKind::Attribute { base, attr } => match &self.ast.expr(*base).kind {
                ExprKind::Name(m) if self.names.modules.contains(m.as_str()) => {
                    Some(format!("{}.{}", m.as_str(), attr.as_str()))
                }
                _ => None,
            },
            _ => None,
        }
    }
}
