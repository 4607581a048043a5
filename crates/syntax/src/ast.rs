//! The typed, arena-allocated Solidity AST.
//!
//! Every node lives in one of the arenas of [`Ast`] and is referred to by a typed
//! index ([`ItemId`], [`StmtId`], [`ExprId`], [`TypeId`], [`YulStmtId`],
//! [`YulExprId`]). Every node carries a byte [`Span`] into the source text.
//!
//! The tree is complete for well-formed input. Where the source is broken (the
//! parser reported a syntax diagnostic) or nested deeper than
//! [`crate::MAX_NESTING`], the affected subtree is an `Error` node
//! ([`ItemKind::Error`], [`StmtKind::Error`], [`ExprKind::Error`],
//! [`TypeKind::Error`], [`YulStmtKind::Error`], [`YulExprKind::Error`]).
//!
//! Walk it with [`crate::visit::Visitor`].

use crate::Span;
use crate::pragma::VersionReq;

pub use compact_str::CompactString;

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
    /// Index of an [`Item`] in [`Ast`].
    ItemId
);
define_id!(
    /// Index of a [`Stmt`] in [`Ast`].
    StmtId
);
define_id!(
    /// Index of an [`Expr`] in [`Ast`].
    ExprId
);
define_id!(
    /// Index of a [`TypeName`] in [`Ast`].
    TypeId
);
define_id!(
    /// Index of a [`YulStmt`] in [`Ast`].
    YulStmtId
);
define_id!(
    /// Index of a [`YulExpr`] in [`Ast`].
    YulExprId
);

/// A name as written in the source, with its span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name (compact: short names are stored inline).
    pub name: CompactString,
    /// Where the name is written.
    pub span: Span,
}

impl Ident {
    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

/// A dotted path of names, e.g. `A.B.C` in `is A.B.C` or `using L for T`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// The segments, at least one for well-formed input.
    pub segments: Vec<Ident>,
    /// Span of the whole path.
    pub span: Span,
}

impl Path {
    /// The last segment, e.g. `C` in `A.B.C`.
    pub fn last(&self) -> Option<&Ident> {
        self.segments.last()
    }

    /// True when the path is the single name `name`.
    pub fn is_single(&self, name: &str) -> bool {
        self.segments.len() == 1 && self.segments[0].name == name
    }

    /// The path joined with dots, e.g. `"A.B.C"`.
    pub fn to_dotted(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(&s.name);
        }
        out
    }
}

// ---------------------------------------------------------------------------
// The AST container
// ---------------------------------------------------------------------------

/// All nodes of one source file, in arenas indexed by typed ids.
#[derive(Clone, Debug, Default)]
pub struct Ast {
    pub(crate) items: Vec<Item>,
    pub(crate) stmts: Vec<Stmt>,
    pub(crate) exprs: Vec<Expr>,
    pub(crate) types: Vec<TypeName>,
    pub(crate) yul_stmts: Vec<YulStmt>,
    pub(crate) yul_exprs: Vec<YulExpr>,
    pub(crate) source_unit: SourceUnit,
}

/// The top level of a file: its items in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceUnit {
    /// Top-level items (pragmas, imports, contracts, free functions, ...).
    pub items: Vec<ItemId>,
    /// Span of the whole file.
    pub span: Span,
}

impl Ast {
    /// The top level of the file.
    pub fn source_unit(&self) -> &SourceUnit {
        &self.source_unit
    }

    /// The item with id `id`.
    ///
    /// # Panics
    /// When `id` comes from another [`Ast`] and is out of range.
    pub fn item(&self, id: ItemId) -> &Item {
        &self.items[id.index()]
    }

    /// The statement with id `id`.
    pub fn stmt(&self, id: StmtId) -> &Stmt {
        &self.stmts[id.index()]
    }

