//! From syntax to facts: the package index (accounts structs, data types,
//! functions, program modules), the facts collected from function bodies
//! (account accesses, comparisons, conditions, deserialisations, calls,
//! assignments), and the [`crate::Program`] model built from them.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, Fields, FnArg, Item, Pat, Type};

use crate::model::{
    Account, AccountKind, BumpSource, Callee, Checks, Cpi, CpiKind, Instruction, Pda, Program,
    ProgramId, ProgramKind, Usage,
};
use crate::workspace::Workspace;
use crate::{Diagnostic, Location, ParsedFile};

/// Bound on recursive walks over expressions (the parse guard keeps real
/// input far below it).
const MAX_DEPTH: usize = 256;

/// Methods and associated functions that turn account bytes into a value.
pub(crate) const DESERIALIZERS: &[&str] = &[
    "try_from_slice",
    "from_slice",
    "try_from_slice_unchecked",
    "unpack",
    "unpack_unchecked",
    "unpack_from_slice",
    "deserialize",
    "try_deserialize",
    "try_deserialize_unchecked",
    "from_bytes",
    "try_from_bytes",
    "from_bytes_mut",
    "try_from_bytes_mut",
    "deserialize_data",
];

/// Functions that take the next account of a native instruction.
pub(crate) const NEXT_ACCOUNT: &[&str] =
    &["next_account_info", "next_account_view", "next_account"];

/// Types of a native account value (`solana-program` and newer SDKs).
pub(crate) const ACCOUNT_VALUE_TYPES: &[&str] = &["AccountInfo", "AccountView"];

/// Deserialisers that check an 8-byte type discriminator (Anchor).
pub(crate) const DISCRIMINATING: &[&str] = &["try_deserialize"];

/// One `#[account(...)]` item: `key` or `key = value`.
#[derive(Clone, Debug)]
pub(crate) struct Constraint {
    pub(crate) key: String,
    pub(crate) value: Option<TokenStream>,
    pub(crate) expr: Option<Expr>,
}

impl Constraint {
    pub(crate) fn value_text(&self) -> String {
        self.value
            .as_ref()
            .map(|v| v.to_string().replace(' ', ""))
            .unwrap_or_default()
    }
}

/// One field of a `#[derive(Accounts)]` struct.
#[derive(Clone, Debug)]
pub(crate) struct FieldDecl {
    pub(crate) name: String,
    pub(crate) kind: AccountKind,
    pub(crate) inner: Option<String>,
    pub(crate) location: Location,
    pub(crate) check_comment: bool,
    pub(crate) constraints: Vec<Constraint>,
    /// The type names the field's type mentions (for nested accounts structs).
    pub(crate) type_name: String,
}

impl FieldDecl {
    pub(crate) fn has(&self, key: &str) -> bool {
        self.constraints.iter().any(|c| c.key == key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.key == key)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct AccountsStruct {
    pub(crate) name: String,
    pub(crate) fields: Vec<FieldDecl>,
    /// Names of `#[instruction(...)]` arguments.
    pub(crate) ix_args: Vec<String>,
}

/// A struct or enum declared in the package.
#[derive(Clone, Debug, Default)]
pub(crate) struct DataType {
    /// `#[account]` (Anchor: discriminator and owner handled by `Account<T>`).
    pub(crate) anchor_account: bool,
    pub(crate) is_enum: bool,
    pub(crate) fields: Vec<(String, String)>,
}

/// A function or method of the package.
pub(crate) struct FnItem<'a> {
    pub(crate) name: String,
    pub(crate) file: &'a str,
    pub(crate) func: &'a syn::Signature,
    pub(crate) block: &'a syn::Block,
    pub(crate) span: Span,
    /// The `impl` type of a method.
    pub(crate) self_ty: Option<String>,
    /// `T` of a `Context<T>` parameter.
    pub(crate) ctx_struct: Option<String>,
    pub(crate) is_test: bool,
}

/// Per-parameter summary of a helper function: what it checks or does to the
/// account passed at that position.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ParamSummary {
    pub(crate) signer: bool,
    pub(crate) owner: bool,
    pub(crate) key: bool,
    /// Reassigns to the system program, shrinks to zero or zero-fills data.
    pub(crate) clears: bool,
    pub(crate) writes: bool,
}

pub(crate) struct PackageIndex<'a> {
    pub(crate) accounts_structs: HashMap<String, AccountsStruct>,
    pub(crate) data_types: HashMap<String, DataType>,
    pub(crate) fns: Vec<FnItem<'a>>,
    pub(crate) program_mods: Vec<(&'a str, &'a syn::ItemMod)>,
    pub(crate) entrypoints: Vec<(&'a str, String, Span)>,
    /// `use a::b::C as D;`: `D` -> `a::b::C`.
    pub(crate) use_aliases: HashMap<String, String>,
    pub(crate) summaries: HashMap<String, Vec<ParamSummary>>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

fn type_last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => type_last_ident(&r.elem),
        Type::Paren(p) => type_last_ident(&p.elem),
        Type::Group(g) => type_last_ident(&g.elem),
        _ => None,
    }
}

/// The generic type arguments of the last path segment of `ty`.
fn type_args(ty: &Type) -> Vec<&Type> {
    let Type::Path(p) = ty else {
        return Vec::new();
    };
    let Some(seg) = p.path.segments.last() else {
        return Vec::new();
    };
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// The account kind and inner type of an accounts-struct field type.
fn account_kind(ty: &Type) -> (AccountKind, Option<String>) {
    let Some(name) = type_last_ident(ty) else {
        return (AccountKind::Other, None);
    };
    let args = type_args(ty);
    let inner = args.last().and_then(|t| type_last_ident(t));
    match name.as_str() {
        "Box" | "Option" => args
            .first()
            .map(|t| account_kind(t))
            .unwrap_or((AccountKind::Other, None)),
        "Account" => (AccountKind::Account, inner),
        "AccountLoader" | "Loader" => (AccountKind::AccountLoader, inner),
        "InterfaceAccount" => (AccountKind::InterfaceAccount, inner),
        "Signer" => (AccountKind::Signer, None),
        "Program" | "Interface" => (AccountKind::Program, inner),
        "Sysvar" => (AccountKind::Sysvar, inner),
        "SystemAccount" => (AccountKind::SystemAccount, None),
        "UncheckedAccount" => (AccountKind::Unchecked, None),
        "AccountInfo" => (AccountKind::AccountInfo, None),
        _ => (AccountKind::Other, Some(name)),
    }
}

fn has_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| a.path().is_ident(name))
}

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.meta.require_list().is_ok_and(|l| {
                l.tokens
                    .to_string()
                    .split([',', ' ', ':'])
                    .any(|t| t == name)
            })
    })
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        (a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string().contains("test")))
            || a.path().is_ident("test")
            || a.path().segments.last().is_some_and(|s| s.ident == "test")
    })
}

fn doc_text(attrs: &[syn::Attribute]) -> String {
    let mut out = String::new();
    for a in attrs {
        if a.path().is_ident("doc")
            && let syn::Meta::NameValue(nv) = &a.meta
        {
            out.push_str(&nv.value.to_token_stream().to_string());
            out.push('\n');
        }
    }
    out
}

/// Splits `#[account(...)]` tokens into constraints.
pub(crate) fn parse_constraints(tokens: TokenStream) -> Vec<Constraint> {
    let mut out = Vec::new();
    let mut piece: Vec<TokenTree> = Vec::new();
    let mut flush = |piece: &mut Vec<TokenTree>| {
        if piece.is_empty() {
            return;
        }
        let mut eq = None;
        for (i, t) in piece.iter().enumerate() {
            if let TokenTree::Punct(p) = t
                && p.as_char() == '='
                && p.spacing() == Spacing::Alone
            {
                let prev_joint = i.checked_sub(1).and_then(|j| piece.get(j)).is_some_and(
                    |t| matches!(t, TokenTree::Punct(q) if q.spacing() == Spacing::Joint),
                );
                if !prev_joint {
                    eq = Some(i);
                    break;
                }
            }
        }
        // Anchor before 0.20: `#[account("a.key == &b.k")]`, a constraint in a string.
        if let [TokenTree::Literal(lit)] = piece.as_slice()
            && let Ok(text) = syn::parse2::<syn::LitStr>(lit.to_token_stream())
            && let Some(value) = string_constraint(&text.value())
        {
            let expr = syn::parse2::<Expr>(value.clone()).ok();
            out.push(Constraint {
                key: "constraint".to_owned(),
                value: Some(value),
                expr,
            });
            piece.clear();
            return;
        }
        let (key_tokens, value) = match eq {
            Some(i) => (&piece[..i], Some(&piece[i + 1..])),
            None => (&piece[..], None),
        };
        let key: String = key_tokens
            .iter()
            .map(|t| t.to_string())
            .collect::<String>()
            .replace(' ', "");
        let value = value.map(|v| {
            // `@ ErrorCode::X` names the error, not the condition.
            let end = v
                .iter()
                .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '@'))
                .unwrap_or(v.len());
            v[..end].iter().cloned().collect::<TokenStream>()
        });
        let expr = value.clone().and_then(|v| syn::parse2::<Expr>(v).ok());
        out.push(Constraint { key, value, expr });
        piece.clear();
    };
    for t in tokens {
        if matches!(&t, TokenTree::Punct(p) if p.as_char() == ',') {
            flush(&mut piece);
        } else {
            piece.push(t);
        }
    }
    flush(&mut piece);
    out
}

/// The tokens of a constraint written as a string, when it is short and
/// shallow enough to parse safely (it escaped the parse guard as a literal).
fn string_constraint(text: &str) -> Option<TokenStream> {
    const MAX_LEN: usize = 1024;
    const MAX_STRING_NESTING: usize = 32;
    if text.len() > MAX_LEN {
        return None;
    }
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_STRING_NESTING {
                    return None;
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    text.parse::<TokenStream>().ok()
}

fn collect_use(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut HashMap<String, String>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            collect_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut full = prefix.clone();
            full.push(n.ident.to_string());
            out.entry(n.ident.to_string())
                .or_insert_with(|| full.join("::"));
        }
        syn::UseTree::Rename(r) => {
            let mut full = prefix.clone();
            full.push(r.ident.to_string());
            out.insert(r.rename.to_string(), full.join("::"));
        }
        syn::UseTree::Group(g) => {
            for t in &g.items {
                collect_use(t, prefix, out);
            }
        }
        syn::UseTree::Glob(_) => {}
    }
}

