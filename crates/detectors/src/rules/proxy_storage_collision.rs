use semantics::{CallKind, ContractId, FunctionId, ItemRef, LowLevelKind, Model, Type};
use syntax::ast::{ContractKind, ElementaryType, ExprKind, FunctionKind, YulExprKind};

use crate::analysis::access::root_state_var;
use crate::analysis::contracts::ContractIndex;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// A proxy that keeps ordinary state variables. A contract is a proxy when its
    /// fallback delegatecalls (directly, through internal or library functions, or in
    /// assembly), or when one of its functions delegatecalls an address held in its
    /// own state. Its storage layout is computed as the compiler does for the common
    /// cases: the non-constant, non-immutable state variables of its C3 linearization,
    /// bases first, each in declaration order, value types packed into 32-byte slots.
    ///
    /// When the implementation is in the project (the proxy is created with
    /// `address(impl)` or `new Impl()` as an argument, or holds the implementation in a
    /// variable of the implementation's contract type), the finding names the overlap:
    /// proxy slot N variable X against implementation slot N variable Y of another name
    /// or type. Layouts that agree (both sides inherit the same storage contract) are
    /// not reported. Only such concrete overlaps are reported: when the implementation
    /// is not in the project nothing is, because on real code (2,000 mainnet contracts)
    /// proxies with state variables nearly always share a storage contract with their
    /// implementation by design (module proxies, eternal storage, master-copy proxies
    /// whose implementation reserves slot 0), which only the implementation's source
    /// can confirm.
    ///
    /// Not reported: EIP-1967 or other constant slots read with `sload`/`sstore`,
    /// `StorageSlot` accessors, diamond storage structs at hashed slots, proxies without
    /// state variables.
    ///
    /// ## Why it matters
    /// Code run by `delegatecall` uses the proxy's storage with the implementation's
    /// layout. Both number their variables from slot 0, so the implementation's first
    /// variables and the proxy's are the same words: initialising the implementation
    /// overwrites the proxy's implementation or admin address, or the admin's address
    /// bytes read as a truthy `initialized` flag (Audius, 2022).
    ///
    /// ## Example
    /// ```solidity
    /// contract Proxy {
    ///     address public implementation;      // reported: slot 0, `owner` in `Logic`
    ///     fallback() external payable {
    ///         (bool ok, ) = implementation.delegatecall(msg.data);
    ///         require(ok);
    ///     }
    /// }
    /// contract Logic { address public owner; }
    /// ```
    ///
    /// ## Recommendation
    /// Keep the proxy's own data at EIP-1967 slots
    /// (`bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`) read and
    /// written with `sload`/`sstore` or `StorageSlot`, or give the proxy and the
    /// implementation the same storage base contract.
    pub(crate) struct ProxyStorageCollision;
}

static META: DetectorMeta = DetectorMeta {
    id: "proxy-storage-collision",
    title: "Proxy state variables collide with the implementation's storage",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: Some("SWC-124"),
    category: "access_control",
    description: "A proxy declares ordinary state variables, which occupy the slots its implementation uses \
                  for its own variables",
    recommendation: "Store the proxy's data at EIP-1967 slots, or share one storage layout contract",
    references: &[
        "https://eips.ethereum.org/EIPS/eip-1967",
        "https://swcregistry.io/docs/SWC-124",
    ],
    doc: ProxyStorageCollision::DOC,
};

/// One state variable in the storage layout.
#[derive(Clone, Debug)]
struct SlotVar {
    var: ItemRef,
    name: String,
    ty: Type,
    slot: u64,
    /// First byte within the slot and size in bytes.
    offset: u64,
    size: u64,
}