    /// The expression with id `id`.
    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id.index()]
    }

    /// The type with id `id`.
    pub fn ty(&self, id: TypeId) -> &TypeName {
        &self.types[id.index()]
    }

    /// The Yul statement with id `id`.
    pub fn yul_stmt(&self, id: YulStmtId) -> &YulStmt {
        &self.yul_stmts[id.index()]
    }

    /// The Yul expression with id `id`.
    pub fn yul_expr(&self, id: YulExprId) -> &YulExpr {
        &self.yul_exprs[id.index()]
    }

    /// Every item (at any depth) with its id, in creation order.
    pub fn items(&self) -> impl Iterator<Item = (ItemId, &Item)> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, it)| (ItemId(i as u32), it))
    }

    /// Every expression with its id (in no particular order).
    pub fn exprs(&self) -> impl Iterator<Item = (ExprId, &Expr)> {
        self.exprs
            .iter()
            .enumerate()
            .map(|(i, e)| (ExprId(i as u32), e))
    }

    /// Every Yul statement with its id (in no particular order).
    pub fn yul_stmts(&self) -> impl Iterator<Item = (YulStmtId, &YulStmt)> {
        self.yul_stmts
            .iter()
            .enumerate()
            .map(|(i, s)| (YulStmtId(i as u32), s))
    }

    /// Every Yul expression with its id (in no particular order).
    pub fn yul_exprs(&self) -> impl Iterator<Item = (YulExprId, &YulExpr)> {
        self.yul_exprs
            .iter()
            .enumerate()
            .map(|(i, e)| (YulExprId(i as u32), e))
    }

    /// Every statement with its id (in no particular order).
    pub fn stmts(&self) -> impl Iterator<Item = (StmtId, &Stmt)> {
        self.stmts
            .iter()
            .enumerate()
            .map(|(i, s)| (StmtId(i as u32), s))
    }

    /// Every contract, interface and library of the file.
    pub fn contracts(&self) -> impl Iterator<Item = (ItemId, &ContractDef)> {
        self.items()
            .filter_map(|(id, it)| it.as_contract().map(|c| (id, c)))
    }

    /// Every function-like item (functions, constructors, fallback, receive and
    /// modifiers), free or in a contract.
    pub fn functions(&self) -> impl Iterator<Item = (ItemId, &FunctionDef)> {
        self.items()
            .filter_map(|(id, it)| it.as_function().map(|f| (id, f)))
    }

    /// The contract that declares item `id`, if any.
    pub fn parent_contract(&self, id: ItemId) -> Option<(ItemId, &ContractDef)> {
        let parent = self.item(id).parent?;
        self.item(parent).as_contract().map(|c| (parent, c))
    }

    /// The top-level pragmas of the file.
    pub fn pragmas(&self) -> impl Iterator<Item = &Pragma> {
        self.source_unit
            .items
            .iter()
            .filter_map(|&id| match &self.item(id).kind {
                ItemKind::Pragma(p) => Some(p),
                _ => None,
            })
    }

    /// True when `id` is the member access `base.member` on a plain identifier,
    /// e.g. `ast.is_member_of(id, "tx", "origin")`.
    pub fn is_member_of(&self, id: ExprId, base: &str, member: &str) -> bool {
        match self.expr(id).as_member_access() {
            Some((b, m)) => m.name == member && self.expr(b).is_ident(base),
            None => false,
        }
    }

    /// The name a call's callee ends with: `f` for `f(x)`, `transfer` for
    /// `a.b.transfer{value: 1}(x)`, `None` for other callees.
    pub fn callee_name(&self, call: ExprId) -> Option<&Ident> {
        let ExprKind::Call { callee, .. } = &self.expr(call).kind else {
            return None;
        };
        let mut callee = *callee;
        loop {
            match &self.expr(callee).kind {
                ExprKind::CallOptions { callee: inner, .. } => callee = *inner,
                ExprKind::Ident(i) => return Some(i),
                ExprKind::Member { member, .. } => return Some(member),
                _ => return None,
            }
        }
    }

    /// Strips parentheses (single-element tuples without trailing comma are
    /// lowered as [`ExprKind::Paren`]).
    pub fn skip_parens(&self, mut id: ExprId) -> ExprId {
        while let ExprKind::Paren(inner) = self.expr(id).kind {
            id = inner;
        }
        id
    }
}

// ---------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------

/// A source-unit item or a contract member.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What the item is.
    pub kind: ItemKind,
    /// Span of the whole item (including its body).
    pub span: Span,
    /// The contract declaring this item; `None` at file level.
    pub parent: Option<ItemId>,
}

/// The kinds of items.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `pragma solidity ^0.8.0;` or any other pragma.
    Pragma(Pragma),
    /// An `import` directive.
    Import(crate::ImportDirective),
    /// A contract, abstract contract, interface or library.
    Contract(ContractDef),
    /// A function, constructor, fallback, receive or modifier (free or member).
    Function(FunctionDef),
    /// A state variable or a file-level constant.
    Variable(VariableDef),
    /// `struct S { ... }`.
    Struct(StructDef),
    /// `enum E { ... }`.
    Enum(EnumDef),
    /// `event E(...);`.
    Event(EventDef),
    /// `error E(...);` (a custom error declaration).
    CustomError(ErrorDef),
    /// `type T is uint256;`.
    UserDefinedValueType(UserDefinedValueTypeDef),
    /// `using L for T;`.
    Using(UsingDirective),
    /// Unparsable source; a syntax diagnostic covers it.
    Error,
}

impl Item {
    /// The contract definition, if this item is one.
    pub fn as_contract(&self) -> Option<&ContractDef> {
        match &self.kind {
            ItemKind::Contract(c) => Some(c),
            _ => None,
        }
    }

    /// The function definition (including constructors and modifiers), if this item is one.
    pub fn as_function(&self) -> Option<&FunctionDef> {
        match &self.kind {
            ItemKind::Function(f) => Some(f),
            _ => None,
        }
    }

    /// The variable definition, if this item is a state variable or file-level constant.
    pub fn as_variable(&self) -> Option<&VariableDef> {
        match &self.kind {
            ItemKind::Variable(v) => Some(v),
            _ => None,
        }
    }

    /// The declared name, for items that have one.
    pub fn name(&self) -> Option<&Ident> {
        match &self.kind {
            ItemKind::Contract(c) => Some(&c.name),
            ItemKind::Function(f) => f.name.as_ref(),
            ItemKind::Variable(v) => Some(&v.name),
            ItemKind::Struct(s) => Some(&s.name),
            ItemKind::Enum(e) => Some(&e.name),
            ItemKind::Event(e) => Some(&e.name),
            ItemKind::CustomError(e) => Some(&e.name),
            ItemKind::UserDefinedValueType(t) => Some(&t.name),
            ItemKind::Pragma(_) | ItemKind::Import(_) | ItemKind::Using(_) | ItemKind::Error => {
                None
            }
        }
    }
}

