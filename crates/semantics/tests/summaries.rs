//! Item 5 (partly): state accesses, transitive summaries, guards and mutexes.

mod common;

use common::Fixture;

fn names(fx: &Fixture, v: &[semantics::ItemRef]) -> Vec<String> {
    let mut out: Vec<String> = v.iter().map(|&r| fx.item_name(r)).collect();
    out.sort();
    out
}

#[test]
fn state_reads_and_writes() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract C {
    struct P { uint a; }
    mapping(address => uint) balances;
    mapping(uint => P) ps;
    uint[] list;
    uint total;
    uint counter;
    uint limit;
    function f(uint x) external {
        balances[msg.sender] = x;
        total += x;
        counter++;
        list.push(x);
        P storage p = ps[x];
        p.a = 1;
        require(x < limit);
        delete total;
    }
}
"#,
    );
    let m = fx.model();
    let f = fx.function(&m, "C", "f");
    let writes: Vec<_> = m.state_writes(f).iter().map(|a| a.var).collect();
    assert_eq!(
        names(&fx, &writes),
        [
            "C.balances",
            "C.counter",
            "C.list",
            "C.ps",
            "C.total",
            "C.total"
        ]
    );
    let reads: Vec<_> = m.state_reads(f).iter().map(|a| a.var).collect();
    // `balances[...] = x` does not read balances; `+=`, `++`, `push` and the storage
    // pointer's initialiser do read.
    assert_eq!(
        names(&fx, &reads),
        ["C.counter", "C.limit", "C.list", "C.ps", "C.total"]
    );
}

#[test]
fn summaries_follow_internal_calls_and_virtual_dispatch() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract Base {
    uint a;
    uint b;
    function entry() external { _hook(); }
    function _hook() internal virtual { a = 1; }
}
contract Derived is Base {
    function _hook() internal override { b = 2; super._hook(); payable(msg.sender).transfer(1); }
}
"#,
    );
    let m = fx.model();
    let entry = fx.function(&m, "Base", "entry");
    let base = fx.contract(&m, "Base");
    let derived = fx.contract(&m, "Derived");
    let s = m.summary(Some(base), entry);
    assert_eq!(names(&fx, &s.writes), ["Base.a"]);
    assert!(s.external_calls.is_empty());
    let s = m.summary(Some(derived), entry);
    assert_eq!(names(&fx, &s.writes), ["Base.a", "Base.b"]);
    assert_eq!(s.external_calls.len(), 1);
    assert!(s.sends_value);
    assert_eq!(s.callees.len(), 2);
}

#[test]
fn guards_are_recognised_by_behaviour() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract Ctx { function _msgSender() internal view returns (address) { return msg.sender; } }
contract Own is Ctx {
    address private _owner;
    function owner() public view returns (address) { return _owner; }
    modifier onlyOwner() { _checkOwner(); _; }
    function _checkOwner() internal view { if (owner() != _msgSender()) { revert("not owner"); } }
}
contract Roles is Ctx {
    mapping(bytes32 => mapping(address => bool)) _roles;
    function hasRole(bytes32 r, address a) public view returns (bool) { return _roles[r][a]; }
    modifier onlyRole(bytes32 r) { _checkRole(r); _; }
    function _checkRole(bytes32 r) internal view { _checkRole(r, _msgSender()); }
    function _checkRole(bytes32 r, address a) internal view { if (!hasRole(r, a)) revert(); }
}
contract C is Own, Roles {
    address admin;
    mapping(address => bool) whitelist;
    mapping(address => uint) balances;
    function a() external onlyOwner {}
    function b() external onlyRole(0x00) {}
    function c() external { require(msg.sender == admin, "admin"); }
    function d() external { require(whitelist[msg.sender]); }
    function e(uint n) external { require(balances[msg.sender] >= n); }
    function f() external { require(msg.sender != address(0)); }
    function g() external { if (tx.origin != admin) throw_(); }
    modifier onlyAdminSilently() { if (msg.sender == admin) _; }
    function h() external onlyAdminSilently {}
    function i() external { require(whitelist[msg.sender] == true); }
    function j() external { require(!whitelist[msg.sender]); }
    function k() external { require(msg.sender != admin); }
    function l() external { if (msg.sender != admin) { revert(); } }
    function n(address to) external { (bool ok, ) = to.call(abi.encode(msg.sender)); require(ok); }
    function throw_() internal pure {}
    function o() external { require(msg.sender == address(this)); }
}
"#,
    );
    let m = fx.model();
    let guarded = |name: &str| m.is_guarded(fx.function(&m, "C", name));
    assert!(guarded("a"), "Ownable-style modifier");
    assert!(guarded("b"), "AccessControl-style modifier");
    assert!(guarded("c"), "require(msg.sender == admin)");
    assert!(guarded("d"), "whitelist mapping");
    assert!(!guarded("e"), "a balance check is not access control");
    assert!(!guarded("f"), "a zero-address check is not access control");
    assert!(!guarded("g"), "the branch does not revert");
    assert!(guarded("h"), "if (msg.sender == admin) _;");
    assert!(guarded("i"), "whitelist[msg.sender] == true");
    assert!(!guarded("j"), "a deny-list is not a privilege");
    assert!(!guarded("k"), "excluding one address is not a privilege");
    assert!(guarded("l"), "if (msg.sender != admin) revert");
    assert!(!guarded("n"), "a low-level call is not a check");
    assert!(guarded("o"), "only the contract's own calls reach it");
    let g = m.guard(fx.function(&m, "C", "a")).expect("guard");
    assert_eq!(m.function(g.function).name, "_checkOwner");
}

