//! Item 7: version awareness.

mod common;

use common::Fixture;
use semantics::{BuildOptions, Declaration};
use syntax::{FileId, Version};

#[test]
fn checked_arithmetic_depends_on_version_and_unchecked_blocks() {
    let fx = Fixture::one(
        "pragma solidity ^0.8.4;\ncontract C { function f(uint a) public pure returns (uint) { unchecked { a + 1; } return a * 2; } }\n",
    );
    let m = fx.model();
    assert!(!m.is_checked_arithmetic(FileId(0), fx.expr(0, "a + 1", 0)));
    assert!(m.is_checked_arithmetic(FileId(0), fx.expr(0, "a * 2", 0)));
    let fx = Fixture::one(
        "pragma solidity ^0.7.6;\ncontract C { function f(uint a) public pure returns (uint) { return a * 2; } }\n",
    );
    let m = fx.model();
    assert!(!m.is_checked_arithmetic(FileId(0), fx.expr(0, "a * 2", 0)));
}

#[test]
fn constructors_by_name_before_0_5() {
    let fx = Fixture::one(
        "pragma solidity ^0.4.18;\ncontract Bank { function Bank() public {} function other() public {} }\n",
    );
    let m = fx.model();
    assert!(m.is_constructor(fx.function(&m, "Bank", "Bank")));
    assert!(!m.is_constructor(fx.function(&m, "Bank", "other")));
    let fx = Fixture::one("pragma solidity ^0.8.0;\ncontract Bank { constructor() {} }\n");
    let m = fx.model();
    let (ctor, _) = m.functions().next().expect("constructor");
    assert!(m.is_constructor(ctor));
}

#[test]
fn summaries_list_emitted_events() {
    let fx = Fixture::one(
        "pragma solidity ^0.8.0;\ncontract C { event A(); event B(uint); function f() external { emit A(); g(); } function g() internal { emit B(1); } }\n",
    );
    let m = fx.model();
    let s = m.summary(None, fx.function(&m, "C", "f"));
    let names: Vec<String> = s.events.iter().map(|&e| fx.item_name(e)).collect();
    assert_eq!(names, ["C.A", "C.B"]);
}

#[test]
fn a_version_override_replaces_the_pragma() {
    let fx = Fixture::one(
        "pragma solidity >=0.7.0 <0.9.0;\ncontract Bank { function Bank() public {} function f(uint a) public pure returns (uint) { return a * 2; } }\n",
    );
    // The pragma admits 0.7.0 first: unchecked arithmetic, constructors by keyword.
    let m = fx.model();
    assert_eq!(m.version(FileId(0)), Some(Version::new(0, 7, 0)));
    assert!(!m.is_checked_arithmetic(FileId(0), fx.expr(0, "a * 2", 0)));
    assert!(!m.is_constructor(fx.function(&m, "Bank", "Bank")));

    let m = fx.model_with(&BuildOptions {
        version: Some(Version::new(0, 8, 19)),
    });
    assert_eq!(m.version(FileId(0)), Some(Version::new(0, 8, 19)));
    assert!(m.is_checked_arithmetic(FileId(0), fx.expr(0, "a * 2", 0)));

    let m = fx.model_with(&BuildOptions {
        version: Some(Version::new(0, 4, 18)),
    });
    assert!(!m.is_checked_arithmetic(FileId(0), fx.expr(0, "a * 2", 0)));
    assert!(
        m.is_constructor(fx.function(&m, "Bank", "Bank")),
        "a constructor by name under 0.4.18"
    );
}

#[test]
fn uninitialized_storage_pointers_default_to_slot_zero_before_0_5() {
    let src = r#"
pragma solidity ^0.4.24;
contract Base { bool public unlocked = false; }
contract Registrar is Base {
    struct Record { bytes32 name; address owner; }
    uint constant FEE = 1;
    mapping(bytes32 => address) public owners;
    function register(bytes32 name, address owner) public {
        Record record;
        Record memory copy;
        record.name = name;
        record.owner = owner;
        copy.owner = owner;
    }
}
"#;
    let fx = Fixture::one(src);
    let m = fx.model();
    let register = fx.function(&m, "Registrar", "register");
    let Declaration::Local(record) = fx.decl(&m, "record", 0) else {
        panic!("`record` is a local");
    };
    let Declaration::Local(copy) = fx.decl(&m, "copy", 0) else {
        panic!("`copy` is a local");
    };
    assert!(m.is_uninitialized_storage_pointer(record));
    assert!(
        !m.is_uninitialized_storage_pointer(copy),
        "declared `memory`"
    );
    // Slot 0 is the most basic contract's first non-constant state variable.
    let slot_zero = m.storage_alias(record).expect("points at slot 0");
    assert_eq!(fx.item_name(slot_zero), "Base.unlocked");
    let writes: Vec<String> = m
        .state_writes(register)
        .iter()
        .map(|a| fx.item_name(a.var))
        .collect();
    assert_eq!(writes, ["Base.unlocked", "Base.unlocked"]);

    // From 0.5 on the same declaration is a compile error, not a pointer: no alias.
    let fx = Fixture::one(Box::leak(src.replace("^0.4.24", "^0.5.0").into_boxed_str()));
    let m = fx.model();
    let Declaration::Local(record) = fx.decl(&m, "record", 0) else {
        panic!("`record` is a local");
    };
    assert!(!m.is_uninitialized_storage_pointer(record));
    assert_eq!(m.storage_alias(record), None);
}
