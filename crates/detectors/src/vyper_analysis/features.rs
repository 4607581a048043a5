//! The source constructs that the compiler advisories of `advisories.toml` name
//! (`feature`), matched over the Vyper AST. `ADVISORY-FEATURES.md` defines each one;
//! a test keeps every feature of the table known here.
//!
//! A match is a [`Site`]: where, in which function, and whether it is the strong
//! form the advisory describes (`strong == false` marks a use the bug is unlikely to
//! reach: the finding is then low severity and low confidence).

use std::collections::{HashMap, HashSet};

use syntax::Span;
use vyper::ast::{
    Ast, BinOp, CmpOp, ExprId, ExprKind, FunctionDef, InterfaceFunction, ItemKind, Mutability,
    StmtId, StmtKind, StrKind, Visibility, string_content,
};
use vyper::summary::ExternalCallKind;
use vyper::{Builtin, EnvVar, TypeShape};

use super::{VyperContext, walk_expr, walk_stmts};

/// One use of a feature.
#[derive(Clone, Debug)]
pub(crate) struct Site<'a> {
    pub(crate) function: Option<&'a str>,
    pub(crate) span: Span,
    pub(crate) strong: bool,
}

/// Every feature name a matcher exists for.
pub(crate) const FEATURES: &[&str] = &[
    "nonreentrant-across-functions",
    "external-decimal-argument",
    "struct-literal-with-internal-call",
    "bytestring-equality",
    "external-call-int128-in-expression",
    "external-call-side-effect-address",
    "raw-call-no-revert-zero-outsize",
    "nonpayable-default-function",
    "dynarray-on-both-sides-of-assignment",
    "range-start-plus-n",
    "range-start-plus-n-signed",
    "internal-call-partial-default-args",
    "storage-max-size-array",
    "ecrecover-call",
    "reversed-eval-order-operands",
    "modular-builtin-side-effect-args",
    "abi-decode-nested-in-expression",
    "concat-builtin",
    "slice-variable-bounds",
    "raw-call-value-with-delegate-or-static",
    "signed-array-index",
    "raw-log-variable-topics",
    "slice-adhoc-side-effect-args",
    "slice-adhoc-zero-length",
    "sqrt-side-effect-arg",
    "decimal-sqrt",
    "create-from-blueprint-raw-args-side-effect",
    "extract32-side-effect-start",
    "abi-decode-dynamic-output",
    "external-call-dynamic-return",
    "augassign-dynarray-modified-in-rhs",
    "for-iter-ternary",
    "concat-side-effect-arg",
];

/// What the matchers know about the module: declarations, and which calls change state.
/// Built once per file and shared by every feature's matcher.
pub(crate) struct Module<'a> {
    ast: &'a Ast,
    text: &'a str,
    storage: HashMap<&'a str, ExprId>,
    constants: HashSet<&'a str>,
    constant_types: HashMap<&'a str, ExprId>,
    structs: HashMap<&'a str, Vec<ExprId>>,
    interfaces: HashMap<&'a str, Vec<&'a InterfaceFunction>>,
    /// Internal functions by name.
    functions: HashMap<&'a str, &'a FunctionDef>,
    /// Call expressions that may change state (external calls that can re-enter,
    /// `raw_call` that is not static, deployments).
    mutating_calls: HashSet<ExprId>,
    /// External calls that only read (`staticcall`, `view` interface functions).
    view_calls: HashSet<ExprId>,
}

impl<'a> Module<'a> {
    pub(crate) fn new(cx: &VyperContext<'a>) -> Self {
        let ast = cx.ast();
        let mut m = Module {
            ast,
            text: cx.text,
            storage: HashMap::new(),
            constants: HashSet::new(),
            constant_types: HashMap::new(),
            structs: HashMap::new(),
            interfaces: HashMap::new(),
            functions: HashMap::new(),
            mutating_calls: HashSet::new(),
            view_calls: HashSet::new(),
        };
        for item in &ast.items {
            match &item.kind {
                ItemKind::Variable(v) => match v.location {
                    vyper::ast::VarLocation::Storage | vyper::ast::VarLocation::Transient => {
                        m.storage.insert(v.name.as_str(), v.ty);
                    }
                    _ => {
                        m.constants.insert(v.name.as_str());
                        m.constant_types.insert(v.name.as_str(), v.ty);
                    }
                },
                ItemKind::Struct(s) => {
                    m.structs
                        .insert(s.name.as_str(), s.fields.iter().map(|f| f.ty).collect());
                }
                ItemKind::Interface(i) => {
                    m.interfaces
                        .insert(i.name.as_str(), i.functions.iter().collect());
                }
                ItemKind::Function(f) => {
                    m.functions.insert(f.name.as_str(), f);
                }
                _ => {}
            }
        }
        for call in cx.module.functions().iter().flat_map(|f| &f.external_calls) {
            if call.kind.can_reenter() || matches!(call.kind, ExternalCallKind::Create(_)) {
                m.mutating_calls.insert(call.expr);
            } else {
                m.view_calls.insert(call.expr);
            }
        }
        m
    }

