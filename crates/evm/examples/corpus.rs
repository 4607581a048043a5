//! Analyzes every runtime bytecode of a corpus compiled by `bench/bytecode/build.sh` and
//! prints the figures of docs/benchmarks.md: contracts, panics (caught), errors by kind,
//! throughput, findings by detector, and selectors recovered against the ABI.
//!
//!     cargo run --release -p evm --example corpus -- DIR [--findings OUT.json]
//!
//! DIR holds compile.js outputs (`{"source", "contracts": {"F.sol:Name": {abi,
//! deployed_bytecode}}}`). With `--findings`, writes `{source: {contract: [detector ids]}}`
//! for `bench/bytecode/agreement.py`.
#![allow(
    clippy::disallowed_methods,
    reason = "a benchmark program: it reads the corpus and writes the findings"
)]
#![allow(clippy::print_stdout, reason = "the report is the program's output")]

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use serde_json::{Value, json};

struct Contract {
    source: String,
    name: String,
    code: Vec<u8>,
    abi_selectors: Vec<[u8; 4]>,
}

enum Outcome {
    Analyzed {
        findings: Vec<&'static str>,
        recovered: usize,
        missed: usize,
        extra: usize,
        unresolved_jumps: usize,
        blocks: usize,
        reachable_blocks: usize,
        pruned: usize,
    },
    Failed(&'static str),
    Panicked,
}

/// The canonical ABI type (`(uint256,address)[]` for a tuple array).
fn canonical(param: &Value) -> String {
    let ty = param["type"].as_str().unwrap_or_default();
    match ty.strip_prefix("tuple") {
        Some(suffix) => {
            let inner: Vec<String> = param["components"]
                .as_array()
                .into_iter()
                .flatten()
                .map(canonical)
                .collect();
            format!("({}){suffix}", inner.join(","))
        }
        None => ty.to_string(),
    }
}

fn abi_selectors(abi: &Value) -> Vec<[u8; 4]> {
    abi.as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "function")
        .map(|item| {
            let inputs: Vec<String> = item["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(canonical)
                .collect();
            let signature = format!(
                "{}({})",
                item["name"].as_str().unwrap_or_default(),
                inputs.join(",")
            );
            let hash = alloy_primitives::keccak256(signature.as_bytes());
            [hash[0], hash[1], hash[2], hash[3]]
        })
        .collect()
}

fn load(dir: &PathBuf) -> (usize, Vec<Contract>, usize) {
    let mut files = 0;
    let mut contracts = Vec::new();
    let mut unparsable = 0;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        files += 1;
        let source = doc["source"]
            .as_str()
            .map_or_else(|| path.display().to_string(), str::to_string);
        for (name, entry) in doc["contracts"].as_object().into_iter().flatten() {
            let hex = entry["deployed_bytecode"].as_str().unwrap_or_default();
            if hex.len() <= 2 {
                continue;
            }
            match devnet::parse_hex(hex) {
                Ok(code) => contracts.push(Contract {
                    source: source.clone(),
                    name: name.clone(),
                    code,
                    abi_selectors: abi_selectors(&entry["abi"]),
                }),
                // Unlinked library placeholders are not hex.
                Err(_) => unparsable += 1,
            }
        }
    }
    (files, contracts, unparsable)
}