impl<'a> PackageIndex<'a> {
    pub(crate) fn build(files: &'a [ParsedFile]) -> Self {
        let mut index = PackageIndex {
            accounts_structs: HashMap::new(),
            data_types: HashMap::new(),
            fns: Vec::new(),
            program_mods: Vec::new(),
            entrypoints: Vec::new(),
            use_aliases: HashMap::new(),
            summaries: HashMap::new(),
            diagnostics: Vec::new(),
        };
        for f in files {
            index.items(&f.name, &f.items, false, 0);
        }
        index.summarize();
        index
    }

    fn items(&mut self, file: &'a str, items: &'a [Item], in_test: bool, depth: usize) {
        if depth > 32 {
            return;
        }
        for item in items {
            match item {
                Item::Mod(m) => {
                    let test = in_test || is_cfg_test(&m.attrs);
                    if has_attr(&m.attrs, "program") {
                        self.program_mods.push((file, m));
                    }
                    if let Some((_, inner)) = &m.content {
                        self.items(file, inner, test, depth + 1);
                    }
                }
                Item::Struct(s) => self.structure(file, s),
                Item::Enum(e) => {
                    self.data_types.insert(
                        e.ident.to_string(),
                        DataType {
                            is_enum: true,
                            ..DataType::default()
                        },
                    );
                }
                Item::Fn(f) => self.function(
                    file,
                    &f.sig,
                    &f.block,
                    None,
                    in_test || is_cfg_test(&f.attrs),
                ),
                Item::Impl(i) => {
                    let self_ty = type_last_ident(&i.self_ty);
                    let test = in_test || is_cfg_test(&i.attrs);
                    for it in &i.items {
                        if let syn::ImplItem::Fn(f) = it {
                            self.function(
                                file,
                                &f.sig,
                                &f.block,
                                self_ty.clone(),
                                test || is_cfg_test(&f.attrs),
                            );
                        }
                    }
                }
                Item::Trait(t) => {
                    for it in &t.items {
                        if let syn::TraitItem::Fn(f) = it
                            && let Some(b) = &f.default
                        {
                            self.function(file, &f.sig, b, None, in_test);
                        }
                    }
                }
                Item::Macro(m) => {
                    let name = m.mac.path.segments.last().map(|s| s.ident.to_string());
                    if name.as_deref() == Some("entrypoint")
                        || name.as_deref() == Some("entrypoint_no_alloc")
                    {
                        let func = m.mac.tokens.to_string().replace(' ', "");
                        self.entrypoints.push((file, func, m.mac.span()));
                    }
                }
                Item::Use(u) => collect_use(&u.tree, &mut Vec::new(), &mut self.use_aliases),
                _ => {}
            }
        }
    }

    fn structure(&mut self, file: &'a str, s: &'a syn::ItemStruct) {
        let name = s.ident.to_string();
        if derives(&s.attrs, "Accounts") {
            let mut ix_args = Vec::new();
            for a in &s.attrs {
                if a.path().is_ident("instruction")
                    && let Ok(list) = a.meta.require_list()
                    && let Ok(args) = list.parse_args_with(
                        Punctuated::<syn::PatType, syn::Token![,]>::parse_terminated,
                    )
                {
                    for arg in args {
                        if let Pat::Ident(i) = &*arg.pat {
                            ix_args.push(i.ident.to_string());
                        }
                    }
                }
            }
            let mut fields = Vec::new();
            if let Fields::Named(named) = &s.fields {
                for f in &named.named {
                    let Some(ident) = &f.ident else { continue };
                    let (kind, inner) = account_kind(&f.ty);
                    let mut constraints = Vec::new();
                    for a in &f.attrs {
                        if a.path().is_ident("account")
                            && let Ok(list) = a.meta.require_list()
                        {
                            constraints.extend(parse_constraints(list.tokens.clone()));
                        }
                    }
                    fields.push(FieldDecl {
                        name: ident.to_string(),
                        kind,
                        inner,
                        location: Location::of(file, ident.span()),
                        check_comment: doc_text(&f.attrs).contains("CHECK"),
                        constraints,
                        type_name: type_last_ident(&f.ty).unwrap_or_default(),
                    });
                }
            }
            self.accounts_structs.insert(
                name.clone(),
                AccountsStruct {
                    name,
                    fields,
                    ix_args,
                },
            );
            return;
        }
        let mut fields = Vec::new();
        if let Fields::Named(named) = &s.fields {
            for f in &named.named {
                if let Some(ident) = &f.ident {
                    fields.push((
                        ident.to_string(),
                        f.ty.to_token_stream().to_string().replace(' ', ""),
                    ));
                }
            }
        }
        let anchor_account = s.attrs.iter().any(|a| {
            a.path().is_ident("account")
                || a.path().is_ident("zero_copy")
                || a.path()
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "account")
        });
        self.data_types.insert(
            name,
            DataType {
                anchor_account,
                is_enum: false,
                fields,
            },
        );
    }

    fn function(
        &mut self,
        file: &'a str,
        sig: &'a syn::Signature,
        block: &'a syn::Block,
        self_ty: Option<String>,
        is_test: bool,
    ) {
        let ctx_struct = sig.inputs.iter().find_map(|arg| match arg {
            FnArg::Typed(t) => {
                let ty = &*t.ty;
                (type_last_ident(ty).as_deref() == Some("Context"))
                    .then(|| type_args(ty).first().and_then(|t| type_last_ident(t)))
                    .flatten()
            }
            FnArg::Receiver(_) => None,
        });
        self.fns.push(FnItem {
            name: sig.ident.to_string(),
            file,
            func: sig,
            block,
            span: sig.ident.span(),
            self_ty,
            ctx_struct,
            is_test,
        });
    }

    /// Helper summaries, two rounds (a helper calling a helper).
    fn summarize(&mut self) {
        for _ in 0..2 {
            let mut next: HashMap<String, Vec<ParamSummary>> = HashMap::new();
            for f in &self.fns {
                let params: Vec<String> = f
                    .func
                    .inputs
                    .iter()
                    .filter_map(|a| match a {
                        FnArg::Typed(t) => match &*t.pat {
                            Pat::Ident(i) => Some(i.ident.to_string()),
                            _ => Some(String::new()),
                        },
                        FnArg::Receiver(_) => None,
                    })
                    .collect();
                if params.is_empty() {
                    continue;
                }
                let env = Env {
                    native: params.iter().filter(|p| !p.is_empty()).cloned().collect(),
                    ..Env::default()
                };
                let facts = Facts::collect(self, env, &[f.block], f.file);
                let summary: Vec<ParamSummary> =
                    params.iter().map(|p| facts.summary_of(p)).collect();
                let entry = next.entry(f.name.clone()).or_default();
                if entry.len() < summary.len() {
                    entry.resize(summary.len(), ParamSummary::default());
                }
                for (e, s) in entry.iter_mut().zip(summary) {
                    e.signer |= s.signer;
                    e.owner |= s.owner;
                    e.key |= s.key;
                    e.clears |= s.clears;
                    e.writes |= s.writes;
                }
            }
            self.summaries = next;
        }
    }

    /// The programs of the package with their instructions and facts.
    pub(crate) fn programs(&self, ws: &Workspace) -> Vec<ProgramData<'_>> {
        let mut out = Vec::new();
        for (file, m) in &self.program_mods {
            let mut instructions = Vec::new();
            if let Some((_, items)) = &m.content {
                for item in items {
                    let Item::Fn(f) = item else { continue };
                    let Some(fi) = self.fns.iter().find(|x| std::ptr::eq(x.block, &*f.block))
                    else {
                        continue;
                    };
                    instructions.push(self.anchor_instruction(fi));
                }
            }
            out.push(self.program_data(
                m.ident.to_string(),
                ProgramKind::Anchor,
                Location::of(file, m.ident.span()),
                instructions,
                ws,
            ));
        }
        if out.is_empty() {
            let native: Vec<&FnItem<'_>> = self
                .fns
                .iter()
                .filter(|f| {
                    !f.is_test
                        && (NEXT_ACCOUNT.iter().any(|n| mentions(f.block, n))
                            || !account_slices(f.func).is_empty())
                })
                .collect();
            if !native.is_empty() || !self.entrypoints.is_empty() {
                let (name, location) = match self.entrypoints.first() {
                    Some((file, name, span)) => (name.clone(), Location::of(file, *span)),
                    None => (
                        "program".to_owned(),
                        native
                            .first()
                            .map(|f| Location::of(f.file, f.span))
                            .unwrap_or_default(),
                    ),
                };
                let instructions = native.iter().map(|f| self.native_instruction(f)).collect();
                out.push(self.program_data(name, ProgramKind::Native, location, instructions, ws));
            }
        }
        out
    }

    fn program_data<'s>(
        &'s self,
        name: String,
        kind: ProgramKind,
        location: Location,
        instructions: Vec<IxData<'s>>,
        ws: &Workspace,
    ) -> ProgramData<'s> {
        let mut account_types: Vec<String> = self
            .data_types
            .iter()
            .filter(|(_, d)| d.anchor_account)
            .map(|(n, _)| n.clone())
            .collect();
        account_types.sort();
        let model = Program {
            name,
            kind,
            location,
            instructions: instructions.iter().map(|ix| ix.model(self, ws)).collect(),
            account_types,
        };
        ProgramData {
            model,
            kind,
            instructions,
        }
    }

    fn anchor_instruction(&self, handler: &FnItem<'a>) -> IxData<'_> {
        let st = handler
            .ctx_struct
            .as_ref()
            .and_then(|s| self.accounts_structs.get(s));
        let mut fields: Vec<FieldDecl> = st.map(|s| s.fields.clone()).unwrap_or_default();
        // Nested accounts structs (`pub inner: Inner<'info>`) contribute their fields.
        let mut extra = Vec::new();
        for f in &fields {
            if f.kind == AccountKind::Other
                && let Some(nested) = self.accounts_structs.get(&f.type_name)
            {
                extra.extend(nested.fields.iter().cloned());
            }
        }
        fields.extend(extra);
        let names: HashSet<String> = fields.iter().map(|f| f.name.clone()).collect();
        let bodies: Vec<&syn::Block> = std::iter::once(handler.block)
            .chain(
                self.fns
                    .iter()
                    .filter(|f| !std::ptr::eq(f.block, handler.block))
                    .filter(|f| {
                        handler.ctx_struct.is_some()
                            && (f.ctx_struct == handler.ctx_struct
                                || f.self_ty == handler.ctx_struct)
                    })
                    .map(|f| f.block),
            )
            .collect();
        let env = Env {
            accounts: names.clone(),
            self_is_accounts: true,
            ..Env::default()
        };
        let facts = Facts::collect(self, env, &bodies, handler.file);
        // Constraint expressions name accounts directly.
        let cenv = Env {
            native: names,
            ..Env::default()
        };
        let mut cfacts = Facts::new(self, cenv, handler.file);
        for f in &fields {
            for c in &f.constraints {
                if let Some(e) = &c.expr {
                    cfacts.depth = 0;
                    cfacts.cond += 1;
                    cfacts.visit_expr(e);
                    cfacts.cond -= 1;
                }
            }
        }
        IxData {
            name: handler.name.clone(),
            location: Location::of(handler.file, handler.span),
            accounts_struct: handler.ctx_struct.clone(),
            args: args_of(handler.func),
            fields,
            ix_args: st.map(|s| s.ix_args.clone()).unwrap_or_default(),
            native_accounts: Vec::new(),
            facts,
            cfacts: Some(cfacts),
        }
    }

    fn native_instruction(&self, f: &FnItem<'a>) -> IxData<'_> {
        let mut env = Env::default();
        // `&AccountInfo` parameters are accounts too.
        let mut native_accounts = Vec::new();
        for arg in &f.func.inputs {
            if let FnArg::Typed(t) = arg
                && let Pat::Ident(i) = &*t.pat
                && matches!(&*t.ty, Type::Reference(r) if type_last_ident(&r.elem).is_some_and(|t| ACCOUNT_VALUE_TYPES.contains(&t.as_str())))
            {
                env.native.insert(i.ident.to_string());
                native_accounts.push((i.ident.to_string(), Location::of(f.file, i.ident.span())));
            }
        }
        env.account_slices = account_slices(f.func);
        let facts = Facts::collect(self, env, &[f.block], f.file);
        for (n, l) in &facts.declared_native {
            if !native_accounts.iter().any(|(m, _)| m == n) {
                native_accounts.push((n.clone(), l.clone()));
            }
        }
        IxData {
            name: f.name.clone(),
            location: Location::of(f.file, f.span),
            accounts_struct: None,
            args: args_of(f.func),
            fields: Vec::new(),
            ix_args: Vec::new(),
            native_accounts,
            facts,
            cfacts: None,
        }
    }
}

/// Parameters holding the instruction's accounts (`accounts: &[AccountInfo]`).
fn account_slices(sig: &syn::Signature) -> HashSet<String> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => match (&*t.pat, &*t.ty) {
                (Pat::Ident(i), Type::Reference(r))
                    if matches!(&*r.elem, Type::Slice(sl) if type_last_ident(&sl.elem).is_some_and(|n| ACCOUNT_VALUE_TYPES.contains(&n.as_str()))) =>
                {
                    Some(i.ident.to_string())
                }
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect()
}

fn args_of(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(i) => {
                    // Instruction data, not the context, the accounts or the program id.
                    let ty = t.ty.to_token_stream().to_string();
                    let not_data = ["Context", "AccountInfo", "AccountView", "Pubkey", "Address"];
                    (!not_data.iter().any(|n| ty.contains(n))).then(|| i.ident.to_string())
                }
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect()
}

fn mentions(block: &syn::Block, ident: &str) -> bool {
    struct Finder<'s> {
        ident: &'s str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            if i == self.ident {
                self.found = true;
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            visit::visit_macro(self, m);
            if m.tokens.to_string().contains(self.ident) {
                self.found = true;
            }
        }
    }
    let mut f = Finder {
        ident,
        found: false,
    };
    f.visit_block(block);
    f.found
}

