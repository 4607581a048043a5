//! Item 1: symbols, scopes, linearization and resolution.

mod common;

use common::Fixture;
use semantics::Declaration;

#[test]
fn names_resolve_to_their_declarations() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.20;
contract Base {
    uint256 internal total;
    event Paid(address who, uint256 amount);
    error TooMuch(uint256 amount);
    struct Pos { uint256 size; address owner; }
    enum State { Open, Closed }
    modifier onlyPositive(uint256 a) { require(a > 0, "zero"); _; }
    function bump(uint256 a) internal virtual { total += a; }
}
contract Child is Base {
    mapping(address => Pos) positions;
    State state;
    function pay(uint256 amount) external onlyPositive(amount) returns (uint256 paid) {
        uint256 fee = amount / 100;
        if (fee > 10) { uint256 fee2 = fee; revert TooMuch(fee2); }
        Pos storage p = positions[msg.sender];
        p.size += amount - fee;
        state = State.Closed;
        bump(fee);
        emit Paid(msg.sender, amount);
        paid = nothing;
    }
}
"#,
    );
    let m = fx.model();
    fx.check(&m, "total", 0, "StateVar Base.total");
    fx.check(&m, "amount", 0, "Param amount"); // modifier argument
    fx.check(&m, "amount", 1, "Param amount");
    fx.check(&m, "fee", 1, "Local fee");
    fx.check(&m, "fee2", 0, "Local fee2");
    assert_eq!(fx.decl(&m, "fee", 0), fx.decl(&m, "fee", 2));
    fx.check(&m, "TooMuch", 0, "Error Base.TooMuch");
    fx.check(&m, "positions", 0, "StateVar Child.positions");
    fx.check(&m, "msg", 0, "Builtin Msg");
    fx.check(&m, "msg.sender", 0, "Builtin MsgSender");
    fx.check(&m, "p.size", 0, "StructField Base.Pos#0");
    fx.check(&m, "state", 0, "StateVar Child.state");
    fx.check(&m, "State", 0, "Enum Base.State");
    fx.check(&m, "State.Closed", 0, "EnumValue Base.State#1");
    fx.check(&m, "bump", 0, "Function Base.bump/1");
    fx.check(&m, "Paid", 0, "Event Base.Paid");
    fx.check(&m, "paid", 0, "Return paid");
    fx.check(&m, "nothing", 0, "Unresolved");
    fx.check(&m, "require", 0, "Builtin Require");
    // The modifier invocation is a call of the modifier.
    let pay = fx.function(&m, "Child", "pay");
    assert!(
        m.calls(pay)
            .iter()
            .any(|c| matches!(c.kind, semantics::CallKind::Modifier { modifier } if fx.item_name(modifier) == "Base.onlyPositive"))
    );
}

#[test]
fn block_scopes_and_shadowing() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract C {
    uint x;
    function f(uint y) public returns (uint) {
        { uint x = y; x; }
        for (uint i = 0; i < y; i++) { x += i; }
        return x;
    }
}
"#,
    );
    let m = fx.model();
    // Declarations are not expressions: `x` #0 is the use inside the inner block.
    assert!(matches!(fx.decl(&m, "x", 0), Declaration::Local(_)));
    fx.check(&m, "x", 1, "StateVar C.x");
    fx.check(&m, "x", 2, "StateVar C.x");
    assert!(matches!(fx.decl(&m, "i", 0), Declaration::Local(_)));
}

#[test]
fn legacy_locals_are_function_scoped() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.4.24;
contract C {
    function f(bool b) public returns (uint) {
        if (b) { uint z = 1; }
        return z;
    }
}
"#,
    );
    let m = fx.model();
    assert!(matches!(fx.decl(&m, "z", 0), Declaration::Local(_)));
}

#[test]
fn overloads_are_chosen_by_argument_count() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract C {
    function g(uint a) internal pure returns (uint) { return a; }
    function g(uint a, uint b) internal pure returns (uint) { return a + b; }
    function h() public pure returns (uint) { return g(1, 2) + g(3); }
}
"#,
    );
    let m = fx.model();
    fx.check(&m, "g", 0, "Function C.g/2");
    fx.check(&m, "g", 1, "Function C.g/1");
}

