//! The per-function summary: visibility, mutability, locks, storage reads and
//! writes, external and internal calls, caller guards.

use vyper::ast::{Mutability, Visibility};
use vyper::summary::{ExternalCallKind, FunctionSummary, GuardKind, summarize};

fn summaries(src: &str) -> Vec<FunctionSummary> {
    let parse = vyper::parse(src);
    assert!(parse.is_clean(), "{:?}", parse.diagnostics());
    summarize(&parse, src)
}

fn get<'a>(all: &'a [FunctionSummary], name: &str) -> &'a FunctionSummary {
    all.iter().find(|s| s.name == name).expect(name)
}

fn names(accesses: &[vyper::summary::StorageAccess]) -> Vec<&str> {
    accesses.iter().map(|a| a.name.as_str()).collect()
}

fn kinds(s: &FunctionSummary) -> Vec<ExternalCallKind> {
    s.external_calls.iter().map(|c| c.kind).collect()
}

const V03: &str = r#"# @version 0.3.10
from vyper.interfaces import ERC20

interface Pool:
    def get_virtual_price() -> uint256: view
    def exchange(i: int128, j: int128, dx: uint256) -> uint256: nonpayable

owner: public(address)
admins: HashMap[address, bool]
balances: HashMap[address, uint256]
pool: Pool
token: ERC20
history: DynArray[uint256, 10]
keepers: DynArray[address, 4]
TREASURY: immutable(address)

@external
def __init__(_treasury: address):
    self.owner = msg.sender
    TREASURY = _treasury

@external
@nonreentrant("lock")
def withdraw(_amount: uint256):
    self.balances[msg.sender] -= _amount
    raw_call(msg.sender, b"", value=_amount)

@external
def unsafe_withdraw(_amount: uint256):
    success: bool = raw_call(msg.sender, b"", value=_amount, revert_on_failure=False)
    self.balances[msg.sender] = 0

@external
def set_owner(_new: address):
    assert msg.sender == self.owner, "only owner"
    self.owner = _new

@external
def set_admin(_who: address, _on: bool):
    if msg.sender != self.owner:
        raise "only owner"
    self.admins[_who] = _on

@external
def admin_only():
    assert self.admins[msg.sender]
    self.history.append(block.timestamp)

@external
def treasury_only():
    assert TREASURY == msg.sender
    selfdestruct(TREASURY)

@external
def origin_only():
    assert tx.origin == self.owner
    send(self.owner, self.balance)

@external
def proxy(_target: address, _data: Bytes[100]):
    assert msg.sender in self.keepers
    raw_call(_target, _data, is_delegate_call=True)
    raw_call(_target, _data, is_static_call=True)

@internal
def _only_owner():
    assert msg.sender == self.owner

@external
def guarded_by_helper():
    self._only_owner()
    self.history.pop()

@external
@view
def price() -> uint256:
    return self.pool.get_virtual_price()

@external
def swap(_dx: uint256) -> uint256:
    self.token.approve(self.pool.address, _dx)
    out: uint256 = self.pool.exchange(0, 1, _dx)
    ERC20(self.token.address).transfer(msg.sender, out)
    return out

@external
def balances_of(_who: address) -> uint256:
    b: uint256 = self.token.balanceOf(_who)
    return Pool(_who).exchange(0, 1, b)
"#;

#[test]
fn visibility_mutability_and_locks() {
    let all = summaries(V03);
    let w = get(&all, "withdraw");
    assert_eq!(w.visibility, Some(Visibility::External));
    assert_eq!(w.mutability, Mutability::Nonpayable);
    assert_eq!(w.nonreentrant, Some(Some("lock".to_string())));
    assert_eq!(get(&all, "unsafe_withdraw").nonreentrant, None);
    assert_eq!(get(&all, "price").mutability, Mutability::View);
    assert_eq!(
        get(&all, "_only_owner").visibility,
        Some(Visibility::Internal)
    );
}

#[test]
fn storage_reads_and_writes() {
    let all = summaries(V03);
    let w = get(&all, "withdraw");
    assert_eq!(
        names(&w.storage_reads),
        ["balances"],
        "augmented assignment reads"
    );
    assert_eq!(names(&w.storage_writes), ["balances"]);
    let init = get(&all, "__init__");
    assert_eq!(
        names(&init.storage_writes),
        ["owner"],
        "immutables are not storage"
    );
    let set_owner = get(&all, "set_owner");
    assert_eq!(names(&set_owner.storage_reads), ["owner"]);
    assert_eq!(names(&set_owner.storage_writes), ["owner"]);
    assert!(get(&all, "admin_only").writes("history"), "`append` writes");
    assert!(
        get(&all, "guarded_by_helper").writes("history"),
        "`pop` writes"
    );
}

