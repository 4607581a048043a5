use semantics::{Builtin, Declaration, Type};
use syntax::ast::{ElementaryType, ExprId, ExprKind};
use syntax::visit::{self, VisitCx, Visitor};

use crate::analysis::access::held_values;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// `abi.encodePacked` with two or more dynamic arguments that are not literals
    /// (`string`, `bytes`, dynamic arrays) whose result is hashed (`keccak256`, `sha256`,
    /// `ripemd160`) or used as a mapping key, directly or through a local holding it
    /// (`bytes memory b = abi.encodePacked(x, y); keccak256(b)`); before 0.5 also `keccak256(a, b)` /
    /// `sha3(a, b)` with several arguments, which packs them the same way. The finding has
    /// high confidence when at least two of those arguments come from the caller.
    ///
    /// ## Why it matters
    /// Packed encoding writes dynamic values without their lengths, so
    /// `("ab", "c")` and `("a", "bc")` encode, and hash, identically. A signature,
    /// commitment or storage key built that way can be reused for different inputs: an
    /// attacker moves bytes from one argument to the other and passes the same check.
    ///
    /// ## Example
    /// ```solidity
    /// function verify(string calldata name, string calldata role, bytes calldata sig) external {
    ///     bytes32 h = keccak256(abi.encodePacked(name, role));   // reported
    ///     require(recover(h, sig) == admin);
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Use `abi.encode`, which includes lengths, or put at most one dynamic value in
    /// `abi.encodePacked`.
    pub(crate) struct EncodePackedCollision;
}

static META: DetectorMeta = DetectorMeta {
    id: "encode-packed-collision",
    title: "Hash of `abi.encodePacked` with several dynamic arguments",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-133"),
    category: "other",
    description: "Packed encoding of several dynamic values is ambiguous, so different inputs \
                  give the same hash or key",
    recommendation: "Use `abi.encode`, or pass at most one dynamic value to `abi.encodePacked`",
    references: &["https://swcregistry.io/docs/SWC-133"],
    doc: EncodePackedCollision::DOC,
};

impl Detector for EncodePackedCollision {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let mut walker = Walker {
            cx,
            out,
            checked: Vec::new(),
        };
        walker.visit_source_unit(cx.ast());
    }
}

struct Walker<'c, 'o> {
    cx: &'c FileContext<'c>,
    out: &'o mut Vec<Finding>,
    /// The packed encodings already reported.
    checked: Vec<ExprId>,
}

impl Walker<'_, '_> {
    fn builtin(&self, callee: ExprId) -> Option<Builtin> {
        let ast = self.cx.ast();
        match self
            .cx
            .model()
            .declaration(self.cx.file, ast.skip_parens(callee))
        {
            Some(Declaration::Builtin(b)) => Some(b),
            _ => None,
        }
    }

    /// The non-literal dynamic arguments of a packed encoding.
    fn dynamic_args(&self, args: &[ExprId]) -> Vec<ExprId> {
        let model = self.cx.model();
        args.iter()
            .copied()
            .filter(|&a| {
                matches!(
                    model.type_of(self.cx.file, a),
                    Type::Elementary(ElementaryType::String | ElementaryType::Bytes)
                        | Type::Array { fixed: false, .. }
                )
            })
            .collect()
    }

    /// Checks `packed`, the arguments packed together and hashed or used as a key.
    fn check(&mut self, cx: VisitCx<'_>, at: ExprId, args: &[ExprId], what: &str, result: &str) {
        let dynamic = self.dynamic_args(args);
        if dynamic.len() < 2 {
            return;
        }
        let ast = self.cx.ast();
        let taint = self.cx.taint();
        let model = self.cx.model();
        let controlled = dynamic
            .iter()
            .filter(|&&a| taint.expr(model, self.cx.file, a).is_caller_controlled())
            .count();
        let names: Vec<String> = dynamic
            .iter()
            .take(3)
            .map(|&a| format!("`{}`", ast.expr(a).span.text(self.cx.text)))
            .collect();
        let function = cx.function.and_then(|item| {
            model.function_of_item(semantics::ItemRef {
                file: self.cx.file,
                item,
            })
        });
        let mut finding = self.cx.finding(
            &META,
            function,
            ast.expr(at).span,
            format!(
                "{what} packs the dynamic values {} without their lengths, so different inputs \
                 give the same {result}",
                names.join(", ")
            ),
        );
        finding.confidence = if controlled >= 2 {
            Confidence::High
        } else {
            Confidence::Low
        };
        self.out.push(finding);
    }

    /// Checks the packed encodings `e` stands for, hashed or used as a key: `e` itself,
    /// or the values of the local holding it (`bytes memory b = abi.encodePacked(..);
    /// keccak256(b)`). An encoding hashed twice is reported once.
    fn check_packed(&mut self, cx: VisitCx<'_>, e: ExprId, result: &str) {
        let (model, ast) = (self.cx.model(), self.cx.ast());
        for value in held_values(model, ast, self.cx.file, e, 3) {
            if self.checked.contains(&value) {
                continue;
            }
            if let Some(packed) = self.packed_args(value) {
                self.checked.push(value);
                self.check(cx, value, &packed, "`abi.encodePacked`", result);
            }
        }
    }

    /// `abi.encodePacked(...)` at `e`, if it is one: its arguments.
    fn packed_args(&self, e: ExprId) -> Option<Vec<ExprId>> {
        let ast = self.cx.ast();
        let (callee, args) = ast.expr(ast.skip_parens(e)).as_call()?;
        (self.builtin(callee) == Some(Builtin::AbiEncodePacked)).then(|| args.exprs())
    }
}

impl<'a> Visitor<'a> for Walker<'_, '_> {
    fn visit_expr(&mut self, cx: VisitCx<'a>, id: ExprId) {
        let ast = self.cx.ast();
        match &ast.expr(id).kind {
            ExprKind::Call { callee, args } => {
                let hash = matches!(
                    self.builtin(*callee),
                    Some(Builtin::Keccak256 | Builtin::Sha3 | Builtin::Sha256 | Builtin::Ripemd160)
                );
                if hash {
                    let list = args.exprs();
                    if list.len() >= 2 {
                        // Before 0.5, `keccak256(a, b)` packs its arguments.
                        let name = ast.callee_name(id).map_or("the hash", |n| n.as_str());
                        self.check(cx, id, &list, &format!("`{name}`"), "hash");
                    } else if let Some(&arg) = list.first() {
                        self.check_packed(cx, arg, "hash");
                    }
                }
            }
            ExprKind::Index {
                index: Some(index), ..
            } => self.check_packed(cx, *index, "key"),
            _ => {}
        }
        visit::walk_expr(self, cx, id);
    }
}