/// A program with its instructions.
pub(crate) struct ProgramData<'i> {
    pub(crate) model: Program,
    pub(crate) kind: ProgramKind,
    pub(crate) instructions: Vec<IxData<'i>>,
}

/// One instruction with the facts of its bodies.
pub(crate) struct IxData<'i> {
    pub(crate) name: String,
    pub(crate) location: Location,
    pub(crate) accounts_struct: Option<String>,
    pub(crate) args: Vec<String>,
    /// Anchor: the accounts struct fields (nested structs flattened).
    pub(crate) fields: Vec<FieldDecl>,
    pub(crate) ix_args: Vec<String>,
    /// Native: accounts from parameters and `next_account_info`.
    pub(crate) native_accounts: Vec<(String, Location)>,
    pub(crate) facts: Facts<'i>,
    /// Anchor: facts of the constraint expressions.
    pub(crate) cfacts: Option<Facts<'i>>,
}

impl IxData<'_> {
    /// Every account name with its kind.
    pub(crate) fn accounts(&self) -> Vec<(String, AccountKind, Location)> {
        if self.fields.is_empty() {
            self.native_accounts
                .iter()
                .map(|(n, l)| (n.clone(), AccountKind::Native, l.clone()))
                .collect()
        } else {
            self.fields
                .iter()
                .map(|f| (f.name.clone(), f.kind, f.location.clone()))
                .collect()
        }
    }

    pub(crate) fn field(&self, name: &str) -> Option<&FieldDecl> {
        self.fields.iter().find(|f| f.name == name)
    }

    fn all_facts(&self) -> impl Iterator<Item = &Facts<'_>> {
        std::iter::once(&self.facts).chain(self.cfacts.iter())
    }

    /// `has_one = name` on any field, or a constraint naming `name.key`.
    fn bound_by_other(&self, name: &str) -> bool {
        self.fields.iter().any(|f| {
            f.constraints.iter().any(|c| {
                (c.key == "has_one" && c.value_text() == name)
                    || (c.key.ends_with("::authority") || c.key.ends_with("::mint"))
                        && c.value_text() == name
            })
        })
    }

    pub(crate) fn signer_checked(&self, name: &str, index: &PackageIndex<'_>) -> bool {
        let kind_ok = self
            .field(name)
            .is_some_and(|f| f.kind == AccountKind::Signer || f.has("signer"));
        kind_ok
            || self.all_facts().any(|f| {
                f.accesses
                    .iter()
                    .any(|a| a.account == name && a.segs.first().is_some_and(|s| s == "is_signer"))
                    || f.helper(index, name).signer
            })
    }

    pub(crate) fn owner_checked(&self, name: &str, index: &PackageIndex<'_>) -> bool {
        let typed = self
            .field(name)
            .is_some_and(|f| !f.kind.is_raw() && f.kind != AccountKind::Other || f.has("owner"));
        typed
            || self.all_facts().any(|f| {
                f.accesses.iter().any(|a| {
                    a.account == name
                        && a.segs
                            .first()
                            .is_some_and(|s| s == "owner" || s == "owner()")
                }) || f.typed_from.contains(name)
                    || f.helper(index, name).owner
            })
    }

    pub(crate) fn address_checked(&self, name: &str, index: &PackageIndex<'_>) -> bool {
        let declared = self.field(name).is_some_and(|f| {
            matches!(f.kind, AccountKind::Program | AccountKind::Sysvar)
                || f.has("address")
                || f.has("seeds")
        });
        declared
            || self.bound_by_other(name)
            || self.all_facts().any(|f| {
                f.compares.iter().any(|c| {
                    let [l, r] = c.sides();
                    let key_of = |s: &Side, who: &str| {
                        s.account.as_ref().is_some_and(|(a, segs)| {
                            a == who && segs.first().is_some_and(|s| is_key_seg(s))
                        })
                    };
                    // `a.key == b.key` tells two accounts apart; it does not
                    // say which account either one is.
                    let other_account_key = |s: &Side| {
                        s.account.as_ref().is_some_and(|(a, segs)| {
                            a != name && segs.first().is_some_and(|s| is_key_seg(s))
                        })
                    };
                    (key_of(l, name) && !other_account_key(r))
                        || (key_of(r, name) && !other_account_key(l))
                }) || f.helper(index, name).key
                    // `if !sysvar::rent::check_id(x.key)`: the key decides a condition.
                    || f.accesses.iter().any(|a| {
                        a.account == name && a.cond && a.segs.first().is_some_and(|s| is_key_seg(s))
                    })
            })
    }

    pub(crate) fn writes(&self, name: &str, index: &PackageIndex<'_>) -> bool {
        let declared = self.field(name).is_some_and(|f| {
            f.has("mut") || f.has("init") || f.has("init_if_needed") || f.has("zero")
        });
        declared
            || self
                .facts
                .assigns
                .iter()
                .any(|a| a.account.as_deref() == Some(name))
            || self.facts.mut_refs.contains(name)
            || self.facts.accesses.iter().any(|a| {
                a.account == name
                    && a.segs.iter().any(|s| {
                        matches!(
                            s.as_str(),
                            "try_borrow_mut_data"
                                | "borrow_mut"
                                | "try_borrow_mut_lamports"
                                | "realloc"
                                | "resize"
                                | "assign"
                        )
                    })
            })
            || self.facts.helper(index, name).writes
    }

    /// The instruction stores into the account's data: an assignment through
    /// it, a serialiser or copy into a borrow of it, or a field assignment on
    /// a value deserialised from a mutable borrow of it. (A mutable borrow
    /// alone is not a write: the runtime checks ownership on changed data only.)
    pub(crate) fn stores_data(&self, name: &str) -> bool {
        self.facts.data_writes.contains(name)
            || self.facts.assigns.iter().any(|a| {
                a.account.as_deref() == Some(name)
                    && a.segs.first().is_none_or(|s| !is_lamports_seg(s))
            })
            || (self.writes_data(name)
                && self.facts.data_vars.iter().any(|d| {
                    d.account == name
                        && self
                            .facts
                            .data_accesses
                            .iter()
                            .any(|a| a.var == d.name && a.lhs)
                }))
    }

    /// The account's data is borrowed mutably or assigned.
    pub(crate) fn writes_data(&self, name: &str) -> bool {
        self.facts.accesses.iter().any(|a| {
            a.account == name
                && (a.segs.first().is_some_and(|s| {
                    matches!(
                        s.as_str(),
                        "try_borrow_mut_data" | "try_borrow_mut" | "borrow_mut_data_unchecked"
                    )
                }) || (a.segs.first().is_some_and(|s| s == "data")
                    && a.segs
                        .get(1)
                        .is_some_and(|s| s == "borrow_mut" || s == "try_borrow_mut")))
        }) || self.facts.assigns.iter().any(|a| {
            a.account.as_deref() == Some(name) && a.segs.first().is_none_or(|s| !is_lamports_seg(s))
        })
    }

    fn model(&self, index: &PackageIndex<'_>, ws: &Workspace) -> Instruction {
        let accounts = self
            .accounts()
            .into_iter()
            .map(|(name, kind, location)| {
                let field = self.field(&name);
                let pda = field.and_then(|f| {
                    let seeds = f.get("seeds")?;
                    let seeds = match &seeds.expr {
                        Some(Expr::Array(a)) => a
                            .elems
                            .iter()
                            .map(|e| e.to_token_stream().to_string())
                            .collect(),
                        _ => vec![seeds.value_text()],
                    };
                    Some(Pda {
                        seeds,
                        bump: self.bump_source(f),
                    })
                });
                let data_vars: Vec<&DataVar> = self
                    .facts
                    .data_vars
                    .iter()
                    .filter(|d| d.account == name)
                    .collect();
                let typed_disc = field.is_some_and(|f| {
                    matches!(
                        f.kind,
                        AccountKind::Account
                            | AccountKind::AccountLoader
                            | AccountKind::InterfaceAccount
                    )
                });
                let checks = Checks {
                    signer: self.signer_checked(&name, index),
                    owner: self.owner_checked(&name, index),
                    address: self.address_checked(&name, index),
                    discriminator: typed_disc
                        || data_vars
                            .iter()
                            .any(|d| DISCRIMINATING.contains(&d.method.as_str())),
                    writable: self.writes(&name, index),
                    pda,
                };
                let usage = Usage {
                    reads_data: !data_vars.is_empty()
                        || self.facts.accesses.iter().any(|a| {
                            a.account == name
                                && a.segs.first().is_some_and(|s| {
                                    !matches!(
                                        s.as_str(),
                                        "key"
                                            | "to_account_info"
                                            | "clone"
                                            | "is_signer"
                                            | "lamports"
                                            | "owner"
                                            | "is_writable"
                                    )
                                })
                        }),
                    writes_data: self.writes_data(&name),
                    closes: field.is_some_and(|f| f.has("close"))
                        || self.facts.assigns.iter().any(|a| {
                            a.account.as_deref() == Some(name.as_str())
                                && a.segs.first().is_some_and(|s| is_lamports_seg(s))
                                && a.rhs_zero
                        }),
                    pays: self
                        .fields
                        .iter()
                        .any(|f| f.get("payer").is_some_and(|c| c.value_text() == name)),
                    deserialized_as: data_vars.iter().map(|d| d.ty.clone()).collect(),
                    init: field.is_some_and(|f| f.has("init")),
                    init_if_needed: field.is_some_and(|f| f.has("init_if_needed")),
                    realloc: field.is_some_and(|f| f.has("realloc")),
                };
                Account {
                    inner_type: field.and_then(|f| f.inner.clone()),
                    check_comment: field.is_some_and(|f| f.check_comment),
                    name,
                    kind,
                    location,
                    checks,
                    usage,
                }
            })
            .collect();
        Instruction {
            name: self.name.clone(),
            location: self.location.clone(),
            accounts_struct: self.accounts_struct.clone(),
            args: self.args.clone(),
            accounts,
            cpis: self.cpis(index, ws),
        }
    }

    /// Whether the instruction relies on the account itself (a use in its
    /// bodies outside CPI arguments and stored values, or a `has_one` /
    /// `constraint` naming it).
    pub(crate) fn relies_on(&self, name: &str) -> bool {
        self.facts.relies_on(name)
            || self.fields.iter().any(|f| {
                f.constraints.iter().any(|c| match c.key.as_str() {
                    "has_one" => c.value_text() == name,
                    "constraint" => c
                        .expr
                        .as_ref()
                        .is_some_and(|e| idents_of(e).iter().any(|i| i == name)),
                    _ => false,
                })
            })
    }

    /// The account's key is compared with a program-derived address.
    pub(crate) fn is_derived_address(&self, name: &str) -> bool {
        let derived = |text: &str| {
            let text = text.trim_start_matches(['&', '*']);
            let text = self
                .facts
                .lets
                .get(text)
                .map(|e| e.to_token_stream().to_string())
                .unwrap_or_else(|| text.to_owned());
            text.contains("program_address") || text.contains("associated_token_address")
        };
        self.facts.compares.iter().any(|c| {
            let [l, r] = c.sides();
            let is_key = |s: &Side| {
                s.account.as_ref().is_some_and(|(a, segs)| {
                    a == name && segs.first().is_some_and(|x| is_key_seg(x))
                })
            };
            (is_key(l) && derived(&r.text)) || (is_key(r) && derived(&l.text))
        })
    }

    /// Where the bump of a `seeds` constraint comes from.
    pub(crate) fn bump_source(&self, f: &FieldDecl) -> BumpSource {
        match f.get("bump") {
            None => BumpSource::Unknown(String::new()),
            Some(c) if c.value.is_none() => BumpSource::Canonical,
            Some(c) => {
                let text = c.value_text();
                let idents = c.expr.as_ref().map(idents_of).unwrap_or_default();
                if idents.len() == 1 && idents.iter().all(|i| self.ix_args.contains(i)) {
                    BumpSource::Supplied(text)
                } else if text.contains('.') {
                    BumpSource::Stored(text)
                } else {
                    BumpSource::Unknown(text)
                }
            }
        }
    }

    /// The `CpiContext::new*(..)` call an expression holds (through locals,
    /// references and `.with_signer(..)`-style method calls).
    pub(crate) fn context_call<'e>(&'e self, e: &'e Expr) -> Option<&'e syn::ExprCall> {
        let mut e = self.facts.through_lets(e);
        for _ in 0..8 {
            e = match e {
                Expr::Reference(r) => &r.expr,
                Expr::Paren(p) => &p.expr,
                Expr::MethodCall(m) => self.facts.through_lets(&m.receiver),
                Expr::Call(c) => {
                    let Expr::Path(p) = &*c.func else { return None };
                    return p
                        .path
                        .segments
                        .iter()
                        .any(|s| s.ident == "CpiContext")
                        .then_some(c);
                }
                _ => return None,
            };
        }
        None
    }

    /// The program account of a `CpiContext::new*(program, ..)` expression.
    pub(crate) fn context_program(&self, e: &Expr) -> Option<String> {
        self.context_call(e)
            .and_then(|c| c.args.first())
            .and_then(|a| self.facts.account_of(a))
    }

    /// The workspace program (and instruction) a call path names:
    /// `callee::cpi::deposit` (also through `use callee::cpi;`), or an id
    /// path `callee::ID` / `callee::id()`.
    pub(crate) fn callee_of_path(
        &self,
        segs: &[String],
        index: &PackageIndex<'_>,
        ws: &Workspace,
    ) -> Option<Callee> {
        let mut full: Vec<String> = Vec::new();
        if let Some(first) = segs.first()
            && let Some(path) = index.use_aliases.get(first)
        {
            full.extend(path.split("::").map(str::to_owned));
            full.extend(segs.iter().skip(1).cloned());
        } else {
            full.extend(segs.iter().cloned());
        }
        let first = full.first()?;
        let program = ws.program(first)?;
        let instruction = match full.get(1).map(String::as_str) {
            Some("cpi") => full.get(2).filter(|_| full.len() == 3).cloned(),
            Some("ID" | "id" | "ID_CONST") => None,
            _ => return None,
        };
        Some(Callee {
            program: program.program.clone(),
            instruction,
        })
    }

    /// Calls to generated `callee::cpi::f(ctx, ..)` clients.
    pub(crate) fn cpi_client_calls(&self) -> impl Iterator<Item = &Call> {
        self.facts
            .calls
            .iter()
            .filter(|c| c.path.len() >= 2 && c.path.iter().rev().nth(1).is_some_and(|s| s == "cpi"))
    }

    /// The CPIs of the instruction, for the model.
    pub(crate) fn cpis(&self, index: &PackageIndex<'_>, ws: &Workspace) -> Vec<Cpi> {
        self.facts
            .calls
            .iter()
            .filter_map(|c| {
                let kind = match c.name.as_str() {
                    "invoke" | "invoke_unchecked" => CpiKind::Invoke,
                    "invoke_signed" | "invoke_signed_unchecked" => CpiKind::InvokeSigned,
                    "new" | "new_with_signer" if c.path.iter().any(|s| s == "CpiContext") => {
                        CpiKind::CpiContext
                    }
                    _ => return None,
                };
                let program = match kind {
                    CpiKind::CpiContext => c
                        .args
                        .first()
                        .and_then(|e| self.facts.account_of(e))
                        .map(ProgramId::Account)
                        .unwrap_or(ProgramId::Unknown),
                    _ => self.facts.cpi_program_id(c),
                };
                let callee = match (&kind, &program) {
                    // The generated client that consumes this context.
                    (CpiKind::CpiContext, _) => self.cpi_client_calls().find_map(|client| {
                        let ctx = self.context_call(client.args.first()?)?;
                        (Location::of(self.facts.file, ctx.span()).start == c.location.start)
                            .then(|| self.callee_of_path(&client.path, index, ws))
                            .flatten()
                    }),
                    (_, ProgramId::Constant(path)) => {
                        let segs: Vec<String> = path
                            .trim_start_matches(['&', '*'])
                            .split("::")
                            .map(|s| s.trim_end_matches("()").to_owned())
                            .collect();
                        self.callee_of_path(&segs, index, ws)
                    }
                    _ => None,
                };
                Some(Cpi {
                    kind,
                    location: c.location.clone(),
                    program,
                    signed: kind == CpiKind::InvokeSigned || c.name == "new_with_signer",
                    callee,
                })
            })
            .collect()
    }
}

