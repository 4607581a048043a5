//! Project-wide symbol tables: file scopes, contracts, C3 linearization and member lookup.

use rustc_hash::FxHashMap;
use syntax::ast::{
    CompactString, ContractKind, FunctionKind, ItemId, ItemKind, Path, TypeId, TypeKind,
};
use syntax::{FileId, Parse, Span, Version};

use crate::ids::{ContractId, FunctionId, ItemRef};
use crate::types::Type;
use crate::{Declaration, SemanticDiagnostic, SourceInput};

/// One file of the model.
pub(crate) struct FileData<'a> {
    pub(crate) id: FileId,
    pub(crate) parse: &'a Parse,
    pub(crate) imports: &'a [Option<FileId>],
    pub(crate) version: Option<Version>,
    /// Names visible at file level (own items and imported ones).
    pub(crate) scope: FxHashMap<CompactString, Declaration>,
    /// Some import of this file, or of a file it imports, could not be resolved.
    pub(crate) missing_imports: bool,
}

/// A contract, interface or library.
#[derive(Debug)]
pub struct ContractInfo {
    /// Where it is declared.
    pub item: ItemRef,
    /// Its name.
    pub name: CompactString,
    /// Contract, abstract, interface or library.
    pub kind: ContractKind,
    /// The resolved bases in declaration order (`None` when a base is unknown).
    pub bases: Vec<Option<ContractId>>,
    /// The C3 linearization, most derived first (this contract first). When the
    /// hierarchy is impossible, only the contract itself plus its known bases in a
    /// depth-first order, with a diagnostic.
    pub linearization: Vec<ContractId>,
    /// Own members by name (functions with overloads keep every definition).
    pub(crate) members: FxHashMap<CompactString, Vec<Declaration>>,
    /// Libraries and functions attached by `using ... for ...` in this contract.
    pub(crate) using: UsingSet,
}

/// What `using ... for ...` directives attach.
#[derive(Debug, Default)]
pub(crate) struct UsingSet {
    /// `using L for T`.
    pub(crate) libraries: Vec<ContractId>,
    /// `using {f, L.g} for T`.
    pub(crate) functions: Vec<ItemRef>,
}

/// A function-like definition known to the model.
#[derive(Debug)]
pub struct FunctionInfo {
    /// Where it is declared.
    pub item: ItemRef,
    /// The declaring contract; `None` for free functions.
    pub contract: Option<ContractId>,
    /// Function, constructor, fallback, receive or modifier.
    pub kind: FunctionKind,
    /// The name (`""` for unnamed ones).
    pub name: CompactString,
    /// Number of parameters.
    pub arity: usize,
}

pub(crate) struct Tables<'a> {
    pub(crate) files: Vec<FileData<'a>>,
    pub(crate) file_index: FxHashMap<FileId, usize>,
    pub(crate) contracts: Vec<ContractInfo>,
    pub(crate) contract_of_item: FxHashMap<ItemRef, ContractId>,
    pub(crate) functions: Vec<FunctionInfo>,
    pub(crate) function_of_item: FxHashMap<ItemRef, FunctionId>,
    /// Attached by file-level `using ... for` directives, per file.
    pub(crate) file_using: Vec<UsingSet>,
    /// Attached by `using ... for T global` anywhere: visible wherever `T` is.
    pub(crate) global_using: UsingSet,
    pub(crate) diagnostics: Vec<SemanticDiagnostic>,
    /// Indexed by `FunctionId`: the parameter types.
    pub(crate) param_types: Vec<Vec<Type>>,
}

impl<'a> Tables<'a> {
    /// Assumes `version` for every file, whatever its pragma says. Runs before
    /// resolution, which is where versions take effect.
    pub(crate) fn override_version(&mut self, version: Version) {
        for file in &mut self.files {
            file.version = Some(version);
        }
    }