    /// A side-effecting expression: it (or a part of it) may change state.
    fn is_se(&self, e: ExprId) -> bool {
        let ast = self.ast;
        let mut found = false;
        walk_expr(ast, e, &mut |x| {
            found = found
                || self.mutating_calls.contains(&x)
                || self.mutating_internal_call(x)
                || self.storage_array_update(x)
                || matches!(ast.expr(x).kind, ExprKind::ExtCall(_));
        });
        found
    }

    /// `self.f(...)` with `f` an internal function that is not `view` or `pure`.
    fn mutating_internal_call(&self, e: ExprId) -> bool {
        self.internal_callee(e)
            .is_some_and(|f| !matches!(f.mutability(), Mutability::View | Mutability::Pure))
    }

    /// The internal function `e` calls (`self.f(...)`).
    fn internal_callee(&self, e: ExprId) -> Option<&'a FunctionDef> {
        let ExprKind::Call { func, .. } = &self.ast.expr(e).kind else {
            return None;
        };
        let name = self.ast.self_member(*func)?;
        self.functions
            .get(name.as_str())
            .copied()
            .filter(|f| f.visibility() != Some(Visibility::External))
    }

    /// `self.x.append(..)` / `self.x.pop()`.
    fn storage_array_update(&self, e: ExprId) -> bool {
        let ast = self.ast;
        let ExprKind::Call { func, .. } = &ast.expr(e).kind else {
            return false;
        };
        matches!(&ast.expr(*func).kind, ExprKind::Attribute { base, attr }
            if matches!(attr.as_str(), "append" | "pop") && self.storage_root(*base).is_some())
    }

    /// Reads state: storage, `self.balance`, a `view` internal function or external call.
    fn is_state_read(&self, e: ExprId) -> bool {
        let ast = self.ast;
        let mut found = false;
        walk_expr(ast, e, &mut |x| {
            found = found
                || self.storage_root(x).is_some()
                || ast.self_member(x).is_some_and(|m| m.as_str() == "balance")
                || self.view_calls.contains(&x)
                || self.internal_callee(x).is_some();
        });
        found
    }

    fn is_literal(&self, e: ExprId) -> bool {
        let ast = self.ast;
        match &ast.expr(e).kind {
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) => true,
            ExprKind::Name(n) => {
                self.constants.contains(n.as_str()) || is_upper_constant(n.as_str())
            }
            ExprKind::Unary { operand, .. } => self.is_literal(*operand),
            ExprKind::Binary { lhs, rhs, .. } => self.is_literal(*lhs) && self.is_literal(*rhs),
            ExprKind::Call { .. } => matches!(
                ast.builtin_call(e),
                Some(Builtin::Empty | Builtin::MaxValue | Builtin::MinValue)
            ),
            _ => false,
        }
    }

    /// `x` for `self.x[...]...` when `x` is a storage variable.
    fn storage_root(&self, e: ExprId) -> Option<&'a str> {
        let member = super::storage_root(self.ast, e)?;
        self.storage.get_key_value(member).map(|(k, _)| *k)
    }

    /// The declared type of `e` when it is a local, a parameter, `self.x` or an element
    /// of an array or mapping of those.
    fn type_of(&self, e: ExprId, locals: &HashMap<&str, ExprId>) -> Option<ExprId> {
        let ast = self.ast;
        match &ast.expr(e).kind {
            ExprKind::Name(n) => locals.get(n.as_str()).copied(),
            ExprKind::Attribute { .. } => {
                let m = ast.self_member(e)?;
                self.storage.get(m.as_str()).copied()
            }
            ExprKind::Subscript { base, .. } => {
                let base = self.type_of(*base, locals)?;
                match ast.type_shape(base) {
                    TypeShape::DynArray { elem, .. } | TypeShape::FixedArray { elem, .. } => {
                        Some(elem)
                    }
                    TypeShape::HashMap { value, .. } => Some(value),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The interface function `call` calls (`I(a).f()`, `self.i.f()`, `extcall ...`).
    fn interface_function(
        &self,
        call: ExprId,
        locals: &HashMap<&str, ExprId>,
    ) -> Option<&'a InterfaceFunction> {
        let ast = self.ast;
        let ExprKind::Call { func, .. } = &ast.expr(call).kind else {
            return None;
        };
        let ExprKind::Attribute { base, attr } = &ast.expr(*func).kind else {
            return None;
        };
        let interface = match &ast.expr(*base).kind {
            ExprKind::Call { func, args, .. } if args.len() == 1 => match &ast.expr(*func).kind {
                ExprKind::Name(n) => n.as_str(),
                _ => return None,
            },
            _ => match ast.type_shape(self.type_of(*base, locals)?) {
                TypeShape::Named(n) => n.as_str(),
                _ => return None,
            },
        };
        self.interfaces
            .get(interface)?
            .iter()
            .copied()
            .find(|f| f.name.as_str() == attr.as_str())
    }

    /// True when type `ty` is or holds `Bytes`, `String` or `DynArray`.
    fn is_dynamic(&self, ty: ExprId) -> bool {
        match self.ast.type_shape(ty) {
            TypeShape::Bytes { .. } | TypeShape::String { .. } | TypeShape::DynArray { .. } => true,
            TypeShape::FixedArray { elem, .. } => self.is_dynamic(elem),
            TypeShape::Tuple(items) => items.iter().any(|&t| self.is_dynamic(t)),
            TypeShape::Named(n) => self
                .structs
                .get(n.as_str())
                .is_some_and(|fields| fields.iter().any(|&t| self.is_dynamic(t))),
            _ => false,
        }
    }

    /// True when type `ty` is or holds `decimal`.
    fn holds_decimal(&self, ty: ExprId, depth: u32) -> bool {
        if depth > 8 {
            return false;
        }
        match self.ast.type_shape(ty) {
            TypeShape::Named(n) if n.as_str() == "decimal" => true,
            TypeShape::Named(n) => self
                .structs
                .get(n.as_str())
                .is_some_and(|fields| fields.iter().any(|&t| self.holds_decimal(t, depth + 1))),
            TypeShape::FixedArray { elem, .. } | TypeShape::DynArray { elem, .. } => {
                self.holds_decimal(elem, depth + 1)
            }
            _ => false,
        }
    }

    /// The source text of `e` without whitespace (to compare two expressions).
    fn shape(&self, e: ExprId) -> String {
        self.ast
            .expr(e)
            .span
            .text(self.text)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    }
}

/// `MAX_UINT256`, `ZERO_ADDRESS`: upper-case names are constants by convention.
fn is_upper_constant(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Parameters, annotated locals and typed loop variables of `def`, with their types.
fn local_types<'a>(ast: &'a Ast, def: &'a FunctionDef) -> HashMap<&'a str, ExprId> {
    let mut out: HashMap<&str, ExprId> =
        def.params.iter().map(|p| (p.name.as_str(), p.ty)).collect();
    walk_stmts(ast, &def.body, &mut |s| match &ast.stmt(s).kind {
        StmtKind::AnnAssign { target, ty, .. } => {
            out.insert(target.as_str(), *ty);
        }
        StmtKind::For {
            target,
            ty: Some(ty),
            ..
        } => {
            if let ExprKind::Name(n) = &ast.expr(*target).kind {
                out.insert(n.as_str(), *ty);
            }
        }
        _ => {}
    });
    out
}

/// The name of a builtin call written as `name(...)`, for the 0.4 standard library
/// forms too (`math.sqrt`).
fn call_name(ast: &Ast, e: ExprId) -> Option<&str> {
    let ExprKind::Call { func, .. } = &ast.expr(e).kind else {
        return None;
    };
    match &ast.expr(*func).kind {
        ExprKind::Name(n) => Some(n.as_str()),
        ExprKind::Attribute { base, attr } => match &ast.expr(*base).kind {
            ExprKind::Name(m) if m.as_str() == "math" => Some(attr.as_str()),
            _ => None,
        },
        _ => None,
    }
}

fn call_parts(ast: &Ast, e: ExprId) -> (&[ExprId], &[vyper::ast::Keyword]) {
    match &ast.expr(e).kind {
        ExprKind::Call { args, keywords, .. } => (args, keywords),
        _ => (&[], &[]),
    }
}

fn keyword_is(ast: &Ast, call: ExprId, name: &str, value: bool) -> bool {
    ast.keyword_arg(call, name)
        .is_some_and(|v| ast.expr(v).kind == ExprKind::Bool(value))
}

/// True for an integer literal equal to zero.
fn is_zero(ast: &Ast, text: &str, e: ExprId) -> bool {
    matches!(ast.expr(e).kind, ExprKind::Number(_))
        && ast
            .expr(e)
            .span
            .text(text)
            .trim_start_matches("0x")
            .trim_matches(|c| c == '0' || c == '_')
            .is_empty()
}

/// `msg.data`, `self.code`, `x.code`: byte strings read straight from the environment.
fn is_adhoc(ast: &Ast, e: ExprId) -> bool {
    ast.env_var(e) == Some(EnvVar::MsgData)
        || matches!(&ast.expr(e).kind, ExprKind::Attribute { attr, .. } if attr.as_str() == "code")
}

/// The places where the module uses `feature`; `None` for an unknown feature.
// Each arm of the matches below is one feature's definition, written as one condition;
// moving half of it into a match guard would split a definition in two.
#[allow(clippy::collapsible_match)]
pub(crate) fn sites<'a>(
    cx: &VyperContext<'a>,
    m: &Module<'a>,
    feature: &str,
) -> Option<Vec<Site<'a>>> {
    if !FEATURES.contains(&feature) {
        return None;
    }
    let ast = cx.ast();
    let mut out: Vec<Site<'a>> = Vec::new();
    // Module-level features.
    match feature {
        "nonreentrant-across-functions" => {
            let mut keys: HashMap<&str, Vec<(&str, Span)>> = HashMap::new();
            for f in ast.functions() {
                if let Some(Some(key)) = f.nonreentrant_key(ast, cx.text)
                    && let Some(d) = f.decorator("nonreentrant")
                {
                    keys.entry(key).or_default().push((f.name.as_str(), d.span));
                }
            }
            for (_, fs) in keys {
                if fs.len() > 1 {
                    out.extend(fs.into_iter().map(|(name, span)| Site {
                        function: Some(name),
                        span,
                        strong: true,
                    }));
                }
            }
            out.sort_by_key(|s| s.span.lo);
            return Some(out);
        }
        "nonpayable-default-function" => {
            let external_nonpayable = ast.functions().any(|f| {
                !f.is_fallback()
                    && f.visibility() == Some(Visibility::External)
                    && f.mutability() != Mutability::Payable
            });
            for f in ast.functions() {
                if f.is_fallback() && f.mutability() != Mutability::Payable && external_nonpayable {
                    out.push(Site {
                        function: Some(f.name.as_str()),
                        span: f.signature_span,
                        strong: true,
                    });
                }
            }
            return Some(out);
        }
        "storage-max-size-array" => {
            for v in ast.variables() {
                if m.storage.contains_key(v.name.as_str()) && huge_array(m, v.ty, 0) {
                    out.push(Site {
                        function: None,
                        span: v.span,
                        strong: true,
                    });
                }
            }
            return Some(out);
        }
        "external-decimal-argument" => {
            for f in ast.functions() {
                if f.visibility() != Some(Visibility::External) {
                    continue;
                }
                for p in &f.params {
                    if m.holds_decimal(p.ty, 0) {
                        out.push(Site {
                            function: Some(f.name.as_str()),
                            span: p.span,
                            strong: true,
                        });
                    }
                }
            }
            return Some(out);
        }
        "internal-call-partial-default-args" => {
            let defaults: HashMap<&str, (usize, Vec<&str>)> = ast
                .functions()
                .filter(|f| f.visibility() != Some(Visibility::External))
                .filter_map(|f| {
                    let defaulted: Vec<&str> = f
                        .params
                        .iter()
                        .filter(|p| p.default.is_some())
                        .map(|p| p.name.as_str())
                        .collect();
                    (defaulted.len() >= 2).then(|| {
                        (
                            f.name.as_str(),
                            (f.params.len() - defaulted.len(), defaulted),
                        )
                    })
                })
                .collect();
            if defaults.is_empty() {
                return Some(out);
            }
            each_expr(ast, |f, e| {
                let Some(callee) = m.internal_callee(e) else {
                    return;
                };
                let Some((required, defaulted)) = defaults.get(callee.name.as_str()) else {
                    return;
                };
                let (args, keywords) = call_parts(ast, e);
                let supplied = args.len().saturating_sub(*required)
                    + keywords
                        .iter()
                        .filter(|k| defaulted.contains(&k.name.as_str()))
                        .count();
                if supplied > 0 && supplied < defaulted.len() {
                    out.push(Site {
                        function: Some(f),
                        span: ast.expr(e).span,
                        strong: true,
                    });
                }
            });
            return Some(out);
        }
        _ => {}
    }
    let huge = ast
        .variables()
        .any(|v| m.storage.contains_key(v.name.as_str()) && huge_array(m, v.ty, 0));
    for f in ast.functions() {
        let locals = local_types(ast, f);
        let name = f.name.as_str();
        let in_internal = f.visibility() != Some(Visibility::External) || f.is_constructor();
        let mut push = |span: Span, strong: bool| {
            out.push(Site {
                function: Some(name),
                span,
                strong,
            })
        };
        // Statement-level features.
        let mut statements: Vec<StmtId> = Vec::new();
        walk_stmts(ast, &f.body, &mut |s| statements.push(s));
        for &s in &statements {
            let stmt = ast.stmt(s);
            match (feature, &stmt.kind) {
                ("dynarray-on-both-sides-of-assignment", StmtKind::Assign { target, value }) => {
                    if let Some(v) = whole_dynarray(m, *target, &locals)
                        && mentions_var(m, *value, &v)
                    {
                        push(stmt.span, true);
                    }
                    if let ExprKind::Subscript { base, .. } = &ast.expr(*target).kind
                        && let Some(v) = whole_dynarray(m, *base, &locals)
                        && contains_update(m, *value, &v, &["pop"])
                    {
                        push(stmt.span, true);
                    }
                }
                (
                    "dynarray-on-both-sides-of-assignment",
                    StmtKind::AnnAssign {
                        target,
                        ty,
                        value: Some(value),
                    },
                ) => {
                    let v = Var::Local(target.as_str());
                    if matches!(ast.type_shape(*ty), TypeShape::DynArray { .. })
                        && mentions_var(m, *value, &v)
                    {
                        push(stmt.span, true);
                    }
                }
                ("dynarray-on-both-sides-of-assignment", StmtKind::Expr(e)) => {
                    // `v.append(e)` where `e` reads `v`.
                    if let ExprKind::Call { func, args, .. } = &ast.expr(*e).kind
                        && let ExprKind::Attribute { base, attr } = &ast.expr(*func).kind
                        && attr.as_str() == "append"
                        && let Some(v) = whole_dynarray(m, *base, &locals)
                        && args.iter().any(|&a| mentions_var(m, a, &v))
                    {
                        push(stmt.span, true);
                    }
                }
                (
                    "augassign-dynarray-modified-in-rhs",
                    StmtKind::AugAssign { target, value, .. },
                ) => {
                    if let ExprKind::Subscript { base, .. } = &ast.expr(*target).kind
                        && let Some(v) = whole_dynarray(m, *base, &locals)
                        && (contains_update(m, *value, &v, &["pop", "append"])
                            || matches!(v, Var::Storage(_)) && m.is_se(*value))
                    {
                        push(stmt.span, true);
                    }
                }
                (
                    "range-start-plus-n" | "range-start-plus-n-signed",
                    StmtKind::For { iter, .. },
                ) => {
                    if let Some(start) = range_start_plus_n(m, *iter) {
                        let ty = m
                            .type_of(start, &locals)
                            .and_then(|t| match ast.type_shape(t) {
                                TypeShape::Named(n) => Some(n.as_str()),
                                _ => None,
                            });
                        let signed = ty.is_some_and(|t| t.starts_with("int"));
                        let narrow = ty.is_some_and(|t| !t.ends_with("256"));
                        // The start must be able to reach the type's end: a narrow type, or a
                        // value the caller passes (a parameter), not a small loop index.
                        let from_caller = super::names_in(ast, start)
                            .iter()
                            .any(|n| f.params.iter().any(|p| p.name.as_str() == *n));
                        let reachable = narrow || from_caller;
                        if feature == "range-start-plus-n" && reachable
                            || feature == "range-start-plus-n-signed" && signed
                        {
                            push(ast.expr(*iter).span, true);
                        }
                    }
                }
                ("for-iter-ternary", StmtKind::For { iter, .. }) => {
                    let mut ternary = false;
                    walk_expr(ast, *iter, &mut |x| {
                        ternary = ternary || matches!(ast.expr(x).kind, ExprKind::IfExp { .. })
                    });
                    if ternary {
                        push(ast.expr(*iter).span, true);
                    }
                }
                _ => {}
            }
        }
        // Expression-level features: each expression once, with the statement's top
        // expressions known (a call that is the whole right-hand side or return value).
        for &s in &statements {
            let stmt = ast.stmt(s);
            let top: Option<ExprId> = match &stmt.kind {
                StmtKind::Assign { value, .. } => Some(*value),
                StmtKind::AnnAssign { value, .. } => *value,
                StmtKind::Return(v) => *v,
                StmtKind::Log(e) => Some(*e),
                _ => None,
            };
            let in_return = matches!(stmt.kind, StmtKind::Return(_));
            ast.for_each_stmt_expr(s, |root| {
                walk_expr(ast, root, &mut |e| {
                    let expr = ast.expr(e);
                    let builtin = ast.builtin_call(e);
                    let (args, _) = call_parts(ast, e);
                    match feature {
                        "struct-literal-with-internal-call" => {
                            if let ExprKind::Call { func, args, .. } = &expr.kind
                                && let ExprKind::Name(n) = &ast.expr(*func).kind
                                && m.structs.contains_key(n.as_str())
                                && let [arg] = args.as_slice()
                                && let ExprKind::Dict(pairs) = &ast.expr(*arg).kind
                                && pairs.iter().any(|&(_, v)| {
                                    let mut found = false;
                                    walk_expr(ast, v, &mut |x| {
                                        found = found || m.internal_callee(x).is_some()
                                    });
                                    found
                                })
                            {
                                push(expr.span, in_return);
                            }
                        }
                        "bytestring-equality" => {
                            if let ExprKind::Compare {
                                op: CmpOp::Eq | CmpOp::NotEq,
                                lhs,
                                rhs,
                            } = &expr.kind
                                && is_bytestring(m, *lhs, &locals)
                                && is_bytestring(m, *rhs, &locals)
                            {
                                push(expr.span, true);
                            }
                        }
                        "external-call-int128-in-expression" => {
                            if Some(e) != top
                                && m.interface_function(e, &locals).is_some_and(|f| {
                                    f.returns.is_some_and(|r| matches!(ast.type_shape(r), TypeShape::Named(n) if n.as_str() == "int128"))
                                })
                            {
                                push(expr.span, true);
                            }
                        }
                        "external-call-side-effect-address" => {
                            if let Some(func) = m.interface_function(e, &locals)
                                && func.returns.is_none()
                                && let ExprKind::Call { func, .. } = &expr.kind
                                && let ExprKind::Attribute { base, .. } = &ast.expr(*func).kind
                                && let ExprKind::Call { args: conv, .. } = &ast.expr(*base).kind
                                && let [address] = conv.as_slice()
                                && m.is_se(*address)
                            {
                                push(expr.span, true);
                            }
                        }
                        "raw-call-no-revert-zero-outsize" => {
                            if builtin == Some(Builtin::RawCall)
                                && keyword_is(ast, e, "revert_on_failure", false)
                                && ast
                                    .keyword_arg(e, "max_outsize")
                                    .is_none_or(|v| is_zero(ast, cx.text, v))
                            {
                                push(expr.span, true);
                            }
                        }
                        "ecrecover-call" => {
                            if builtin == Some(Builtin::Ecrecover) {
                                push(expr.span, true);
                            }
                        }
                        "reversed-eval-order-operands" => {
                            let operands: Vec<ExprId> = match &expr.kind {
                                ExprKind::Compare { op, lhs, rhs }
                                    if !matches!(op, CmpOp::In | CmpOp::NotIn | CmpOp::Is | CmpOp::IsNot) =>
                                {
                                    vec![*lhs, *rhs]
                                }
                                ExprKind::Binary {
                                    op: BinOp::BitOr | BinOp::BitAnd | BinOp::BitXor,
                                    lhs,
                                    rhs,
                                } => vec![*lhs, *rhs],
                                ExprKind::Call { args, keywords, .. }
                                    if matches!(
                                        call_name(ast, e),
                                        Some(
                                            "unsafe_add" | "unsafe_sub" | "unsafe_mul" | "unsafe_div"
                                                | "pow_mod256" | "bitwise_or" | "bitwise_and"
                                                | "bitwise_xor" | "raw_call"
                                        )
                                    ) =>
                                {
                                    args.iter().copied().chain(keywords.iter().map(|k| k.value)).collect()
                                }
                                _ => Vec::new(),
                            };
                            let hit = operands.iter().enumerate().skip(1).any(|(j, &later)| {
                                m.is_se(later)
                                    && operands[..j]
                                        .iter()
                                        .any(|&earlier| m.is_state_read(earlier) || m.is_se(earlier))
                            });
                            if hit {
                                push(expr.span, true);
                            }
                        }
                        "modular-builtin-side-effect-args" => {
                            if matches!(
                                builtin,
                                Some(Builtin::Uint256Addmod | Builtin::Uint256Mulmod | Builtin::Ecadd | Builtin::Ecmul)
                            ) && args.iter().enumerate().any(|(i, &a)| {
                                m.is_se(a)
                                    && args.iter().enumerate().any(|(j, &b)| j != i && (m.is_se(b) || m.is_state_read(b)))
                            }) {
                                push(expr.span, true);
                            }
                        }
                        "abi-decode-nested-in-expression" => {
                            if matches!(builtin, Some(Builtin::AbiDecode | Builtin::AbiDecodeLegacy))
                                && Some(e) != top
                            {
                                push(expr.span, true);
                            }
                        }
                        "abi-decode-dynamic-output" => {
                            if matches!(builtin, Some(Builtin::AbiDecode | Builtin::AbiDecodeLegacy))
                                && let [data, ty, ..] = args
                                && !m.is_literal(*data)
                                && m.is_dynamic(*ty)
                            {
                                push(expr.span, true);
                            }
                        }
                        "concat-builtin" => {
                            // The overrun is the last argument's copy rounded up to a whole
                            // word; it lands on live data only inside an internal function
                            // (the caller's variables) or the constructor (immutables).
                            if builtin == Some(Builtin::Concat)
                                && in_internal
                                && args.last().is_some_and(|&a| !is_word(m, a, &locals))
                            {
                                push(expr.span, true);
                            }
                        }
                        "concat-side-effect-arg" => {
                            if builtin == Some(Builtin::Concat)
                                && args.iter().any(|&a| {
                                    let mut hit = false;
                                    walk_expr(ast, a, &mut |x| {
                                        if let ExprKind::IfExp { body, cond, orelse } = &ast.expr(x).kind {
                                            let empty = [*body, *orelse].iter().any(|&b| {
                                                matches!(ast.expr(b).kind, ExprKind::Str(_))
                                                    && string_content(ast.expr(b).span.text(cx.text)).is_empty()
                                            });
                                            hit = hit || empty && (m.is_se(*cond) || m.is_se(*body) || m.is_se(*orelse));
                                        }
                                    });
                                    hit
                                })
                            {
                                push(expr.span, true);
                            }
                        }
                        "slice-variable-bounds" => {
                            if builtin == Some(Builtin::Slice) {
                                let bounds: Vec<ExprId> = args
                                    .iter()
                                    .skip(1)
                                    .copied()
                                    .chain(["start", "len", "length"].iter().filter_map(|k| ast.keyword_arg(e, k)))
                                    .collect();
                                if bounds.iter().any(|&b| !m.is_literal(b)) {
                                    // Strong when a bound comes from a parameter: a caller
                                    // can choose the values that overflow the check.
                                    let from_param = bounds.iter().any(|&b| {
                                        super::names_in(ast, b)
                                            .iter()
                                            .any(|n| f.params.iter().any(|p| p.name.as_str() == *n))
                                    });
                                    push(expr.span, from_param && f.visibility() == Some(Visibility::External));
                                }
                            }
                        }
                        "raw-call-value-with-delegate-or-static" => {
                            if builtin == Some(Builtin::RawCall)
                                && ast.keyword_arg(e, "value").is_some_and(|v| !is_zero(ast, cx.text, v))
                                && (keyword_is(ast, e, "is_delegate_call", true)
                                    || keyword_is(ast, e, "is_static_call", true))
                            {
                                push(expr.span, true);
                            }
                        }
                        "signed-array-index" => {
                            if let ExprKind::Subscript { base, index } = &expr.kind
                                && m.type_of(*base, &locals).is_some_and(|t| {
                                    matches!(ast.type_shape(t), TypeShape::DynArray { .. } | TypeShape::FixedArray { .. })
                                })
                                && m.type_of(*index, &locals).is_some_and(|t| {
                                    matches!(ast.type_shape(t), TypeShape::Named(n) if n.as_str().starts_with("int"))
                                })
                                && huge
                            {
                                // Below 2**255 elements a negative index reverts.
                                push(expr.span, true);
                            }
                        }
                        "raw-log-variable-topics" => {
                            if builtin == Some(Builtin::RawLog)
                                && let Some(&topics) = args.first()
                                && let ExprKind::List(items) = &ast.expr(topics).kind
                                && items.iter().any(|&t| !m.is_literal(t))
                            {
                                push(expr.span, true);
                            }
                        }
                        "slice-adhoc-side-effect-args" => {
                            if builtin == Some(Builtin::Slice)
                                && let [src, rest @ ..] = args
                                && is_adhoc(ast, *src)
                                && rest.iter().any(|&a| m.is_se(a))
                            {
                                push(expr.span, true);
                            }
                        }
                        "slice-adhoc-zero-length" => {
                            if builtin == Some(Builtin::Slice)
                                && let [src, start, length] = args
                                && is_adhoc(ast, *src)
                                && is_zero(ast, cx.text, *length)
                                && m.is_se(*start)
                            {
                                push(expr.span, true);
                            }
                        }
                        "sqrt-side-effect-arg" => {
                            if builtin == Some(Builtin::Sqrt) && args.first().is_some_and(|&a| m.is_se(a)) {
                                push(expr.span, true);
                            }
                        }
                        "decimal-sqrt" => {
                            if call_name(ast, e) == Some("sqrt") {
                                push(expr.span, true);
                            }
                        }
                        "create-from-blueprint-raw-args-side-effect" => {
                            if builtin == Some(Builtin::CreateFromBlueprint)
                                && keyword_is(ast, e, "raw_args", true)
                                && args.get(1).is_some_and(|&a| m.is_se(a))
                            {
                                push(expr.span, true);
                            }
                        }
                        "extract32-side-effect-start" => {
                            if builtin == Some(Builtin::Extract32)
                                && let [source, start, ..] = args
                                && m.is_se(*start)
                                && (m.storage_root(*source).is_some()
                                    || matches!(&ast.expr(*source).kind, ExprKind::Name(n)
                                        if mentions_var(m, *start, &Var::Local(n.as_str()))))
                            {
                                push(expr.span, true);
                            }
                        }
                        "external-call-dynamic-return" => {
                            if m.interface_function(e, &locals)
                                .and_then(|f| f.returns)
                                .is_some_and(|r| m.is_dynamic(r))
                            {
                                push(expr.span, true);
                            }
                        }
                        _ => {}
                    }
                });
            });
        }
    }
    out.sort_by_key(|s| s.span.lo);
    out.dedup_by_key(|s| s.span);
    Some(out)
}

/// Calls `visit(function, expr)` on every expression of every function body.
fn each_expr<'a>(ast: &'a Ast, mut visit: impl FnMut(&'a str, ExprId)) {
    for f in ast.functions() {
        walk_stmts(ast, &f.body, &mut |s| {
            ast.for_each_stmt_expr(s, |root| {
                walk_expr(ast, root, &mut |e| visit(f.name.as_str(), e))
            });
        });
    }
}

/// A static array type whose length (at some level) is `max_value(uint256)`, a
/// `MAX_UINT256`-like constant, or at least 2**128.
fn huge_array(m: &Module<'_>, ty: ExprId, depth: u32) -> bool {
    if depth > 8 {
        return false;
    }
    let ast = m.ast;
    match ast.type_shape(ty) {
        TypeShape::FixedArray { elem, len } => {
            huge_length(m, len) || huge_array(m, elem, depth + 1)
        }
        _ => false,
    }
}

fn huge_length(m: &Module<'_>, len: ExprId) -> bool {
    let ast = m.ast;
    match &ast.expr(len).kind {
        ExprKind::Call { .. } => ast.builtin_call(len) == Some(Builtin::MaxValue),
        ExprKind::Name(n) => n.as_str() == "MAX_UINT256",
        ExprKind::Binary {
            op: BinOp::Pow,
            lhs,
            rhs,
        } => {
            let text = |e: ExprId| ast.expr(e).span.text(m.text).replace('_', "");
            text(*lhs) == "2" && text(*rhs).parse::<u32>().is_ok_and(|p| p >= 128)
        }
        ExprKind::Number(_) => {
            let t = ast.expr(len).span.text(m.text).replace('_', "");
            // At least 2**128: 39 decimal digits, or 33 hex digits.
            t.strip_prefix("0x")
                .map_or(t.len() >= 39, |h| h.trim_start_matches('0').len() >= 33)
        }
        _ => false,
    }
}

/// A DynArray variable, local or in storage.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Var<'a> {
    Local(&'a str),
    Storage(&'a str),
}

/// The DynArray `e` names as a whole (`v` or `self.v`), if it names one.
fn whole_dynarray<'a>(
    m: &Module<'a>,
    e: ExprId,
    locals: &HashMap<&str, ExprId>,
) -> Option<Var<'a>> {
    let ast = m.ast;
    let ty = m.type_of(e, locals)?;
    if !matches!(ast.type_shape(ty), TypeShape::DynArray { .. }) {
        return None;
    }
    match &ast.expr(e).kind {
        ExprKind::Name(n) => Some(Var::Local(n.as_str())),
        ExprKind::Attribute { .. } => m.storage_root(e).map(Var::Storage),
        _ => None,
    }
}

