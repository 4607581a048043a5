//! Before 0.5, locals of reference type without a data location are storage pointers.

mod common;

use common::Fixture;

fn written(src: &'static str) -> Vec<String> {
    let fx = Fixture::one(src);
    let m = fx.model();
    let f = fx.function(&m, "C", "f");
    let mut out: Vec<String> = m
        .state_writes(f)
        .iter()
        .map(|a| fx.item_name(a.var))
        .collect();
    out.sort();
    out
}

#[test]
fn implicit_storage_pointers_before_0_5_write_state() {
    let src = r#"
pragma solidity ^0.4.24;
contract C {
    struct Acc { uint balance; }
    mapping(address => Acc) accs;
    Acc[] list;
    mapping(address => uint) plain;
    function f() public {
        var acc = accs[msg.sender];
        acc.balance -= 1;
        Acc storage explicit = list[0];
        explicit.balance = 2;
        var copy = plain[msg.sender];
        copy = 3;
    }
}
"#;
    assert_eq!(written(src), ["C.accs", "C.list"]);
}

#[test]
fn memory_locals_from_0_5_do_not_write_state() {
    let src = r#"
pragma solidity ^0.5.0;
contract C {
    struct Acc { uint balance; }
    mapping(address => Acc) accs;
    function f() public {
        Acc memory acc = accs[msg.sender];
        acc.balance = 1;
    }
}
"#;
    assert!(written(src).is_empty());
}
