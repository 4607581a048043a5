//! Item 3: call graph and external-call classification.

mod common;

use common::Fixture;
use semantics::CallKind;
use syntax::FileId;

/// The calls of `contract.function` as readable strings, in source order.
fn calls(fx: &Fixture, m: &semantics::Model<'_>, contract: &str, function: &str) -> Vec<String> {
    let f = fx.function(m, contract, function);
    let text = |e: Option<syntax::ast::ExprId>| {
        e.map_or(String::from("-"), |e| {
            let span = fx.parses[0].ast().expr(e).span;
            fx.texts[0][span.lo as usize..span.hi as usize].to_string()
        })
    };
    m.calls(f)
        .iter()
        .map(|c| match c.kind {
            CallKind::Internal {
                function,
                via_super,
            } => {
                format!(
                    "internal {}{}",
                    fx.item_name(function),
                    if via_super { " (super)" } else { "" }
                )
            }
            CallKind::Modifier { modifier } => format!("modifier {}", fx.item_name(modifier)),
            CallKind::Library { function, .. } => format!("library {}", fx.item_name(function)),
            CallKind::HighLevel {
                callee_contract,
                function,
                value,
                ..
            } => format!(
                "high {} {} value={}",
                callee_contract.map_or("?".into(), |c| m.contract(c).name.to_string()),
                function.map_or("?".into(), |f| fx.item_name(f)),
                text(value)
            ),
            CallKind::LowLevel { kind, value, gas } => {
                format!("low {kind:?} value={} gas={}", text(value), text(gas))
            }
            CallKind::Creation { contract, value } => format!(
                "new {} value={}",
                contract.map_or("?".into(), |c| m.contract(c).name.to_string()),
                text(value)
            ),
        })
        .collect()
}

#[test]
fn external_calls_are_classified() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
interface IVault { function deposit(uint256 n) external payable; function owner() external view returns (address); }
library SafeMath { function add(uint a, uint b) internal pure returns (uint) { return a + b; } }
contract Child { constructor() payable {} }
contract Base {
    modifier onlyOwner() { require(msg.sender == owner); _; }
    address owner;
    function hook() internal virtual {}
}
contract C is Base {
    using SafeMath for uint;
    IVault vault;
    uint public total;
    function run(address payable to, bytes memory data) external onlyOwner {
        (bool ok, ) = to.call{value: 1 ether, gas: 5000}(data);
        to.delegatecall(data);
        to.staticcall(data);
        to.transfer(2);
        ok = to.send(3);
        vault.deposit{value: 4}(5);
        vault.owner();
        this.total();
        new Child{value: 6}();
        total = total.add(7);
        SafeMath.add(1, 2);
        hook();
        super.hook();
    }
}
"#,
    );
    let m = fx.model();
    assert_eq!(
        calls(&fx, &m, "C", "run"),
        [
            "modifier Base.onlyOwner",
            "low Call value=1 ether gas=5000",
            "low DelegateCall value=- gas=-",
            "low StaticCall value=- gas=-",
            "low Transfer value=2 gas=-",
            "low Send value=3 gas=-",
            "high IVault IVault.deposit value=4",
            "high IVault IVault.owner value=-",
            "high C C.total value=-",
            "new Child value=6",
            "library SafeMath.add",
            "library SafeMath.add",
            "internal Base.hook",
            "internal Base.hook (super)",
        ]
    );
    let run = fx.function(&m, "C", "run");
    assert_eq!(
        m.calls(run).iter().filter(|c| c.kind.is_external()).count(),
        9
    );
}

#[test]
fn legacy_value_and_gas_syntax() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.4.24;
contract Bank {
    function pay(address to, uint amount) public {
        to.call.value(amount)();
        to.call.gas(2300).value(amount)("");
        to.callcode(bytes4(0x12345678));
        Bank(to).pay.value(1)(to, 2);
    }
}
"#,
    );
    let m = fx.model();
    assert_eq!(
        calls(&fx, &m, "Bank", "pay"),
        [
            "low Call value=amount gas=-",
            "low Call value=amount gas=2300",
            "low CallCode value=- gas=-",
            "high Bank Bank.pay value=1",
        ]
    );
}

#[test]
fn entry_points() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
interface I { function x() external; }
library L { function y() public {} }
contract C {
    constructor() {}
    receive() external payable {}
    fallback() external {}
    function pub() public {}
    function ext() external {}
    function intern() internal {}
    function priv() private {}
    modifier m() { _; }
}
"#,
    );
    let m = fx.model();
    let mut names: Vec<String> = m
        .entry_points()
        .map(|f| {
            let info = m.function(f);
            format!("{:?}:{}", info.kind, info.name)
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Constructor:",
            "Fallback:",
            "Function:ext",
            "Function:pub",
            "Receive:"
        ]
    );
    // Legacy default visibility is public.
    let fx = Fixture::one(
        "pragma solidity ^0.4.24;\ncontract C { function f() { } function C() { } }\n",
    );
    let m = fx.model();
    assert_eq!(m.entry_points().count(), 2);
    assert!(m.version(FileId(0)).is_some());
}