/// True when `e` reads variable `v`.
fn mentions_var(m: &Module<'_>, e: ExprId, v: &Var<'_>) -> bool {
    let ast = m.ast;
    let mut found = false;
    walk_expr(ast, e, &mut |x| {
        found = found
            || match (v, &ast.expr(x).kind) {
                (Var::Local(name), ExprKind::Name(n)) => n.as_str() == *name,
                (Var::Storage(name), ExprKind::Attribute { .. }) => {
                    ast.self_member(x).is_some_and(|s| s.as_str() == *name)
                }
                _ => false,
            };
    });
    found
}

/// True when `e` calls `v.pop()` or `v.append(..)` (the methods named).
fn contains_update(m: &Module<'_>, e: ExprId, v: &Var<'_>, methods: &[&str]) -> bool {
    let ast = m.ast;
    let mut found = false;
    walk_expr(ast, e, &mut |x| {
        if let ExprKind::Call { func, .. } = &ast.expr(x).kind
            && let ExprKind::Attribute { base, attr } = &ast.expr(*func).kind
            && methods.contains(&attr.as_str())
            && mentions_var(m, *base, v)
        {
            found = true;
        }
    });
    found
}

/// `range(a, a + N)` with `N` a literal: the start `a`.
fn range_start_plus_n(m: &Module<'_>, iter: ExprId) -> Option<ExprId> {
    let ast = m.ast;
    if ast.builtin_call(iter) != Some(Builtin::Range) || ast.keyword_arg(iter, "bound").is_some() {
        return None;
    }
    let (args, _) = call_parts(ast, iter);
    let [start, end] = args else { return None };
    let ExprKind::Binary {
        op: BinOp::Add,
        lhs,
        rhs,
    } = &ast.expr(*end).kind
    else {
        return None;
    };
    (m.shape(*lhs) == m.shape(*start) && m.is_literal(*rhs) && !m.is_literal(*start))
        .then_some(*start)
}