/// Every identifier in an expression.
pub(crate) fn idents_of(e: &Expr) -> Vec<String> {
    struct Ids(Vec<String>);
    impl<'ast> Visit<'ast> for Ids {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.0.push(i.to_string());
        }
    }
    let mut ids = Ids(Vec::new());
    ids.visit_expr(e);
    ids.0
}

/// Every variable (single-identifier path) an expression reads.
pub(crate) fn vars_of(e: &Expr) -> Vec<String> {
    struct Vars(Vec<String>);
    impl<'ast> Visit<'ast> for Vars {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(i) = p.path.get_ident() {
                self.0.push(i.to_string());
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            for e in macro_args(m) {
                self.visit_expr(&e);
            }
        }
    }
    let mut v = Vars(Vec::new());
    v.visit_expr(e);
    v.0
}

/// Name resolution while walking bodies.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    /// Anchor: the fields of the accounts struct (`ctx.accounts.NAME`).
    pub(crate) accounts: HashSet<String>,
    /// `self.NAME` is an account (methods of the accounts struct).
    pub(crate) self_is_accounts: bool,
    /// Variables that are accounts themselves (native programs, constraint
    /// expressions, helper parameters).
    pub(crate) native: HashSet<String>,
    /// Locals that alias an account.
    pub(crate) aliases: HashMap<String, String>,
    /// Locals that alias `ctx.accounts`.
    pub(crate) ctx_aliases: HashSet<String>,
    /// Locals holding a borrow of an account's data.
    pub(crate) buffers: HashMap<String, String>,
    /// Locals holding an account's address (`let id = x.key;`).
    pub(crate) key_locals: HashMap<String, String>,
    /// Parameters holding the account slice (`let [a, b] = accounts`).
    pub(crate) account_slices: HashSet<String>,
}

