//! The semantic model of a Solidity project: symbols, inheritance, types, calls,
//! control flow, data flow, summaries and taint.
//!
//! Build it with [`Model::build`] from parsed files and their resolved import edges
//! ([`SourceInput`]); then ask it:
//! - what a name or member access refers to: [`Model::declaration`] (a
//!   [`Declaration`]; `Unresolved` is explicit, and [`Model::is_missing_source`]
//!   tells whether a missing import may explain it);
//! - what type an expression has: [`Model::type_of`] ([`Type::Unknown`] when the
//!   source does not say);
//! - inheritance: [`Model::linearization`] (C3), [`Model::lookup_member`],
//!   [`Model::function_overloads`], [`Model::dispatch`] (virtual dispatch for the
//!   most-derived contract) and [`Model::super_function`];
//! - calls: [`Model::calls`] (classified [`CallKind`]s: internal, modifier, library,
//!   high-level, low-level with value and gas, creation), [`Model::internal_callees`],
//!   [`Model::entry_points`];
//! - control and data flow: [`Model::cfg`] (modifiers expanded), [`solve`] with an
//!   [`Analysis`], [`Model::def_use`];
//! - effects: [`Model::state_reads`], [`Model::state_writes`],
//!   [`Model::events_emitted`], and transitively [`Model::summary`];
//! - storage addressed by slot (`StorageSlot`, transient storage):
//!   [`Model::slot_accesses`], and with state variables [`Model::locations`];
//! - access control: [`Model::guard`] / [`Model::is_guarded`] ([`Model::guard_for`]
//!   with virtual calls resolved for a most-derived contract),
//!   [`Model::has_reentrancy_mutex`] (state or slot mutexes);
//! - taint: [`Model::taint`] then [`Taint::expr`], [`Taint::var`], [`Taint::state_var`];
//! - the syntax tree of any file of the model: [`Model::file_ast`];
//! - the canonical ABI type of a declared type name (signatures, selectors):
//!   [`Model::abi_type`];
//! - version-dependent facts: [`Model::version`], [`Model::is_checked_arithmetic`],
//!   [`Model::is_constructor`], [`Model::is_entry_point`].
//!
//! Invariants: building never panics and never fails; broken or impossible input
//! (unknown bases, inheritance cycles, impossible linearizations) yields
//! [`SemanticDiagnostic`]s and `Unknown`/`Unresolved` answers. Every recursive walk is
//! bounded by the parser's nesting cap. This crate does no IO (`clippy.toml`).

mod builtin;
mod calls;
mod cfg;
mod defuse;
mod file_ast;
mod ids;
mod resolve;
mod slots;
mod summary;
mod symbols;
mod taint;
mod types;

pub use builtin::Builtin;
pub use calls::{CallKind, CallSite, LowLevelKind};
pub use cfg::{Analysis, Cfg, CfgNode, EdgeKind, NodeId, NodeKind, solve};
pub use defuse::{DefUse, Use};
pub use ids::{ContractId, ExprRef, FunctionId, ItemRef, VarId};
pub use slots::{Location, SlotAccess, SlotAccesses};
pub use summary::{FunctionSummary, Guard};
pub use symbols::{ContractInfo, FunctionInfo};
pub use taint::{Taint, TaintSources};
pub use types::{Magic, Type};

use syntax::ast::{CompactString, ContractKind, ExprId, FunctionKind, Visibility};
use syntax::{FileId, Parse, Span, Version};

use crate::symbols::Tables;

/// One parsed file and its resolved import edges (one entry per `parse.imports()`,
/// `None` when the imported file could not be found).
#[derive(Clone, Copy, Debug)]
pub struct SourceInput<'a> {
    /// The file's id.
    pub file: FileId,
    /// The parsed file.
    pub parse: &'a Parse,
    /// The resolved imports, one per import directive.
    pub imports: &'a [Option<FileId>],
}

/// How to build a [`Model`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// The compiler version to assume for every file instead of the lowest version its
    /// pragma admits (what `web3audit scan --solc-version` sets).
    pub version: Option<Version>,
}