/// A value exactly one 32-byte word long: `bytes32`-typed, a hash, or a conversion to
/// `bytes32`.
fn is_word(m: &Module<'_>, e: ExprId, locals: &HashMap<&str, ExprId>) -> bool {
    let ast = m.ast;
    match ast.builtin_call(e) {
        Some(Builtin::Keccak256 | Builtin::Sha256) => return true,
        Some(Builtin::Convert) => {
            let (args, _) = call_parts(ast, e);
            return args.get(1).is_some_and(
                |&t| matches!(ast.type_shape(t), TypeShape::Named(n) if n.as_str() == "bytes32"),
            );
        }
        _ => {}
    }
    m.type_of(e, locals)
        .or_else(|| match &ast.expr(e).kind {
            ExprKind::Name(n) => m.constant_types.get(n.as_str()).copied(),
            _ => None,
        })
        .is_some_and(
            |t| matches!(ast.type_shape(t), TypeShape::Named(n) if n.as_str() == "bytes32"),
        )
}

/// A `Bytes[N]` or `String[N]` value: typed so, or a string or bytes literal.
fn is_bytestring(m: &Module<'_>, e: ExprId, locals: &HashMap<&str, ExprId>) -> bool {
    let ast = m.ast;
    match &ast.expr(e).kind {
        ExprKind::Str(StrKind::Text | StrKind::Bytes) => true,
        _ => m.type_of(e, locals).is_some_and(|t| {
            matches!(
                ast.type_shape(t),
                TypeShape::Bytes { .. } | TypeShape::String { .. }
            )
        }),
    }
}
