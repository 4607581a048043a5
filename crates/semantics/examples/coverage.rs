//! Resolution coverage and speed of the semantic model over a folder.
//!
//! `cargo run --release -p semantics --example coverage -- DIR [--unresolved N]`
//!
//! Loads every `.sol` under DIR (imports resolved by the `project` crate), builds the
//! model, and prints the share of identifier uses (`x` expressions) and member
//! accesses (`a.x`) that resolve. Unresolved names in files with a missing import
//! are counted separately: they may be declared in the missing file.

#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use semantics::{Declaration, Model, SourceInput};
use syntax::ast::ExprKind;

#[derive(Default)]
struct Counts {
    resolved: usize,
    unresolved: usize,
    missing_source: usize,
}

impl Counts {
    fn add(&mut self, resolved: bool, missing: bool) {
        if resolved {
            self.resolved += 1;
        } else if missing {
            self.missing_source += 1;
        } else {
            self.unresolved += 1;
        }
    }

    fn print(&self, what: &str) {
        let total = self.resolved + self.unresolved;
        let share = if total == 0 {
            100.0
        } else {
            100.0 * self.resolved as f64 / total as f64
        };
        println!(
            "{what}: {share:.2}% resolved ({} of {total}); {} more unresolved in files with missing imports",
            self.resolved, self.missing_source
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: coverage DIR [--unresolved N]");
        std::process::exit(2);
    };
    let show: usize = match (args.next().as_deref(), args.next()) {
        (Some("--unresolved"), Some(n)) => n.parse().unwrap_or(20),
        _ => 0,
    };
    let options = project::LoadOptions {
        use_default_excludes: false,
        ..project::LoadOptions::default()
    };
    let t0 = Instant::now();
    let project = match project::Project::load(&[PathBuf::from(&dir)], &options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let load = t0.elapsed();
    let bytes: usize = project.files.iter().map(|f| f.text.len()).sum();
    let inputs: Vec<SourceInput<'_>> = project
        .files
        .iter()
        .map(|f| SourceInput {
            file: f.id,
            parse: &f.parse,
            imports: &f.imports,
        })
        .collect();
    let t1 = Instant::now();
    let model = Model::build(&inputs);
    let sema = t1.elapsed();

    let mut idents = Counts::default();
    let mut members = Counts::default();
    let mut misses: HashMap<String, usize> = HashMap::new();
    let mut not_reached = 0usize;
    for f in &project.files {
        let missing = model.is_missing_source(f.id);
        for (id, e) in f.parse.ast().exprs() {
            let (counts, name) = match &e.kind {
                ExprKind::Ident(i) => (&mut idents, i.as_str()),
                ExprKind::Member { member, .. } => (&mut members, member.as_str()),
                _ => continue,
            };
            // Expressions the resolver never reached (e.g. inside Yul) have no declaration.
            let Some(decl) = model.declaration(f.id, id) else {
                not_reached += 1;
                continue;
            };
            let resolved = decl != Declaration::Unresolved;
            counts.add(resolved, missing);
            if !resolved && !missing && show > 0 {
                let kind = if matches!(e.kind, ExprKind::Ident(_)) {
                    ""
                } else {
                    "."
                };
                *misses.entry(format!("{kind}{name}")).or_default() += 1;
            }
        }
    }
    println!(
        "{} files, {:.2} MB; {} contracts, {} functions, {} diagnostics",
        project.files.len(),
        bytes as f64 / 1e6,
        model.contracts().count(),
        model.functions().count(),
        model.diagnostics().len()
    );
    idents.print("identifiers");
    members.print("member accesses");
    println!("names outside the resolver's walk (not counted): {not_reached}");
    let mb = bytes as f64 / 1e6;
    println!(
        "load+parse {:.3}s ({:.1} MB/s); semantics {:.3}s ({:.1} MB/s); overall {:.1} MB/s",
        load.as_secs_f64(),
        mb / load.as_secs_f64(),
        sema.as_secs_f64(),
        mb / sema.as_secs_f64(),
        mb / (load + sema).as_secs_f64()
    );
    let t2 = Instant::now();
    let (mut entries, mut guarded, mut mutexed, mut external) = (0, 0, 0, 0);
    // A name-based reference for the behavioural mutex check: entry points invoking a
    // modifier called `nonReentrant`, and how many of them the model recognises.
    let (mut named, mut named_recognised) = (0, 0);
    for f in model.entry_points().collect::<Vec<_>>() {
        entries += 1;
        guarded += usize::from(model.is_guarded(f));
        let mutex = model.has_reentrancy_mutex(f);
        mutexed += usize::from(mutex);
        let names_guard = model.calls(f).iter().any(|c| match c.kind {
            semantics::CallKind::Modifier { modifier } => model
                .function_of_item(modifier)
                .is_some_and(|m| model.function(m).name == "nonReentrant"),
            _ => false,
        });
        named += usize::from(names_guard);
        named_recognised += usize::from(names_guard && mutex);
        external += usize::from(!model.summary(None, f).external_calls.is_empty());
    }
    let t3 = Instant::now();
    let cfg_nodes: usize = model
        .functions()
        .filter_map(|(f, _)| model.cfg(f))
        .map(|c| c.nodes.len())
        .sum();
    println!(
        "CFGs of every function: {cfg_nodes} nodes in {:.3}s",
        t3.elapsed().as_secs_f64()
    );
    let t5 = Instant::now();
    let chains: usize = model
        .functions()
        .filter_map(|(f, _)| model.def_use(f))
        .map(|d| d.uses.len())
        .sum();
    println!(
        "def-use chains of every function: {chains} uses in {:.3}s",
        t5.elapsed().as_secs_f64()
    );
    let t4 = Instant::now();
    let _taint = model.taint();
    println!(
        "taint over the whole model: {:.3}s",
        t4.elapsed().as_secs_f64()
    );
    println!(
        "entry points: {entries}; guarded {guarded}; with reentrancy mutex {mutexed}; making external calls {external} (summaries {:.3}s)",
        t2.elapsed().as_secs_f64()
    );
    println!(
        "entry points with a modifier named `nonReentrant`: {named}; recognised as a mutex by behaviour: {named_recognised}"
    );
    if show > 0 {
        let mut v: Vec<_> = misses.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (name, n) in v.into_iter().take(show) {
            println!("  {n:6}  {name}");
        }
    }
}
