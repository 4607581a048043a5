//! The typed Vyper AST.
//!
//! Statements and expressions live in the arenas of [`Ast`] and are referred to
//! by typed indices ([`StmtId`], [`ExprId`]); top-level declarations are the
//! [`Item`]s of [`Ast::items`]. Every node carries a byte [`Span`].
//!
//! Types are written as expressions in Vyper (`HashMap[address, uint256]`,
//! `DynArray[uint256, 8]`, `Bytes[32]`, `uint256[3]`), so a type is an
//! [`ExprId`]; [`Ast::type_shape`] classifies it. The storage wrappers
//! `public(...)`, `reentrant(...)`, `immutable(...)`, `constant(...)` and `transient(...)` are
//! taken off a declaration's type by the parser and recorded in [`VarDecl`].
//!
//! Where the source is broken, the affected statement or expression is an
//! `Error` node ([`StmtKind::Error`], [`ExprKind::Error`]) and a diagnostic says
//! why; a declaration that cannot be parsed is left out (with its diagnostic).

use crate::Span;

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The position of this node in its arena.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

define_id!(
    /// Index of a [`Stmt`] in [`Ast`].
    StmtId
);
define_id!(
    /// Index of an [`Expr`] in [`Ast`].
    ExprId
);

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl Ident {
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

/// A whole file: its declarations and the arenas they point into.
#[derive(Debug, Default)]
pub struct Ast {
    /// The module docstring, if the file starts with a string.
    pub docstring: Option<Span>,
    /// Top-level declarations in source order.
    pub items: Vec<Item>,
    pub(crate) stmts: Vec<Stmt>,
    pub(crate) exprs: Vec<Expr>,
}

impl Ast {
    pub fn stmt(&self, id: StmtId) -> &Stmt {
        &self.stmts[id.index()]
    }

    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id.index()]
    }

    /// Every statement of the file (in allocation order: children before parents).
    pub fn stmts(&self) -> impl Iterator<Item = (StmtId, &Stmt)> {
        self.stmts
            .iter()
            .enumerate()
            .map(|(i, s)| (StmtId(i as u32), s))
    }

    /// Every expression of the file (in allocation order: children before
    /// parents). Besides the expressions reachable from items and statements,
    /// this includes the wrappers the parser took off declaration types
    /// (`public(...)`, `immutable(...)`, `indexed(...)` and their names).
    pub fn exprs(&self) -> impl Iterator<Item = (ExprId, &Expr)> {
        self.exprs
            .iter()
            .enumerate()
            .map(|(i, e)| (ExprId(i as u32), e))
    }

    /// The function definitions of the file (not those of interfaces).
    pub fn functions(&self) -> impl Iterator<Item = &FunctionDef> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Function(f) => Some(f),
            _ => None,
        })
    }

    /// The storage, immutable, constant and transient declarations of the file.
    pub fn variables(&self) -> impl Iterator<Item = &VarDecl> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Variable(v) => Some(v),
            _ => None,
        })
    }

    /// The event a `log` statement's expression emits: `Transfer` in
    /// `log Transfer(...)`, `log.Transfer(...)` and `log mod.Transfer(...)`.
    pub fn logged_event(&self, log: ExprId) -> Option<&Ident> {
        let ExprKind::Call { func, .. } = &self.expr(log).kind else {
            return None;
        };
        match &self.expr(*func).kind {
            ExprKind::Name(n) => Some(n),
            ExprKind::Attribute { attr, .. } => Some(attr),
            _ => None,
        }
    }

    /// The function named `name`, if the file defines one.
    pub fn function(&self, name: &str) -> Option<&FunctionDef> {
        self.functions().find(|f| f.name.as_str() == name)
    }
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `import a.b as c` or `from a.b import c as d`.
    Import(Import),
    /// `implements: ERC20` (one item per declaration; several names in 0.4 lists).
    Implements(Vec<ExprId>),
    /// 0.4 modules: `uses: ownable`.
    Uses(Vec<ExprId>),
    /// 0.4 modules: `initializes: ownable` or `initializes: erc20[ownable := ownable]`.
    Initializes(Vec<ExprId>),
    /// 0.4 modules: `exports: (erc20.transfer, ownable.__interface__)`.
    Exports(Vec<ExprId>),
    /// A storage, immutable, constant or transient variable.
    Variable(VarDecl),
    /// `event Transfer:` with fields (also 0.1's `Transfer: event({...})`).
    Event(EventDef),
    /// `struct Point:` with fields.
    Struct(StructDef),
    /// `flag Roles:` (0.4) or `enum Roles:` (0.3) with members.
    Flag(FlagDef),
    /// `interface Token:` (or legacy `contract Token:`) with function signatures.
    Interface(InterfaceDef),
    /// `def f(...)`, with its decorators.
    Function(FunctionDef),
}