/// A `pragma` directive.
#[derive(Clone, Debug, PartialEq)]
pub enum Pragma {
    /// `pragma solidity <version requirement>;`
    Solidity {
        /// The parsed requirement; `None` when the text could not be parsed.
        req: Option<VersionReq>,
        /// The requirement as written, e.g. `^0.8.0`.
        text: CompactString,
        /// Span of the requirement text.
        text_span: Span,
    },
    /// Any other pragma, e.g. `pragma experimental ABIEncoderV2;`.
    Other {
        /// The pragma name, e.g. `experimental`.
        name: Ident,
        /// The rest of the pragma, e.g. `ABIEncoderV2`.
        value: CompactString,
    },
}

/// Whether a contract is a plain contract, abstract, an interface or a library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContractKind {
    /// `contract C { ... }`.
    Contract,
    /// `abstract contract C { ... }`.
    Abstract,
    /// `interface I { ... }`.
    Interface,
    /// `library L { ... }`.
    Library,
}

/// A contract, abstract contract, interface or library.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractDef {
    /// Which of the four it is.
    pub kind: ContractKind,
    /// The contract name.
    pub name: Ident,
    /// The base contracts, in declaration order (`is A, B(1)`).
    pub bases: Vec<InheritanceSpecifier>,
    /// The storage layout base (`layout at expr`), Solidity 0.8.29+.
    pub layout: Option<ExprId>,
    /// The members in source order.
    pub members: Vec<ItemId>,
}

/// One base in `is A, B(1, 2)`.
#[derive(Clone, Debug, PartialEq)]
pub struct InheritanceSpecifier {
    /// The base contract name.
    pub path: Path,
    /// Constructor arguments passed to the base, if written.
    pub args: Option<CallArgs>,
    /// Span of the specifier.
    pub span: Span,
}

/// Function-like definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// `function f() ...` (including old-style constructors; see
    /// [`FunctionDef::is_legacy_constructor`]).
    Function,
    /// `constructor(...) ...`.
    Constructor,
    /// `fallback() ...` or the legacy unnamed `function() ...`.
    Fallback,
    /// `receive() external payable ...`.
    Receive,
    /// `modifier m(...) ...`.
    Modifier,
}

/// `public`, `internal`, `private` or `external`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// `public`.
    Public,
    /// `internal`.
    Internal,
    /// `private`.
    Private,
    /// `external`.
    External,
}

/// Function state mutability; absent means non-payable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// `pure`.
    Pure,
    /// `view`.
    View,
    /// Legacy `constant` (the pre-0.5 spelling of `view`).
    Constant,
    /// `payable`.
    Payable,
}

/// A modifier invocation in a function header (also base-constructor calls
/// written in a constructor header, e.g. `constructor() Base(1)`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModifierInvocation {
    /// The modifier name.
    pub path: Path,
    /// The arguments, if parentheses were written.
    pub args: Option<CallArgs>,
    /// Span of the invocation.
    pub span: Span,
}

/// `override` or `override(A, B)`.
#[derive(Clone, Debug, PartialEq)]
pub struct OverrideSpecifier {
    /// The listed bases; empty for a bare `override`.
    pub bases: Vec<Path>,
    /// Span of the specifier.
    pub span: Span,
}

/// A function, constructor, fallback, receive or modifier.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    /// Which kind of function-like definition this is.
    pub kind: FunctionKind,
    /// The name; `None` for `constructor`, `fallback`, `receive` and legacy unnamed fallbacks.
    pub name: Option<Ident>,
    /// The parameters.
    pub params: Vec<VarDecl>,
    /// The return parameters.
    pub returns: Vec<VarDecl>,
    /// Declared visibility, if written.
    pub visibility: Option<Visibility>,
    /// Declared mutability, if written (`None` is non-payable).
    pub mutability: Option<Mutability>,
    /// `virtual` is written.
    pub is_virtual: bool,
    /// The `override` specifier, if written.
    pub overrides: Option<OverrideSpecifier>,
    /// Modifier invocations in header order.
    pub modifiers: Vec<ModifierInvocation>,
    /// The body block; `None` when the function is declared with `;`.
    pub body: Option<StmtId>,
    /// A `function` whose name equals its contract's name: a constructor before Solidity 0.4.22.
    pub is_legacy_constructor: bool,
    /// The pre-0.6 unnamed fallback `function() { ... }`.
    pub is_legacy_fallback: bool,
    /// Span of the header (from the keyword to before the body).
    pub header_span: Span,
}

impl FunctionDef {
    /// True for constructors, including legacy ones named after the contract.
    pub fn is_constructor(&self) -> bool {
        self.kind == FunctionKind::Constructor || self.is_legacy_constructor
    }

    /// True when declared `payable`.
    pub fn is_payable(&self) -> bool {
        self.mutability == Some(Mutability::Payable)
    }

    /// True when declared `view`, `pure` or legacy `constant`.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self.mutability,
            Some(Mutability::View | Mutability::Pure | Mutability::Constant)
        )
    }

    /// The name as a string, `""` when the function is unnamed.
    pub fn name_str(&self) -> &str {
        self.name.as_ref().map_or("", |n| n.as_str())
    }
}

