//! Prints the AST dump and the diagnostics of one Vyper file, or with
//! `--summary` what each function does:
//! `cargo run -p vyper --example vyper_dump -- FILE [--summary]`.
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
    if std::env::args().any(|a| a == "--summary") {
        for f in vyper::summary::summarize(&parse, &text) {
            println!(
                "{} {:?} {:?} lock={:?}",
                f.name, f.visibility, f.mutability, f.nonreentrant
            );
            let names = |v: &[vyper::summary::StorageAccess]| {
                v.iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            println!("  reads: {}", names(&f.storage_reads));
            println!("  writes: {}", names(&f.storage_writes));
            for c in &f.external_calls {
                println!(
                    "  call {:?}: {}",
                    c.kind,
                    c.span.text(&text).lines().next().unwrap_or("")
                );
            }
            if !f.internal_calls.is_empty() {
                println!("  internal: {}", f.internal_calls.join(","));
            }
            for g in &f.guards {
                println!("  guard {:?}", g.kind);
            }
        }
        return;
    }
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
