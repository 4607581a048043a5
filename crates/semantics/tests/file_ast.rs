//! `Model::file_ast`: the syntax tree of any file of the model.

mod common;

use common::Fixture;
use syntax::FileId;

#[test]
fn file_ast_reaches_items_of_other_files() {
    let fx = Fixture::new(&[
        (
            "A.sol",
            "import \"./B.sol\";\ncontract A is B { function f() public { x = 1; } }",
        ),
        ("B.sol", "contract B { uint x; }"),
    ]);
    let m = fx.model();
    let b = m.contracts_named("B").next().expect("B is in the model");
    let item = m.contract(b).item;
    assert_eq!(item.file, FileId(1));
    let ast = m.file_ast(item.file).expect("B.sol is in the model");
    assert_eq!(ast.item(item.item).name().map(|n| n.as_str()), Some("B"));
    assert!(m.file_ast(FileId(7)).is_none());
}

#[test]
fn abi_types_of_parameters_are_canonical() {
    let fx = Fixture::new(&[
        (
            "A.sol",
            "import \"./B.sol\";\n\
             type Price is uint128;\n\
             contract A {\n\
               enum Mode { Off, On }\n\
               struct Order { address maker; uint amounts; Price[2] limits; }\n\
               function f(uint a, address payable b, IB c, Mode d, Order[] calldata e, bytes32[3] memory g, Price h) external {}\n\
               function g(mapping(uint => uint) storage m, function() internal k) internal {}\n\
             }",
        ),
        ("B.sol", "interface IB { function x() external; }"),
    ]);
    let m = fx.model();
    let types = |name: &str| -> Vec<Option<String>> {
        let (id, info) = m.functions().find(|(_, f)| f.name == name).unwrap();
        let ast = m.file_ast(info.item.file).unwrap();
        let def = ast.item(info.item.item).as_function().unwrap();
        let _ = id;
        def.params
            .iter()
            .map(|p| m.abi_type(info.item, p.ty))
            .collect()
    };
    assert_eq!(
        types("f"),
        [
            "uint256",
            "address",
            "address",
            "uint8",
            "(address,uint256,uint128[2])[]",
            "bytes32[3]",
            "uint128"
        ]
        .map(|t| Some(t.to_string()))
    );
    assert_eq!(types("g"), [None, None]);
}
