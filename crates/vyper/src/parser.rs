//! Recursive-descent parser over the lexer's tokens, with a Pratt loop for
//! expressions (Python precedence).
//!
//! Recovery: a declaration or statement that cannot be parsed is reported and
//! skipped to the end of its logical line (and its indented block, if it
//! opened one), so one bad line never loses the rest of the file. Every loop
//! consumes at least one token per iteration or stops, and recursion is
//! bounded by [`crate::MAX_NESTING`].

use crate::Span;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Op, Token, TokenKind};

/// Words that cannot start an expression.
const RESERVED: &[&str] = &[
    "and", "or", "in", "is", "if", "else", "elif", "for", "def", "return", "pass", "break",
    "continue", "assert", "raise", "import", "from", "as", "while", "lambda", "class", "with",
    "try", "except", "finally", "yield", "del", "global", "nonlocal",
];

// Binding powers (higher binds tighter).
const BP_WALRUS: u8 = 1;
const BP_IFEXP: u8 = 2;
const BP_OR: u8 = 3;
const BP_AND: u8 = 4;
const BP_NOT: u8 = 5;
const BP_CMP: u8 = 6;
const BP_UNARY: u8 = 13;
const BP_POW: u8 = 14;
const BP_POSTFIX: u8 = 15;

pub(crate) struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// End of the last consumed token that is not a layout token.
    prev_hi: u32,
    pub(crate) ast: Ast,
    diagnostics: &'a mut Vec<Diagnostic>,
    depth: u32,
    /// Set when the nesting limit was hit: the rest of the logical line is
    /// being abandoned, so follow-up errors are not reported.
    bailing: bool,
}

enum Infix {
    Binary(BinOp),
    Bool(BoolOp),
    Cmp(CmpOp),
    IfExp,
    Walrus,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(
        src: &'a str,
        tokens: Vec<Token>,
        diagnostics: &'a mut Vec<Diagnostic>,
    ) -> Self {
        Self {
            src,
            tokens,
            pos: 0,
            prev_hi: 0,
            ast: Ast::default(),
            diagnostics,
            depth: 0,
            bailing: false,
        }
    }

    // ----- token access -------------------------------------------------

    fn nth(&self, n: usize) -> Token {
        let i = (self.pos + n).min(self.tokens.len().saturating_sub(1));
        self.tokens.get(i).copied().unwrap_or(Token {
            kind: TokenKind::Eof,
            span: Span::new(self.src.len() as u32, self.src.len() as u32),
        })
    }

    fn tok(&self) -> Token {
        self.nth(0)
    }

    fn kind(&self) -> TokenKind {
        self.tok().kind
    }