#[test]
fn external_calls() {
    let all = summaries(V03);
    let w = get(&all, "withdraw");
    assert_eq!(kinds(w), [ExternalCallKind::RawCall]);
    assert!(w.external_calls[0].sends_value);
    assert!(!w.external_calls[0].revert_on_failure_disabled);
    let u = get(&all, "unsafe_withdraw");
    assert!(u.external_calls[0].revert_on_failure_disabled);
    assert_eq!(
        kinds(get(&all, "treasury_only")),
        [ExternalCallKind::Selfdestruct]
    );
    assert_eq!(kinds(get(&all, "origin_only")), [ExternalCallKind::Send]);
    assert_eq!(kinds(get(&all, "price")), [ExternalCallKind::InterfaceView]);
    assert_eq!(
        kinds(get(&all, "swap")),
        [
            ExternalCallKind::Interface,
            ExternalCallKind::Interface,
            ExternalCallKind::Interface
        ]
    );
    assert_eq!(
        kinds(get(&all, "balances_of")),
        [ExternalCallKind::InterfaceView, ExternalCallKind::Interface],
        "views of the compiler's own interfaces are known by name"
    );
    assert!(!ExternalCallKind::InterfaceView.can_reenter());
    let proxy = get(&all, "proxy");
    assert_eq!(
        kinds(proxy),
        [ExternalCallKind::RawCall, ExternalCallKind::StaticCall]
    );
    assert!(proxy.external_calls[0].delegate);
    assert!(!proxy.external_calls[1].delegate);
}

#[test]
fn guards() {
    let all = summaries(V03);
    let kinds = |name: &str| -> Vec<GuardKind> {
        get(&all, name)
            .guards
            .iter()
            .map(|g| g.kind.clone())
            .collect()
    };
    assert_eq!(
        kinds("set_owner"),
        [GuardKind::SenderEquals("owner".into())]
    );
    assert_eq!(
        kinds("set_admin"),
        [GuardKind::SenderEquals("owner".into())]
    );
    assert_eq!(
        kinds("admin_only"),
        [GuardKind::SenderInMapping("admins".into())]
    );
    assert_eq!(
        kinds("treasury_only"),
        [GuardKind::SenderEquals("TREASURY".into())]
    );
    assert_eq!(
        kinds("origin_only"),
        [GuardKind::OriginEquals("owner".into())]
    );
    assert_eq!(
        kinds("guarded_by_helper"),
        [GuardKind::Inherited("_only_owner".into())]
    );
    assert!(kinds("withdraw").is_empty());
    assert_eq!(kinds("proxy"), [GuardKind::SenderInList("keepers".into())]);
    assert_eq!(
        get(&all, "guarded_by_helper").internal_calls,
        ["_only_owner"]
    );
}

const V04: &str = r#"#pragma version 0.4.3
#pragma nonreentrancy on
from ethereum.ercs import IERC20
import snekmate.auth.ownable as ownable

initializes: ownable

token: IERC20
total: uint256

@external
def deposit(_amount: uint256):
    ownable._check_owner()
    extcall self.token.transferFrom(msg.sender, self, _amount)
    self.total += _amount

@external
@view
def balance() -> uint256:
    return staticcall self.token.balanceOf(self)

@external
def owner_only():
    assert msg.sender == ownable.owner
    self.total = 0
"#;

#[test]
fn v04_extcall_staticcall_modules_and_the_lock_pragma() {
    let all = summaries(V04);
    let d = get(&all, "deposit");
    assert_eq!(kinds(d), [ExternalCallKind::ExtCall]);
    assert_eq!(d.internal_calls, ["_check_owner"]);
    assert_eq!(
        d.nonreentrant,
        Some(None),
        "locked by `# pragma nonreentrancy on`"
    );
    assert_eq!(names(&d.storage_reads), ["token", "total"]);
    assert_eq!(names(&d.storage_writes), ["total"]);
    let b = get(&all, "balance");
    assert_eq!(kinds(b), [ExternalCallKind::StaticCall]);
    assert_eq!(
        b.nonreentrant,
        Some(None),
        "view functions check the lock too"
    );
    assert_eq!(
        get(&all, "owner_only")
            .guards
            .iter()
            .map(|g| g.kind.clone())
            .collect::<Vec<_>>(),
        [GuardKind::SenderEquals("ownable.owner".into())]
    );
}

#[test]
fn environment_reads() {
    let all = summaries(V03);
    let env: Vec<_> = get(&all, "admin_only")
        .env_reads
        .iter()
        .map(|(e, _)| *e)
        .collect();
    assert_eq!(
        env,
        [vyper::EnvVar::MsgSender, vyper::EnvVar::BlockTimestamp]
    );
}

#[test]
fn a_caller_compared_with_a_local_copy_of_storage_is_guarded() {
    let all = summaries(
        r#"# @version 0.3.10
admin: address
future_admin: address

@external
def accept_admin():
    _admin: address = self.future_admin
    assert msg.sender == _admin
    self.admin = _admin

@external
def compare_with_parameter(who: address):
    assert msg.sender == who
    self.admin = who
"#,
    );
    let accept = get(&all, "accept_admin");
    assert_eq!(
        accept.guards.iter().map(|g| &g.kind).collect::<Vec<_>>(),
        [&GuardKind::SenderEquals("future_admin".to_string())]
    );
    // A parameter is the caller's choice: no guard.
    assert!(!get(&all, "compare_with_parameter").is_guarded());
    // Call sites carry their spans, in source order.
    assert!(accept.internal_call_sites.is_empty());
}