/// What a name or member access refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Declaration {
    /// A state variable of a contract.
    StateVar(ItemRef),
    /// A file-level constant.
    FileConstant(ItemRef),
    /// A local variable.
    Local(VarId),
    /// A function parameter (also modifier, catch and try-returns parameters).
    Param(VarId),
    /// A named return variable.
    Return(VarId),
    /// A function (for overloaded names: the candidate chosen by argument count).
    Function(ItemRef),
    /// A modifier.
    Modifier(ItemRef),
    /// An event.
    Event(ItemRef),
    /// A custom error.
    Error(ItemRef),
    /// A struct type.
    Struct(ItemRef),
    /// The field with this index of a struct.
    StructField(ItemRef, u32),
    /// An enum type.
    Enum(ItemRef),
    /// The value with this index of an enum.
    EnumValue(ItemRef, u32),
    /// A user-defined value type.
    UserType(ItemRef),
    /// A contract, interface or library.
    Contract(ContractId),
    /// An import alias (`import "a.sol" as M`, `import * as M from "a.sol"`).
    Module(FileId),
    /// A builtin name or member.
    Builtin(Builtin),
    /// Nothing the model knows; see [`Model::is_missing_source`].
    Unresolved,
}

impl Declaration {
    /// The type a name of this declaration denotes when it names a type.
    pub(crate) fn as_type(self) -> Type {
        match self {
            Declaration::Contract(c) => Type::Contract(c),
            Declaration::Struct(s) => Type::Struct(s),
            Declaration::Enum(e) => Type::Enum(e),
            Declaration::UserType(u) => Type::UserValue(u),
            _ => Type::Unknown,
        }
    }

    /// True unless [`Declaration::Unresolved`].
    pub fn is_resolved(self) -> bool {
        self != Declaration::Unresolved
    }
}

/// A diagnostic found while building the model (e.g. an impossible inheritance order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemanticDiagnostic {
    /// The file.
    pub file: FileId,
    /// Where.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

/// A parameter, return variable or local variable.
#[derive(Clone, Debug)]
pub struct VarInfo {
    /// The name.
    pub name: CompactString,
    /// Where the name is declared.
    pub span: Span,
    /// The file.
    pub file: FileId,
    /// The declared type.
    pub ty: Type,
    /// The function declaring it (`None` for variables outside functions).
    pub function: Option<FunctionId>,
}

/// Per-file results of resolution.
#[derive(Default)]
pub(crate) struct FileResults {
    /// Indexed by `ExprId`: the declaration of identifiers and member accesses.
    pub(crate) decls: Vec<Option<Declaration>>,
    /// Indexed by `ExprId`.
    pub(crate) types: Vec<Type>,
    /// Bitset over `ExprId`: inside an `unchecked { }` block.
    pub(crate) unchecked: Vec<u64>,
}

/// A read or write of a state variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StateAccess {
    /// The state variable.
    pub var: ItemRef,
    /// The expression reading it, or the assigned place (`balances[to]` in `balances[to] = 1`).
    pub expr: ExprId,
}

/// The semantic model of a set of files.
pub struct Model<'a> {
    pub(crate) tables: Tables<'a>,
    pub(crate) results: Vec<FileResults>,
    pub(crate) vars: Vec<VarInfo>,
    /// Indexed by `FunctionId`.
    pub(crate) calls: Vec<Vec<CallSite>>,
    /// Indexed by `FunctionId`: the parameters and returns of each function.
    pub(crate) signatures: Vec<(Vec<VarId>, Vec<VarId>)>,
    pub(crate) reads: Vec<Vec<StateAccess>>,
    pub(crate) writes: Vec<Vec<StateAccess>>,
    pub(crate) storage_alias: rustc_hash::FxHashMap<VarId, ItemRef>,
    pub(crate) default_storage_pointers: rustc_hash::FxHashSet<VarId>,
    pub(crate) flows: Vec<Vec<taint::Flow>>,
    pub(crate) events: Vec<Vec<ItemRef>>,
    pub(crate) var_at: rustc_hash::FxHashMap<(FileId, u32), VarId>,
}