/// A state variable or a file-level constant.
#[derive(Clone, Debug, PartialEq)]
pub struct VariableDef {
    /// The declared type.
    pub ty: TypeId,
    /// The variable name.
    pub name: Ident,
    /// Declared visibility, if written.
    pub visibility: Option<Visibility>,
    /// `constant`.
    pub is_constant: bool,
    /// `immutable`.
    pub is_immutable: bool,
    /// `transient` (Solidity 0.8.27+ transient storage).
    pub is_transient: bool,
    /// The `override` specifier, if written.
    pub overrides: Option<OverrideSpecifier>,
    /// The initializer, if written.
    pub value: Option<ExprId>,
}

/// `struct S { T a; ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct StructDef {
    /// The struct name.
    pub name: Ident,
    /// The fields, each with a type and a name.
    pub fields: Vec<VarDecl>,
}

/// `enum E { A, B }`.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDef {
    /// The enum name.
    pub name: Ident,
    /// The variants in order.
    pub variants: Vec<Ident>,
}

/// `event E(uint indexed a, bytes b) anonymous;`.
#[derive(Clone, Debug, PartialEq)]
pub struct EventDef {
    /// The event name.
    pub name: Ident,
    /// The parameters ([`VarDecl::indexed`] tells indexed ones).
    pub params: Vec<VarDecl>,
    /// `anonymous` is written.
    pub is_anonymous: bool,
}

/// `error E(uint a);`.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorDef {
    /// The error name.
    pub name: Ident,
    /// The parameters.
    pub params: Vec<VarDecl>,
}

/// `type T is uint256;`.
#[derive(Clone, Debug, PartialEq)]
pub struct UserDefinedValueTypeDef {
    /// The new type's name.
    pub name: Ident,
    /// The underlying elementary type.
    pub underlying: TypeId,
}

/// `using L for T;`, `using {f, g as +} for T global;`.
#[derive(Clone, Debug, PartialEq)]
pub struct UsingDirective {
    /// `using L for ...`: the library.
    pub library: Option<Path>,
    /// `using {f, g as +} for ...`: the attached functions.
    pub functions: Vec<UsingFunction>,
    /// The target type; `None` for `*`.
    pub target: Option<TypeId>,
    /// `global` is written.
    pub is_global: bool,
}

/// One entry of `using {f, g as +} for T`.
#[derive(Clone, Debug, PartialEq)]
pub struct UsingFunction {
    /// The function.
    pub path: Path,
    /// The user-defined operator it implements (`as +`), as written.
    pub operator: Option<CompactString>,
    /// Span of the entry.
    pub span: Span,
}

// ---------------------------------------------------------------------------
// Variables and parameters
// ---------------------------------------------------------------------------

/// Data location of a variable or parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataLocation {
    /// `memory`.
    Memory,
    /// `storage`.
    Storage,
    /// `calldata`.
    Calldata,
}

/// A parameter, return parameter, event/error parameter, struct field or
/// local variable declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    /// The type (for `var` declarations a [`TypeKind::Var`] node).
    pub ty: TypeId,
    /// The data location, if written.
    pub location: Option<DataLocation>,
    /// The name, if written.
    pub name: Option<Ident>,
    /// `indexed` (event parameters only).
    pub indexed: bool,
    /// Span of the declaration.
    pub span: Span,
}

// ---------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What the statement is.
    pub kind: StmtKind,
    /// Span of the statement.
    pub span: Span,
}

/// The kinds of statements.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `{ ... }` or `unchecked { ... }`.
    Block {
        /// The statements in order.
        stmts: Vec<StmtId>,
        /// `unchecked` is written.
        unchecked: bool,
    },
    /// `T x = e;`, `var x = e;`, `(uint a, , uint b) = f();`, `var (a, b) = f();`.
    VarDecl {
        /// The declared variables; `None` for skipped tuple positions.
        decls: Vec<Option<VarDecl>>,
        /// The tuple form `(...) = e` was written.
        is_tuple: bool,
        /// The initializer, if written.
        value: Option<ExprId>,
    },
    /// `e;`.
    Expr(ExprId),
    /// `if (c) a else b`.
    If {
        /// The condition.
        cond: ExprId,
        /// The then-branch.
        then_branch: StmtId,
        /// The else-branch, if written.
        else_branch: Option<StmtId>,
    },
    /// `for (init; cond; update) body`.
    For {
        /// The init statement, if written.
        init: Option<StmtId>,
        /// The condition, if written.
        cond: Option<ExprId>,
        /// The update expression, if written.
        update: Option<ExprId>,
        /// The loop body.
        body: StmtId,
    },
    /// `while (c) body`.
    While {
        /// The condition.
        cond: ExprId,
        /// The loop body.
        body: StmtId,
    },
    /// `do body while (c);`.
    DoWhile {
        /// The loop body.
        body: StmtId,
        /// The condition.
        cond: ExprId,
    },
    /// `continue;`.
    Continue,
    /// `break;`.
    Break,
    /// `return;` or `return e;`.
    Return {
        /// The returned value, if written.
        value: Option<ExprId>,
    },
    /// Legacy `throw;` (before 0.5).
    Throw,
    /// The modifier placeholder `_;`.
    Placeholder,
    /// `emit E(args);`.
    Emit {
        /// The event (an identifier or member access).
        event: ExprId,
        /// The arguments.
        args: CallArgs,
    },
    /// `revert E(args);`, `revert("msg");`, `revert();`.
    Revert {
        /// The custom error (an identifier or member access); `None` for `revert(...)`.
        error: Option<ExprId>,
        /// The arguments.
        args: CallArgs,
    },
    /// `try call returns (...) { } catch ... { }`.
    Try {
        /// The external call or contract creation tried.
        call: ExprId,
        /// The `returns (...)` parameters.
        returns: Vec<VarDecl>,
        /// The success block.
        body: StmtId,
        /// The catch clauses in order.
        catches: Vec<CatchClause>,
    },
    /// `assembly { ... }`.
    Assembly {
        /// `"evmasm"` dialect string was written.
        evmasm: bool,
        /// Flags like `("memory-safe")`, unquoted.
        flags: Vec<CompactString>,
        /// The Yul statements of the block.
        body: Vec<YulStmtId>,
    },
    /// Unparsable source or nesting too deep; a syntax diagnostic covers it.
    Error,
}

