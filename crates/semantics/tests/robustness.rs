//! No panic and no stack overflow on deep or broken input.

mod common;

use common::Fixture;

fn deep_source(depth: usize) -> String {
    let mut e = String::from("x");
    for _ in 0..depth {
        e = format!("(({e}) + msg.value)");
    }
    let mut s = String::from("{ x = 1; }");
    for _ in 0..depth {
        s = format!("{{ if (x > 0) {s} }}");
    }
    format!(
        "pragma solidity ^0.8.0;\ncontract C {{ uint x; modifier m() {{ require(msg.sender == address(uint160(x)) && {e} > 0); _; }}\n function f() external m {{ x = {e}; {s} }} }}\n"
    )
}

#[test]
fn deep_nesting_on_a_small_stack() {
    // Deeper than the parser's nesting cap, so the deepest parts are error nodes;
    // everything still runs on a 2 MiB thread in debug builds.
    for depth in [50, 150, 400] {
        let src: &'static str = Box::leak(deep_source(depth).into_boxed_str());
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let fx = Fixture::one(src);
                let m = fx.model();
                let t = m.taint();
                for (f, _) in m.functions() {
                    let _ = m.cfg(f);
                    let _ = m.def_use(f);
                    let _ = m.def_use(f);
                    let _ = m.guard(f);
                    let _ = m.summary(None, f);
                    let _ = m.has_reentrancy_mutex(f);
                    for &p in m.params(f) {
                        let _ = t.var(p);
                    }
                }
            })
            .expect("spawn")
            .join()
            .expect("no panic");
    }
}

#[test]
fn broken_and_odd_input() {
    for src in [
        "",
        "contract",
        "contract A is A {}",
        "contract A is B {} contract B is A {} contract C is A, B { function f() public { super.f(); } }",
        "contract C { function f() public { x.y.z(1)(2)[3].w{value: 1}(); new (); } }",
        "pragma solidity ^0.4.0; contract C { function C() { var (a, b) = (1, 2); a; b; throw; } }",
        "library L { function f(uint a) internal {} } contract C { using L for *; function g() public { 1.f(); } }",
        "contract C { modifier m() { _; _; } function f() m m public { while (true) { break; continue; } do { } while (false); } }",
        "import \"missing.sol\"; contract C is Missing { function f() public override(Missing) { g(); } }",
    ] {
        let fx = Fixture::one(src);
        let m = fx.model();
        let t = m.taint();
        for (f, _) in m.functions() {
            let _ = m.cfg(f);
            let _ = m.def_use(f);
            let _ = m.guard(f);
            let _ = m.summary(None, f);
            for &p in m.params(f) {
                let _ = t.var(p);
            }
        }
    }
}
