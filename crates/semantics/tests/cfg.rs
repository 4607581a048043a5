//! Item 4: control-flow graphs and the data-flow solver.

mod common;

use std::collections::BTreeSet;

use common::Fixture;
use semantics::{Analysis, Cfg, NodeId, NodeKind, solve};
use syntax::FileId;
use syntax::ast::StmtId;

/// The statement of file 0 whose source text is `text`.
fn stmt(fx: &Fixture, text: &str) -> StmtId {
    let src = fx.texts[0];
    fx.parses[0]
        .ast()
        .stmts()
        .find(|(_, s)| src.get(s.span.lo as usize..s.span.hi as usize) == Some(text))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no statement `{text}`"))
}

fn node(fx: &Fixture, cfg: &Cfg, text: &str) -> NodeId {
    cfg.stmt_node(FileId(0), stmt(fx, text))
        .unwrap_or_else(|| panic!("`{text}` not in the CFG"))
}

const SRC: &str = r#"
pragma solidity ^0.8.0;
contract C {
    address o;
    uint a;
    uint b;
    uint after_;
    modifier m() { require(msg.sender == o); _; after_ = 1; }
    function f(uint x, uint y) external m {
        if (x > 0 && y > 0) { a = 1; } else { return; }
        while (x > 10) { x -= 1; if (x == 5) break; if (x == 7) continue; b = 3; }
        b = 2;
        revert("no");
    }
}
"#;

#[test]
fn branches_loops_and_short_circuits() {
    let fx = Fixture::one(SRC);
    let m = fx.model();
    let f = fx.function(&m, "C", "f");
    let cfg = m.cfg(f).expect("cfg");
    let conditions = cfg
        .node_ids()
        .filter(|&n| matches!(cfg.node(n).kind, NodeKind::Condition { .. }))
        .count();
    // `x > 0`, `y > 0`, `x > 10`, `x == 5`, `x == 7`.
    assert_eq!(conditions, 5);
    let a1 = node(&fx, &cfg, "a = 1;");
    let b2 = node(&fx, &cfg, "b = 2;");
    let b3 = node(&fx, &cfg, "b = 3;");
    let dec = node(&fx, &cfg, "x -= 1;");
    let ret = node(&fx, &cfg, "return;");
    assert!(cfg.reaches(Cfg::ENTRY, a1));
    assert!(cfg.reaches(a1, b2));
    assert!(cfg.reaches(b3, dec), "loop back edge");
    assert!(!cfg.reaches(ret, b2), "return leaves the body");
    assert!(!cfg.reaches(b2, Cfg::EXIT), "revert ends the path");
    assert!(cfg.reaches(b2, Cfg::REVERT));
}

#[test]
fn modifiers_are_expanded_around_the_body() {
    let fx = Fixture::one(SRC);
    let m = fx.model();
    let cfg = m.cfg(fx.function(&m, "C", "f")).expect("cfg");
    let req = node(&fx, &cfg, "require(msg.sender == o);");
    let a1 = node(&fx, &cfg, "a = 1;");
    let ret = node(&fx, &cfg, "return;");
    let after = node(&fx, &cfg, "after_ = 1;");
    assert!(cfg.reaches(Cfg::ENTRY, req));
    assert!(cfg.reaches(req, a1));
    assert!(cfg.reaches(req, Cfg::REVERT));
    // `return` in the body continues after the modifier's `_`.
    assert!(cfg.reaches(ret, after));
    assert!(cfg.reaches(after, Cfg::EXIT));
}

/// Forward: which statements may have run before each node.
struct MayRunBefore;

impl Analysis for MayRunBefore {
    type Fact = BTreeSet<NodeId>;
    const FORWARD: bool = true;
    fn bottom(&self) -> Self::Fact {
        BTreeSet::new()
    }
    fn boundary(&self) -> Self::Fact {
        BTreeSet::new()
    }
    fn join(&self, into: &mut Self::Fact, other: &Self::Fact) {
        into.extend(other.iter().copied());
    }
    fn transfer(&self, cfg: &Cfg, node: NodeId, fact: &Self::Fact) -> Self::Fact {
        let mut out = fact.clone();
        if matches!(cfg.node(node).kind, NodeKind::Stmt { .. }) {
            out.insert(node);
        }
        out
    }
}