/// `import a.b as c` / `from a.b import c as d` / `from . import x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// For `from M import ...`: the module `M` as written (`vyper.interfaces`,
    /// `.`, `..lib`, `snekmate.auth`); for `import M`: `M`.
    pub module: String,
    pub module_span: Span,
    /// The names after `import` in `from M import a, b as c`; empty for `import M`.
    pub names: Vec<ImportName>,
    /// `c` in `import a.b as c`.
    pub alias: Option<Ident>,
}

/// One name of `from M import a as b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportName {
    pub name: Ident,
    pub alias: Option<Ident>,
}

/// Where a variable lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VarLocation {
    /// Plain storage.
    Storage,
    /// `transient(...)` (EIP-1153 storage, Vyper 0.4).
    Transient,
    /// `immutable(...)`: set in the constructor, stored in code.
    Immutable,
    /// `constant(...) = value`.
    Constant,
}

/// `name: [public(][reentrant(]location(type)[)][)] [= value]`.
#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    pub name: Ident,
    /// The type with the wrappers taken off.
    pub ty: ExprId,
    pub location: VarLocation,
    /// Wrapped in `public(...)`: the compiler generates a getter.
    pub public: bool,
    /// Wrapped in `reentrant(...)` (0.4.3): the getter takes no reentrancy
    /// lock under `# pragma nonreentrancy on`.
    pub reentrant: bool,
    /// The initializer (required for constants).
    pub value: Option<ExprId>,
    pub span: Span,
}

/// One field of an event or a struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    /// The type with `indexed(...)` taken off.
    pub ty: ExprId,
    /// `indexed(T)` (events only).
    pub indexed: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventDef {
    pub name: Ident,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StructDef {
    pub name: Ident,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlagDef {
    pub name: Ident,
    pub members: Vec<Ident>,
    /// Written with the 0.3 keyword `enum`.
    pub legacy_enum: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InterfaceDef {
    pub name: Ident,
    pub functions: Vec<InterfaceFunction>,
    /// Written with the 0.1 keyword `contract`.
    pub legacy_contract: bool,
}

/// `def f(x: uint256) -> bool: view` inside an interface.
#[derive(Clone, Debug, PartialEq)]
pub struct InterfaceFunction {
    pub name: Ident,
    pub params: Vec<Param>,
    pub returns: Option<ExprId>,
    /// `view`, `pure`, `nonpayable`, `payable` (or 0.1 `constant`, `modifying`).
    pub mutability: Option<Ident>,
    pub span: Span,
}

/// A function parameter `name: type [= default]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: ExprId,
    pub default: Option<ExprId>,
    pub span: Span,
}

/// `@name` or `@name(args)` before a `def`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decorator {
    pub name: Ident,
    /// The arguments of `@nonreentrant("lock")`; `None` without parentheses.
    pub args: Option<Vec<ExprId>>,
    pub span: Span,
}

/// Who can call a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// `@external` (0.1: `@public`).
    External,
    /// `@internal` (0.1: `@private`), and undecorated functions in 0.4.
    Internal,
    /// `@deploy` (0.4 constructors).
    Deploy,
}

/// What a function may do to state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutability {
    Pure,
    /// `@view` (0.1: `@constant`).
    View,
    Nonpayable,
    Payable,
}

/// A function definition.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub decorators: Vec<Decorator>,
    pub name: Ident,
    pub params: Vec<Param>,
    /// The return type; a tuple of types is an [`ExprKind::Tuple`].
    pub returns: Option<ExprId>,
    pub docstring: Option<Span>,
    pub body: Vec<StmtId>,
    /// The span of `def name(...) -> T:` (without decorators or body).
    pub signature_span: Span,
    pub span: Span,
}

impl FunctionDef {
    /// The decorator named `name`, if present.
    pub fn decorator(&self, name: &str) -> Option<&Decorator> {
        self.decorators.iter().find(|d| d.name.as_str() == name)
    }