/// `catch Error(string memory r) { ... }`, `catch (bytes memory b) { ... }`, `catch { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct CatchClause {
    /// `Error`, `Panic` or another identifier before the parameters.
    pub name: Option<Ident>,
    /// The parameters.
    pub params: Vec<VarDecl>,
    /// The handler block.
    pub body: StmtId,
    /// Span of the clause.
    pub span: Span,
}

impl Stmt {
    /// True for `Error` statements.
    pub fn is_error(&self) -> bool {
        matches!(self.kind, StmtKind::Error)
    }
}

// ---------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Span of the expression.
    pub span: Span,
}

/// Call arguments: positional `(a, b)` or named `({x: a, y: b})`.
#[derive(Clone, Debug, PartialEq)]
pub enum CallArgs {
    /// `(a, b)`.
    Positional(Vec<ExprId>),
    /// `({x: a, y: b})`.
    Named(Vec<NamedArg>),
}

impl Default for CallArgs {
    fn default() -> Self {
        CallArgs::Positional(Vec::new())
    }
}

impl CallArgs {
    /// The argument expressions in source order, for both forms.
    pub fn exprs(&self) -> Vec<ExprId> {
        match self {
            CallArgs::Positional(v) => v.clone(),
            CallArgs::Named(v) => v.iter().map(|a| a.value).collect(),
        }
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        match self {
            CallArgs::Positional(v) => v.len(),
            CallArgs::Named(v) => v.len(),
        }
    }

    /// True when there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `name: value`, in named arguments and call options.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedArg {
    /// The name.
    pub name: Ident,
    /// The value.
    pub value: ExprId,
    /// Span of `name: value`.
    pub span: Span,
}

/// The kinds of expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A name, e.g. `x`, `msg`, `now`, `suicide`.
    Ident(Ident),
    /// A literal.
    Literal(Literal),
    /// An elementary type in expression position: `uint256` in `uint256(x)`,
    /// `address` in `address(0)`, `address payable` for `payable(x)`.
    ElementaryType(ElementaryType),
    /// `base.member`.
    Member {
        /// The object.
        base: ExprId,
        /// The member name.
        member: Ident,
    },
    /// `base[index]` (`index` is `None` for `T[]` in expression position).
    Index {
        /// The indexed expression.
        base: ExprId,
        /// The index.
        index: Option<ExprId>,
    },
    /// `base[start:end]`.
    Slice {
        /// The sliced expression.
        base: ExprId,
        /// The start, if written.
        start: Option<ExprId>,
        /// The end, if written.
        end: Option<ExprId>,
    },
    /// `callee(args)`; also type conversions like `uint256(x)` and `payable(x)`.
    /// Legacy `.value(v)` / `.gas(g)` are ordinary calls of members.
    Call {
        /// The called expression.
        callee: ExprId,
        /// The arguments.
        args: CallArgs,
    },
    /// `callee{value: v, gas: g}` (always the callee of a [`ExprKind::Call`] in valid code).
    CallOptions {
        /// The expression the options are attached to.
        callee: ExprId,
        /// The options.
        options: Vec<NamedArg>,
    },
    /// `new T` (usually the callee of a call: `new C(1)`).
    New {
        /// The created type.
        ty: TypeId,
    },
    /// `(e)`.
    Paren(ExprId),
    /// `(a, , b)`; `None` for empty positions.
    Tuple {
        /// The components.
        elements: Vec<Option<ExprId>>,
    },
    /// `[a, b, c]`.
    InlineArray {
        /// The elements.
        elements: Vec<ExprId>,
    },
    /// Prefix and postfix operators, including `delete` and `++`/`--`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: ExprId,
    },
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: ExprId,
        /// The right operand.
        rhs: ExprId,
    },
    /// `cond ? then : else`.
    Ternary {
        /// The condition.
        cond: ExprId,
        /// The value when true.
        then_expr: ExprId,
        /// The value when false.
        else_expr: ExprId,
    },
    /// `lhs = rhs` (`op` is `None`) or `lhs op= rhs`.
    Assign {
        /// The operator of a compound assignment, e.g. `Add` for `+=`.
        op: Option<BinaryOp>,
        /// The assigned place.
        lhs: ExprId,
        /// The value.
        rhs: ExprId,
    },
    /// `type(T)`.
    TypeOf {
        /// The type.
        ty: TypeId,
    },
    /// A type in expression position other than an elementary type, e.g. `uint[]` in `abi.decode(d, (uint[]))`.
    Type(TypeId),
    /// Unparsable source or nesting too deep; a syntax diagnostic covers it.
    Error,
}

impl Expr {
    /// `Some((base, member))` for `base.member`.
    pub fn as_member_access(&self) -> Option<(ExprId, &Ident)> {
        match &self.kind {
            ExprKind::Member { base, member } => Some((*base, member)),
            _ => None,
        }
    }