/// Backward: which ends (normal exit, revert) a node can reach.
struct Ends;

impl Analysis for Ends {
    type Fact = BTreeSet<&'static str>;
    const FORWARD: bool = false;
    fn bottom(&self) -> Self::Fact {
        BTreeSet::new()
    }
    fn boundary(&self) -> Self::Fact {
        BTreeSet::new()
    }
    fn join(&self, into: &mut Self::Fact, other: &Self::Fact) {
        into.extend(other.iter().copied());
    }
    fn transfer(&self, cfg: &Cfg, node: NodeId, fact: &Self::Fact) -> Self::Fact {
        let mut out = fact.clone();
        match cfg.node(node).kind {
            NodeKind::Exit => {
                out.insert("exit");
            }
            NodeKind::Revert => {
                out.insert("revert");
            }
            _ => {}
        }
        out
    }
}

#[test]
fn worklist_solver_forward_and_backward() {
    let fx = Fixture::one(SRC);
    let m = fx.model();
    let cfg = m.cfg(fx.function(&m, "C", "f")).expect("cfg");
    let before = solve(&cfg, &MayRunBefore);
    let b2 = node(&fx, &cfg, "b = 2;");
    let a1 = node(&fx, &cfg, "a = 1;");
    let b3 = node(&fx, &cfg, "b = 3;");
    let ret = node(&fx, &cfg, "return;");
    assert!(before[b2.index()].contains(&a1));
    assert!(before[b2.index()].contains(&b3));
    assert!(!before[b2.index()].contains(&ret));
    // Facts flowing backward: from the entry both ends are reachable; from `b = 2`
    // only the revert (the analysis fact is "after" the node in backward direction,
    // i.e. the ends reachable from its successors).
    let ends = solve(&cfg, &Ends);
    let entry = &ends[Cfg::ENTRY.index()];
    assert_eq!(
        entry.iter().copied().collect::<Vec<_>>(),
        ["exit", "revert"]
    );
    assert_eq!(
        ends[b2.index()].iter().copied().collect::<Vec<_>>(),
        ["revert"]
    );
}

#[test]
fn def_use_chains_from_reaching_definitions() {
    let fx = Fixture::one(
        r#"
pragma solidity ^0.8.0;
contract C {
    function f(uint p, bool c) external pure returns (uint) {
        uint a = 1;
        if (c) { a = p; }
        uint b = a + 1;
        a = 5;
        return a + b;
    }
}
"#,
    );
    let m = fx.model();
    let du = m.def_use(fx.function(&m, "C", "f")).expect("def-use");
    let cfg = &du.cfg;
    let at = |text: &str| node(&fx, cfg, text);
    let defs_of_use = |expr_text: &str, nth: usize| {
        let e = fx.expr(0, expr_text, nth);
        let mut d: Vec<NodeId> = du
            .uses
            .iter()
            .find(|u| u.expr == e)
            .expect("use")
            .defs
            .clone();
        d.sort();
        d
    };
    // `a` in `a + 1` may come from `uint a = 1;` or `a = p;`.
    let mut expect = vec![at("uint a = 1;"), at("a = p;")];
    expect.sort();
    assert_eq!(defs_of_use("a", 1), expect);
    // `p` comes from the entry.
    assert_eq!(defs_of_use("p", 0), [Cfg::ENTRY]);
    // `a` in `return a + b` only from `a = 5;` (the earlier ones are killed).
    assert_eq!(defs_of_use("a", 3), [at("a = 5;")]);
    assert_eq!(defs_of_use("b", 0), [at("uint b = a + 1;")]);
}
