//! Runs detectors over files or folders and prints one JSON line per finding, in the
//! JSON-lines input format of the benchmark scorer (`file`, `start_line`, `end_line`,
//! `rule`, `severity`). A light loop for detector work: it needs neither the report
//! renderers nor the service, so it builds in seconds. Whole-scan figures come from
//! `web3audit scan` (see `bench/smartbugs.sh`).
//!
//! ```text
//! cargo run --release -p detectors --example findings_jsonl -- [--detectors ID,ID] PATH... > out.jsonl
//! cargo run --release -p detectors --example findings_jsonl -- --mapping > mapping.json
//! ```
//! `--timings` prints, instead of findings, the time each detector takes over all files
//! (one detector at a time, after the shared taint analysis), slowest first.
//! `--mapping` prints the scorer's mapping from detector ids to benchmark categories:
//! every detector, under its own category when it is one of SmartBugs' categories, else
//! under the one `CATEGORY_OF` names (a detector with an unnamed category is an error).

use std::path::PathBuf;

use detectors::{FileContext, ProjectContext, Selection};

fn main() {
    let mut selection = Selection::default();
    let mut paths = Vec::new();
    let mut timings = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--mapping" {
            print_mapping();
            return;
        } else if arg == "--timings" {
            timings = true;
        } else if arg == "--detectors" {
            let ids = args.next().unwrap_or_default();
            selection.only = ids.split(',').map(str::to_owned).collect();
        } else {
            paths.push(PathBuf::from(arg));
        }
    }
    if paths.is_empty() {
        eprintln!("usage: findings_jsonl [--detectors ID,ID] PATH...");
        std::process::exit(2);
    }
    if let [first, ..] = selection.unknown_ids().as_slice() {
        eprintln!("unknown detector `{first}`");
        std::process::exit(2);
    }
    let project = match project::Project::load(&paths, &project::LoadOptions::default()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let inputs: Vec<semantics::SourceInput<'_>> = project
        .files
        .iter()
        .map(|f| semantics::SourceInput {
            file: f.id,
            parse: &f.parse,
            imports: &f.imports,
        })
        .collect();
    let model = semantics::Model::build(&inputs);
    let shared = ProjectContext::new(&model);
    let contexts: Vec<FileContext<'_>> = project
        .reported_files()
        .map(|f| FileContext {
            file: f.id,
            text: &f.text,
            parse: &f.parse,
            project: &shared,
        })
        .collect();
    if timings {
        print_timings(&shared, &contexts, &selection);
        return;
    }
    let findings = detectors::run(&contexts, &selection.detectors());
    for f in &findings {
        let file = project.file(f.primary.file);
        let start = file.line_index.line_col(&file.text, f.primary.span.lo);
        let end = file.line_index.line_col(&file.text, f.primary.span.hi);
        let line = serde_json::json!({
            "file": file.path.display().to_string(),
            "start_line": start.line,
            "end_line": end.line,
            "rule": f.detector.id,
            "severity": f.severity.as_str(),
            "message": f.message(),
        });
        println!("{line}");
    }
}

/// The benchmark's categories.
const SMARTBUGS: [&str; 10] = [
    "access_control",
    "arithmetic",
    "bad_randomness",
    "denial_of_service",
    "front_running",
    "reentrancy",
    "short_addresses",
    "time_manipulation",
    "unchecked_low_level_calls",
    "other",
];

/// Our categories that are not the benchmark's, and the benchmark categories each is
/// scored under. Every detector is in the mapping, so none escapes the false-alarm count;
/// `best_practice` (a floating pragma, a deprecated spelling, an unused suppression) is
/// mapped to no category: those notes claim no vulnerability of any class.
const CATEGORY_OF: [(&str, &[&str]); 10] = [
    ("best_practice", &[]),
    ("compiler_bug", &["other"]),
    ("erc20", &["unchecked_low_level_calls"]),
    ("msg_value_reuse", &["other"]),
    ("oracle", &["other"]),
    ("precision_loss", &["arithmetic"]),
    ("signature_replay", &["other"]),
    ("signature_validation", &["access_control"]),
    ("unchecked_return", &["unchecked_low_level_calls"]),
    ("unsafe_downcast", &["arithmetic"]),
];

/// The benchmark categories a detector's findings are scored under.
fn benchmark_categories(category: &'static str) -> Option<Vec<&'static str>> {
    if SMARTBUGS.contains(&category) {
        return Some(vec![category]);
    }
    CATEGORY_OF
        .iter()
        .find(|(ours, _)| *ours == category)
        .map(|(_, theirs)| theirs.to_vec())
}

fn print_mapping() {
    let mut mapping = serde_json::Map::new();
    for m in detectors::registry::metas() {
        match benchmark_categories(m.category) {
            Some(c) => {
                mapping.insert(m.id.to_owned(), serde_json::json!(c));
            }
            None => {
                eprintln!(
                    "detector `{}` has category `{}`, which no benchmark category stands for: \
                     add it to CATEGORY_OF",
                    m.id, m.category
                );
                std::process::exit(1);
            }
        }
    }
    let doc = serde_json::json!({"tool": "web3audit", "smartbugs": mapping});
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
}

fn print_timings(shared: &ProjectContext<'_>, contexts: &[FileContext<'_>], selection: &Selection) {
    let started = std::time::Instant::now();
    shared.taint();
    println!("taint: {:.3} s", started.elapsed().as_secs_f64());
    let mut rows: Vec<(f64, &str, usize)> = selection
        .detectors()
        .into_iter()
        .map(|d| {
            let started = std::time::Instant::now();
            let n = detectors::run(contexts, &[d]).len();
            (started.elapsed().as_secs_f64(), d.meta().id, n)
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (secs, id, n) in rows {
        println!("{secs:8.3} s  {id:32} {n} findings");
    }
}