#[test]
fn reentrancy_mutexes() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract Guard4 {
    uint256 private _status = 1;
    modifier nonReentrant() { require(_status != 2, "reentrant"); _status = 2; _; _status = 1; }
}
contract Guard5 {
    uint256 private _s;
    modifier nonReentrant() { _before(); _; _after(); }
    function _before() private { if (_s == 2) revert(); _s = 2; }
    function _after() private { _s = 1; }
}
contract Counter {
    uint256 n;
    event Count(uint256 n);
    modifier counted() { n += 1; _; emit Count(n); }
}
contract CounterGuard {
    uint256 private _guardCounter;
    modifier nonReentrant() {
        _guardCounter += 1;
        uint256 localCounter = _guardCounter;
        _;
        require(localCounter == _guardCounter);
    }
}
contract A is Guard4 { function f() external nonReentrant {} }
contract E is CounterGuard { function f() external nonReentrant {} }
contract B is Guard5 { function f() external nonReentrant {} }
contract D is Counter { function f() external counted {} }
"#,
    );
    let m = fx.model();
    assert!(m.has_reentrancy_mutex(fx.function(&m, "A", "f")));
    assert!(m.has_reentrancy_mutex(fx.function(&m, "B", "f")));
    assert!(!m.has_reentrancy_mutex(fx.function(&m, "D", "f")));
    assert!(
        m.has_reentrancy_mutex(fx.function(&m, "E", "f")),
        "a counter checked after `_`"
    );
}

#[test]
fn reentrancy_mutexes_in_storage_slots_and_transient_storage() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.24;
library Slots {
    struct Word { uint256 value; }
    type Flag is bytes32;
    function word(bytes32 slot) internal pure returns (Word storage r) {
        assembly { r.slot := slot }
    }
    function flag(bytes32 slot) internal pure returns (Flag) { return Flag.wrap(slot); }
    function load(Flag slot) internal view returns (bool v) { assembly { v := tload(slot) } }
    function store(Flag slot, bool v) internal { assembly { tstore(slot, v) } }
}
abstract contract SlotGuard {
    using Slots for bytes32;
    bytes32 private constant LOCK = 0x01;
    modifier locked() { _enter(); _; _leave(); }
    function _enter() private {
        if (_lockSlot().word().value == 2) revert();
        _lockSlot().word().value = 2;
    }
    function _leave() private { _lockSlot().word().value = 1; }
    function _lockSlot() internal pure virtual returns (bytes32) { return LOCK; }
}
abstract contract TransientGuard {
    using Slots for *;
    bytes32 private constant LOCK = 0x02;
    modifier locked() {
        if (LOCK.flag().load()) revert();
        LOCK.flag().store(true);
        _;
        LOCK.flag().store(false);
    }
}
abstract contract Marker {
    using Slots for bytes32;
    bytes32 private constant SEEN = 0x03;
    // Writes a slot before `_` but never reads it: a marker, not a mutex.
    modifier marks() { SEEN.word().value = 1; _; SEEN.word().value = 2; }
}
contract A is SlotGuard { function f() external locked {} }
contract B is TransientGuard { function f() external locked {} }
contract C is Marker { function f() external marks {} }
"#,
    );
    let m = fx.model();
    assert!(
        m.has_reentrancy_mutex(fx.function(&m, "A", "f")),
        "a slot accessor guard (StorageSlot style)"
    );
    assert!(
        m.has_reentrancy_mutex(fx.function(&m, "B", "f")),
        "a transient-storage guard"
    );
    assert!(!m.has_reentrancy_mutex(fx.function(&m, "C", "f")));

    let enter = fx.function(&m, "SlotGuard", "_enter");
    let slots = m.slot_accesses(None, enter);
    assert_eq!(slots.reads.len(), 1);
    assert_eq!(slots.writes.len(), 1);
    assert_eq!(fx.item_name(slots.writes[0].key), "SlotGuard.LOCK");
}

