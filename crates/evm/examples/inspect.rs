//! Prints the functions, facts and findings of one contract of a compile.js output.
//!
//!     cargo run -p evm --example inspect -- FILE.json CONTRACT
#![allow(clippy::print_stdout, reason = "the report is the program's output")]

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, name] = args.as_slice() else {
        eprintln!("usage: inspect FILE.json CONTRACT");
        std::process::exit(2);
    };
    let artifact = devnet::load_artifact(std::path::Path::new(file), name).expect("artifact");
    match evm::analyze(&artifact.deployed_bytecode, &evm::Limits::default()) {
        Ok(analysis) => {
            println!(
                "{} instructions, {} blocks ({} reached), {} edges, {} unresolved jumps, {} steps, {} pruned paths",
                analysis.instructions,
                analysis.blocks,
                analysis.reachable_blocks,
                analysis.edges,
                analysis.unresolved_jumps,
                analysis.steps,
                analysis.pruned_paths
            );
            for function in &analysis.functions {
                println!(
                    "{} @{}: {:#?}",
                    function.display_name(),
                    function.entry_pc,
                    function.facts
                );
            }
            for finding in analysis.findings() {
                println!("{}: {}", finding.detector_id, finding.message);
            }
        }
        Err(error) => println!("error: {error}"),
    }
}