impl Detector for ProxyStorageCollision {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        let ast = cx.ast();
        let index = ContractIndex::of(cx);
        for c in cx.contracts() {
            let info = model.contract(c);
            if info.kind != ContractKind::Contract || index.is_inherited(c) {
                continue;
            }
            let Some(target) = delegate_target(model, &index, c) else {
                continue;
            };
            let layout = layout_of(model, c);
            if layout.is_empty() {
                continue;
            }
            let name_span = ast
                .item(info.item.item)
                .as_contract()
                .map_or(ast.item(info.item.item).span, |d| d.name.span);
            let at = |v: &SlotVar| {
                if v.var.file == cx.file {
                    ast.item(v.var.item)
                        .as_variable()
                        .map_or(name_span, |d| d.name.span)
                } else {
                    name_span
                }
            };
            // Without the implementation's source the overlap cannot be shown: on
            // real code such proxies mostly share a storage contract with their
            // implementation by design.
            if let Some(imp) = implementation(model, c, target) {
                let theirs = layout_of(model, imp);
                let imp_name = model.contract(imp).name.as_str();
                for p in &layout {
                    let Some(i) = theirs.iter().find(|i| {
                        i.slot == p.slot
                            && i.offset < p.offset + p.size
                            && p.offset < i.offset + i.size
                    }) else {
                        continue;
                    };
                    if i.name == p.name && i.ty == p.ty && i.offset == p.offset {
                        continue;
                    }
                    out.push(cx.finding(
                        &META,
                        None,
                        at(p),
                        format!(
                            "proxy `{}` keeps `{}` in slot {}, where implementation `{imp_name}` \
                             keeps `{}`: code run by delegatecall overwrites it",
                            info.name, p.name, p.slot, i.name
                        ),
                    ));
                }
            }
        }
    }
}

/// For a proxy `c`: `Some(target)`, where `target` is the state variable holding the
/// delegate address when one is seen; `None` when `c` is not a proxy.
fn delegate_target(
    model: &Model<'_>,
    index: &ContractIndex,
    c: ContractId,
) -> Option<Option<ItemRef>> {
    let mut proxy = false;
    let mut target = None;
    for &b in model.linearization(c) {
        for &f in index.declared(b) {
            let is_fallback = model.function(f).kind == FunctionKind::Fallback;
            let reach: Vec<FunctionId> = std::iter::once(f)
                .chain(model.summary(Some(c), f).callees)
                .collect();
            for g in reach {
                let Some(ast) = model.file_ast(model.function(g).item.file) else {
                    continue;
                };
                let file = model.function(g).item.file;
                for site in model.calls(g) {
                    if let CallKind::LowLevel {
                        kind: LowLevelKind::DelegateCall,
                        ..
                    } = site.kind
                        && let Some(call) = site.expr
                        && let Some((callee, _)) = ast.expr(call).as_call()
                    {
                        let mut callee = ast.skip_parens(callee);
                        if let ExprKind::CallOptions { callee: inner, .. } = &ast.expr(callee).kind
                        {
                            callee = ast.skip_parens(*inner);
                        }
                        let held = ast.expr(callee).as_member_access().and_then(|(base, _)| {
                            // `address(impl).delegatecall(...)`
                            let mut base = ast.skip_parens(base);
                            if let Some((conv, args)) = ast.expr(base).as_call()
                                && matches!(ast.expr(conv).kind, ExprKind::ElementaryType(_))
                                && let [x] = args.exprs().as_slice()
                            {
                                base = ast.skip_parens(*x);
                            }
                            root_state_var(model, ast, file, base)
                        });
                        if held.is_some() {
                            target = target.or(held);
                            proxy = true;
                        } else if is_fallback {
                            proxy = true;
                        }
                    }
                }
                if is_fallback && yul_delegatecall(model, g) {
                    proxy = true;
                }
            }
        }
    }
    proxy.then_some(target)
}

/// True when the body of `g` holds an assembly `delegatecall`.
fn yul_delegatecall(model: &Model<'_>, g: FunctionId) -> bool {
    let item = model.function(g).item;
    let Some(ast) = model.file_ast(item.file) else {
        return false;
    };
    let Some(body) = ast.item(item.item).as_function().and_then(|d| d.body) else {
        return false;
    };
    let span = ast.stmt(body).span;
    ast.yul_exprs().any(|(_, e)| {
        e.span.lo >= span.lo
            && e.span.hi <= span.hi
            && matches!(&e.kind, YulExprKind::Call { function, builtin: true, .. }
                if function.as_str() == "delegatecall")
    })
}