    /// The identifier, if this is a plain name.
    pub fn as_ident(&self) -> Option<&Ident> {
        match &self.kind {
            ExprKind::Ident(i) => Some(i),
            _ => None,
        }
    }

    /// True when this is the plain name `name`.
    pub fn is_ident(&self, name: &str) -> bool {
        self.as_ident().is_some_and(|i| i.name == name)
    }

    /// `Some((callee, args))` for calls.
    pub fn as_call(&self) -> Option<(ExprId, &CallArgs)> {
        match &self.kind {
            ExprKind::Call { callee, args } => Some((*callee, args)),
            _ => None,
        }
    }

    /// The literal, if this is one.
    pub fn as_literal(&self) -> Option<&Literal> {
        match &self.kind {
            ExprKind::Literal(l) => Some(l),
            _ => None,
        }
    }

    /// True for `Error` expressions.
    pub fn is_error(&self) -> bool {
        matches!(self.kind, ExprKind::Error)
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `!x`.
    Not,
    /// `~x`.
    BitNot,
    /// `delete x`.
    Delete,
    /// `++x`.
    PreInc,
    /// `--x`.
    PreDec,
    /// `x++`.
    PostInc,
    /// `x--`.
    PostDec,
}

impl UnaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Not => "!",
            UnaryOp::BitNot => "~",
            UnaryOp::Delete => "delete",
            UnaryOp::PreInc | UnaryOp::PostInc => "++",
            UnaryOp::PreDec | UnaryOp::PostDec => "--",
        }
    }

    /// True for `++`/`--` (pre or post).
    pub fn is_update(self) -> bool {
        matches!(
            self,
            UnaryOp::PreInc | UnaryOp::PreDec | UnaryOp::PostInc | UnaryOp::PostDec
        )
    }
}

/// Binary operators (also the operator of compound assignments).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `||`.
    Or,
    /// `&&`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
    /// `|`.
    BitOr,
    /// `^`.
    BitXor,
    /// `&`.
    BitAnd,
    /// `<<`.
    Shl,
    /// `>>`.
    Shr,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Rem,
    /// `**`.
    Pow,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Gt => ">",
            BinaryOp::Le => "<=",
            BinaryOp::Ge => ">=",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "^",
            BinaryOp::BitAnd => "&",
            BinaryOp::Shl => "<<",
            BinaryOp::Shr => ">>",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Pow => "**",
        }
    }

    /// Parses an operator as written.
    pub fn from_str_op(s: &str) -> Option<BinaryOp> {
        Some(match s {
            "||" => BinaryOp::Or,
            "&&" => BinaryOp::And,
            "==" => BinaryOp::Eq,
            "!=" => BinaryOp::Ne,
            "<" => BinaryOp::Lt,
            ">" => BinaryOp::Gt,
            "<=" => BinaryOp::Le,
            ">=" => BinaryOp::Ge,
            "|" => BinaryOp::BitOr,
            "^" => BinaryOp::BitXor,
            "&" => BinaryOp::BitAnd,
            "<<" => BinaryOp::Shl,
            ">>" => BinaryOp::Shr,
            "+" => BinaryOp::Add,
            "-" => BinaryOp::Sub,
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            "%" => BinaryOp::Rem,
            "**" => BinaryOp::Pow,
            _ => return None,
        })
    }

    /// True for `+ - * / % **`.
    pub fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinaryOp::Add
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::Div
                | BinaryOp::Rem
                | BinaryOp::Pow
        )
    }

    /// True for `== != < > <= >=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge
        )
    }
}

/// Units after number literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NumberUnit {
    /// `wei`.
    Wei,
    /// `gwei`.
    Gwei,
    /// `szabo` (removed in 0.7).
    Szabo,
    /// `finney` (removed in 0.7).
    Finney,
    /// `ether`.
    Ether,
    /// `seconds`.
    Seconds,
    /// `minutes`.
    Minutes,
    /// `hours`.
    Hours,
    /// `days`.
    Days,
    /// `weeks`.
    Weeks,
    /// `years` (removed in 0.5).
    Years,
}

impl NumberUnit {
    /// Parses a unit keyword.
    pub fn from_keyword(s: &str) -> Option<NumberUnit> {
        Some(match s {
            "wei" => NumberUnit::Wei,
            "gwei" => NumberUnit::Gwei,
            "szabo" => NumberUnit::Szabo,
            "finney" => NumberUnit::Finney,
            "ether" => NumberUnit::Ether,
            "seconds" => NumberUnit::Seconds,
            "minutes" => NumberUnit::Minutes,
            "hours" => NumberUnit::Hours,
            "days" => NumberUnit::Days,
            "weeks" => NumberUnit::Weeks,
            "years" => NumberUnit::Years,
            _ => return None,
        })
    }

    /// The multiplier this unit applies (in wei or seconds).
    pub fn multiplier(self) -> u128 {
        match self {
            NumberUnit::Wei | NumberUnit::Seconds => 1,
            NumberUnit::Gwei => 1_000_000_000,
            NumberUnit::Szabo => 1_000_000_000_000,
            NumberUnit::Finney => 1_000_000_000_000_000,
            NumberUnit::Ether => 1_000_000_000_000_000_000,
            NumberUnit::Minutes => 60,
            NumberUnit::Hours => 3_600,
            NumberUnit::Days => 86_400,
            NumberUnit::Weeks => 604_800,
            NumberUnit::Years => 31_536_000,
        }
    }
}

