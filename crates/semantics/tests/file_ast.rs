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
