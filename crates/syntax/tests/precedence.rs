//! Precedence and associativity of expressions, checked through a compact
//! fully parenthesized rendering.

use syntax::ast::{Ast, CallArgs, ExprId, ExprKind, StmtKind};

fn render(ast: &Ast, id: ExprId) -> String {
    match &ast.expr(id).kind {
        ExprKind::Ident(i) => i.name.to_string(),
        ExprKind::Literal(_) => "lit".into(),
        ExprKind::Binary { op, lhs, rhs } => format!(
            "({} {} {})",
            render(ast, *lhs),
            op.as_str(),
            render(ast, *rhs)
        ),
        ExprKind::Unary { op, operand }
            if op.is_update()
                && matches!(
                    op,
                    syntax::ast::UnaryOp::PostInc | syntax::ast::UnaryOp::PostDec
                ) =>
        {
            format!("({}{})", render(ast, *operand), op.as_str())
        }
        ExprKind::Unary { op, operand } => format!("({}{})", op.as_str(), render(ast, *operand)),
        ExprKind::Ternary {
            cond,
            then_expr,
            else_expr,
        } => {
            format!(
                "({} ? {} : {})",
                render(ast, *cond),
                render(ast, *then_expr),
                render(ast, *else_expr)
            )
        }
        ExprKind::Assign { op, lhs, rhs } => {
            let op = op.map_or("=".to_string(), |o| format!("{}=", o.as_str()));
            format!("({} {op} {})", render(ast, *lhs), render(ast, *rhs))
        }
        ExprKind::Member { base, member } => format!("{}.{}", render(ast, *base), member.name),
        ExprKind::Index { base, index } => {
            format!(
                "{}[{}]",
                render(ast, *base),
                index.map(|i| render(ast, i)).unwrap_or_default()
            )
        }
        ExprKind::Call { callee, args } => {
            let args = match args {
                CallArgs::Positional(a) => a
                    .iter()
                    .map(|&x| render(ast, x))
                    .collect::<Vec<_>>()
                    .join(", "),
                CallArgs::Named(a) => a
                    .iter()
                    .map(|n| format!("{}: {}", n.name.name, render(ast, n.value)))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            format!("{}({args})", render(ast, *callee))
        }
        ExprKind::CallOptions { callee, options } => {
            let o = options
                .iter()
                .map(|n| format!("{}: {}", n.name.name, render(ast, n.value)))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{}{{{o}}}", render(ast, *callee))
        }
        ExprKind::Paren(e) => format!("[{}]", render(ast, *e)),
        other => format!("{other:?}"),
    }
}

/// Parses `expr` as the only statement of a function and renders it.
fn p(expr: &str) -> String {
    let source = format!("contract C {{ function f() public {{ {expr}; }} }}");
    let parse = syntax::parse(&source);
    assert!(
        parse.diagnostics().is_empty(),
        "{expr}: {:?}",
        parse.diagnostics()
    );
    let ast = parse.ast();
    let (_, stmt) = ast
        .stmts()
        .find(|(_, s)| matches!(s.kind, StmtKind::Expr(_)))
        .expect("an expression statement");
    let StmtKind::Expr(e) = stmt.kind else {
        unreachable!()
    };
    let rendered = render(ast, e);
    // Spans of every node must cover their children.
    check_spans(ast, e);
    rendered
}

fn check_spans(ast: &Ast, id: ExprId) {
    let span = ast.expr(id).span;
    let kids: Vec<ExprId> = match &ast.expr(id).kind {
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Assign { lhs, rhs, .. } => vec![*lhs, *rhs],
        ExprKind::Unary { operand, .. } => vec![*operand],
        ExprKind::Member { base, .. } => vec![*base],
        ExprKind::Call { callee, args } => {
            let mut v = vec![*callee];
            v.extend(args.exprs());
            v
        }
        ExprKind::Ternary {
            cond,
            then_expr,
            else_expr,
        } => vec![*cond, *then_expr, *else_expr],
        _ => vec![],
    };
    for k in kids {
        let ks = ast.expr(k).span;
        assert!(
            span.lo <= ks.lo && ks.hi <= span.hi,
            "span {span:?} does not cover child {ks:?}"
        );
        check_spans(ast, k);
    }
}

#[test]
fn exponentiation_is_right_associative() {
    assert_eq!(p("a ** b ** c"), "(a ** (b ** c))");
    assert_eq!(p("a ** b ** c ** d"), "(a ** (b ** (c ** d)))");
    assert_eq!(p("(a ** b) ** c"), "([(a ** b)] ** c)");
    assert_eq!(p("a ** b.c ** d"), "(a ** (b.c ** d))");
    assert_eq!(p("a * b ** c"), "(a * (b ** c))");
}

#[test]
fn unary_binds_tighter_than_binary() {
    assert_eq!(p("-a - -b"), "((-a) - (-b))");
    assert_eq!(p("-a ** 2"), "((-a) ** lit)");
    assert_eq!(p("!a && b"), "((!a) && b)");
    assert_eq!(p("~a & b"), "((~a) & b)");
    assert_eq!(p("-a.b()"), "(-a.b())");
    assert_eq!(p("!a.b"), "(!a.b)");
    assert_eq!(p("delete a[i]"), "(deletea[i])");
    assert_eq!(p("++a.b"), "(++a.b)");
    assert_eq!(p("a + b++"), "(a + (b++))");
    assert_eq!(p("a++ + b"), "((a++) + b)");
}

#[test]
fn binary_levels_and_left_associativity() {
    assert_eq!(p("a - b - c"), "((a - b) - c)");
    assert_eq!(p("a / b * c"), "((a / b) * c)");
    assert_eq!(p("a + b * c"), "(a + (b * c))");
    assert_eq!(p("a * b + c * d"), "((a * b) + (c * d))");
    assert_eq!(p("a << 1 + b"), "(a << (lit + b))");
    assert_eq!(p("a & b | c ^ d"), "((a & b) | (c ^ d))");
    assert_eq!(p("a < b == c > d"), "((a < b) == (c > d))");
    assert_eq!(p("a || b && c"), "(a || (b && c))");
    assert_eq!(p("a == b && c != d || e"), "(((a == b) && (c != d)) || e)");
}

#[test]
fn postfix_chains_bind_tightest() {
    assert_eq!(p("a.b[c](d)"), "a.b[c](d)");
    assert_eq!(p("a.b[c](d).e"), "a.b[c](d).e");
    assert_eq!(p("a + b.c"), "(a + b.c)");
    assert_eq!(p("a + b.c()"), "(a + b.c())");
    assert_eq!(p("a + b[1]"), "(a + b[lit])");
    assert_eq!(p("a + b.c * d"), "(a + (b.c * d))");
    assert_eq!(
        p("a && block.blockhash(1) != 0"),
        "(a && (block.blockhash(lit) != lit))"
    );
    assert_eq!(
        p("now > 1 days && block.blockhash(block.number - 1) != 0"),
        "((now > lit) && (block.blockhash((block.number - lit)) != lit))"
    );
    assert_eq!(
        p("x.call{value: v, gas: g}(d)"),
        "x.call{value: v, gas: g}(d)"
    );
    assert_eq!(p("a + x.call{value: v}(d)"), "(a + x.call{value: v}(d))");
    assert_eq!(
        p("msg.sender.call.value(1).gas(2)()"),
        "msg.sender.call.value(lit).gas(lit)()"
    );
    assert_eq!(p("f({a: 1, b: c})"), "f(a: lit, b: c)");
}

#[test]
fn ternary_and_assignment() {
    assert_eq!(p("x = a ? b : c"), "(x = (a ? b : c))");
    assert_eq!(p("y = c ? d : e ? f : g"), "(y = (c ? d : (e ? f : g)))");
    assert_eq!(p("t = c ? d : e.f(g)"), "(t = (c ? d : e.f(g)))");
    assert_eq!(p("x = y = z"), "(x = (y = z))");
    assert_eq!(p("x += y -= 1"), "(x += (y -= lit))");
    assert_eq!(p("x <<= 1"), "(x <<= lit)");
    assert_eq!(
        p("x = a || b ? c + d : e"),
        "(x = ((a || b) ? (c + d) : e))"
    );
    assert_eq!(p("p = x = y.z"), "(p = (x = y.z))");
}
