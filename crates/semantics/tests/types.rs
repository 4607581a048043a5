//! Item 2: expression types.

mod common;

use common::Fixture;
use semantics::{Builtin, Magic, Type};
use syntax::ast::ElementaryType as E;

#[test]
fn elementary_and_composite_types() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
interface IERC20 { function balanceOf(address a) external view returns (uint256); }
contract C {
    struct S { uint64 small; int8 tiny; }
    enum Kind { A, B }
    mapping(address => uint128) balances;
    S[] items;
    IERC20 token;
    function f(address payable to, bytes calldata data, uint256[3] memory arr) external payable {
        balances[to];
        items[0].small;
        items[0].tiny;
        IERC20(to);
        token.balanceOf(to);
        Kind.B;
        data[0];
        arr[1];
        (bool ok, bytes memory ret) = to.call{value: 1}(data);
        ok && true;
        ret.length;
        type(uint8).max;
        abi.decode(data, (uint256, address));
        keccak256(data);
        msg.sender;
        msg.value;
        tx.origin;
        block.timestamp;
        block.coinbase;
        to.balance;
        this;
        1 ether;
        "text";
        uint32(7) + 1;
        -int16(3);
    }
}
"#,
    );
    let m = fx.model();
    let elem = Type::Elementary;
    assert_eq!(fx.ty(&m, "balances[to]", 0), elem(E::Uint(128)));
    assert_eq!(fx.ty(&m, "items[0].small", 0), elem(E::Uint(64)));
    assert_eq!(fx.ty(&m, "items[0].tiny", 0), elem(E::Int(8)));
    assert_eq!(fx.ty(&m, "to", 0), elem(E::Address { payable: true }));
    let ierc20 = fx.contract(&m, "IERC20");
    assert_eq!(fx.ty(&m, "IERC20(to)", 0), Type::Contract(ierc20));
    assert_eq!(fx.ty(&m, "token", 0), Type::Contract(ierc20));
    assert_eq!(fx.ty(&m, "token.balanceOf(to)", 0), Type::UINT256);
    assert!(matches!(fx.ty(&m, "Kind.B", 0), Type::Enum(_)));
    assert_eq!(fx.ty(&m, "data[0]", 0), elem(E::FixedBytes(1)));
    assert_eq!(fx.ty(&m, "arr[1]", 0), Type::UINT256);
    assert_eq!(
        fx.ty(&m, "to.call{value: 1}(data)", 0),
        Type::Tuple(vec![Type::BOOL, Type::BYTES])
    );
    assert_eq!(
        fx.ty(&m, "to.call", 0),
        Type::BuiltinFunction(Builtin::AddressCall)
    );
    assert_eq!(fx.ty(&m, "ok && true", 0), Type::BOOL);
    assert_eq!(fx.ty(&m, "ret.length", 0), Type::UINT256);
    assert_eq!(fx.ty(&m, "type(uint8).max", 0), elem(E::Uint(8)));
    assert!(matches!(
        fx.ty(&m, "type(uint8)", 0),
        Type::Magic(Magic::TypeInfo(_))
    ));
    assert_eq!(
        fx.ty(&m, "abi.decode(data, (uint256, address))", 0),
        Type::Tuple(vec![Type::UINT256, Type::ADDRESS])
    );
    assert_eq!(fx.ty(&m, "keccak256(data)", 0), elem(E::FixedBytes(32)));
    assert_eq!(fx.ty(&m, "msg.sender", 0), Type::ADDRESS);
    assert_eq!(fx.ty(&m, "msg.value", 0), Type::UINT256);
    assert_eq!(fx.ty(&m, "tx.origin", 0), Type::ADDRESS);
    assert_eq!(fx.ty(&m, "block.timestamp", 0), Type::UINT256);
    assert_eq!(fx.ty(&m, "block.coinbase", 0), Type::ADDRESS_PAYABLE);
    assert_eq!(fx.ty(&m, "to.balance", 0), Type::UINT256);
    assert_eq!(fx.ty(&m, "this", 0), Type::Contract(fx.contract(&m, "C")));
    assert_eq!(fx.ty(&m, "1 ether", 0), Type::NumberLiteral);
    assert_eq!(fx.ty(&m, "\"text\"", 0), Type::StringLiteral);
    assert_eq!(fx.ty(&m, "uint32(7) + 1", 0), elem(E::Uint(32)));
    assert_eq!(fx.ty(&m, "-int16(3)", 0), elem(E::Int(16)));
}

#[test]
fn version_decides_payable_sender_and_call_results() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.4.24;
contract C {
    function f(address a) public {
        msg.sender;
        a.call(bytes4(keccak256("g()")));
        now;
        var x = uint16(1);
        x;
    }
}
"#,
    );
    let m = fx.model();
    assert_eq!(fx.ty(&m, "msg.sender", 0), Type::ADDRESS_PAYABLE);
    assert_eq!(
        fx.ty(&m, "a.call(bytes4(keccak256(\"g()\")))", 0),
        Type::BOOL
    );
    assert_eq!(fx.ty(&m, "now", 0), Type::UINT256);
    assert_eq!(fx.ty(&m, "x", 0), Type::Elementary(E::Uint(16)));
}

#[test]
fn unknown_is_explicit() {
    let fx = Fixture::one(
        "pragma solidity ^0.8.0;\ncontract C { function f() public { mystery.thing; } }\n",
    );
    let m = fx.model();
    assert_eq!(fx.ty(&m, "mystery.thing", 0), Type::Unknown);
    assert_eq!(fx.ty(&m, "mystery", 0), Type::Unknown);
}