fn analyze_one(contract: &Contract) -> Outcome {
    let limits = evm::Limits::default();
    let result = catch_unwind(AssertUnwindSafe(|| {
        evm::analyze(&contract.code, &limits).map(|a| {
            let cfg = (
                a.unresolved_jumps,
                a.blocks,
                a.reachable_blocks,
                a.pruned_paths,
            );
            (a.findings(), a.selectors().collect::<Vec<_>>(), cfg)
        })
    }));
    match result {
        Err(_) => Outcome::Panicked,
        Ok(Err(error)) => Outcome::Failed(error.kind()),
        Ok(Ok((findings, selectors, (unresolved_jumps, blocks, reachable_blocks, pruned)))) => {
            let recovered = contract
                .abi_selectors
                .iter()
                .filter(|s| selectors.contains(s))
                .count();
            let extra = selectors
                .iter()
                .filter(|s| !contract.abi_selectors.contains(s))
                .count();
            let mut ids: Vec<&'static str> = findings.iter().map(|f| f.detector_id).collect();
            ids.sort_unstable();
            ids.dedup();
            Outcome::Analyzed {
                findings: ids,
                recovered,
                missed: contract.abi_selectors.len() - recovered,
                extra,
                unresolved_jumps,
                blocks,
                reachable_blocks,
                pruned,
            }
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: corpus DIR [--findings OUT.json]");
        std::process::exit(2);
    };
    let findings_out = match (args.next().as_deref(), args.next()) {
        (Some("--findings"), Some(out)) => Some(PathBuf::from(out)),
        _ => None,
    };
    let (files, contracts, unparsable) = load(&dir);
    std::panic::set_hook(Box::new(|_| {}));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("thread pool");
    let started = Instant::now();
    let outcomes: Vec<(Outcome, f64)> = pool.install(|| {
        contracts
            .par_iter()
            .map(|c| {
                let started = Instant::now();
                let outcome = analyze_one(c);
                (outcome, started.elapsed().as_secs_f64() * 1000.0)
            })
            .collect()
    });
    let mut times: Vec<(f64, &str)> = outcomes
        .iter()
        .zip(&contracts)
        .map(|((_, ms), c)| (*ms, c.name.as_str()))
        .collect();
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let outcomes: Vec<Outcome> = outcomes.into_iter().map(|(o, _)| o).collect();
    let elapsed = started.elapsed();
    let _ = std::panic::take_hook();

    let mut panics = 0;
    let mut errors: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_detector: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut abi, mut recovered, mut missed, mut extra) = (0, 0, 0, 0);
    let mut complete = 0;
    let (mut unresolved, mut with_unresolved, mut blocks, mut reachable) = (0, 0, 0, 0);
    let (mut pruned, mut with_pruned) = (0, 0);
    let mut report: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for (contract, outcome) in contracts.iter().zip(&outcomes) {
        match outcome {
            Outcome::Panicked => panics += 1,
            Outcome::Failed(kind) => *errors.entry(kind).or_insert(0) += 1,
            Outcome::Analyzed {
                findings,
                recovered: r,
                missed: m,
                extra: x,
                unresolved_jumps: u,
                blocks: b,
                reachable_blocks: reached,
                pruned: p,
            } => {
                pruned += p;
                with_pruned += usize::from(*p > 0);
                unresolved += u;
                with_unresolved += usize::from(*u > 0);
                blocks += b;
                reachable += reached;
                abi += contract.abi_selectors.len();
                recovered += r;
                missed += m;
                extra += x;
                if *m == 0 {
                    complete += 1;
                }
                for id in findings {
                    *by_detector.entry(id).or_insert(0) += 1;
                }
                report
                    .entry(&contract.source)
                    .or_default()
                    .insert(&contract.name, findings.clone());
            }
        }
    }
    let analyzed = contracts.len() - panics - errors.values().sum::<usize>();
    println!("files: {files}");
    println!(
        "runtime bytecodes: {} (+{unparsable} unlinked, skipped)",
        contracts.len()
    );
    println!("analyzed: {analyzed}");
    println!("panics: {panics}");
    println!("errors: {}", errors.values().sum::<usize>());
    for (kind, count) in &errors {
        println!("  {kind}: {count}");
    }
    println!(
        "time: {:.2} s on 2 threads, {:.0} contracts/s",
        elapsed.as_secs_f64(),
        contracts.len() as f64 / elapsed.as_secs_f64()
    );
    if let (Some(median), Some(slowest)) = (times.get(times.len() / 2), times.last()) {
        let p99 = times[times.len() * 99 / 100].0;
        println!(
            "per contract: median {:.1} ms, p99 {p99:.1} ms, max {:.1} ms ({})",
            median.0, slowest.0, slowest.1
        );
    }
    println!(
        "selectors: {recovered} of {abi} ABI selectors recovered ({:.2} %), {missed} missed, {extra} not in the ABI; {complete} of {analyzed} contracts complete",
        100.0 * recovered as f64 / abi.max(1) as f64
    );
    println!(
        "cfg: {reachable} of {blocks} basic blocks reached ({:.1} %); {unresolved} unresolved jumps in {with_unresolved} contracts; {pruned} paths pruned in {with_pruned} contracts",
        100.0 * reachable as f64 / blocks.max(1) as f64
    );
    println!("contracts with findings, by detector:");
    for info in evm::detectors() {
        println!(
            "  {}: {}",
            info.id,
            by_detector.get(info.id).copied().unwrap_or(0)
        );
    }
    if let Some(out) = findings_out {
        std::fs::write(&out, json!(report).to_string()).expect("write findings");
        println!("findings written to {}", out.display());
    }
}