/// Kinds of string literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StringKind {
    /// `"..."` or `'...'`.
    Plain,
    /// `unicode"..."`.
    Unicode,
    /// `hex"..."`.
    Hex,
}

/// A literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `true` or `false`.
    Bool(bool),
    /// A decimal or hex number, with an optional unit (`1 ether`, `0xff`, `1e18`, `2 days`).
    Number {
        /// The digits as written, without the unit.
        text: CompactString,
        /// Written in hex (`0x...`).
        is_hex: bool,
        /// The unit, if written.
        unit: Option<NumberUnit>,
    },
    /// A string literal; adjacent parts (`"a" "b"`) are concatenated.
    String {
        /// Plain, unicode or hex.
        kind: StringKind,
        /// The contents without quotes and prefixes; escapes are kept as written.
        value: CompactString,
    },
}

impl Literal {
    /// The value of a number literal with its unit applied, when it fits in `u128`
    /// (decimal, hex, `_` separators, `e` exponents; fractions only when the
    /// result is integral).
    pub fn number_value(&self) -> Option<u128> {
        let Literal::Number { text, is_hex, unit } = self else {
            return None;
        };
        let digits: String = text.chars().filter(|&c| c != '_').collect();
        let base = if *is_hex {
            u128::from_str_radix(digits.get(2..)?, 16).ok()?
        } else {
            let (mantissa, exp) = match digits.split_once(['e', 'E']) {
                Some((m, e)) => (m, e.parse::<i32>().ok()?),
                None => (digits.as_str(), 0),
            };
            let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            let frac = frac.trim_end_matches('0');
            let exp = exp.checked_sub(i32::try_from(frac.len()).ok()?)?;
            let all: String = format!("{int}{frac}");
            let mut v: u128 = if all.is_empty() { 0 } else { all.parse().ok()? };
            if exp >= 0 {
                v = v.checked_mul(10u128.checked_pow(u32::try_from(exp).ok()?)?)?;
            } else {
                let d = 10u128.checked_pow(u32::try_from(-exp).ok()?)?;
                if !v.is_multiple_of(d) {
                    return None;
                }
                v /= d;
            }
            v
        };
        base.checked_mul(unit.map_or(1, NumberUnit::multiplier))
    }
}

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/// A type name.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeName {
    /// What the type is.
    pub kind: TypeKind,
    /// Span of the type.
    pub span: Span,
}

/// The kinds of type names.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// `uint256`, `address payable`, `bytes32`, ...
    Elementary(ElementaryType),
    /// Legacy `var` (before 0.5): the type is inferred.
    Var,
    /// A contract, struct, enum or user-defined value type name, e.g. `A.B`.
    UserDefined(Path),
    /// `mapping(K k => V v)`.
    Mapping {
        /// The key type.
        key: TypeId,
        /// The key name, if written (0.8.18+).
        key_name: Option<Ident>,
        /// The value type.
        value: TypeId,
        /// The value name, if written (0.8.18+).
        value_name: Option<Ident>,
    },
    /// `T[]` or `T[n]`.
    Array {
        /// The element type.
        element: TypeId,
        /// The length, for fixed-size arrays.
        size: Option<ExprId>,
    },
    /// `function (params) visibility mutability returns (...)`.
    Function {
        /// The parameter types.
        params: Vec<VarDecl>,
        /// The return types.
        returns: Vec<VarDecl>,
        /// `internal` or `external`, if written.
        visibility: Option<Visibility>,
        /// The mutability, if written.
        mutability: Option<Mutability>,
    },
    /// Unparsable source or nesting too deep; a syntax diagnostic covers it.
    Error,
}

/// Elementary (built-in value) types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElementaryType {
    /// `address` or `address payable`.
    Address {
        /// `payable` is written.
        payable: bool,
    },
    /// `bool`.
    Bool,
    /// `string`.
    String,
    /// Dynamic `bytes`.
    Bytes,
    /// `bytes1`..`bytes32` (legacy `byte` is `FixedBytes(1)`).
    FixedBytes(u8),
    /// `int8`..`int256` (`int` is `Int(256)`).
    Int(u16),
    /// `uint8`..`uint256` (`uint` is `Uint(256)`).
    Uint(u16),
    /// `fixedMxN` (`fixed` is `Fixed(128, 18)`).
    Fixed(u16, u8),
    /// `ufixedMxN` (`ufixed` is `Ufixed(128, 18)`).
    Ufixed(u16, u8),
}

