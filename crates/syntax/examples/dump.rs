//! Prints the AST dump and diagnostics of one Solidity file:
//! `cargo run -p syntax --example dump -- file.sol`.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump FILE.sol");
        std::process::exit(2);
    };
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let parse = syntax::parse(&text);
    print!("{}", syntax::dump::dump(parse.ast()));
    for d in parse.diagnostics() {
        println!("diagnostic {}..{}: {}", d.span.lo, d.span.hi, d.message);
    }
    for c in parse.comments() {
        println!("comment {:?} {}..{}", c.kind, c.span.lo, c.span.hi);
    }
}
