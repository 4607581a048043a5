//! Item 6: taint sources and propagation.

mod common;

use common::Fixture;
use semantics::{Declaration, TaintSources};
use syntax::FileId;

#[test]
fn sources_propagate_through_locals_calls_and_storage() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
interface IOracle { function get() external view returns (uint); }
contract C {
    address owner;
    uint seed;
    uint stored;
    uint stored2;
    uint clean;
    IOracle oracle;
    function setSeed() external { seed = block.timestamp; }
    function store(uint x) external { stored = helper(x); clean = 5; }
    function helper(uint y) internal pure returns (uint) { return y * 2; }
    function price() external { uint p = oracle.get(); uint q = p + 1; stored2 = q; }
    function roll() external view returns (uint) { return seed % 10; }
    function who() external { owner = msg.sender; }
    function pay() external payable { uint v = msg.value; v; }
}
"#,
    );
    let m = fx.model();
    let t = m.taint();
    let state = |name: &str| {
        let c = fx.contract(&m, "C");
        match m.lookup_member(c, name) {
            Some(Declaration::StateVar(r)) => t.state_var(r),
            other => panic!("{name}: {other:?}"),
        }
    };
    assert_eq!(state("seed"), TaintSources::BLOCK);
    assert!(state("seed").is_miner_controlled());
    assert_eq!(state("stored"), TaintSources::CALLDATA);
    assert!(state("stored").is_caller_controlled());
    assert_eq!(state("clean"), TaintSources::NONE);
    assert_eq!(state("stored2"), TaintSources::EXTERNAL);
    assert_eq!(state("owner"), TaintSources::SENDER);
    // Storage carries taint across functions: `roll` reads the block-tainted seed.
    let e = fx.expr(0, "seed % 10", 0);
    assert!(t.expr(&m, FileId(0), e).is_miner_controlled());
    // The internal helper's parameter receives calldata through the argument.
    let helper = fx.function(&m, "C", "helper");
    assert_eq!(t.var(m.params(helper)[0]), TaintSources::CALLDATA);
    assert_eq!(t.returns(helper), TaintSources::CALLDATA);
    // Locals.
    let Declaration::Local(v) = fx.decl(&m, "v", 0) else {
        panic!()
    };
    assert_eq!(t.var(v), TaintSources::VALUE);
}