impl ElementaryType {
    /// Parses an elementary type keyword; `address payable` must be passed as such.
    pub fn from_keyword(s: &str) -> Option<ElementaryType> {
        fn bits(rest: &str) -> Option<u16> {
            if rest.is_empty() {
                return Some(256);
            }
            let n: u16 = rest.parse().ok()?;
            (n.is_multiple_of(8) && (8..=256).contains(&n)).then_some(n)
        }
        fn fixed(rest: &str) -> Option<(u16, u8)> {
            if rest.is_empty() {
                return Some((128, 18));
            }
            let (m, n) = rest.split_once('x')?;
            Some((m.parse().ok()?, n.parse().ok()?))
        }
        let s = s.trim();
        Some(match s {
            "address" => ElementaryType::Address { payable: false },
            "bool" => ElementaryType::Bool,
            "string" => ElementaryType::String,
            "bytes" => ElementaryType::Bytes,
            "byte" => ElementaryType::FixedBytes(1),
            _ => {
                if s.starts_with("address") && s.ends_with("payable") {
                    ElementaryType::Address { payable: true }
                } else if let Some(r) = s.strip_prefix("uint") {
                    ElementaryType::Uint(bits(r)?)
                } else if let Some(r) = s.strip_prefix("int") {
                    ElementaryType::Int(bits(r)?)
                } else if let Some(r) = s.strip_prefix("bytes") {
                    let n: u8 = r.parse().ok()?;
                    if !(1..=32).contains(&n) {
                        return None;
                    }
                    ElementaryType::FixedBytes(n)
                } else if let Some(r) = s.strip_prefix("ufixed") {
                    let (m, n) = fixed(r)?;
                    ElementaryType::Ufixed(m, n)
                } else if let Some(r) = s.strip_prefix("fixed") {
                    let (m, n) = fixed(r)?;
                    ElementaryType::Fixed(m, n)
                } else {
                    return None;
                }
            }
        })
    }

    /// The canonical spelling, e.g. `uint256`, `address payable`, `bytes1`.
    pub fn canonical(self) -> String {
        match self {
            ElementaryType::Address { payable: false } => "address".into(),
            ElementaryType::Address { payable: true } => "address payable".into(),
            ElementaryType::Bool => "bool".into(),
            ElementaryType::String => "string".into(),
            ElementaryType::Bytes => "bytes".into(),
            ElementaryType::FixedBytes(n) => format!("bytes{n}"),
            ElementaryType::Int(n) => format!("int{n}"),
            ElementaryType::Uint(n) => format!("uint{n}"),
            ElementaryType::Fixed(m, n) => format!("fixed{m}x{n}"),
            ElementaryType::Ufixed(m, n) => format!("ufixed{m}x{n}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Yul
// ---------------------------------------------------------------------------

/// A Yul (inline assembly) statement.
#[derive(Clone, Debug, PartialEq)]
pub struct YulStmt {
    /// What the statement is.
    pub kind: YulStmtKind,
    /// Span of the statement.
    pub span: Span,
}

/// The kinds of Yul statements.
#[derive(Clone, Debug, PartialEq)]
pub enum YulStmtKind {
    /// `{ ... }`.
    Block(Vec<YulStmtId>),
    /// `let a, b := e`.
    Let {
        /// The declared names.
        names: Vec<Ident>,
        /// The initializer, if written.
        value: Option<YulExprId>,
    },
    /// `a, b := e` (also legacy `=:`-free `a := e`).
    Assign {
        /// The assigned paths.
        targets: Vec<Vec<Ident>>,
        /// The value.
        value: Option<YulExprId>,
    },
    /// An expression statement (a call, or a bare literal in legacy assembly).
    Expr(YulExprId),
    /// `if cond { ... }`.
    If {
        /// The condition.
        cond: YulExprId,
        /// The body (a [`YulStmtKind::Block`]).
        body: YulStmtId,
    },
    /// `for { init } cond { post } { body }`.
    For {
        /// The init block.
        init: YulStmtId,
        /// The condition.
        cond: YulExprId,
        /// The post block.
        post: YulStmtId,
        /// The body block.
        body: YulStmtId,
    },
    /// `switch e case 1 { } default { }`.
    Switch {
        /// The scrutinee.
        expr: YulExprId,
        /// The cases in order, `default` last.
        cases: Vec<YulCase>,
    },
    /// `function f(a, b) -> r { ... }`.
    FunctionDef {
        /// The function name.
        name: Ident,
        /// The parameters.
        params: Vec<Ident>,
        /// The return variables.
        returns: Vec<Ident>,
        /// The body block.
        body: YulStmtId,
    },
    /// `leave`.
    Leave,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// Legacy label `name:`.
    Label(Ident),
    /// Unparsable source or nesting too deep; a syntax diagnostic covers it.
    Error,
}

/// One `case` (or `default`) of a Yul `switch`.
#[derive(Clone, Debug, PartialEq)]
pub struct YulCase {
    /// The case value; `None` for `default`.
    pub value: Option<YulExprId>,
    /// The body block.
    pub body: YulStmtId,
    /// Span of the case.
    pub span: Span,
}

/// A Yul expression.
#[derive(Clone, Debug, PartialEq)]
pub struct YulExpr {
    /// What the expression is.
    pub kind: YulExprKind,
    /// Span of the expression.
    pub span: Span,
}

/// The kinds of Yul expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum YulExprKind {
    /// A name or dotted path (`x`, `x.slot`).
    Path(Vec<Ident>),
    /// `f(args)`; builtins like `sstore` or `call` included.
    Call {
        /// The function name.
        function: Ident,
        /// An EVM builtin (`call`, `sstore`, ...) rather than a user function.
        builtin: bool,
        /// The arguments.
        args: Vec<YulExprId>,
    },
    /// A number, string, hex string or boolean literal, as written.
    Literal(CompactString),
    /// Unparsable source or nesting too deep; a syntax diagnostic covers it.
    Error,
}

impl YulExpr {
    /// `Some((name, args))` for calls.
    pub fn as_call(&self) -> Option<(&Ident, &[YulExprId])> {
        match &self.kind {
            YulExprKind::Call { function, args, .. } => Some((function, args)),
            _ => None,
        }
    }
}