    /// Visibility from the decorators; `None` when none says it (valid for
    /// internal functions in 0.4, an error before).
    pub fn visibility(&self) -> Option<Visibility> {
        self.decorators.iter().find_map(|d| match d.name.as_str() {
            "external" | "public" => Some(Visibility::External),
            "internal" | "private" => Some(Visibility::Internal),
            "deploy" => Some(Visibility::Deploy),
            _ => None,
        })
    }

    /// Mutability from the decorators; nonpayable when none says it.
    pub fn mutability(&self) -> Mutability {
        self.decorators
            .iter()
            .find_map(|d| match d.name.as_str() {
                "pure" => Some(Mutability::Pure),
                "view" | "constant" => Some(Mutability::View),
                "payable" => Some(Mutability::Payable),
                "nonpayable" => Some(Mutability::Nonpayable),
                _ => None,
            })
            .unwrap_or(Mutability::Nonpayable)
    }

    /// The `@nonreentrant` decorator: `Some(Some(key))` for
    /// `@nonreentrant("key")`, `Some(None)` for the 0.4 key-less form, `None`
    /// without the decorator. A key that is not a string literal is `Some(None)`.
    pub fn nonreentrant_key<'s>(&self, ast: &Ast, source: &'s str) -> Option<Option<&'s str>> {
        let d = self.decorator("nonreentrant")?;
        let key = d
            .args
            .as_deref()
            .and_then(|args| args.first())
            .and_then(|&arg| match &ast.expr(arg).kind {
                ExprKind::Str(StrKind::Text) => {
                    Some(string_content(ast.expr(arg).span.text(source)))
                }
                _ => None,
            });
        Some(key)
    }

    /// `__init__`, or `@deploy` in 0.4.
    pub fn is_constructor(&self) -> bool {
        self.name.as_str() == "__init__" || self.decorator("deploy").is_some()
    }

    /// `__default__`, the fallback function.
    pub fn is_fallback(&self) -> bool {
        self.name.as_str() == "__default__"
    }
}

/// The characters between the quotes of a string literal as written (escapes
/// not interpreted): `abc` for `"abc"`, `b"abc"` or `"""abc"""`.
pub fn string_content(literal: &str) -> &str {
    let s = literal.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    for q in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = s.strip_prefix(q) {
            return inner.strip_suffix(q).unwrap_or(inner);
        }
    }
    s
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (usually a call).
    Expr(ExprId),
    /// `a = b`, `a, b = f()`, `self.x[k] = v`.
    Assign {
        target: ExprId,
        value: ExprId,
    },
    /// `a += b` and the other augmented assignments.
    AugAssign {
        target: ExprId,
        op: BinOp,
        value: ExprId,
    },
    /// `x: uint256 = 1` (a local declaration; the value is optional).
    AnnAssign {
        target: Ident,
        ty: ExprId,
        value: Option<ExprId>,
    },
    /// `if` / `elif` / `else`: an `elif` is an `If` alone in `orelse`.
    If {
        cond: ExprId,
        then: Vec<StmtId>,
        orelse: Vec<StmtId>,
    },
    /// `for x in iter:` / `for x: T in iter:`.
    For {
        target: ExprId,
        ty: Option<ExprId>,
        iter: ExprId,
        body: Vec<StmtId>,
    },
    /// `assert cond` / `assert cond, "msg"` / `assert cond, UNREACHABLE`.
    Assert {
        cond: ExprId,
        msg: Option<ExprId>,
    },
    /// `raise` / `raise "msg"`.
    Raise(Option<ExprId>),
    /// `return` / `return x` / `return a, b`.
    Return(Option<ExprId>),
    Pass,
    Break,
    Continue,
    /// `log Transfer(a, b, c)` (0.1: `log.Transfer(a, b, c)`); the event is
    /// the callee of the call expression, see [`Ast::logged_event`].
    Log(ExprId),
    /// A statement that could not be parsed (a diagnostic says why).
    Error,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// What kind of string literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StrKind {
    /// `"text"` / `'text'` / triple-quoted.
    Text,
    /// `b"bytes"`.
    Bytes,
    /// `x"deadbeef"` (hex bytes, 0.4).
    Hex,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Name(Ident),
    /// A number; its text is the span's text.
    Number(crate::NumberKind),
    /// A string literal (adjacent literals are one node); its text is the span's text.
    Str(StrKind),
    Bool(bool),
    /// `...` (bodies of `.vyi` interface functions).
    Ellipsis,
    /// `base.attr`.
    Attribute {
        base: ExprId,
        attr: Ident,
    },
    /// `base[index]`; several indices (`HashMap[K, V]`) are a tuple index.
    Subscript {
        base: ExprId,
        index: ExprId,
    },
    /// `func(args, name=value)`.
    Call {
        func: ExprId,
        args: Vec<ExprId>,
        keywords: Vec<Keyword>,
    },
    Unary {
        op: UnaryOp,
        operand: ExprId,
    },
    Binary {
        op: BinOp,
        lhs: ExprId,
        rhs: ExprId,
    },
    /// `a and b`, `a or b` (chains are left-nested).
    Logical {
        op: BoolOp,
        lhs: ExprId,
        rhs: ExprId,
    },
    /// `a < b`, `a in b`, `a not in b`, ...
    Compare {
        op: CmpOp,
        lhs: ExprId,
        rhs: ExprId,
    },
    /// `body if cond else orelse`.
    IfExp {
        body: ExprId,
        cond: ExprId,
        orelse: ExprId,
    },
    /// `(a, b)` or `a, b` where a tuple is allowed.
    Tuple(Vec<ExprId>),
    /// `[a, b]`.
    List(Vec<ExprId>),
    /// `{k: v}` (struct literals before 0.4, event types in 0.1).
    Dict(Vec<(ExprId, ExprId)>),
    /// `extcall target.f(...)` (0.4).
    ExtCall(ExprId),
    /// `staticcall target.f(...)` (0.4).
    StaticCall(ExprId),
    /// `a := b` (module initialization in `initializes:`).
    Walrus {
        target: ExprId,
        value: ExprId,
    },
    /// An expression that could not be parsed (a diagnostic says why).
    Error,
}