/// A use of an account: `NAME.seg1.seg2()...`.
#[derive(Clone, Debug)]
pub(crate) struct Access {
    pub(crate) account: String,
    pub(crate) segs: Vec<String>,
    pub(crate) cond: bool,
    pub(crate) cmp: bool,
    /// Inside the arguments of a cross-program invocation (or a foreign
    /// accounts struct literal): the callee validates what it receives.
    pub(crate) cpi: bool,
    /// Inside a value stored into account state (`state.authority = x.key()`).
    pub(crate) stored: bool,
    /// Read into this local (`let id = x.key;`): a use only where the local is used.
    pub(crate) via: Option<String>,
    /// The target of an assignment (`x.f = ..`), not a read.
    pub(crate) lhs: bool,
    /// Inside a CPI the program signs with PDA seeds.
    pub(crate) signed_cpi: bool,
}

/// A value deserialised from an account's data.
#[derive(Clone, Debug)]
pub(crate) struct DataVar {
    pub(crate) name: String,
    pub(crate) account: String,
    pub(crate) ty: String,
    /// Generic arguments of the type path (`PodMint` in
    /// `PodStateWithExtensionsMut::<PodMint>::unpack`), without spaces.
    pub(crate) ty_args: String,
    pub(crate) method: String,
    pub(crate) location: Location,
}

/// A use of a deserialised value: `var.seg1...`.
#[derive(Clone, Debug)]
pub(crate) struct DataAccess {
    pub(crate) var: String,
    pub(crate) segs: Vec<String>,
    pub(crate) cond: bool,
    pub(crate) cmp: bool,
    pub(crate) lhs: bool,
}

/// One side of a comparison.
#[derive(Clone, Debug, Default)]
pub(crate) struct Side {
    pub(crate) account: Option<(String, Vec<String>)>,
    pub(crate) data: Option<(String, Vec<String>)>,
    pub(crate) text: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Compare {
    pub(crate) left: Side,
    pub(crate) right: Side,
}

impl Compare {
    pub(crate) fn sides(&self) -> [&Side; 2] {
        [&self.left, &self.right]
    }
}

/// A call or method call with a name we care about, arguments cloned.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) path: Vec<String>,
    pub(crate) receiver: Option<Expr>,
    pub(crate) args: Vec<Expr>,
    pub(crate) location: Location,
}

/// An account given as a field of a foreign struct literal.
#[derive(Clone, Debug)]
pub(crate) struct CpiField {
    /// The struct path (`callee::cpi::accounts::Deposit`).
    pub(crate) path: Vec<String>,
    pub(crate) field: String,
    pub(crate) account: String,
}

/// An assignment whose target is an account (or its lamports).
#[derive(Clone, Debug)]
pub(crate) struct Assign {
    pub(crate) account: Option<String>,
    pub(crate) segs: Vec<String>,
    pub(crate) rhs_zero: bool,
    pub(crate) location: Location,
}

/// What the bodies of one instruction (or helper) do.
pub(crate) struct Facts<'i> {
    index: &'i PackageIndex<'i>,
    file: &'i str,
    pub(crate) env: Env,
    pub(crate) accesses: Vec<Access>,
    pub(crate) data_vars: Vec<DataVar>,
    pub(crate) data_accesses: Vec<DataAccess>,
    pub(crate) compares: Vec<Compare>,
    pub(crate) calls: Vec<Call>,
    pub(crate) assigns: Vec<Assign>,
    pub(crate) lets: HashMap<String, Expr>,
    pub(crate) idents: HashSet<String>,
    pub(crate) mut_refs: HashSet<String>,
    /// Accounts converted with `Account::try_from` (owner and type checked).
    pub(crate) typed_from: HashSet<String>,
    /// Native accounts declared with `next_account_info`, in order.
    pub(crate) declared_native: Vec<(String, Location)>,
    /// A byte is zeroed (`*b = 0`, `fill(0)`, `sol_memset`).
    pub(crate) zero_fill: bool,
    /// Accounts whose data a serialiser or copy writes into.
    pub(crate) data_writes: HashSet<String>,
    /// Uses of key locals: the local and whether the use relies on it (outside
    /// CPI arguments and stored values).
    pub(crate) local_uses: Vec<(String, bool)>,
    /// Accounts given as fields of a foreign struct literal (a CPI accounts
    /// struct such as `callee::cpi::accounts::Deposit { authority: .. }`).
    pub(crate) cpi_fields: Vec<CpiField>,
    /// `state.field = account.key()`: the stored field and the account whose
    /// key it receives.
    pub(crate) key_stores: Vec<(String, String)>,
    depth: usize,
    cond: usize,
    cmp: usize,
    lhs: usize,
    cpi: usize,
    /// Inside a CPI signed with PDA seeds.
    signed: usize,
    stored: usize,
    suppress: bool,
}

/// `expr` as `root.seg.seg()...`, through references, derefs, `?` and parens.
pub(crate) fn chain(expr: &Expr) -> Option<(String, Vec<String>)> {
    let mut segs = Vec::new();
    let mut e = expr;
    for _ in 0..MAX_DEPTH {
        match e {
            Expr::Field(f) => {
                segs.push(match &f.member {
                    syn::Member::Named(n) => n.to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                });
                e = &f.base;
            }
            Expr::MethodCall(m) => {
                segs.push(m.method.to_string());
                e = &m.receiver;
            }
            Expr::Reference(r) => e = &r.expr,
            Expr::Paren(p) => e = &p.expr,
            Expr::Group(g) => e = &g.expr,
            Expr::Try(t) => e = &t.expr,
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
            Expr::Index(i) => e = &i.expr,
            Expr::Cast(c) => e = &c.expr,
            Expr::Path(p) => {
                let ident = p.path.get_ident()?.to_string();
                segs.reverse();
                return Some((ident, segs));
            }
            _ => return None,
        }
    }
    None
}

fn is_zero(e: &Expr) -> bool {
    matches!(e, Expr::Lit(l) if matches!(&l.lit, syn::Lit::Int(i) if i.base10_digits() == "0"))
}

/// Calls that write into the buffer they are given.
const WRITERS: &[&str] = &[
    "serialize",
    "try_serialize",
    "pack",
    "pack_into_slice",
    "copy_from_slice",
    "clone_from_slice",
    "write_all",
    "write",
    "fill",
    "sol_memcpy",
    "sol_memset",
];

/// The names we record calls for.
const CALLS: &[&str] = &[
    "invoke",
    "invoke_signed",
    "invoke_unchecked",
    "invoke_signed_unchecked",
    "new",
    "new_with_signer",
    "with_signer",
    "create_program_address",
    "find_program_address",
    "try_find_program_address",
    "from_account_info",
    "assign",
    "realloc",
    "resize",
    "fill",
    "sol_memset",
    "close",
    "exit",
    "set_lamports",
    "sub_lamports",
];

enum Target {
    Account(String, Vec<String>),
    Data(String, Vec<String>),
}

impl<'i> Facts<'i> {
    fn new(index: &'i PackageIndex<'i>, env: Env, file: &'i str) -> Self {
        Facts {
            index,
            file,
            env,
            accesses: Vec::new(),
            data_vars: Vec::new(),
            data_accesses: Vec::new(),
            compares: Vec::new(),
            calls: Vec::new(),
            assigns: Vec::new(),
            lets: HashMap::new(),
            idents: HashSet::new(),
            mut_refs: HashSet::new(),
            typed_from: HashSet::new(),
            declared_native: Vec::new(),
            zero_fill: false,
            data_writes: HashSet::new(),
            local_uses: Vec::new(),
            cpi_fields: Vec::new(),
            key_stores: Vec::new(),
            depth: 0,
            cond: 0,
            cmp: 0,
            lhs: 0,
            cpi: 0,
            signed: 0,
            stored: 0,
            suppress: false,
        }
    }

    pub(crate) fn collect(
        index: &'i PackageIndex<'i>,
        env: Env,
        bodies: &[&syn::Block],
        file: &'i str,
    ) -> Self {
        let mut f = Facts::new(index, env, file);
        for b in bodies {
            f.depth = 0;
            f.visit_block(b);
        }
        f
    }