/// The implementation of proxy `c` when the project shows it: a contract passed to
/// the proxy's creation (`new P(address(impl))`, `new P(new Impl())`), or the contract
/// type of the variable holding the delegate target.
fn implementation(model: &Model<'_>, c: ContractId, target: Option<ItemRef>) -> Option<ContractId> {
    let is_impl = |i: ContractId| i != c && model.contract(i).kind == ContractKind::Contract;
    if let Some(t) = target
        && let Type::Contract(i) = model.state_var_type(t)
        && is_impl(i)
    {
        return Some(i);
    }
    for (f, info) in model.functions() {
        for site in model.calls(f) {
            let CallKind::Creation {
                contract: Some(created),
                ..
            } = site.kind
            else {
                continue;
            };
            if created != c {
                continue;
            }
            let Some(ast) = model.file_ast(info.item.file) else {
                continue;
            };
            let Some((_, args)) = site.expr.and_then(|e| ast.expr(e).as_call()) else {
                continue;
            };
            for arg in args.exprs() {
                let mut a = ast.skip_parens(arg);
                // `address(x)`
                if let Some((callee, inner)) = ast.expr(a).as_call()
                    && matches!(ast.expr(callee).kind, ExprKind::ElementaryType(_))
                    && let [x] = inner.exprs().as_slice()
                {
                    a = ast.skip_parens(*x);
                }
                if let Type::Contract(i) = model.type_of(info.item.file, a)
                    && is_impl(*i)
                {
                    return Some(*i);
                }
            }
        }
    }
    None
}

/// The storage layout of `c`: its state variables, bases first, up to the first one
/// whose size this analysis does not know.
fn layout_of(model: &Model<'_>, c: ContractId) -> Vec<SlotVar> {
    let mut out = Vec::new();
    let (mut slot, mut used) = (0u64, 0u64);
    for &b in model.linearization(c).iter().rev() {
        let item = model.contract(b).item;
        let Some(ast) = model.file_ast(item.file) else {
            return out;
        };
        let Some(def) = ast.item(item.item).as_contract() else {
            return out;
        };
        for &m in &def.members {
            let Some(v) = ast.item(m).as_variable() else {
                continue;
            };
            if v.is_constant || v.is_immutable || v.is_transient {
                continue;
            }
            let r = ItemRef {
                file: item.file,
                item: m,
            };
            let ty = model.state_var_type(r);
            let Some((size, whole)) = size_of(model, &ty, 0) else {
                return out;
            };
            if whole || used + size > 32 {
                if used > 0 {
                    slot += 1;
                }
                used = 0;
            }
            out.push(SlotVar {
                var: r,
                name: v.name.as_str().to_owned(),
                ty,
                slot,
                offset: used,
                size: if whole { 32 } else { size },
            });
            if whole {
                slot += size.div_ceil(32).max(1);
                used = 0;
            } else {
                used += size;
            }
        }
    }
    out
}

/// The size in bytes of a value of `ty` in storage, and whether it takes whole slots
/// (starts a new slot and is followed by one); `None` when not known here.
fn size_of(model: &Model<'_>, ty: &Type, depth: u32) -> Option<(u64, bool)> {
    if depth > 6 {
        return None;
    }
    Some(match ty {
        Type::Elementary(e) => match e {
            ElementaryType::Bool => (1, false),
            ElementaryType::Address { .. } => (20, false),
            ElementaryType::Int(n) | ElementaryType::Uint(n) => (u64::from(*n) / 8, false),
            ElementaryType::FixedBytes(n) => (u64::from(*n), false),
            ElementaryType::Fixed(n, _) | ElementaryType::Ufixed(n, _) => {
                (u64::from(*n) / 8, false)
            }
            ElementaryType::String | ElementaryType::Bytes => (32, true),
        },
        Type::Contract(_) => (20, false),
        Type::Enum(_) => (1, false),
        Type::Mapping(..) | Type::Array { fixed: false, .. } => (32, true),
        Type::Struct(s) => {
            let mut slots = 0u64;
            let mut used = 0u64;
            for f in model.struct_field_types(*s) {
                let (size, whole) = size_of(model, &f, depth + 1)?;
                if whole || used + size > 32 {
                    if used > 0 {
                        slots += 1;
                    }
                    used = 0;
                }
                if whole {
                    slots += size.div_ceil(32).max(1);
                } else {
                    used += size;
                }
            }
            if used > 0 {
                slots += 1;
            }
            (slots.max(1) * 32, true)
        }
        _ => return None,
    })
}
