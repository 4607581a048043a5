use semantics::{ItemRef, Model, Type};
use syntax::ast::{ExprKind, ItemKind, UnaryOp};

use crate::analysis::access::root_state_var;
use crate::analysis::value_flow::bodies;
use crate::declare::declare_detector;
use crate::detector::{Detector, FileContext};
use crate::finding::Finding;
use crate::meta::{Confidence, DetectorMeta, Severity};

declare_detector! {
    /// ## What it detects
    /// `delete x` where `x` is in storage (a state variable, an element of one, or a
    /// local `storage` pointer) and its type is a struct that holds a mapping, directly
    /// or in a nested struct or array, or an array of such structs. The mapping field
    /// is named in the finding.
    ///
    /// Not reported: structs without mappings, and a function that clears the
    /// mapping's entries itself before the `delete` (`delete s.flags[k]` in a loop).
    ///
    /// ## Why it matters
    /// `delete` cannot enumerate a mapping, so it skips it: every other field is reset
    /// but the mapping's entries stay in storage. When the record is recreated (the
    /// same id, the same array position), the stale entries reappear: old approvals,
    /// votes or balances count again.
    ///
    /// ## Example
    /// ```solidity
    /// struct Group { uint256 size; mapping(address => bool) member; }
    /// mapping(uint256 => Group) groups;
    /// function close(uint256 id) external onlyOwner {
    ///     delete groups[id];      // reported: `member` entries survive
    /// }
    /// ```
    ///
    /// ## Recommendation
    /// Clear the mapping's entries explicitly (keeping their keys in an array), or
    /// never reuse the record: give recreated records a fresh id, or add a version
    /// number to the mapping's key.
    pub(crate) struct StructDeleteMapping;
}

static META: DetectorMeta = DetectorMeta {
    id: "struct-delete-mapping",
    title: "Deleted struct keeps its mapping entries",
    severity: Severity::Low,
    confidence: Confidence::Medium,
    swc: None,
    category: "other",
    description: "`delete` on a storage struct that contains a mapping resets the other fields but leaves \
                  every mapping entry in storage",
    recommendation: "Clear the mapping entries explicitly, or never reuse the deleted record",
    references: &["https://docs.soliditylang.org/en/latest/types.html#delete"],
    doc: StructDeleteMapping::DOC,
};

impl Detector for StructDeleteMapping {
    fn meta(&self) -> &'static DetectorMeta {
        &META
    }

    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        let model = cx.model();
        for body in bodies(cx) {
            let ast = body.ast;
            for &e in &body.exprs {
                let ExprKind::Unary {
                    op: UnaryOp::Delete,
                    operand,
                } = &ast.expr(e).kind
                else {
                    continue;
                };
                let operand = ast.skip_parens(*operand);
                let ty = model.type_of(cx.file, operand);
                let Some((strukt, field)) = mapping_field(model, ty, 0) else {
                    continue;
                };
                let Some(var) = root_state_var(model, ast, cx.file, operand) else {
                    continue;
                };
                // Entries cleared by the function itself: a mapping inside the same
                // state variable written (deleted or assigned) before the `delete`.
                let cleared = body.exprs.iter().any(|&x| {
                    let target = match &ast.expr(x).kind {
                        ExprKind::Unary {
                            op: UnaryOp::Delete,
                            operand,
                        } => *operand,
                        ExprKind::Assign { lhs, .. } => *lhs,
                        _ => return false,
                    };
                    ast.expr(x).span.hi <= ast.expr(e).span.lo
                        && matches!(&ast.expr(ast.skip_parens(target)).kind,
                            ExprKind::Index { base, .. }
                                if matches!(model.type_of(cx.file, *base), Type::Mapping(..))
                                    && matches!(ast.expr(ast.skip_parens(*base)).kind, ExprKind::Member { .. })
                                    && root_state_var(model, ast, cx.file, *base) == Some(var))
                });
                if cleared {
                    continue;
                }
                let (sname, fname) = names(model, strukt, field);
                out.push(cx.finding(
                    &META,
                    Some(body.function),
                    body.report_span(cx.text, e),
                    format!(
                        "`{}` resets the `{sname}` record but not its mapping `{fname}`: the \
                         entries stay in storage",
                        cx.snippet(ast.expr(e).span)
                    ),
                ));
            }
        }
    }
}

/// Nesting of structs and arrays followed when looking for a mapping.
const DEPTH: u32 = 6;

/// The struct (and field index) holding a mapping inside a value of type `ty`: a
/// struct with a mapping field, directly or in a nested struct or array, or an array
/// of such.
fn mapping_field(model: &Model<'_>, ty: &Type, depth: u32) -> Option<(ItemRef, usize)> {
    if depth > DEPTH {
        return None;
    }
    match ty {
        Type::Struct(s) => {
            let fields = model.struct_field_types(*s);
            fields.iter().enumerate().find_map(|(i, f)| match f {
                Type::Mapping(..) => Some((*s, i)),
                other => mapping_field(model, other, depth + 1),
            })
        }
        Type::Array { element, .. } => mapping_field(model, element, depth + 1),
        _ => None,
    }
}

/// The struct's name and the name of its field `i`.
fn names(model: &Model<'_>, s: ItemRef, i: usize) -> (String, String) {
    let def = model
        .file_ast(s.file)
        .map(|ast| &ast.item(s.item).kind)
        .and_then(|k| match k {
            ItemKind::Struct(def) => Some(def),
            _ => None,
        });
    let sname = def.map_or_else(String::new, |d| d.name.as_str().to_owned());
    let fname = def
        .and_then(|d| d.fields.get(i))
        .and_then(|f| f.name.as_ref())
        .map_or_else(String::new, |n| n.as_str().to_owned());
    (sname, fname)
}