    fn resolve(&self, root: &str, segs: &[String]) -> Option<Target> {
        let env = &self.env;
        // `x.to_account_info().lamports` is `x.lamports`.
        let tail = |n: usize| {
            segs.get(n..)
                .unwrap_or_default()
                .iter()
                .skip_while(|s| {
                    matches!(
                        s.as_str(),
                        "to_account_info" | "clone" | "as_ref" | "deref" | "deref_mut" | "as_mut"
                    )
                })
                .cloned()
                .collect::<Vec<_>>()
        };
        if let Some(first) = segs.first() {
            if first == "accounts"
                && root != "self"
                && let Some(name) = segs.get(1)
                && env.accounts.contains(name)
            {
                return Some(Target::Account(name.clone(), tail(2)));
            }
            if (env.ctx_aliases.contains(root) || (root == "self" && env.self_is_accounts))
                && env.accounts.contains(first)
            {
                return Some(Target::Account(first.clone(), tail(1)));
            }
        }
        if let Some(a) = env.aliases.get(root) {
            return Some(Target::Account(a.clone(), tail(0)));
        }
        if env.native.contains(root) {
            return Some(Target::Account(root.to_owned(), tail(0)));
        }
        if self.data_vars.iter().any(|d| d.name == root) {
            return Some(Target::Data(root.to_owned(), segs.to_vec()));
        }
        None
    }

    /// The account an expression designates (`ctx.accounts.x.key`, `x.clone()`...).
    pub(crate) fn account_of(&self, e: &Expr) -> Option<String> {
        let (root, segs) = chain(e)?;
        match self.resolve(&root, &segs)? {
            Target::Account(a, _) => Some(a),
            Target::Data(..) => None,
        }
    }

    pub(crate) fn account_target(&self, e: &Expr) -> Option<(String, Vec<String>)> {
        let (root, segs) = chain(e)?;
        match self.resolve(&root, &segs)? {
            Target::Account(a, rest) => Some((a, rest)),
            Target::Data(..) => None,
        }
    }

    fn side(&self, e: &Expr) -> Side {
        let mut side = Side {
            text: e.to_token_stream().to_string().replace(' ', ""),
            ..Side::default()
        };
        if let Some((root, segs)) = chain(e) {
            if segs.is_empty()
                && let Some(a) = self.env.key_locals.get(&root)
            {
                side.account = Some((a.clone(), vec!["key".to_owned()]));
                return side;
            }
            // `data[0]` of a borrowed buffer is the account's data.
            if let Some(a) = self.env.buffers.get(&root) {
                side.account = Some((a.clone(), vec!["data".to_owned()]));
                return side;
            }
            match self.resolve(&root, &segs) {
                Some(Target::Account(a, rest)) => side.account = Some((a, rest)),
                Some(Target::Data(d, rest)) => side.data = Some((d, rest)),
                None => {}
            }
        }
        side
    }

    fn record_chain(&mut self, e: &Expr) {
        let Some((root, segs)) = chain(e) else { return };
        match self.resolve(&root, &segs) {
            Some(Target::Account(account, segs)) => self.accesses.push(Access {
                account,
                segs,
                cond: self.cond > 0,
                cmp: self.cmp > 0,
                cpi: self.cpi > 0,
                stored: self.stored > 0,
                via: None,
                lhs: self.lhs > 0,
                signed_cpi: self.signed > 0,
            }),
            Some(Target::Data(var, segs)) => self.data_accesses.push(DataAccess {
                var,
                segs,
                cond: self.cond > 0,
                cmp: self.cmp > 0,
                lhs: self.lhs > 0,
            }),
            None => {}
        }
    }

    fn compare(&mut self, l: &Expr, r: &Expr) {
        let c = Compare {
            left: self.side(l),
            right: self.side(r),
        };
        self.compares.push(c);
    }

    fn record_data_write(&mut self, name: &str, receiver: Option<&Expr>, args: &[&Expr]) {
        if !WRITERS.contains(&name) {
            return;
        }
        for e in receiver.into_iter().chain(args.iter().copied()) {
            if let Some(a) = self.data_source(e) {
                self.data_writes.insert(a);
            }
        }
    }

    fn record_call(
        &mut self,
        name: String,
        path: Vec<String>,
        receiver: Option<&Expr>,
        args: Vec<&Expr>,
        span: Span,
    ) {
        self.record_data_write(&name, receiver, &args);
        let interesting = CALLS.contains(&name.as_str())
            || path.iter().any(|s| s == "token_interface" || s == "cpi")
            || self.index.summaries.contains_key(&name)
            || name.ends_with("_checked")
            || name.starts_with("load_instruction")
            || name.starts_with("load_current_index");
        if interesting {
            self.calls.push(Call {
                name,
                path,
                receiver: receiver.cloned(),
                args: args.into_iter().cloned().collect(),
                location: Location::of(self.file, span),
            });
        }
    }

    /// Summary of what this body does to the variable `p` (helpers).
    fn summary_of(&self, p: &str) -> ParamSummary {
        let mut s = ParamSummary::default();
        for a in self.accesses.iter().filter(|a| a.account == p) {
            match a.segs.first().map(String::as_str) {
                Some("is_signer") => s.signer = true,
                Some("owner") => s.owner = true,
                Some(k) if a.cmp && is_key_seg(k) => s.key = true,
                None if a.cmp => s.key = true,
                Some("assign" | "realloc" | "resize") => s.clears = true,
                Some("try_borrow_mut_data" | "try_borrow_mut_lamports") => s.writes = true,
                Some("data" | "lamports") if a.segs.get(1).is_some_and(|x| x == "borrow_mut") => {
                    s.writes = true
                }
                _ => {}
            }
        }
        if self.zero_fill && s.writes {
            s.clears = true;
        }
        let h = self.helper(self.index, p);
        s.signer |= h.signer;
        s.owner |= h.owner;
        s.key |= h.key;
        s.clears |= h.clears;
        s.writes |= h.writes;
        s
    }

    /// What helper calls in this body do to account `name`.
    pub(crate) fn helper(&self, index: &PackageIndex<'_>, name: &str) -> ParamSummary {
        let mut s = ParamSummary::default();
        for c in &self.calls {
            let Some(summary) = index.summaries.get(&c.name) else {
                continue;
            };
            for (i, arg) in c.args.iter().enumerate() {
                if self.account_of(arg).as_deref() == Some(name)
                    && let Some(p) = summary.get(i)
                {
                    s.signer |= p.signer;
                    s.owner |= p.owner;
                    s.key |= p.key;
                    s.clears |= p.clears;
                    s.writes |= p.writes;
                }
            }
        }
        s
    }

    /// Follows a local variable to its initialiser (a few steps).
    pub(crate) fn through_lets<'e>(&'e self, mut e: &'e Expr) -> &'e Expr {
        for _ in 0..6 {
            let mut inner = e;
            while let Expr::Reference(r) = inner {
                inner = &r.expr;
            }
            match inner {
                Expr::Path(p) => match p
                    .path
                    .get_ident()
                    .and_then(|i| self.lets.get(&i.to_string()))
                {
                    Some(next) => e = next,
                    None => return e,
                },
                _ => return e,
            }
        }
        e
    }

    /// The program id of an `invoke`/`invoke_signed` call.
    pub(crate) fn cpi_program_id(&self, c: &Call) -> ProgramId {
        let Some(ix) = c.args.first() else {
            return ProgramId::Unknown;
        };
        let mut ix = self.through_lets(ix);
        // `f(...)?`, `f(...).unwrap()`, `&f(...)`.
        for _ in 0..8 {
            ix = match ix {
                Expr::Try(t) => &t.expr,
                Expr::Reference(r) => &r.expr,
                Expr::Paren(p) => &p.expr,
                Expr::MethodCall(m)
                    if matches!(
                        m.method.to_string().as_str(),
                        "unwrap" | "expect" | "map_err" | "clone"
                    ) =>
                {
                    &m.receiver
                }
                other => break_expr(other),
            };
            if matches!(ix, Expr::Call(_) | Expr::Struct(_)) {
                break;
            }
        }
        let id_expr = match ix {
            Expr::Struct(s) => s.fields.iter().find_map(|f| match &f.member {
                syn::Member::Named(n) if n == "program_id" => Some(&f.expr),
                _ => None,
            }),
            Expr::Call(call) => {
                let Expr::Path(p) = &*call.func else {
                    return ProgramId::Unknown;
                };
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let builds_ix = segs
                    .iter()
                    .any(|s| s == "instruction" || s == "Instruction")
                    || segs.last().is_some_and(|s| s.starts_with("new_with"));
                if builds_ix { call.args.first() } else { None }
            }
            _ => None,
        };
        let Some(id) = id_expr else {
            return ProgramId::Unknown;
        };
        let id = self.through_lets(id);
        if let Some(a) = self.account_of(id) {
            return ProgramId::Account(a);
        }
        let text = id.to_token_stream().to_string().replace(' ', "");
        if text.contains("::")
            || text.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            || text.contains("id()")
        {
            ProgramId::Constant(text)
        } else {
            ProgramId::Unknown
        }
    }

