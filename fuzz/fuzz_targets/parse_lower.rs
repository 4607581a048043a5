//! Parses arbitrary bytes (lossy UTF-8), lowers them and walks the whole AST.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syntax::ast::{ExprId, ItemId, StmtId, TypeId, YulExprId, YulStmtId};
use syntax::visit::{self, VisitCx, Visitor};

#[derive(Default)]
struct CountAll(usize);

impl<'a> Visitor<'a> for CountAll {
    fn visit_item(&mut self, cx: VisitCx<'a>, id: ItemId) {
        self.0 += 1;
        let _ = cx.contract_def();
        visit::walk_item(self, cx, id);
    }
    fn visit_stmt(&mut self, cx: VisitCx<'a>, id: StmtId) {
        self.0 += 1;
        let _ = cx.function_def();
        visit::walk_stmt(self, cx, id);
    }
    fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
        self.0 += 1;
        let _ = cx.ast.callee_name(id);
        visit::walk_expr(self, cx, id);
    }
    fn visit_type(&mut self, cx: VisitCx<'a>, id: TypeId) {
        self.0 += 1;
        visit::walk_type(self, cx, id);
    }
    fn visit_yul_stmt(&mut self, cx: VisitCx<'a>, id: YulStmtId) {
        self.0 += 1;
        visit::walk_yul_stmt(self, cx, id);
    }
    fn visit_yul_expr(&mut self, cx: VisitCx<'a>, id: YulExprId) {
        self.0 += 1;
        visit::walk_yul_expr(self, cx, id);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parse = syntax::parse(&text);
    let mut v = CountAll::default();
    v.visit_source_unit(parse.ast());
    for d in parse.diagnostics() {
        assert!(d.span.lo <= d.span.hi && d.span.hi as usize <= text.len());
    }
    for c in parse.comments() {
        let _ = c.body(&text);
    }
    let _ = parse.lowest_solidity_version();
    let _ = parse.has_floating_pragma();
    let _ = syntax::dump::dump(parse.ast());
});