impl<'a> Model<'a> {
    /// Builds the model. Never fails; problems become [`Model::diagnostics`].
    pub fn build(inputs: &[SourceInput<'a>]) -> Model<'a> {
        Self::build_with(inputs, &BuildOptions::default())
    }

    /// Builds the model with options (e.g. a compiler version that overrides the pragmas).
    pub fn build_with(inputs: &[SourceInput<'a>], options: &BuildOptions) -> Model<'a> {
        let mut tables = Tables::build(inputs);
        if let Some(version) = options.version {
            tables.override_version(version);
        }
        resolve::resolve(tables)
    }

    /// Diagnostics found while building (inheritance cycles, impossible linearizations).
    pub fn diagnostics(&self) -> &[SemanticDiagnostic] {
        &self.tables.diagnostics
    }

    /// What the identifier or member access `expr` refers to; `None` for other
    /// expressions (and for expressions of files not in the model).
    pub fn declaration(&self, file: FileId, expr: ExprId) -> Option<Declaration> {
        let fi = *self.tables.file_index.get(&file)?;
        self.results[fi].decls.get(expr.index()).copied().flatten()
    }

    /// The type of `expr`; [`Type::Unknown`] where the source does not determine it.
    pub fn type_of(&self, file: FileId, expr: ExprId) -> &Type {
        const UNKNOWN: &Type = &Type::Unknown;
        let Some(&fi) = self.tables.file_index.get(&file) else {
            return UNKNOWN;
        };
        self.results[fi].types.get(expr.index()).unwrap_or(UNKNOWN)
    }

    /// True when `file` (or a file it imports) has an import the project could not
    /// find: unresolved names there may be declared in the missing file.
    pub fn is_missing_source(&self, file: FileId) -> bool {
        self.tables.file(file).is_some_and(|f| f.missing_imports)
    }

    /// The compiler version the model assumes for `file`: the lowest its pragma admits,
    /// unless [`BuildOptions::version`] overrides it.
    pub fn version(&self, file: FileId) -> Option<Version> {
        self.tables.file(file).and_then(|f| f.version)
    }

    /// Every contract, interface and library.
    pub fn contracts(&self) -> impl Iterator<Item = (ContractId, &ContractInfo)> {
        self.tables
            .contracts
            .iter()
            .enumerate()
            .map(|(i, c)| (ContractId(i as u32), c))
    }

    /// One contract.
    pub fn contract(&self, id: ContractId) -> &ContractInfo {
        &self.tables.contracts[id.index()]
    }

    /// The contract declared by `item`.
    pub fn contract_of_item(&self, item: ItemRef) -> Option<ContractId> {
        self.tables.contract_of_item.get(&item).copied()
    }

    /// The contracts named `name` (several files may declare the same name).
    pub fn contracts_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = ContractId> + 's {
        self.contracts()
            .filter(move |(_, c)| c.name == name)
            .map(|(id, _)| id)
    }

    /// The C3 linearization of `c`, most derived first.
    pub fn linearization(&self, c: ContractId) -> &[ContractId] {
        &self.tables.contracts[c.index()].linearization
    }

    /// The member `name` of contract `c` found along its linearization.
    pub fn lookup_member(&self, c: ContractId, name: &str) -> Option<Declaration> {
        self.tables.lookup_member(c, name)
    }

    /// The functions named `name` visible in `c`, most derived first, one per arity.
    pub fn function_overloads(&self, c: ContractId, name: &str) -> Vec<ItemRef> {
        self.tables.function_candidates(c, name, 0)
    }

    /// Every function-like definition.
    pub fn functions(&self) -> impl Iterator<Item = (FunctionId, &FunctionInfo)> {
        self.tables
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| (FunctionId(i as u32), f))
    }

    /// One function.
    pub fn function(&self, id: FunctionId) -> &FunctionInfo {
        &self.tables.functions[id.index()]
    }

    /// The function declared by `item`.
    pub fn function_of_item(&self, item: ItemRef) -> Option<FunctionId> {
        self.tables.function_of_item.get(&item).copied()
    }

    /// The parameters of a function, one per declared parameter in order (unnamed
    /// ones included, with an empty name).
    pub fn params(&self, f: FunctionId) -> &[VarId] {
        &self.signatures[f.index()].0
    }

    /// The return variables of a function, one per declared return in order (unnamed
    /// ones included, with an empty name).
    pub fn returns(&self, f: FunctionId) -> &[VarId] {
        &self.signatures[f.index()].1
    }

    /// A parameter, return or local variable.
    pub fn var(&self, v: VarId) -> &VarInfo {
        &self.vars[v.index()]
    }

    /// The calls made directly in a function's body and header (modifier invocations
    /// included), in source order.
    pub fn calls(&self, f: FunctionId) -> &[CallSite] {
        &self.calls[f.index()]
    }

    /// True when arithmetic at `expr` reverts on overflow: Solidity 0.8 or later
    /// (by the file's lowest admitted version; files without a pragma count as
    /// 0.8) and not inside `unchecked { }`.
    pub fn is_checked_arithmetic(&self, file: FileId, expr: ExprId) -> bool {
        let Some(&fi) = self.tables.file_index.get(&file) else {
            return false;
        };
        let in_unchecked = self.results[fi]
            .unchecked
            .get(expr.index() / 64)
            .is_some_and(|w| w & (1 << (expr.index() % 64)) != 0);
        let checked_version = self
            .version(file)
            .is_none_or(|v| v >= Version::new(0, 8, 0));
        checked_version && !in_unchecked
    }

    /// True for constructors: `constructor(...)`, and before 0.5 a function named
    /// after its contract.
    pub fn is_constructor(&self, f: FunctionId) -> bool {
        let info = self.function(f);
        if info.kind == FunctionKind::Constructor {
            return true;
        }
        let legacy = self
            .tables
            .file(info.item.file)
            .and_then(|file| file.parse.ast().item(info.item.item).as_function())
            .is_some_and(|d| d.is_legacy_constructor);
        legacy
            && self
                .version(info.item.file)
                .is_none_or(|v| v < Version::new(0, 5, 0))
    }

    /// The events a function's own body emits, in source order.
    pub fn events_emitted(&self, f: FunctionId) -> &[ItemRef] {
        &self.events[f.index()]
    }

    /// The state variables a function's own body and header read, in source order
    /// (not through calls; see [`Model::summary`]).
    pub fn state_reads(&self, f: FunctionId) -> &[StateAccess] {
        &self.reads[f.index()]
    }

    /// The state variables a function's own body writes (assignments, `++`, `delete`,
    /// `push`/`pop`, also through local `storage` pointers), in source order.
    pub fn state_writes(&self, f: FunctionId) -> &[StateAccess] {
        &self.writes[f.index()]
    }

    /// The state variable a local `storage` pointer was initialised from; for an
    /// uninitialised storage pointer before 0.5 (see
    /// [`Model::is_uninitialized_storage_pointer`]), the variable in slot 0.
    pub fn storage_alias(&self, v: VarId) -> Option<ItemRef> {
        self.storage_alias.get(&v).copied()
    }

    /// True for a local of struct, array or mapping type declared without a data
    /// location and without a value in a file compiled before 0.5: it defaults to a
    /// storage pointer at slot 0, so writes through it overwrite the first state
    /// variables (they are recorded as writes of the slot-0 variable).
    pub fn is_uninitialized_storage_pointer(&self, v: VarId) -> bool {
        self.default_storage_pointers.contains(&v)
    }

    /// The definition a call of `function` reaches when the most-derived contract is
    /// `most_derived` (virtual dispatch): the first function along the linearization
    /// with the same name and parameter types.
    pub fn dispatch(&self, most_derived: ContractId, function: ItemRef) -> ItemRef {
        let Some(&fid) = self.tables.function_of_item.get(&function) else {
            return function;
        };
        let info = &self.tables.functions[fid.index()];
        if info.contract.is_none() || info.kind != FunctionKind::Function {
            return function;
        }
        let sig = self.tables.param_types_of(function);
        self.tables
            .function_candidates(most_derived, &info.name, 0)
            .into_iter()
            .find(|f| self.tables.param_types_of(*f) == sig)
            .unwrap_or(function)
    }

    /// The definition `super.name(...)` with `arity` arguments reaches when written in
    /// contract `from` and the most-derived contract is `most_derived`.
    pub fn super_function(
        &self,
        most_derived: ContractId,
        from: ContractId,
        name: &str,
        arity: usize,
    ) -> Option<ItemRef> {
        let lin = self.linearization(most_derived);
        let pos = lin.iter().position(|&c| c == from)?;
        self.tables
            .function_candidates(most_derived, name, pos + 1)
            .into_iter()
            .find(|f| self.function_of_item(*f).map(|id| self.function(id).arity) == Some(arity))
    }

    /// True for functions callable from outside: public and external functions,
    /// fallback, receive and constructors of contracts (not interfaces or libraries).
    /// Before 0.5, a function without visibility is public.
    pub fn is_entry_point(&self, f: FunctionId) -> bool {
        let info = self.function(f);
        let Some(c) = info.contract else { return false };
        if matches!(
            self.contract(c).kind,
            ContractKind::Interface | ContractKind::Library
        ) {
            return false;
        }
        let Some(def) = self
            .tables
            .file(info.item.file)
            .and_then(|file| file.parse.ast().item(info.item.item).as_function())
        else {
            return false;
        };
        if def.body.is_none() {
            return false;
        }
        match def.kind {
            FunctionKind::Modifier => false,
            FunctionKind::Constructor | FunctionKind::Fallback | FunctionKind::Receive => true,
            FunctionKind::Function => {
                self.is_constructor(f)
                    || matches!(
                        def.visibility,
                        Some(Visibility::Public | Visibility::External) | None
                    )
            }
        }
    }

    /// The entry points of the model.
    pub fn entry_points(&self) -> impl Iterator<Item = FunctionId> + '_ {
        self.functions()
            .map(|(id, _)| id)
            .filter(|&id| self.is_entry_point(id))
    }
}