    fn bind_local(&mut self, pat: &Pat, init: &Expr) {
        let names: Vec<String> = pat_idents(pat);
        for n in &names {
            self.lets.insert(n.clone(), init.clone());
            // A new binding shadows older meanings.
            self.env.aliases.remove(n);
            self.env.ctx_aliases.remove(n);
            self.env.buffers.remove(n);
            self.env.key_locals.remove(n);
        }
        // `let Accounts { a, b: renamed, .. } = ctx.accounts;`
        if let Pat::Struct(ps) = pat
            && chain(init).is_some_and(|(root, segs)| {
                segs == ["accounts"] || (segs.is_empty() && self.env.ctx_aliases.contains(&root))
            })
        {
            for fp in &ps.fields {
                if let syn::Member::Named(field) = &fp.member
                    && let [binding] = pat_idents(&fp.pat).as_slice()
                    && self.env.accounts.contains(&field.to_string())
                {
                    self.env.aliases.insert(binding.clone(), field.to_string());
                }
            }
            return;
        }
        // `let [a, b, ..] = accounts else { .. }` and `let a = &accounts[0];`
        let mut base = init;
        while let Expr::Reference(r) = base {
            base = &r.expr;
        }
        let from_slice = |e: &Expr| matches!(e, Expr::Path(p) if p.path.get_ident().is_some_and(|i| self.env.account_slices.contains(&i.to_string())));
        let declares = match (pat, base) {
            (Pat::Slice(_), e) => from_slice(e),
            (_, Expr::Index(i)) => names.len() == 1 && from_slice(&i.expr),
            _ => false,
        };
        if declares {
            for n in &names {
                self.env.native.insert(n.clone());
                self.declared_native
                    .push((n.clone(), Location::of(self.file, pat.span())));
            }
            return;
        }
        let [name] = names.as_slice() else { return };
        let name = name.clone();
        let mut core = init;
        for _ in 0..8 {
            core = match core {
                Expr::Try(t) => &t.expr,
                Expr::Paren(p) => &p.expr,
                Expr::MethodCall(m)
                    if matches!(
                        m.method.to_string().as_str(),
                        "unwrap"
                            | "expect"
                            | "map_err"
                            | "ok_or"
                            | "ok_or_else"
                            | "unwrap_or_default"
                    ) =>
                {
                    &m.receiver
                }
                other => break_expr(other),
            };
        }
        if let Expr::Call(call) = core
            && let Expr::Path(p) = &*call.func
        {
            let segs: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let last = segs.last().cloned().unwrap_or_default();
            if NEXT_ACCOUNT.contains(&last.as_str()) {
                self.env.native.insert(name.clone());
                self.declared_native
                    .push((name, Location::of(self.file, pat.span())));
                return;
            }
            if last == "try_from" && segs.iter().any(|s| s.contains("Account")) {
                if let Some(a) = call.args.first().and_then(|e| self.account_of(e)) {
                    self.typed_from.insert(a.clone());
                    self.env.aliases.insert(name, a);
                }
                return;
            }
            if DESERIALIZERS.contains(&last.as_str()) {
                for arg in &call.args {
                    if let Some(account) = self.data_source(arg) {
                        // The type path without the method; its first segment
                        // through `use` renames (`SplAccount` -> `spl_token::state::Account`).
                        let mut ty: Vec<String> = segs
                            .get(..segs.len().saturating_sub(1))
                            .unwrap_or_default()
                            .to_vec();
                        if let Some(first) = ty.first_mut()
                            && let Some(full) = self.index.use_aliases.get(first.as_str())
                        {
                            *first = full.clone();
                        }
                        // `borsh::from_slice::<T>(..)`, `let t: T = bincode::deserialize(..)`:
                        // a module function; the type is the turbofish or the annotation.
                        let module_fn = ty
                            .last()
                            .is_none_or(|s| s.starts_with(|c: char| c.is_ascii_lowercase()));
                        let ty = if module_fn {
                            let turbofish =
                                p.path.segments.last().and_then(|s| match &s.arguments {
                                    syn::PathArguments::AngleBracketed(a) => {
                                        a.args.first().map(|t| t.to_token_stream().to_string())
                                    }
                                    _ => None,
                                });
                            let annotated = match pat {
                                Pat::Type(t) => type_last_ident(&t.ty),
                                _ => None,
                            };
                            turbofish.or(annotated).unwrap_or_else(|| ty.join("::"))
                        } else {
                            ty.join("::")
                        };
                        let ty_args = p
                            .path
                            .segments
                            .iter()
                            .take(p.path.segments.len().saturating_sub(1))
                            .filter(|s| !s.arguments.is_empty())
                            .map(|s| s.arguments.to_token_stream().to_string().replace(' ', ""))
                            .collect::<Vec<_>>()
                            .join("");
                        self.data_vars.push(DataVar {
                            name,
                            account,
                            ty,
                            ty_args,
                            method: last,
                            location: Location::of(self.file, call.span()),
                        });
                        return;
                    }
                }
            }
        }
        if let Expr::MethodCall(m) = core
            && DESERIALIZERS.contains(&m.method.to_string().as_str())
            && let Some(account) = self.account_of(&m.receiver)
        {
            let ty = m
                .turbofish
                .as_ref()
                .map(|t| t.args.to_token_stream().to_string())
                .unwrap_or_default();
            self.data_vars.push(DataVar {
                name,
                account,
                ty,
                ty_args: String::new(),
                method: m.method.to_string(),
                location: Location::of(self.file, m.span()),
            });
            return;
        }
        if let Some((root, segs)) = chain(core) {
            if segs == ["accounts"] {
                self.env.ctx_aliases.insert(name);
                return;
            }
            if let Some(Target::Account(a, rest)) = self.resolve(&root, &segs) {
                if rest.iter().any(|s| is_data_borrow(s))
                    || rest.first().is_some_and(|s| is_view_borrow(s))
                {
                    self.env.buffers.insert(name, a);
                } else if rest.iter().all(|s| {
                    matches!(
                        s.as_str(),
                        "to_account_info"
                            | "clone"
                            | "as_ref"
                            | "deref"
                            | "deref_mut"
                            | "as_mut"
                            | "unwrap"
                    )
                }) {
                    self.env.aliases.insert(name, a);
                }
            }
        }
    }

    /// The account whose data `e` reads (`&x.data.borrow()`, a buffer local).
    fn data_source(&self, e: &Expr) -> Option<String> {
        let (root, segs) = chain(e)?;
        if let Some(a) = self.env.buffers.get(&root) {
            return Some(a.clone());
        }
        match self.resolve(&root, &segs)? {
            Target::Account(a, rest)
                if rest.iter().any(|s| is_data_borrow(s))
                    || rest.first().is_some_and(|s| is_view_borrow(s)) =>
            {
                Some(a)
            }
            _ => None,
        }
    }
}

fn break_expr(e: &Expr) -> &Expr {
    e
}

/// A call to an assertion helper by naming convention (`check_*`, `assert_*`,
/// `validate_*`, `verify_*`, `require_*`, `ensure_*`).
fn is_assertion_call(c: &syn::ExprCall) -> bool {
    let Expr::Path(p) = &*c.func else {
        return false;
    };
    p.path.segments.last().is_some_and(|s| {
        let n = s.ident.to_string();
        ["check", "assert", "validate", "verify", "require", "ensure"]
            .iter()
            .any(|prefix| n == *prefix || n.starts_with(&format!("{prefix}_")))
    })
}

/// `&[]` (through references): no signer seeds.
pub(crate) fn is_empty_array(e: &Expr) -> bool {
    let mut e = e;
    while let Expr::Reference(r) = e {
        e = &r.expr;
    }
    matches!(e, Expr::Array(a) if a.elems.is_empty())
}

/// A member that designates an account's lamports.
pub(crate) fn is_lamports_seg(s: &str) -> bool {
    matches!(s, "lamports" | "try_borrow_mut_lamports")
}

/// A member that reads an account's address.
pub(crate) fn is_key_seg(s: &str) -> bool {
    matches!(
        s,
        "key" | "address" | "pubkey" | "unsigned_key" | "signer_key"
    )
}

/// `AccountView` borrows its data directly (`view.try_borrow()`).
fn is_view_borrow(s: &str) -> bool {
    matches!(
        s,
        "try_borrow" | "try_borrow_mut" | "borrow_data_unchecked" | "borrow_mut_data_unchecked"
    )
}

fn is_data_borrow(s: &str) -> bool {
    matches!(
        s,
        "data" | "try_borrow_data" | "try_borrow_mut_data" | "data_borrow" | "borrow_data"
    )
}

fn pat_idents(p: &Pat) -> Vec<String> {
    match p {
        Pat::Ident(i) => vec![i.ident.to_string()],
        Pat::Type(t) => pat_idents(&t.pat),
        Pat::Reference(r) => pat_idents(&r.pat),
        Pat::Tuple(t) => t.elems.iter().flat_map(pat_idents).collect(),
        Pat::Paren(p) => pat_idents(&p.pat),
        Pat::Slice(s) => s.elems.iter().flat_map(pat_idents).collect(),
        Pat::Struct(s) => s.fields.iter().flat_map(|f| pat_idents(&f.pat)).collect(),
        _ => Vec::new(),
    }
}

/// Exprs of a macro's arguments, when they parse as a comma list.
pub(crate) fn macro_args(m: &syn::Macro) -> Vec<Expr> {
    m.parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
}