    pub(crate) fn build(inputs: &[SourceInput<'a>]) -> Tables<'a> {
        let mut t = Tables {
            files: Vec::with_capacity(inputs.len()),
            file_index: FxHashMap::default(),
            contracts: Vec::new(),
            contract_of_item: FxHashMap::default(),
            functions: Vec::new(),
            function_of_item: FxHashMap::default(),
            file_using: Vec::new(),
            global_using: UsingSet::default(),
            diagnostics: Vec::new(),
            param_types: Vec::new(),
        };
        for input in inputs {
            if t.file_index.contains_key(&input.file) {
                continue;
            }
            t.file_index.insert(input.file, t.files.len());
            t.files.push(FileData {
                id: input.file,
                parse: input.parse,
                imports: input.imports,
                version: input.parse.lowest_solidity_version(),
                scope: FxHashMap::default(),
                missing_imports: false,
            });
        }
        t.collect_items();
        t.build_file_scopes();
        t.resolve_bases();
        t.linearize_all();
        t.collect_using();
        t.compute_param_types();
        t
    }

    pub(crate) fn file(&self, id: FileId) -> Option<&FileData<'a>> {
        self.file_index.get(&id).map(|&i| &self.files[i])
    }

    fn collect_items(&mut self) {
        for fi in 0..self.files.len() {
            let file = self.files[fi].id;
            let ast = self.files[fi].parse.ast();
            for (id, item) in ast.items() {
                let r = ItemRef { file, item: id };
                match &item.kind {
                    ItemKind::Contract(c) => {
                        let cid = ContractId(self.contracts.len() as u32);
                        self.contract_of_item.insert(r, cid);
                        let mut members: FxHashMap<CompactString, Vec<Declaration>> =
                            FxHashMap::default();
                        for &m in &c.members {
                            let mr = ItemRef { file, item: m };
                            let member = ast.item(m);
                            let Some(decl) = item_declaration(mr, &member.kind) else {
                                continue;
                            };
                            let Some(name) = member.name() else { continue };
                            members.entry(name.name.clone()).or_default().push(decl);
                        }
                        self.contracts.push(ContractInfo {
                            item: r,
                            name: c.name.name.clone(),
                            kind: c.kind,
                            bases: Vec::new(),
                            linearization: vec![cid],
                            members,
                            using: UsingSet::default(),
                        });
                    }
                    ItemKind::Function(f) => {
                        let fid = FunctionId(self.functions.len() as u32);
                        self.function_of_item.insert(r, fid);
                        self.functions.push(FunctionInfo {
                            item: r,
                            contract: None,
                            kind: f.kind,
                            name: f.name.as_ref().map(|n| n.name.clone()).unwrap_or_default(),
                            arity: f.params.len(),
                        });
                    }
                    _ => {}
                }
            }
        }
        for f in &mut self.functions {
            let ast = self.files[self.file_index[&f.item.file]].parse.ast();
            if let Some(parent) = ast.item(f.item.item).parent {
                f.contract = self
                    .contract_of_item
                    .get(&ItemRef {
                        file: f.item.file,
                        item: parent,
                    })
                    .copied();
            }
        }
    }

    /// The declaration of a top-level item of a file.
    fn top_level_declaration(&self, file: FileId, item: ItemId) -> Option<Declaration> {
        let ast = self.file(file)?.parse.ast();
        let r = ItemRef { file, item };
        match &ast.item(item).kind {
            ItemKind::Contract(_) => self
                .contract_of_item
                .get(&r)
                .map(|&c| Declaration::Contract(c)),
            ItemKind::Variable(_) => Some(Declaration::FileConstant(r)),
            kind => item_declaration(r, kind),
        }
    }

    fn build_file_scopes(&mut self) {
        // Own top-level items first, so that imports never shadow them.
        let mut own: Vec<FxHashMap<CompactString, Declaration>> =
            Vec::with_capacity(self.files.len());
        for f in &self.files {
            let mut scope = FxHashMap::default();
            for &id in &f.parse.source_unit().items {
                if let (Some(name), Some(decl)) = (
                    f.parse.ast().item(id).name(),
                    self.top_level_declaration(f.id, id),
                ) {
                    scope.entry(name.name.clone()).or_insert(decl);
                }
            }
            own.push(scope);
        }
        // `import "x";` re-exports everything x sees: follow plain imports transitively.
        let n = self.files.len();
        let mut scopes = Vec::with_capacity(n);
        let mut missing = vec![false; n];
        for start in 0..n {
            let mut scope = own[start].clone();
            let mut seen = vec![false; n];
            let mut stack = vec![start];
            seen[start] = true;
            while let Some(fi) = stack.pop() {
                let f = &self.files[fi];
                for (directive, target) in f.parse.imports().iter().zip(f.imports.iter()) {
                    let Some(&ti) = target.and_then(|t| self.file_index.get(&t)) else {
                        missing[start] = true;
                        continue;
                    };
                    let target = self.files[ti].id;
                    if let Some(alias) = &directive.alias {
                        if fi == start {
                            scope
                                .entry(alias.name.clone())
                                .or_insert(Declaration::Module(target));
                        }
                    } else if !directive.symbols.is_empty() {
                        // Symbol imports are visible in the importing file only
                        // (and re-exported: solc exports them too).
                        for sym in &directive.symbols {
                            let local = sym.alias.as_ref().unwrap_or(&sym.name);
                            if let Some(&d) = own[ti].get(&sym.name.name) {
                                scope.entry(local.name.clone()).or_insert(d);
                            } else if !seen[ti] {
                                seen[ti] = true;
                                stack.push(ti);
                            }
                        }
                    } else if !seen[ti] {
                        seen[ti] = true;
                        for (k, &v) in &own[ti] {
                            scope.entry(k.clone()).or_insert(v);
                        }
                        stack.push(ti);
                    }
                }
            }
            scopes.push(scope);
        }
        // Symbols imported by name from a file that itself imported them: look them up
        // in that file's complete scope (one more round settles the usual chains).
        for _ in 0..2 {
            for fi in 0..n {
                let f = &self.files[fi];
                let mut additions = Vec::new();
                for (directive, target) in f.parse.imports().iter().zip(f.imports.iter()) {
                    let Some(&ti) = target.and_then(|t| self.file_index.get(&t)) else {
                        continue;
                    };
                    for sym in &directive.symbols {
                        let local = sym.alias.as_ref().unwrap_or(&sym.name);
                        if !scopes[fi].contains_key(&local.name)
                            && let Some(&d) = scopes[ti].get(&sym.name.name)
                        {
                            additions.push((local.name.clone(), d));
                        }
                    }
                }
                for (k, v) in additions {
                    scopes[fi].insert(k, v);
                }
            }
        }
        for ((f, scope), m) in self.files.iter_mut().zip(scopes).zip(missing) {
            f.scope = scope;
            f.missing_imports = m;
        }
    }

    /// Resolves a dotted path at file level or from inside a contract.
    pub(crate) fn resolve_path(
        &self,
        file: FileId,
        contract: Option<ContractId>,
        path: &Path,
    ) -> Option<Declaration> {
        let (first, rest) = path.segments.split_first()?;
        let mut decl = contract
            .and_then(|c| self.lookup_member(c, &first.name))
            .or_else(|| self.file(file)?.scope.get(&first.name).copied())?;
        for seg in rest {
            decl = match decl {
                Declaration::Contract(c) => self.lookup_member(c, &seg.name)?,
                Declaration::Module(m) => self.file(m)?.scope.get(&seg.name).copied()?,
                _ => return None,
            };
        }
        Some(decl)
    }

    fn resolve_bases(&mut self) {
        for ci in 0..self.contracts.len() {
            let r = self.contracts[ci].item;
            let ast = self.file(r.file).map(|f| f.parse.ast());
            let Some(ast) = ast else { continue };
            let Some(def) = ast.item(r.item).as_contract() else {
                continue;
            };
            let bases = def
                .bases
                .iter()
                .map(|b| match self.resolve_path(r.file, None, &b.path) {
                    Some(Declaration::Contract(c)) if c.index() != ci => Some(c),
                    _ => None,
                })
                .collect();
            self.contracts[ci].bases = bases;
        }
    }

    fn linearize_all(&mut self) {
        let n = self.contracts.len();
        let mut done: Vec<Option<Vec<ContractId>>> = vec![None; n];
        let mut visiting = vec![false; n];
        for ci in 0..n {
            self.linearize(ContractId(ci as u32), &mut done, &mut visiting);
        }
        for (c, lin) in self.contracts.iter_mut().zip(done) {
            if let Some(lin) = lin {
                c.linearization = lin;
            }
        }
    }

    /// C3 linearization with an explicit memo; cycles and impossible orders become diagnostics.
    fn linearize(
        &mut self,
        c: ContractId,
        done: &mut Vec<Option<Vec<ContractId>>>,
        visiting: &mut Vec<bool>,
    ) -> Vec<ContractId> {
        if let Some(l) = &done[c.index()] {
            return l.clone();
        }
        if visiting[c.index()] {
            let span = self.contract_name_span(c);
            self.diagnostics.push(SemanticDiagnostic {
                file: self.contracts[c.index()].item.file,
                span,
                message: format!(
                    "inheritance cycle through `{}`",
                    self.contracts[c.index()].name
                ),
            });
            return vec![c];
        }
        visiting[c.index()] = true;
        let bases: Vec<ContractId> = self.contracts[c.index()]
            .bases
            .iter()
            .flatten()
            .copied()
            .collect();
        // Solidity lists bases from most base to most derived: merge right to left.
        let mut seqs: Vec<Vec<ContractId>> = bases
            .iter()
            .rev()
            .map(|&b| self.linearize(b, done, visiting))
            .collect();
        seqs.push(bases.iter().rev().copied().collect());
        let mut result = vec![c];
        let mut ok = true;
        loop {
            seqs.retain(|s| !s.is_empty());
            if seqs.is_empty() {
                break;
            }
            let candidate = seqs
                .iter()
                .map(|s| s[0])
                .find(|&head| seqs.iter().all(|s| !s[1..].contains(&head)));
            let Some(head) = candidate else {
                ok = false;
                break;
            };
            result.push(head);
            for s in &mut seqs {
                if s[0] == head {
                    s.remove(0);
                }
            }
        }
        if !ok {
            let span = self.contract_name_span(c);
            self.diagnostics.push(SemanticDiagnostic {
                file: self.contracts[c.index()].item.file,
                span,
                message: format!(
                    "linearization of inheritance graph of `{}` impossible",
                    self.contracts[c.index()].name
                ),
            });
            for s in seqs {
                for x in s {
                    if !result.contains(&x) {
                        result.push(x);
                    }
                }
            }
        }
        visiting[c.index()] = false;
        done[c.index()] = Some(result.clone());
        result
    }

    fn contract_name_span(&self, c: ContractId) -> Span {
        let r = self.contracts[c.index()].item;
        self.file(r.file)
            .and_then(|f| f.parse.ast().item(r.item).as_contract())
            .map_or(Span::default(), |d| d.name.span)
    }

    fn collect_using(&mut self) {
        let mut per_contract = Vec::with_capacity(self.contracts.len());
        for (ci, c) in self.contracts.iter().enumerate() {
            let mut libs = UsingSet::default();
            if let Some(f) = self.file(c.item.file) {
                let ast = f.parse.ast();
                if let Some(def) = ast.item(c.item.item).as_contract() {
                    for &m in &def.members {
                        if let ItemKind::Using(u) = &ast.item(m).kind {
                            self.using_targets(
                                c.item.file,
                                Some(ContractId(ci as u32)),
                                u,
                                &mut libs,
                            );
                        }
                    }
                }
            }
            per_contract.push(libs);
        }
        for (c, libs) in self.contracts.iter_mut().zip(per_contract) {
            c.using = libs;
        }
        let mut file_using = Vec::with_capacity(self.files.len());
        let mut global = UsingSet::default();
        for f in &self.files {
            let mut libs = UsingSet::default();
            let ast = f.parse.ast();
            for &id in &ast.source_unit().items {
                if let ItemKind::Using(u) = &ast.item(id).kind {
                    let target = if u.is_global { &mut global } else { &mut libs };
                    self.using_targets(f.id, None, u, target);
                }
            }
            file_using.push(libs);
        }
        self.file_using = file_using;
        self.global_using = global;
    }

    fn using_targets(
        &self,
        file: FileId,
        contract: Option<ContractId>,
        u: &syntax::ast::UsingDirective,
        out: &mut UsingSet,
    ) {
        if let Some(lib) = &u.library
            && let Some(Declaration::Contract(l)) = self.resolve_path(file, contract, lib)
        {
            out.libraries.push(l);
        }
        for f in &u.functions {
            if let Some(Declaration::Function(r)) = self.resolve_path(file, contract, &f.path) {
                out.functions.push(r);
            }
        }
    }

    /// The first member named `name` along the linearization of `c` (most derived first).
    pub(crate) fn lookup_member(&self, c: ContractId, name: &str) -> Option<Declaration> {
        for &b in &self.contracts[c.index()].linearization {
            if let Some(ds) = self.contracts[b.index()].members.get(name)
                && let Some(&d) = ds.first()
            {
                return Some(d);
            }
        }
        None
    }

    /// The parameter types of a function.
    pub(crate) fn param_types_of(&self, f: ItemRef) -> &[Type] {
        self.function_of_item
            .get(&f)
            .map_or(&[], |&id| &self.param_types[id.index()])
    }

    fn compute_param_types(&mut self) {
        let mut all = Vec::with_capacity(self.functions.len());
        for f in &self.functions {
            let types = self
                .file(f.item.file)
                .and_then(|file| file.parse.ast().item(f.item.item).as_function())
                .map(|d| {
                    d.params
                        .iter()
                        .map(|p| self.type_of_typename(f.item.file, f.contract, p.ty))
                        .collect()
                })
                .unwrap_or_default();
            all.push(types);
        }
        self.param_types = all;
    }

    /// Every function named `name` visible in `c`, most derived first, one per
    /// signature (an override hides the base definition with the same parameter types).
    pub(crate) fn function_candidates(
        &self,
        c: ContractId,
        name: &str,
        skip: usize,
    ) -> Vec<ItemRef> {
        let mut out: Vec<ItemRef> = Vec::new();
        let mut seen: Vec<&[Type]> = Vec::new();
        for &b in self.contracts[c.index()].linearization.iter().skip(skip) {
            let Some(ds) = self.contracts[b.index()].members.get(name) else {
                continue;
            };
            for d in ds {
                if let Declaration::Function(f) = *d {
                    let sig = self.param_types_of(f);
                    if !seen.contains(&sig) {
                        seen.push(sig);
                        out.push(f);
                    }
                }
            }
        }
        out
    }

    /// The type named by a type name, in the context of a file and contract.
    pub(crate) fn type_of_typename(
        &self,
        file: FileId,
        contract: Option<ContractId>,
        ty: TypeId,
    ) -> Type {
        let Some(f) = self.file(file) else {
            return Type::Unknown;
        };
        let ast = f.parse.ast();
        match &ast.ty(ty).kind {
            TypeKind::Elementary(e) => Type::Elementary(*e),
            TypeKind::Var | TypeKind::Error => Type::Unknown,
            TypeKind::UserDefined(path) => match self.resolve_path(file, contract, path) {
                Some(d) => d.as_type(),
                None => Type::Unknown,
            },
            TypeKind::Mapping { key, value, .. } => Type::Mapping(
                Box::new(self.type_of_typename(file, contract, *key)),
                Box::new(self.type_of_typename(file, contract, *value)),
            ),
            TypeKind::Array { element, size } => Type::Array {
                element: Box::new(self.type_of_typename(file, contract, *element)),
                fixed: size.is_some(),
            },
            TypeKind::Function { returns, .. } => Type::FunctionPointer(
                returns
                    .iter()
                    .map(|r| self.type_of_typename(file, contract, r.ty))
                    .collect(),
            ),
        }
    }

    /// The contract declaring item `r`, if any.
    pub(crate) fn enclosing_contract(&self, r: ItemRef) -> Option<ContractId> {
        let parent = self.file(r.file)?.parse.ast().item(r.item).parent?;
        self.contract_of_item
            .get(&ItemRef {
                file: r.file,
                item: parent,
            })
            .copied()
    }
}

/// The declaration an item introduces as a contract member.
fn item_declaration(r: ItemRef, kind: &ItemKind) -> Option<Declaration> {
    Some(match kind {
        ItemKind::Function(f) => match f.kind {
            FunctionKind::Modifier => Declaration::Modifier(r),
            FunctionKind::Function => Declaration::Function(r),
            _ => return None,
        },
        ItemKind::Variable(_) => Declaration::StateVar(r),
        ItemKind::Struct(_) => Declaration::Struct(r),
        ItemKind::Enum(_) => Declaration::Enum(r),
        ItemKind::Event(_) => Declaration::Event(r),
        ItemKind::CustomError(_) => Declaration::Error(r),
        ItemKind::UserDefinedValueType(_) => Declaration::UserType(r),
        // Nested contracts do not exist in Solidity; contracts are handled by the caller.
        _ => return None,
    })
}
