//! Prints the AST dump and the diagnostics of one Vyper file:
//! `cargo run -p vyper --example dump -- FILE`.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        println!("usage: dump FILE");
        return;
    };
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            println!("cannot read {path}: {e}");
            return;
        }
    };
    let parse = vyper::parse(&text);
    print!("{}", vyper::dump::dump(parse.ast(), &text));
    let index = vyper::LineIndex::new(&text);
    for p in parse.pragmas() {
        println!("pragma {:?}", p.kind);
    }
    for d in parse.diagnostics() {
        let lc = index.line_col(&text, d.span.lo);
        println!("{:?} {}:{}: {}", d.severity, lc.line, lc.col, d.message);
    }
}