impl<'ast> Visit<'ast> for Facts<'_> {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            // `let x = &ctx.accounts.x;` names the account; it does not use it.
            let alias = chain(&init.expr).is_some_and(|(root, segs)| {
                matches!(self.resolve(&root, &segs), Some(Target::Account(_, rest)) if rest.is_empty())
            });
            self.stored += usize::from(alias);
            let first = self.accesses.len();
            self.visit_expr(&init.expr);
            self.stored -= usize::from(alias);
            let end = self.accesses.len();
            if let Some((_, e)) = &init.diverge {
                self.visit_expr(e);
            }
            self.bind_local(&l.pat, &init.expr);
            // `let id = x.key;`: the key is used where `id` is.
            let names = pat_idents(&l.pat);
            let reads = self.accesses.get(first..end).unwrap_or_default();
            if let [name] = names.as_slice()
                && let Some(head) = reads.first()
                && reads
                    .iter()
                    .all(|a| a.segs.first().is_some_and(|s| is_key_seg(s)))
                && reads.iter().all(|a| a.account == head.account)
            {
                let account = head.account.clone();
                for a in self.accesses.iter_mut().skip(first).take(end - first) {
                    a.via = Some(name.clone());
                }
                self.env.key_locals.insert(name.clone(), account);
            }
        }
    }

    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        if self.idents.len() < 10_000 {
            self.idents.insert(i.to_string());
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {
        // Nested items are indexed separately.
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let name = m
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        self.visit_path(&m.path);
        let args = macro_args(m);
        let is_check =
            name.starts_with("require") || name.starts_with("assert") || name.starts_with("check");
        let is_pair = matches!(
            name.as_str(),
            "require_eq"
                | "require_neq"
                | "require_keys_eq"
                | "require_keys_neq"
                | "assert_eq"
                | "assert_ne"
        );
        if is_pair && let (Some(l), Some(r)) = (args.first(), args.get(1)) {
            self.compare(l, r);
        }
        if is_check {
            self.cond += 1;
        }
        if is_pair {
            self.cmp += 1;
        }
        for a in &args {
            self.visit_expr(a);
        }
        if is_pair {
            self.cmp -= 1;
        }
        if is_check {
            self.cond -= 1;
        }
        if args.is_empty()
            && m.tokens
                .to_string()
                .contains("CLOSED_ACCOUNT_DISCRIMINATOR")
        {
            self.idents
                .insert("CLOSED_ACCOUNT_DISCRIMINATOR".to_owned());
        }
    }

    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        // The base of a chain (`a` in `a.b.c()`) is part of the chain recorded
        // at its outermost node, not a use of its own.
        let suppressed = std::mem::take(&mut self.suppress);
        match e {
            Expr::Field(_) if !suppressed => self.record_chain(e),
            Expr::MethodCall(m) => {
                if !suppressed {
                    self.record_chain(e);
                }
                let name = m.method.to_string();
                if matches!(name.as_str(), "eq" | "ne")
                    && let Some(arg) = m.args.first()
                {
                    self.compare(&m.receiver, arg);
                }
                if name == "fill" && m.args.first().is_some_and(is_zero) {
                    self.zero_fill = true;
                }
                self.record_call(
                    name,
                    Vec::new(),
                    Some(&m.receiver),
                    m.args.iter().collect(),
                    m.method.span(),
                );
            }
            Expr::Path(p) => {
                if let Some(i) = p.path.get_ident() {
                    let name = i.to_string();
                    if self.env.key_locals.contains_key(&name) {
                        self.local_uses
                            .push((name, self.cpi == 0 && self.stored == 0));
                    }
                }
                if !suppressed {
                    self.record_chain(e);
                }
            }
            Expr::Call(c) => {
                if let Expr::Path(p) = &*c.func {
                    let segs: Vec<String> = p
                        .path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect();
                    let name = segs.last().cloned().unwrap_or_default();
                    if name == "sol_memset" {
                        self.zero_fill = true;
                    }
                    self.record_call(name, segs, None, c.args.iter().collect(), c.span());
                }
            }
            Expr::Reference(r) if r.mutability.is_some() => {
                if let Some(a) = self.account_of(&r.expr) {
                    self.mut_refs.insert(a);
                }
            }
            _ => {}
        }
        match e {
            Expr::If(i) => {
                self.cond += 1;
                self.visit_expr(&i.cond);
                self.cond -= 1;
                self.visit_block(&i.then_branch);
                if let Some((_, els)) = &i.else_branch {
                    self.visit_expr(els);
                }
            }
            Expr::While(w) => {
                self.cond += 1;
                self.visit_expr(&w.cond);
                self.cond -= 1;
                self.visit_block(&w.body);
            }
            Expr::Match(m) => {
                self.cond += 1;
                self.visit_expr(&m.expr);
                self.cond -= 1;
                for arm in &m.arms {
                    if let Some((_, g)) = &arm.guard {
                        self.cond += 1;
                        self.visit_expr(g);
                        self.cond -= 1;
                    }
                    self.visit_expr(&arm.body);
                }
            }
            Expr::Binary(b) => {
                use syn::BinOp::*;
                let is_cmp = matches!(b.op, Eq(_) | Ne(_) | Lt(_) | Le(_) | Gt(_) | Ge(_));
                let is_assign = matches!(
                    b.op,
                    AddAssign(_)
                        | SubAssign(_)
                        | MulAssign(_)
                        | DivAssign(_)
                        | RemAssign(_)
                        | BitOrAssign(_)
                        | BitAndAssign(_)
                        | BitXorAssign(_)
                        | ShlAssign(_)
                        | ShrAssign(_)
                );
                if matches!(b.op, Eq(_) | Ne(_)) {
                    self.compare(&b.left, &b.right);
                }
                if is_assign {
                    self.assignment(&b.left, &b.right);
                }
                if is_cmp {
                    self.cmp += 1;
                }
                if is_assign {
                    self.lhs += 1;
                }
                self.visit_expr(&b.left);
                if is_assign {
                    self.lhs -= 1;
                }
                self.visit_expr(&b.right);
                if is_cmp {
                    self.cmp -= 1;
                }
            }
            Expr::Assign(a) => {
                self.assignment(&a.left, &a.right);
                if is_zero(&a.right) && matches!(&*a.left, Expr::Unary(_) | Expr::Index(_)) {
                    self.zero_fill = true;
                }
                self.lhs += 1;
                self.visit_expr(&a.left);
                self.lhs -= 1;
                let stores = chain(&a.left).is_some_and(|(root, segs)| {
                    !segs.is_empty() && self.resolve(&root, &segs).is_some()
                });
                self.stored += usize::from(stores);
                self.visit_expr(&a.right);
                self.stored -= usize::from(stores);
            }
            Expr::Call(c) if self.is_cpi_call(c) => {
                let last = match &*c.func {
                    Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                };
                let signed = matches!(
                    last.as_deref(),
                    Some("invoke_signed" | "invoke_signed_unchecked" | "new_with_signer")
                ) && c.args.iter().nth(2).is_some_and(|s| !is_empty_array(s));
                self.cpi += 1;
                self.signed += usize::from(signed);
                visit::visit_expr(self, e);
                self.signed -= usize::from(signed);
                self.cpi -= 1;
            }
            // `check_id(x.key)?`, `assert_owned_by(x, ..)?`: arguments of an
            // assertion helper decide whether the instruction goes on.
            Expr::Call(c) if is_assertion_call(c) => {
                self.cond += 1;
                visit::visit_expr(self, e);
                self.cond -= 1;
            }
            Expr::MethodCall(m) => {
                let signer = m.method == "with_signer";
                let signed = signer && m.args.first().is_some_and(|s| !is_empty_array(s));
                self.cpi += usize::from(signer);
                self.signed += usize::from(signed);
                self.suppress = true;
                self.visit_expr(&m.receiver);
                for a in &m.args {
                    self.visit_expr(a);
                }
                self.signed -= usize::from(signed);
                self.cpi -= usize::from(signer);
            }
            Expr::Field(f) => {
                self.suppress = true;
                self.visit_expr(&f.base);
            }
            // Wrappers that keep the value they wrap.
            Expr::Reference(syn::ExprReference { expr, .. })
            | Expr::Paren(syn::ExprParen { expr, .. })
            | Expr::Group(syn::ExprGroup { expr, .. })
            | Expr::Try(syn::ExprTry { expr, .. })
            | Expr::Cast(syn::ExprCast { expr, .. }) => {
                self.suppress = suppressed;
                self.visit_expr(expr);
            }
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                self.suppress = suppressed;
                self.visit_expr(&u.expr);
            }
            Expr::Index(i) => {
                self.suppress = suppressed;
                self.visit_expr(&i.expr);
                self.visit_expr(&i.index);
            }
            Expr::Struct(st) => {
                let name = st
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                let own = self.index.data_types.contains_key(&name);
                if own {
                    // `State { authority: *x.key, .. }` stores the key too.
                    for fv in &st.fields {
                        if let syn::Member::Named(field) = &fv.member
                            && let Some(a) = self.key_value(&fv.expr)
                        {
                            self.key_stores.push((field.to_string(), a));
                        }
                    }
                } else {
                    let path: Vec<String> = st
                        .path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect();
                    for fv in &st.fields {
                        if let syn::Member::Named(field) = &fv.member
                            && let Some(account) = self.account_of(&fv.expr)
                        {
                            self.cpi_fields.push(CpiField {
                                path: path.clone(),
                                field: field.to_string(),
                                account,
                            });
                        }
                    }
                }
                let counter = if own { &mut self.stored } else { &mut self.cpi };
                *counter += 1;
                visit::visit_expr(self, e);
                let counter = if own { &mut self.stored } else { &mut self.cpi };
                *counter -= 1;
            }
            _ => visit::visit_expr(self, e),
        }
        self.depth -= 1;
    }
}

impl Facts<'_> {
    /// `invoke*`, `CpiContext::new*`, and instruction builders (`x::instruction::f`).
    fn is_cpi_call(&self, c: &syn::ExprCall) -> bool {
        let Expr::Path(p) = &*c.func else {
            return false;
        };
        let segs: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let last = segs.last().map(String::as_str).unwrap_or("");
        matches!(
            last,
            "invoke" | "invoke_signed" | "invoke_unchecked" | "invoke_signed_unchecked"
        ) || segs
            .iter()
            .any(|s| s == "CpiContext" || s == "instruction" || s == "cpi")
    }

    /// Whether the instruction relies on the account itself: a use outside
    /// CPI arguments and stored values.
    pub(crate) fn relies_on(&self, name: &str) -> bool {
        self.accesses.iter().any(|a| {
            a.account == name
                && !a.cpi
                && !a.stored
                && a.via
                    .as_ref()
                    .is_none_or(|l| self.local_uses.iter().any(|(u, relied)| u == l && *relied))
        })
    }

    /// The account whose key `e` is (`*x.key`, `x.key()`, a key local).
    fn key_value(&self, e: &Expr) -> Option<String> {
        let (root, segs) = chain(e)?;
        match self.account_target(e) {
            Some((a, rest)) if rest.first().is_some_and(|s| is_key_seg(s)) => Some(a),
            _ if segs.is_empty() => self.env.key_locals.get(&root).cloned(),
            _ => None,
        }
    }

    fn assignment(&mut self, left: &Expr, right: &Expr) {
        // `state.authority = *x.key;` / `= x.key()` / `= id` (a key local).
        if let Some((root, segs)) = chain(left)
            && let Some(field) = segs.last()
            && self.resolve(&root, &segs).is_some()
            && let Some(a) = self.key_value(right)
        {
            self.key_stores.push((field.clone(), a));
        }
        // `data[0] = 1` through a borrowed buffer.
        if let Some((root, _)) = chain(left)
            && let Some(a) = self.env.buffers.get(&root)
        {
            self.data_writes.insert(a.clone());
        }
        if let Some((a, segs)) = self.account_target(left) {
            self.assigns.push(Assign {
                account: Some(a),
                segs,
                rhs_zero: is_zero(right),
                location: Location::of(self.file, left.span()),
            });
        }
    }
}