#[test]
fn role_checks_through_library_storage_parameters_are_guards() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.4.24;
library Roles {
    struct Role { mapping(address => bool) bearer; }
    function has(Role storage role, address account) internal view returns (bool) {
        return role.bearer[account];
    }
    function check(Role storage role, address account) internal view {
        require(has(role, account));
    }
}
contract Minters {
    using Roles for Roles.Role;
    Roles.Role private minters;
    Roles.Role private pausers;
    mapping(address => uint256) balances;
    modifier onlyMinter() { require(minters.has(msg.sender)); _; }
    function mint() external onlyMinter {}
    function pause() external { pausers.check(msg.sender); }
    function unguarded(address who) external view returns (bool) { return minters.has(who); }
    function spend(uint256 n) external { require(balances[msg.sender] >= n); }
}
"#,
    );
    let m = fx.model();
    let guarded = |name: &str| m.is_guarded(fx.function(&m, "Minters", name));
    assert!(
        guarded("mint"),
        "require(role.has(msg.sender)) in a modifier"
    );
    assert!(
        guarded("pause"),
        "role.check(msg.sender) reverting in the library"
    );
    assert!(!guarded("unguarded"));
    assert!(!guarded("spend"));
}

#[test]
fn guards_bound_through_arguments_locals_and_hashes() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.4.24;
contract C {
    address owner;
    address constant DEV = 0x1111111111111111111111111111111111111111;
    mapping(bytes32 => bool) stewards;
    address[] keepers;
    uint256 x;
    modifier only(address who) { require(msg.sender == who); _; }
    modifier onlyKeeper() { bool ok = isKeeper(msg.sender); require(ok); _; }
    modifier onlySteward() { address caller = msg.sender; require(stewards[keccak256(caller)]); _; }
    function isKeeper(address a) internal view returns (bool) {
        for (uint i = 0; i < keepers.length; i++) { if (keepers[i] == a) return true; }
        return false;
    }
    function a() public only(owner) { x = 1; }
    function b() public only(DEV) { x = 2; }
    function c(address anyone) public only(anyone) { x = 3; }
    function d() public onlyKeeper { x = 4; }
    function e() public onlySteward { x = 5; }
    function f() public { if (msg.sender == owner) { x = 6; } x = 7; }
    function g() public { if (msg.sender != owner) return; x = 8; }
}
"#,
    );
    let m = fx.model();
    let guarded = |name: &str| m.is_guarded(fx.function(&m, "C", name));
    assert!(guarded("a"), "only(owner): the argument is state");
    assert!(guarded("b"), "only(DEV): the argument is a constant");
    assert!(!guarded("c"), "only(anyone): the caller names itself");
    assert!(guarded("d"), "a local holding the check's outcome");
    assert!(
        guarded("e"),
        "a mapping keyed by a hash of a local holding the sender"
    );
    // Path guards: the branch taken only by the owner, and code after an early return.
    let f = fx.function(&m, "C", "f");
    let span = |text: &str| {
        m.file_ast(syntax::FileId(0))
            .unwrap()
            .expr(fx.expr(0, text, 0))
            .span
    };
    assert!(!m.is_guarded(f));
    assert!(
        m.guarded_at(f, span("x = 6")),
        "inside `if (msg.sender == owner)`"
    );
    assert!(!m.guarded_at(f, span("x = 7")), "after the branch");
    let g = fx.function(&m, "C", "g");
    assert!(
        m.guarded_at(g, span("x = 8")),
        "after `if (msg.sender != owner) return;`"
    );
}

#[test]
fn answers_of_state_changing_calls_to_caller_named_contracts_are_no_guards() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
interface IHook {
    function onClaim(address who) external returns (bool);
    function isMember(address who) external view returns (bool);
}
contract C {
    IHook registry;
    uint256 x;
    function a(address hook) public { require(IHook(hook).onClaim(msg.sender)); x = 1; }
    function b(IHook hook) public { require(hook.onClaim(msg.sender)); x = 2; }
    function c(address hook) public { require(IHook(hook).isMember(msg.sender)); x = 3; }
    function d() public { require(registry.onClaim(msg.sender)); x = 4; }
}
"#,
    );
    let m = fx.model();
    let guarded = |name: &str| m.is_guarded(fx.function(&m, "C", name));
    assert!(
        !guarded("a"),
        "a state-changing call to a contract the caller names"
    );
    assert!(
        !guarded("b"),
        "the same, the parameter typed as the interface"
    );
    assert!(guarded("c"), "a view query still counts");
    assert!(guarded("d"), "a call to a stored contract still counts");
}

#[test]
fn guards_in_overrides_count_for_the_deriving_contract() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
abstract contract Upgradeable {
    address implementation;
    function upgradeTo(address next) external {
        _authorize(next);
        implementation = next;
    }
    function _authorize(address next) internal virtual;
}
contract Owned is Upgradeable {
    address owner;
    function _authorize(address) internal view override {
        require(msg.sender == owner, "not owner");
    }
}
contract Open is Upgradeable {
    function _authorize(address) internal pure override {}
}
"#,
    );
    let m = fx.model();
    let upgrade = fx.function(&m, "Upgradeable", "upgradeTo");
    assert_eq!(m.guard(upgrade), None, "the base alone has no check");
    let guard = m
        .guard_for(fx.contract(&m, "Owned"), upgrade)
        .expect("the override checks the caller");
    assert_eq!(guard.function, fx.function(&m, "Owned", "_authorize"));
    assert_eq!(m.guard_for(fx.contract(&m, "Open"), upgrade), None);
}