/// `name=value` in a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyword {
    pub name: Ident,
    pub value: ExprId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Pos,
    /// `~x`
    Invert,
    /// `not x`
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoolOp {
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Is,
    IsNot,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::NotEq => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
            CmpOp::Is => "is",
            CmpOp::IsNot => "is not",
        }
    }
}

impl Ast {
    /// Calls `f` on each direct sub-expression of `id`, in source order.
    pub fn for_each_child_expr(&self, id: ExprId, mut f: impl FnMut(ExprId)) {
        match &self.expr(id).kind {
            ExprKind::Attribute { base, .. } => f(*base),
            ExprKind::Subscript { base, index } => {
                f(*base);
                f(*index);
            }
            ExprKind::Call {
                func,
                args,
                keywords,
            } => {
                f(*func);
                args.iter().copied().for_each(&mut f);
                keywords.iter().for_each(|k| f(k.value));
            }
            ExprKind::Unary { operand, .. } => f(*operand),
            ExprKind::Binary { lhs, rhs, .. }
            | ExprKind::Logical { lhs, rhs, .. }
            | ExprKind::Compare { lhs, rhs, .. } => {
                f(*lhs);
                f(*rhs);
            }
            ExprKind::IfExp { body, cond, orelse } => {
                f(*body);
                f(*cond);
                f(*orelse);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().copied().for_each(f),
            ExprKind::Dict(pairs) => pairs.iter().for_each(|&(k, v)| {
                f(k);
                f(v);
            }),
            ExprKind::ExtCall(inner) | ExprKind::StaticCall(inner) => f(*inner),
            ExprKind::Walrus { target, value } => {
                f(*target);
                f(*value);
            }
            ExprKind::Name(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Ellipsis
            | ExprKind::Error => {}
        }
    }

    /// Calls `f` on each expression written directly in statement `id` (not
    /// in its nested statements), in source order.
    pub fn for_each_stmt_expr(&self, id: StmtId, mut f: impl FnMut(ExprId)) {
        match &self.stmt(id).kind {
            StmtKind::Expr(e) | StmtKind::Log(e) => f(*e),
            StmtKind::Assign { target, value } | StmtKind::AugAssign { target, value, .. } => {
                f(*target);
                f(*value);
            }
            StmtKind::AnnAssign { ty, value, .. } => {
                f(*ty);
                value.iter().copied().for_each(f);
            }
            StmtKind::If { cond, .. } => f(*cond),
            StmtKind::For {
                target, ty, iter, ..
            } => {
                f(*target);
                ty.iter().copied().for_each(&mut f);
                f(*iter);
            }
            StmtKind::Assert { cond, msg } => {
                f(*cond);
                msg.iter().copied().for_each(f);
            }
            StmtKind::Raise(v) | StmtKind::Return(v) => v.iter().copied().for_each(f),
            StmtKind::Pass | StmtKind::Break | StmtKind::Continue | StmtKind::Error => {}
        }
    }
}