#[test]
fn overloads_with_the_same_arity_are_chosen_by_argument_types() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract C {
    function g(uint256 a) internal pure returns (uint) { return a; }
    function g(address a) internal pure returns (address) { return a; }
    function g(bytes memory a) internal pure returns (bytes memory) { return a; }
    function h(uint8 small, bytes calldata data) public view {
        g(msg.sender);
        g(small);
        g(7);
        g(data);
    }
}
"#,
    );
    let m = fx.model();
    let param = |nth: usize| match fx.decl(&m, "g", nth) {
        semantics::Declaration::Function(f) => {
            let id = m.function_of_item(f).expect("function");
            format!("{:?}", m.var(m.params(id)[0]).ty)
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(param(0), "Elementary(Address { payable: false })");
    assert_eq!(param(1), "Elementary(Uint(256))");
    assert_eq!(param(2), "Elementary(Uint(256))");
    assert_eq!(param(3), "Elementary(Bytes)");
}

#[test]
fn imports_aliases_and_libraries() {
    let fx = Fixture::new(&[
        (
            "Main.sol",
            r#"
pragma solidity ^0.8.0;
import "./Lib.sol";
import {Token as T} from "./Token.sol";
import * as Shapes from "./Shapes.sol";
contract Main {
    using Math for uint256;
    T token;
    function f(uint256 a) external returns (uint256) {
        Shapes.Square memory s = Shapes.Square(a);
        token.transfer(msg.sender, a);
        return a.double() + Math.double(s.side) + missingThing;
    }
}
"#,
        ),
        (
            "Lib.sol",
            "pragma solidity ^0.8.0;\nlibrary Math { function double(uint256 x) internal pure returns (uint256) { return 2 * x; } }\n",
        ),
        (
            "Token.sol",
            "pragma solidity ^0.8.0;\ninterface Token { function transfer(address to, uint256 n) external returns (bool); }\n",
        ),
        (
            "Shapes.sol",
            "pragma solidity ^0.8.0;\nstruct Square { uint256 side; }\n",
        ),
    ]);
    let m = fx.model();
    fx.check(&m, "Shapes", 0, "Module Shapes.sol");
    fx.check(&m, "Shapes.Square", 0, "Struct Square");
    fx.check(&m, "token.transfer", 0, "Function Token.transfer/2");
    fx.check(&m, "a.double", 0, "Function Math.double/1");
    fx.check(&m, "Math.double", 0, "Function Math.double/1");
    fx.check(&m, "s.side", 0, "StructField Square#0");
    fx.check(&m, "missingThing", 0, "Unresolved");
    assert!(!m.is_missing_source(syntax::FileId(0)));
}

#[test]
fn names_in_files_with_missing_imports_are_flagged() {
    let fx = Fixture::new(&[(
        "A.sol",
        "pragma solidity ^0.8.0;\nimport \"./Gone.sol\";\ncontract A is Gone { function f() public { g(); } }\n",
    )]);
    let m = fx.model();
    fx.check(&m, "g", 0, "Unresolved");
    assert!(m.is_missing_source(syntax::FileId(0)));
}

#[test]
fn c3_linearization_of_a_diamond() {
    let fx = Fixture::one(
        r#"
contract A { function f() public virtual returns (uint) { return 1; } }
contract B is A { function f() public virtual override returns (uint) { return super.f() + 1; } }
contract C is A { function f() public virtual override returns (uint) { return super.f() + 2; } }
contract D is B, C { function f() public override(B, C) returns (uint) { return super.f(); } }
"#,
    );
    let m = fx.model();
    let names = |c| {
        m.linearization(c)
            .iter()
            .map(|&x| m.contract(x).name.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(names(fx.contract(&m, "D")), "D C B A");
    assert_eq!(names(fx.contract(&m, "B")), "B A");
    assert!(m.diagnostics().is_empty());
    // Lexically, `super.f` in B is A.f and in D is C.f.
    fx.check(&m, "super.f", 0, "Function A.f/0");
    fx.check(&m, "super.f", 2, "Function C.f/0");
    // For the most-derived D (order D C B A), `super.f` written in C reaches B.f
    // and written in B reaches A.f.
    let d = fx.contract(&m, "D");
    let b = fx.contract(&m, "B");
    let c = fx.contract(&m, "C");
    let target = m.super_function(d, c, "f", 0).map(|r| fx.item_name(r));
    assert_eq!(target.as_deref(), Some("B.f"));
    let target = m.super_function(d, b, "f", 0).map(|r| fx.item_name(r));
    assert_eq!(target.as_deref(), Some("A.f"));
    // Virtual dispatch of A.f for D reaches D.f.
    let af = m.function(fx.function(&m, "A", "f")).item;
    assert_eq!(fx.item_name(m.dispatch(d, af)), "D.f");
    assert_eq!(fx.item_name(m.dispatch(b, af)), "B.f");
}

#[test]
fn impossible_hierarchies_are_diagnostics() {
    let fx = Fixture::one(
        r#"
contract A {}
contract B is A {}
contract Bad is B, A {}
contract X is Y {}
contract Y is X {}
"#,
    );
    let m = fx.model();
    let messages: Vec<_> = m.diagnostics().iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|d| d.contains("impossible") && d.contains("`Bad`")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|d| d.contains("cycle")), "{messages:?}");
    assert_eq!(
        m.linearization(fx.contract(&m, "Bad"))[0],
        fx.contract(&m, "Bad")
    );
}

#[test]
fn unnamed_parameters_and_returns_keep_their_positions() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract C {
    function f(uint256, address who) external pure returns (bool, uint256 n) {
        n = 1;
        return (who != address(0), n);
    }
}
"#,
    );
    let m = fx.model();
    let f = fx.function(&m, "C", "f");
    let names = |vs: &[semantics::VarId]| -> Vec<String> {
        vs.iter().map(|&v| m.var(v).name.to_string()).collect()
    };
    assert_eq!(names(m.params(f)), ["", "who"]);
    assert_eq!(names(m.returns(f)), ["", "n"]);
    assert_eq!(fx.describe(&m, fx.decl(&m, "who", 0)), "Param who");
}