    fn text(&self, t: Token) -> &'a str {
        t.span.text(self.src)
    }

    fn bump(&mut self) -> Token {
        let t = self.tok();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        if !matches!(
            t.kind,
            TokenKind::Newline | TokenKind::Indent | TokenKind::Dedent | TokenKind::Eof
        ) {
            self.prev_hi = t.span.hi;
        }
        t
    }

    fn at_op(&self, op: Op) -> bool {
        self.kind() == TokenKind::Op(op)
    }

    fn nth_is_op(&self, n: usize, op: Op) -> bool {
        self.nth(n).kind == TokenKind::Op(op)
    }

    fn eat_op(&mut self, op: Op) -> bool {
        if self.at_op(op) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn nth_is_kw(&self, n: usize, kw: &str) -> bool {
        let t = self.nth(n);
        t.kind == TokenKind::Name && self.text(t) == kw
    }

    fn at_kw(&self, kw: &str) -> bool {
        self.nth_is_kw(0, kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn at_line_end(&self) -> bool {
        matches!(
            self.kind(),
            TokenKind::Newline | TokenKind::Eof | TokenKind::Dedent
        ) || self.at_op(Op::Semi)
    }

    fn describe(&self, t: Token) -> String {
        match t.kind {
            TokenKind::Newline => "end of line".into(),
            TokenKind::Indent => "an indented block".into(),
            TokenKind::Dedent => "end of block".into(),
            TokenKind::Eof => "end of file".into(),
            TokenKind::Str { .. } => "a string".into(),
            TokenKind::Number(_) => format!("number `{}`", self.text(t)),
            _ => {
                let text = self.text(t);
                let short: String = text.chars().take(24).collect();
                format!("`{short}`")
            }
        }
    }

    // ----- diagnostics and recovery -------------------------------------

    fn error(&mut self, span: Span, message: impl Into<String>) {
        if !self.bailing {
            self.diagnostics.push(Diagnostic::error(span, message));
        }
    }

    /// "expected X, found Y" at the current token.
    fn expected(&mut self, what: &str) {
        let t = self.tok();
        if t.kind == TokenKind::Unknown {
            // The lexer has reported this character.
            return;
        }
        let span = if matches!(
            t.kind,
            TokenKind::Newline | TokenKind::Dedent | TokenKind::Eof
        ) {
            Span::new(self.prev_hi, self.prev_hi)
        } else {
            t.span
        };
        let found = self.describe(t);
        self.error(span, format!("expected {what}, found {found}"));
    }

    fn expect_op(&mut self, op: Op, context: &str) -> bool {
        if self.eat_op(op) {
            return true;
        }
        // A logical line never ends inside brackets unless the lexer closed
        // them and reported "unclosed `(`" already.
        let closer = matches!(op, Op::RParen | Op::RBracket | Op::RBrace);
        if !(closer
            && matches!(
                self.kind(),
                TokenKind::Newline | TokenKind::Dedent | TokenKind::Eof
            ))
        {
            self.expected(&format!("`{}` {context}", op.text()));
        }
        false
    }

    fn expect_name(&mut self, what: &str) -> Option<Ident> {
        let t = self.tok();
        if t.kind == TokenKind::Name && !RESERVED.contains(&self.text(t)) {
            self.bump();
            return Some(self.ident(t));
        }
        self.expected(what);
        None
    }

    fn ident(&self, t: Token) -> Ident {
        Ident {
            name: self.text(t).to_string(),
            span: t.span,
        }
    }

    /// Skips to the end of the logical line and consumes its `Newline`.
    fn skip_line(&mut self) {
        while !matches!(
            self.kind(),
            TokenKind::Newline | TokenKind::Eof | TokenKind::Dedent
        ) {
            self.bump();
        }
        if self.kind() == TokenKind::Newline {
            self.bump();
        }
        self.bailing = false;
    }

    /// If an indented block follows, skips it whole.
    fn skip_indented_block(&mut self) {
        if self.kind() != TokenKind::Indent {
            return;
        }
        let mut level = 0usize;
        loop {
            match self.kind() {
                TokenKind::Indent => level += 1,
                TokenKind::Dedent => {
                    level = level.saturating_sub(1);
                    if level == 0 {
                        self.bump();
                        return;
                    }
                }
                TokenKind::Eof => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Ends a simple statement or a one-line declaration. Reports trailing
    /// tokens unless an error was already reported since `errors_before`.
    fn expect_line_end(&mut self, errors_before: usize) {
        if self.prev_was_line_end() {
            // Recovery already consumed the line.
            self.bailing = false;
            return;
        }
        if self.eat_op(Op::Semi) && !self.at_line_end() {
            // `a; b` on one line: the caller parses the next statement.
            return;
        }
        match self.kind() {
            TokenKind::Newline => {
                self.bump();
            }
            TokenKind::Eof | TokenKind::Dedent => {}
            _ => {
                if self.diagnostics.len() == errors_before {
                    self.expected("end of line");
                }
                self.skip_line();
                self.skip_indented_block();
            }
        }
        self.bailing = false;
    }

    /// Enters one level of nesting; false (with a diagnostic, once) when too deep.
    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > crate::MAX_NESTING {
            if !self.bailing {
                let span = self.tok().span;
                self.error(
                    span,
                    format!("nesting too deep (more than {} levels)", crate::MAX_NESTING),
                );
                self.bailing = true;
            }
            return false;
        }
        true
    }

    /// Keeps a left-nested chain (`a + b + ...`, `a.b.c...`, `f()()...`)
    /// within the nesting limit: past it, the chain so far becomes an `Error`
    /// leaf (with one diagnostic) and parsing goes on.
    fn bound_chain(&mut self, expr: ExprId, chain: &mut u32) -> ExprId {
        if self.depth + *chain <= crate::MAX_NESTING {
            return expr;
        }
        let span = self.expr_span(expr);
        if !self.bailing {
            self.error(
                span,
                format!("nesting too deep (more than {} levels)", crate::MAX_NESTING),
            );
            self.bailing = true;
        }
        *chain = 0;
        self.alloc_expr(ExprKind::Error, span)
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn alloc_expr(&mut self, kind: ExprKind, span: Span) -> ExprId {
        let id = ExprId(self.ast.exprs.len() as u32);
        self.ast.exprs.push(Expr { kind, span });
        id
    }

    fn alloc_stmt(&mut self, kind: StmtKind, span: Span) -> StmtId {
        let id = StmtId(self.ast.stmts.len() as u32);
        self.ast.stmts.push(Stmt { kind, span });
        id
    }

    fn span_from(&self, lo: u32) -> Span {
        Span::new(lo, self.prev_hi.max(lo))
    }

    fn expr_span(&self, id: ExprId) -> Span {
        self.ast.expr(id).span
    }

    // ----- module and declarations -------------------------------------

    pub(crate) fn parse_module(&mut self) {
        if matches!(self.kind(), TokenKind::Str { .. })
            && matches!(self.nth(1).kind, TokenKind::Newline | TokenKind::Eof)
        {
            self.ast.docstring = Some(self.bump().span);
        }
        loop {
            match self.kind() {
                TokenKind::Eof => break,
                TokenKind::Newline | TokenKind::Dedent => {
                    self.bump();
                }
                TokenKind::Indent => {
                    let span = self.tok().span;
                    self.error(span, "unexpected indentation");
                    self.skip_indented_block();
                }
                _ => {
                    let before = self.pos;
                    if let Some(item) = self.parse_item() {
                        self.ast.items.push(item);
                    }
                    if self.pos == before {
                        self.bump();
                    }
                }
            }
        }
    }

    fn parse_item(&mut self) -> Option<Item> {
        let t = self.tok();
        let errors_before = self.diagnostics.len();
        let lo = t.span.lo;
        if self.at_op(Op::At) || self.at_kw("def") {
            let f = self.parse_function()?;
            let span = f.span;
            return Some(Item {
                kind: ItemKind::Function(f),
                span,
            });
        }
        if matches!(t.kind, TokenKind::Str { .. }) {
            // A string on its own line between declarations: a comment in disguise.
            self.bump();
            self.expect_line_end(errors_before);
            return None;
        }
        if t.kind != TokenKind::Name {
            self.expected("a declaration");
            self.skip_line();
            self.skip_indented_block();
            return None;
        }
        let word = self.text(t);
        let next_is_name = self.nth(1).kind == TokenKind::Name;
        let next_is_colon = self.nth_is_op(1, Op::Colon);
        let kind = match word {
            "import" => self.parse_import(),
            "from" => self.parse_from_import(),
            "event" if !next_is_colon => self.parse_event(),
            "struct" if !next_is_colon => self.parse_struct(),
            "enum" | "flag" if !next_is_colon => self.parse_flag(word == "enum"),
            "interface" if !next_is_colon => self.parse_interface(false),
            "contract" if next_is_name && self.nth_is_op(2, Op::Colon) => {
                self.parse_interface(true)
            }
            _ if self.nth_is_op(1, Op::Colon) => self.parse_colon_declaration(),
            _ => {
                self.expected("a declaration");
                None
            }
        };
        let Some(kind) = kind else {
            // Recover: drop the rest of the line and any block it opened.
            self.skip_line();
            self.skip_indented_block();
            return None;
        };
        let span = self.span_from(lo);
        Some(Item { kind, span })
    }

    /// `name: ...` at top level: `implements:`, `uses:`, `initializes:`,
    /// `exports:` or a variable declaration.
    fn parse_colon_declaration(&mut self) -> Option<ItemKind> {
        let errors_before = self.diagnostics.len();
        let name_tok = self.bump();
        let lo = name_tok.span.lo;
        self.bump(); // `:`
        let word = self.text(name_tok);
        let list_kind: Option<fn(Vec<ExprId>) -> ItemKind> = match word {
            "implements" => Some(ItemKind::Implements),
            "uses" => Some(ItemKind::Uses),
            "initializes" => Some(ItemKind::Initializes),
            "exports" => Some(ItemKind::Exports),
            _ => None,
        };
        if let Some(make) = list_kind {
            let list = self.parse_expr_list();
            let items = match &self.ast.expr(list).kind {
                ExprKind::Tuple(items) => items.clone(),
                _ => vec![list],
            };
            self.expect_line_end(errors_before);
            return Some(make(items));
        }
        let name = self.ident(name_tok);
        let mut ty = self.parse_expr();
        let mut location = VarLocation::Storage;
        let mut public = false;
        let mut reentrant = false;
        // Take the wrappers off: `public(constant(uint256))`, `immutable(address)`,
        // `public(reentrant(uint256))`, ...
        for _ in 0..5 {
            let ExprKind::Call {
                func,
                args,
                keywords,
            } = &self.ast.expr(ty).kind
            else {
                break;
            };
            let ExprKind::Name(wrapper) = &self.ast.expr(*func).kind else {
                break;
            };
            if args.len() != 1 || !keywords.is_empty() {
                break;
            }
            match wrapper.as_str() {
                "public" => public = true,
                "reentrant" => reentrant = true,
                "immutable" => location = VarLocation::Immutable,
                "constant" => location = VarLocation::Constant,
                "transient" => location = VarLocation::Transient,
                _ => break,
            }
            ty = args[0];
        }
        let value = if self.eat_op(Op::Assign) {
            Some(self.parse_expr())
        } else {
            None
        };
        if location == VarLocation::Constant && value.is_none() {
            let span = self.span_from(lo);
            self.error(span, format!("constant `{}` needs a value", name.as_str()));
        }
        let span = self.span_from(lo);
        self.expect_line_end(errors_before);
        if let Some(fields) = self.legacy_event_fields(ty, value) {
            return Some(ItemKind::Event(EventDef { name, fields }));
        }
        Some(ItemKind::Variable(VarDecl {
            name,
            ty,
            location,
            public,
            reentrant,
            value,
            span,
        }))
    }

    /// The fields of a 0.1 event, `Transfer: event({_from: indexed(address), ...})`.
    fn legacy_event_fields(&self, ty: ExprId, value: Option<ExprId>) -> Option<Vec<Field>> {
        let ExprKind::Call {
            func,
            args,
            keywords,
        } = &self.ast.expr(ty).kind
        else {
            return None;
        };
        if value.is_some()
            || !keywords.is_empty()
            || !matches!(&self.ast.expr(*func).kind, ExprKind::Name(n) if n.as_str() == "event")
        {
            return None;
        }
        let pairs = match args.as_slice() {
            [] => &[][..],
            [arg] => match &self.ast.expr(*arg).kind {
                ExprKind::Dict(pairs) => pairs.as_slice(),
                _ => return None,
            },
            _ => return None,
        };
        let mut fields = Vec::with_capacity(pairs.len());
        for &(key, value) in pairs {
            let ExprKind::Name(name) = &self.ast.expr(key).kind else {
                return None;
            };
            let (ty, indexed) = match &self.ast.expr(value).kind {
                ExprKind::Call { func, args, .. }
                    if args.len() == 1
                        && matches!(&self.ast.expr(*func).kind, ExprKind::Name(n) if n.as_str() == "indexed") =>
                {
                    (args[0], true)
                }
                _ => (value, false),
            };
            fields.push(Field {
                name: name.clone(),
                ty,
                indexed,
                span: self.expr_span(key).cover(self.expr_span(value)),
            });
        }
        Some(fields)
    }

    /// A dotted module path after `import`/`from`: `a.b.c`, `.`, `..lib.x`.
    fn parse_module_path(&mut self) -> Option<(String, Span)> {
        let lo = self.tok().span.lo;
        let mut path = String::new();
        while self.at_op(Op::Dot) || self.at_op(Op::Ellipsis) {
            path.push_str(self.text(self.tok()));
            self.bump();
        }
        if self.kind() == TokenKind::Name && !self.at_kw("import") {
            let t = self.bump();
            path.push_str(self.text(t));
            while self.at_op(Op::Dot) && self.nth(1).kind == TokenKind::Name {
                self.bump();
                let t = self.bump();
                path.push('.');
                path.push_str(self.text(t));
            }
        }
        if path.is_empty() {
            self.expected("a module name");
            return None;
        }
        Some((path, self.span_from(lo)))
    }

    fn parse_import(&mut self) -> Option<ItemKind> {
        let errors_before = self.diagnostics.len();
        self.bump(); // `import`
        let (module, module_span) = self.parse_module_path()?;
        let alias = if self.eat_kw("as") {
            Some(self.expect_name("an alias after `as`")?)
        } else {
            None
        };
        self.expect_line_end(errors_before);
        Some(ItemKind::Import(Import {
            module,
            module_span,
            names: Vec::new(),
            alias,
        }))
    }

    fn parse_from_import(&mut self) -> Option<ItemKind> {
        let errors_before = self.diagnostics.len();
        self.bump(); // `from`
        let (module, module_span) = self.parse_module_path()?;
        if !self.eat_kw("import") {
            self.expected("`import`");
            return None;
        }
        let parenthesized = self.eat_op(Op::LParen);
        let mut names = Vec::new();
        loop {
            let name = self.expect_name("a name to import")?;
            let alias = if self.eat_kw("as") {
                Some(self.expect_name("an alias after `as`")?)
            } else {
                None
            };
            names.push(ImportName { name, alias });
            if !self.eat_op(Op::Comma) || (parenthesized && self.at_op(Op::RParen)) {
                break;
            }
        }
        if parenthesized && !self.expect_op(Op::RParen, "to close the import list") {
            return None;
        }
        self.expect_line_end(errors_before);
        Some(ItemKind::Import(Import {
            module,
            module_span,
            names,
            alias: None,
        }))
    }

    /// After a header's `:`: true when an indented block follows (its
    /// `Indent` consumed), false when the body is on the same line.
    fn open_block(&mut self) -> Option<bool> {
        if self.kind() != TokenKind::Newline {
            return Some(false);
        }
        self.bump();
        if self.kind() == TokenKind::Indent {
            self.bump();
            return Some(true);
        }
        self.expected("an indented block");
        None
    }

    /// Parses the member lines of an `event`/`struct`/`flag`/`interface` body
    /// with `line`, which handles one line (and returns false on an error, for
    /// recovery). `pass` and docstrings are accepted anywhere.
    fn parse_member_lines(&mut self, mut line: impl FnMut(&mut Self) -> bool) {
        let Some(indented) = self.open_block() else {
            return;
        };
        loop {
            if indented && matches!(self.kind(), TokenKind::Dedent | TokenKind::Eof) {
                self.eat_dedent();
                return;
            }
            let errors_before = self.diagnostics.len();
            let before = self.pos;
            if self.kind() == TokenKind::Indent {
                let span = self.tok().span;
                self.error(span, "unexpected indentation");
                self.skip_indented_block();
                continue;
            }
            let ok = if self.at_kw("pass") || matches!(self.kind(), TokenKind::Str { .. }) {
                self.bump();
                true
            } else {
                line(self)
            };
            if ok {
                self.expect_line_end(errors_before);
            } else {
                self.skip_line();
                self.skip_indented_block();
            }
            if self.pos == before {
                self.bump();
            }
            if !indented {
                return;
            }
        }
    }

    fn eat_dedent(&mut self) {
        if self.kind() == TokenKind::Dedent {
            self.bump();
        }
    }

    fn parse_fields(&mut self, allow_indexed: bool) -> Vec<Field> {
        let mut fields = Vec::new();
        self.parse_member_lines(|p| {
            let lo = p.tok().span.lo;
            let Some(name) = p.expect_name("a field name") else {
                return false;
            };
            if !p.expect_op(Op::Colon, "after the field name") {
                return false;
            }
            let mut ty = p.parse_expr();
            let mut indexed = false;
            if allow_indexed
                && let ExprKind::Call { func, args, .. } = &p.ast.expr(ty).kind
                && matches!(&p.ast.expr(*func).kind, ExprKind::Name(n) if n.as_str() == "indexed")
                && args.len() == 1
            {
                indexed = true;
                ty = args[0];
            }
            let span = p.span_from(lo);
            fields.push(Field {
                name,
                ty,
                indexed,
                span,
            });
            true
        });
        fields
    }

    /// `event Name:` (also `struct Name:`, `interface Name:`): the keyword, the
    /// name and the colon.
    fn parse_header(&mut self, what: &str) -> Option<Ident> {
        self.bump(); // keyword
        let name = self.expect_name(&format!("a name for the {what}"))?;
        if !self.expect_op(Op::Colon, &format!("after the {what} name")) {
            return None;
        }
        Some(name)
    }

    fn parse_event(&mut self) -> Option<ItemKind> {
        let name = self.parse_header("event")?;
        let fields = self.parse_fields(true);
        Some(ItemKind::Event(EventDef { name, fields }))
    }

    fn parse_struct(&mut self) -> Option<ItemKind> {
        let name = self.parse_header("struct")?;
        let fields = self.parse_fields(false);
        Some(ItemKind::Struct(StructDef { name, fields }))
    }

    fn parse_flag(&mut self, legacy_enum: bool) -> Option<ItemKind> {
        let name = self.parse_header(if legacy_enum { "enum" } else { "flag" })?;
        let mut members = Vec::new();
        self.parse_member_lines(|p| match p.expect_name("a member name") {
            Some(m) => {
                members.push(m);
                true
            }
            None => false,
        });
        Some(ItemKind::Flag(FlagDef {
            name,
            members,
            legacy_enum,
        }))
    }

    fn parse_interface(&mut self, legacy_contract: bool) -> Option<ItemKind> {
        let name = self.parse_header(if legacy_contract {
            "contract"
        } else {
            "interface"
        })?;
        let mut functions = Vec::new();
        self.parse_member_lines(|p| {
            let lo = p.tok().span.lo;
            if !p.at_kw("def") {
                p.expected("`def` in an interface body");
                return false;
            }
            p.bump();
            let Some((name, params, returns)) = p.parse_signature() else {
                return false;
            };
            let mutability = if p.kind() == TokenKind::Name {
                let t = p.bump();
                Some(p.ident(t))
            } else {
                p.expected("a mutability (`view`, `pure`, `nonpayable` or `payable`)");
                return false;
            };
            let span = p.span_from(lo);
            functions.push(InterfaceFunction {
                name,
                params,
                returns,
                mutability,
                span,
            });
            true
        });
        Some(ItemKind::Interface(InterfaceDef {
            name,
            functions,
            legacy_contract,
        }))
    }

    /// `name(params) [-> type]:` after `def`.
    fn parse_signature(&mut self) -> Option<(Ident, Vec<Param>, Option<ExprId>)> {
        let name = self.expect_name("a function name")?;
        if !self.expect_op(Op::LParen, "after the function name") {
            return None;
        }
        let mut params = Vec::new();
        while !self.at_op(Op::RParen) {
            let lo = self.tok().span.lo;
            let pname = self.expect_name("a parameter name")?;
            if !self.expect_op(Op::Colon, "after the parameter name") {
                return None;
            }
            let ty = self.parse_expr();
            let default = if self.eat_op(Op::Assign) {
                Some(self.parse_expr())
            } else {
                None
            };
            let span = self.span_from(lo);
            params.push(Param {
                name: pname,
                ty,
                default,
                span,
            });
            if !self.eat_op(Op::Comma) {
                break;
            }
        }
        if !self.expect_op(Op::RParen, "to close the parameter list") {
            return None;
        }
        let returns = if self.eat_op(Op::Arrow) {
            Some(self.parse_expr_bp(BP_OR))
        } else {
            None
        };
        if !self.expect_op(Op::Colon, "after the function signature") {
            return None;
        }
        Some((name, params, returns))
    }

    fn parse_function(&mut self) -> Option<FunctionDef> {
        let lo = self.tok().span.lo;
        let mut decorators = Vec::new();
        while self.at_op(Op::At) {
            let errors_before = self.diagnostics.len();
            let dlo = self.bump().span.lo;
            let Some(name) = self.expect_name("a decorator name") else {
                self.skip_line();
                continue;
            };
            let args = if self.at_op(Op::LParen) {
                self.bump();
                let (args, _) = self.parse_call_args();
                Some(args)
            } else {
                None
            };
            let span = self.span_from(dlo);
            decorators.push(Decorator { name, args, span });
            self.expect_line_end(errors_before);
        }
        let sig_lo = self.tok().span.lo;
        if !self.eat_kw("def") {
            self.expected("`def` after the decorators");
            self.skip_line();
            self.skip_indented_block();
            return None;
        }
        let Some((name, params, returns)) = self.parse_signature() else {
            self.skip_line();
            self.skip_indented_block();
            return None;
        };
        let signature_span = self.span_from(sig_lo);
        let mut docstring = None;
        let body = self.parse_block_with(Some(&mut docstring));
        Some(FunctionDef {
            decorators,
            name,
            params,
            returns,
            docstring,
            body,
            signature_span,
            span: self.span_from(lo),
        })
    }

    // ----- statements --------------------------------------------------

    /// The body after a header's `:`: an indented block or simple statements
    /// on the same line.
    fn parse_block(&mut self) -> Vec<StmtId> {
        self.parse_block_with(None)
    }

    /// [`Self::parse_block`]; with `docstring`, a string alone on the first
    /// line of an indented block is taken as the docstring (not a statement).
    fn parse_block_with(&mut self, docstring: Option<&mut Option<Span>>) -> Vec<StmtId> {
        let mut stmts = Vec::new();
        if self.kind() != TokenKind::Newline {
            self.parse_simple_line(&mut stmts);
            return stmts;
        }
        self.bump();
        if self.kind() != TokenKind::Indent {
            self.expected("an indented block");
            return stmts;
        }
        if !self.enter() {
            let lo = self.tok().span.lo;
            self.skip_indented_block();
            self.bailing = false;
            let span = self.span_from(lo);
            stmts.push(self.alloc_stmt(StmtKind::Error, span));
            self.leave();
            return stmts;
        }
        self.bump(); // Indent
        if let Some(doc) = docstring
            && matches!(self.kind(), TokenKind::Str { .. })
            && matches!(self.nth(1).kind, TokenKind::Newline)
        {
            *doc = Some(self.bump().span);
            self.bump();
        }
        loop {
            match self.kind() {
                TokenKind::Dedent => {
                    self.bump();
                    break;
                }
                TokenKind::Eof => break,
                _ => {
                    let before = self.pos;
                    self.parse_stmt(&mut stmts);
                    if self.pos == before {
                        self.bump();
                    }
                }
            }
        }
        self.leave();
        stmts
    }

    fn parse_stmt(&mut self, out: &mut Vec<StmtId>) {
        match self.kind() {
            TokenKind::Newline => {
                self.bump();
            }
            TokenKind::Indent => {
                let span = self.tok().span;
                self.error(span, "unexpected indentation");
                let lo = span.lo;
                self.skip_indented_block();
                let span = self.span_from(lo);
                out.push(self.alloc_stmt(StmtKind::Error, span));
            }
            _ if self.at_kw("if") => out.push(self.parse_if()),
            _ if self.at_kw("for") => out.push(self.parse_for()),
            _ if self.at_kw("def") || self.at_op(Op::At) => {
                let span = self.tok().span;
                self.error(span, "nested function definitions are not allowed");
                let lo = span.lo;
                let _ = self.parse_function();
                let span = self.span_from(lo);
                out.push(self.alloc_stmt(StmtKind::Error, span));
            }
            _ => self.parse_simple_line(out),
        }
    }

    /// Simple statements up to the end of the logical line (`;`-separated).
    fn parse_simple_line(&mut self, out: &mut Vec<StmtId>) {
        loop {
            let errors_before = self.diagnostics.len();
            let stmt = self.parse_simple_stmt();
            out.push(stmt);
            let before = self.pos;
            self.expect_line_end(errors_before);
            if self.pos == before || self.at_line_end() || self.prev_was_line_end() {
                return;
            }
        }
    }

    fn prev_was_line_end(&self) -> bool {
        self.pos > 0
            && matches!(
                self.tokens.get(self.pos - 1).map(|t| t.kind),
                Some(TokenKind::Newline | TokenKind::Dedent | TokenKind::Indent)
            )
    }

    fn parse_if(&mut self) -> StmtId {
        // `if`/`elif` arms, then the `else` body; built back to front so that
        // a long `elif` chain needs no recursion.
        let mut arms: Vec<(u32, ExprId, Vec<StmtId>)> = Vec::new();
        let mut orelse = Vec::new();
        loop {
            let lo = self.bump().span.lo; // `if` / `elif`
            let cond = self.parse_expr();
            let then = if self.expect_op(Op::Colon, "after the condition") {
                self.parse_block()
            } else {
                self.recover_header()
            };
            // An `elif` chain nests in the tree: it counts towards the nesting limit.
            if self.depth as usize + arms.len() < crate::MAX_NESTING as usize {
                arms.push((lo, cond, then));
            } else if !self.bailing {
                let span = self.span_from(lo);
                self.error(
                    span,
                    format!("nesting too deep (more than {} levels)", crate::MAX_NESTING),
                );
            }
            if self.at_kw("elif") {
                continue;
            }
            if self.at_kw("else") {
                self.bump();
                orelse = if self.expect_op(Op::Colon, "after `else`") {
                    self.parse_block()
                } else {
                    self.recover_header()
                };
            }
            break;
        }
        let hi = self.prev_hi;
        let mut result = None;
        while let Some((lo, cond, then)) = arms.pop() {
            let id = self.alloc_stmt(
                StmtKind::If { cond, then, orelse },
                Span::new(lo, hi.max(lo)),
            );
            orelse = vec![id];
            result = Some(id);
        }
        result.unwrap_or_else(|| self.alloc_stmt(StmtKind::Error, Span::new(hi, hi)))
    }

    /// A compound statement's header is broken: skip it and its block,
    /// returning an `Error` statement as the body.
    fn recover_header(&mut self) -> Vec<StmtId> {
        let lo = self.tok().span.lo;
        self.skip_line();
        self.skip_indented_block();
        let span = self.span_from(lo);
        vec![self.alloc_stmt(StmtKind::Error, span)]
    }

    fn parse_for(&mut self) -> StmtId {
        let lo = self.bump().span.lo; // `for`
        let target = self.parse_expr_bp(BP_CMP + 1);
        let ty = if self.eat_op(Op::Colon) {
            Some(self.parse_expr_bp(BP_CMP + 1))
        } else {
            None
        };
        let header_ok = if self.eat_kw("in") {
            true
        } else {
            self.expected("`in` in the `for` loop");
            false
        };
        let iter = if header_ok {
            self.parse_expr()
        } else {
            self.alloc_expr(ExprKind::Error, Span::new(self.prev_hi, self.prev_hi))
        };
        let body = if header_ok && self.expect_op(Op::Colon, "after the loop header") {
            self.parse_block()
        } else {
            self.recover_header()
        };
        let span = self.span_from(lo);
        self.alloc_stmt(
            StmtKind::For {
                target,
                ty,
                iter,
                body,
            },
            span,
        )
    }

    fn parse_simple_stmt(&mut self) -> StmtId {
        let t = self.tok();
        let lo = t.span.lo;
        if t.kind == TokenKind::Name {
            let word = self.text(t);
            let kind = match word {
                "pass" => Some(StmtKind::Pass),
                "break" => Some(StmtKind::Break),
                "continue" => Some(StmtKind::Continue),
                _ => None,
            };
            if let Some(kind) = kind {
                self.bump();
                return self.alloc_stmt(kind, t.span);
            }
            match word {
                "return" => {
                    self.bump();
                    let value = if self.at_line_end() {
                        None
                    } else {
                        Some(self.parse_expr_list())
                    };
                    let span = self.span_from(lo);
                    return self.alloc_stmt(StmtKind::Return(value), span);
                }
                "assert" => {
                    self.bump();
                    let cond = self.parse_expr();
                    let msg = if self.eat_op(Op::Comma) {
                        Some(self.parse_expr())
                    } else {
                        None
                    };
                    let span = self.span_from(lo);
                    return self.alloc_stmt(StmtKind::Assert { cond, msg }, span);
                }
                "raise" => {
                    self.bump();
                    let msg = if self.at_line_end() {
                        None
                    } else {
                        Some(self.parse_expr())
                    };
                    let span = self.span_from(lo);
                    return self.alloc_stmt(StmtKind::Raise(msg), span);
                }
                // `log Transfer(...)`; 0.1's `log.Transfer(...)` is an expression.
                "log" if self.nth(1).kind == TokenKind::Name => {
                    self.bump();
                    let event = self.parse_expr();
                    let span = self.span_from(lo);
                    return self.alloc_stmt(StmtKind::Log(event), span);
                }
                "elif" | "else" => {
                    self.error(t.span, format!("`{word}` without a matching `if`"));
                    self.skip_line();
                    self.skip_indented_block();
                    let span = self.span_from(lo);
                    return self.alloc_stmt(StmtKind::Error, span);
                }
                _ => {}
            }
        }
        // `x: T [= v]`: a local declaration (its name is not an expression).
        if t.kind == TokenKind::Name
            && self.nth_is_op(1, Op::Colon)
            && !RESERVED.contains(&self.text(t))
        {
            self.bump();
            let target = self.ident(t);
            self.bump(); // `:`
            let ty = self.parse_expr();
            let value = if self.eat_op(Op::Assign) {
                Some(self.parse_expr_list())
            } else {
                None
            };
            let span = self.span_from(lo);
            return self.alloc_stmt(StmtKind::AnnAssign { target, ty, value }, span);
        }
        let target = self.parse_expr_list();
        if self.at_op(Op::Colon) {
            self.bump();
            let ty = self.parse_expr();
            let value = if self.eat_op(Op::Assign) {
                Some(self.parse_expr_list())
            } else {
                None
            };
            let span = self.span_from(lo);
            return match &self.ast.expr(target).kind {
                ExprKind::Name(name) => {
                    let target = name.clone();
                    self.alloc_stmt(StmtKind::AnnAssign { target, ty, value }, span)
                }
                _ => {
                    let tspan = self.expr_span(target);
                    self.error(tspan, "only a plain name can be declared with a type");
                    self.alloc_stmt(StmtKind::Error, span)
                }
            };
        }
        if self.eat_op(Op::Assign) {
            let value = self.parse_expr_list();
            let span = self.span_from(lo);
            return self.alloc_stmt(StmtKind::Assign { target, value }, span);
        }
        if let TokenKind::Op(op) = self.kind()
            && let Some(bin) = augmented(op)
        {
            self.bump();
            let value = self.parse_expr();
            let span = self.span_from(lo);
            return self.alloc_stmt(
                StmtKind::AugAssign {
                    target,
                    op: bin,
                    value,
                },
                span,
            );
        }
        let span = self.span_from(lo);
        // 0.1 logs are calls of `log.Event(...)`.
        if let ExprKind::Call { func, .. } = &self.ast.expr(target).kind
            && let ExprKind::Attribute { base, .. } = &self.ast.expr(*func).kind
            && matches!(&self.ast.expr(*base).kind, ExprKind::Name(n) if n.as_str() == "log")
        {
            return self.alloc_stmt(StmtKind::Log(target), span);
        }
        self.alloc_stmt(StmtKind::Expr(target), span)
    }

    // ----- expressions -------------------------------------------------

    pub(crate) fn parse_expr(&mut self) -> ExprId {
        self.parse_expr_bp(0)
    }

    /// `a, b, c` (a tuple without parentheses) or a single expression.
    fn parse_expr_list(&mut self) -> ExprId {
        let lo = self.tok().span.lo;
        let first = self.parse_expr();
        if !self.at_op(Op::Comma) {
            return first;
        }
        let mut items = vec![first];
        while self.eat_op(Op::Comma) {
            if self.at_line_end() || self.at_op(Op::Assign) || self.at_op(Op::Colon) {
                break;
            }
            items.push(self.parse_expr());
        }
        let span = self.span_from(lo);
        self.alloc_expr(ExprKind::Tuple(items), span)
    }

    fn infix(&self) -> Option<(Infix, u8)> {
        let t = self.tok();
        Some(match t.kind {
            TokenKind::Op(op) => match op {
                Op::Walrus => (Infix::Walrus, BP_WALRUS),
                Op::Pipe => (Infix::Binary(BinOp::BitOr), 7),
                Op::Caret => (Infix::Binary(BinOp::BitXor), 8),
                Op::Amp => (Infix::Binary(BinOp::BitAnd), 9),
                Op::Shl => (Infix::Binary(BinOp::Shl), 10),
                Op::Shr => (Infix::Binary(BinOp::Shr), 10),
                Op::Plus => (Infix::Binary(BinOp::Add), 11),
                Op::Minus => (Infix::Binary(BinOp::Sub), 11),
                Op::Star => (Infix::Binary(BinOp::Mul), 12),
                Op::Slash => (Infix::Binary(BinOp::Div), 12),
                Op::SlashSlash => (Infix::Binary(BinOp::FloorDiv), 12),
                Op::Percent => (Infix::Binary(BinOp::Mod), 12),
                Op::StarStar => (Infix::Binary(BinOp::Pow), BP_POW),
                Op::EqEq => (Infix::Cmp(CmpOp::Eq), BP_CMP),
                Op::NotEq => (Infix::Cmp(CmpOp::NotEq), BP_CMP),
                Op::Lt => (Infix::Cmp(CmpOp::Lt), BP_CMP),
                Op::Le => (Infix::Cmp(CmpOp::Le), BP_CMP),
                Op::Gt => (Infix::Cmp(CmpOp::Gt), BP_CMP),
                Op::Ge => (Infix::Cmp(CmpOp::Ge), BP_CMP),
                _ => return None,
            },
            TokenKind::Name => match self.text(t) {
                "or" => (Infix::Bool(BoolOp::Or), BP_OR),
                "and" => (Infix::Bool(BoolOp::And), BP_AND),
                "in" => (Infix::Cmp(CmpOp::In), BP_CMP),
                "not" if self.nth_is_kw(1, "in") => (Infix::Cmp(CmpOp::NotIn), BP_CMP),
                "is" if self.nth_is_kw(1, "not") => (Infix::Cmp(CmpOp::IsNot), BP_CMP),
                "is" => (Infix::Cmp(CmpOp::Is), BP_CMP),
                "if" => (Infix::IfExp, BP_IFEXP),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Pratt loop: an expression whose operators all bind at least as tightly as `min_bp`.
    fn parse_expr_bp(&mut self, min_bp: u8) -> ExprId {
        let lo = self.tok().span.lo;
        if !self.enter() {
            // Abandon the rest of the logical line.
            while !matches!(
                self.kind(),
                TokenKind::Newline | TokenKind::Eof | TokenKind::Dedent
            ) {
                self.bump();
            }
            self.leave();
            let span = self.span_from(lo);
            return self.alloc_expr(ExprKind::Error, span);
        }
        let mut lhs = self.parse_prefix();
        // Left-associative chains deepen the tree without recursion here:
        // they count towards the nesting limit too.
        let mut chain = 0;
        while let Some((infix, lbp)) = self.infix() {
            if lbp < min_bp {
                break;
            }
            self.bump();
            let kind = match infix {
                Infix::Binary(op) => {
                    // `**` is right-associative and its right operand may be unary.
                    let rhs = if op == BinOp::Pow {
                        self.parse_expr_bp(BP_UNARY)
                    } else {
                        self.parse_expr_bp(lbp + 1)
                    };
                    ExprKind::Binary { op, lhs, rhs }
                }
                Infix::Bool(op) => {
                    let rhs = self.parse_expr_bp(lbp + 1);
                    ExprKind::Logical { op, lhs, rhs }
                }
                Infix::Cmp(op) => {
                    if matches!(op, CmpOp::NotIn | CmpOp::IsNot) {
                        self.bump();
                    }
                    let rhs = self.parse_expr_bp(lbp + 1);
                    ExprKind::Compare { op, lhs, rhs }
                }
                Infix::IfExp => {
                    let cond = self.parse_expr_bp(BP_OR);
                    let orelse = if self.eat_kw("else") {
                        self.parse_expr_bp(BP_IFEXP)
                    } else {
                        self.expected("`else` in the conditional expression");
                        self.alloc_expr(ExprKind::Error, Span::new(self.prev_hi, self.prev_hi))
                    };
                    ExprKind::IfExp {
                        body: lhs,
                        cond,
                        orelse,
                    }
                }
                Infix::Walrus => {
                    let value = self.parse_expr_bp(BP_WALRUS);
                    ExprKind::Walrus { target: lhs, value }
                }
            };
            let span = self.span_from(lo);
            lhs = self.alloc_expr(kind, span);
            chain += 1;
            lhs = self.bound_chain(lhs, &mut chain);
        }
        self.leave();
        lhs
    }

    fn parse_prefix(&mut self) -> ExprId {
        let t = self.tok();
        let lo = t.span.lo;
        let op = match t.kind {
            TokenKind::Op(Op::Minus) => Some((UnaryOp::Neg, BP_UNARY)),
            TokenKind::Op(Op::Plus) => Some((UnaryOp::Pos, BP_UNARY)),
            TokenKind::Op(Op::Tilde) => Some((UnaryOp::Invert, BP_UNARY)),
            TokenKind::Name if self.text(t) == "not" => Some((UnaryOp::Not, BP_NOT)),
            _ => None,
        };
        if let Some((op, bp)) = op {
            self.bump();
            let operand = self.parse_expr_bp(bp);
            let span = self.span_from(lo);
            return self.alloc_expr(ExprKind::Unary { op, operand }, span);
        }
        if t.kind == TokenKind::Name
            && matches!(self.text(t), "extcall" | "staticcall")
            && matches!(
                self.nth(1).kind,
                TokenKind::Name | TokenKind::Op(Op::LParen)
            )
        {
            self.bump();
            let call = self.parse_expr_bp(BP_POSTFIX);
            let span = self.span_from(lo);
            let kind = if self.text(t) == "extcall" {
                ExprKind::ExtCall(call)
            } else {
                ExprKind::StaticCall(call)
            };
            return self.alloc_expr(kind, span);
        }
        let mut expr = self.parse_atom();
        let mut chain = 0;
        loop {
            if chain > 0 {
                expr = self.bound_chain(expr, &mut chain);
            }
            chain += 1;
            match self.kind() {
                TokenKind::Op(Op::Dot) => {
                    self.bump();
                    let Some(attr) = self.expect_name("an attribute name after `.`") else {
                        break;
                    };
                    let span = self.span_from(lo);
                    expr = self.alloc_expr(ExprKind::Attribute { base: expr, attr }, span);
                }
                TokenKind::Op(Op::LParen) => {
                    self.bump();
                    let (args, keywords) = self.parse_call_args();
                    let span = self.span_from(lo);
                    expr = self.alloc_expr(
                        ExprKind::Call {
                            func: expr,
                            args,
                            keywords,
                        },
                        span,
                    );
                }
                TokenKind::Op(Op::LBracket) => {
                    self.bump();
                    let index = self.parse_expr_list();
                    self.expect_op(Op::RBracket, "to close the subscript");
                    let span = self.span_from(lo);
                    expr = self.alloc_expr(ExprKind::Subscript { base: expr, index }, span);
                }
                _ => break,
            }
        }
        expr
    }

    /// Call arguments after `(`, through the closing `)`.
    fn parse_call_args(&mut self) -> (Vec<ExprId>, Vec<Keyword>) {
        let mut args = Vec::new();
        let mut keywords = Vec::new();
        while !self.at_op(Op::RParen) && !self.at_line_end() {
            if self.kind() == TokenKind::Name && self.nth_is_op(1, Op::Assign) {
                let name_tok = self.bump();
                let name = self.ident(name_tok);
                self.bump(); // `=`
                let value = self.parse_expr();
                keywords.push(Keyword { name, value });
            } else {
                if !keywords.is_empty() {
                    let span = self.tok().span;
                    self.error(span, "positional argument after keyword arguments");
                }
                args.push(self.parse_expr());
            }
            if !self.eat_op(Op::Comma) {
                break;
            }
        }
        self.expect_op(Op::RParen, "to close the argument list");
        (args, keywords)
    }

    /// Comma-separated expressions up to `close` (consumed); trailing comma allowed.
    /// Returns the items and whether a comma was seen.
    fn parse_sequence(&mut self, close: Op, what: &str) -> (Vec<ExprId>, bool) {
        let mut items = Vec::new();
        let mut comma = false;
        while !self.at_op(close) && !self.at_line_end() {
            items.push(self.parse_expr());
            if !self.eat_op(Op::Comma) {
                break;
            }
            comma = true;
        }
        self.expect_op(close, what);
        (items, comma)
    }

    fn parse_atom(&mut self) -> ExprId {
        let t = self.tok();
        let lo = t.span.lo;
        match t.kind {
            TokenKind::Name => {
                let text = self.text(t);
                if RESERVED.contains(&text) {
                    self.expected("an expression");
                    return self.alloc_expr(ExprKind::Error, Span::new(lo, lo));
                }
                self.bump();
                let kind = match text {
                    "True" => ExprKind::Bool(true),
                    "False" => ExprKind::Bool(false),
                    _ => ExprKind::Name(self.ident(t)),
                };
                self.alloc_expr(kind, t.span)
            }
            TokenKind::Number(kind) => {
                self.bump();
                self.alloc_expr(ExprKind::Number(kind), t.span)
            }
            TokenKind::Str { .. } => {
                self.bump();
                // Adjacent literals are one string.
                while matches!(self.kind(), TokenKind::Str { .. }) {
                    self.bump();
                }
                let prefix: String = self
                    .text(t)
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                let kind = if prefix.contains('x') {
                    StrKind::Hex
                } else if prefix.contains('b') {
                    StrKind::Bytes
                } else {
                    StrKind::Text
                };
                let span = self.span_from(lo);
                self.alloc_expr(ExprKind::Str(kind), span)
            }
            TokenKind::Op(Op::Ellipsis) => {
                self.bump();
                self.alloc_expr(ExprKind::Ellipsis, t.span)
            }
            TokenKind::Op(Op::LParen) => {
                self.bump();
                if self.eat_op(Op::RParen) {
                    let span = self.span_from(lo);
                    return self.alloc_expr(ExprKind::Tuple(Vec::new()), span);
                }
                let (items, comma) = self.parse_sequence(Op::RParen, "to close the parenthesis");
                match (items.as_slice(), comma) {
                    (&[single], false) => single,
                    _ => {
                        let span = self.span_from(lo);
                        self.alloc_expr(ExprKind::Tuple(items), span)
                    }
                }
            }
            TokenKind::Op(Op::LBracket) => {
                self.bump();
                let (items, _) = self.parse_sequence(Op::RBracket, "to close the list");
                let span = self.span_from(lo);
                self.alloc_expr(ExprKind::List(items), span)
            }
            TokenKind::Op(Op::LBrace) => {
                self.bump();
                let mut pairs = Vec::new();
                while !self.at_op(Op::RBrace) && !self.at_line_end() {
                    let key = self.parse_expr();
                    if !self.expect_op(Op::Colon, "between a key and its value") {
                        break;
                    }
                    let value = self.parse_expr();
                    pairs.push((key, value));
                    if !self.eat_op(Op::Comma) {
                        break;
                    }
                }
                self.expect_op(Op::RBrace, "to close the dictionary");
                let span = self.span_from(lo);
                self.alloc_expr(ExprKind::Dict(pairs), span)
            }
            _ => {
                self.expected("an expression");
                // Consume a stray token that cannot end or separate anything,
                // so that callers always make progress.
                let stops = matches!(
                    t.kind,
                    TokenKind::Newline | TokenKind::Eof | TokenKind::Dedent | TokenKind::Indent
                ) || matches!(
                    t.kind,
                    TokenKind::Op(
                        Op::RParen
                            | Op::RBracket
                            | Op::RBrace
                            | Op::Comma
                            | Op::Colon
                            | Op::Assign
                            | Op::Semi
                    )
                );
                if !stops {
                    self.bump();
                }
                let span = self.span_from(lo);
                self.alloc_expr(ExprKind::Error, span)
            }
        }
    }
}

fn augmented(op: Op) -> Option<BinOp> {
    Some(match op {
        Op::PlusEq => BinOp::Add,
        Op::MinusEq => BinOp::Sub,
        Op::StarEq => BinOp::Mul,
        Op::SlashEq => BinOp::Div,
        Op::SlashSlashEq => BinOp::FloorDiv,
        Op::PercentEq => BinOp::Mod,
        Op::StarStarEq => BinOp::Pow,
        Op::AmpEq => BinOp::BitAnd,
        Op::PipeEq => BinOp::BitOr,
        Op::CaretEq => BinOp::BitXor,
        Op::ShlEq => BinOp::Shl,
        Op::ShrEq => BinOp::Shr,
        _ => return None,
    })
}
