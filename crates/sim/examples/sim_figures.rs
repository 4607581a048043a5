//! Figures for confirmation by simulation against a local Anvil node: for each fixture
//! probe, the verdict, the attempts made, the JSON-RPC reads a cold run needs, and the
//! wall time of a cold run (new cache) and of a warm one (cache kept), median of 5.
//!
//! `WEB3AUDIT_ANVIL=… cargo run -p sim --release --example sim_figures`

// The figures use part of the test support (no header reads, no plain sends).
#[allow(dead_code)]
#[path = "../tests/support/anvil_reader.rs"]
mod anvil_reader;
#[allow(dead_code)]
#[path = "../tests/support/node.rs"]
mod node;

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use anvil_reader::AnvilReader;
use chain::StateReader;
use sim::{Effect, Probe, Simulator, Verdict, selector};

const ETH: u128 = 1_000_000_000_000_000_000;
const RUNS: usize = 5;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let Some(node) = devnet::anvil_or_skip("sim_figures") else {
        return;
    };
    let deploy = |name: &str, wei: u128| -> Address {
        let address = node::deploy(&node, name);
        if wei > 0 {
            node.set_balance(address, U256::from(wei)).unwrap();
        }
        address
    };
    let owner_probe = || {
        Probe::signature(
            "transferOwnership(address)",
            Effect::PrivilegedWrite { slot: None },
        )
    };
    let withdraw = || Probe::signature("withdraw(uint256)", Effect::EtherOut);
    let cases = [
        ("OpenOwnership", deploy("OpenOwnership", 0), owner_probe()),
        (
            "GuardedOwnership",
            deploy("GuardedOwnership", 0),
            owner_probe(),
        ),
        ("OpenVault", deploy("OpenVault", 3 * ETH / 2), withdraw()),
        (
            "GuardedVault",
            deploy("GuardedVault", 3 * ETH / 2),
            withdraw(),
        ),
        (
            "ExitVault (selector)",
            deploy("ExitVault", 2 * ETH),
            Probe::selector(selector("emergencyExit(address,uint256)"), Effect::EtherOut),
        ),
    ];
    let reader = AnvilReader::new(&node);
    let block = reader.block_number().unwrap();
    println!("confirmation by simulation, Anvil at block {block}, median of {RUNS} runs");
    println!(
        "{:<22} {:<14} {:>8} {:>10} {:>10} {:>10}",
        "fixture", "verdict", "attempts", "rpc reads", "cold ms", "warm ms"
    );
    for (name, target, probe) in cases {
        let mut cold = Vec::new();
        let mut requests = 0;
        let mut verdict = None;
        for _ in 0..RUNS {
            let before = reader.requests.get();
            let start = Instant::now();
            let mut simulator = Simulator::new(&reader, block).unwrap();
            verdict = Some(simulator.confirm(target, &probe).unwrap());
            cold.push(start.elapsed());
            requests = reader.requests.get() - before;
        }
        let mut simulator = Simulator::new(&reader, block).unwrap();
        simulator.confirm(target, &probe).unwrap();
        let warm: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                simulator.confirm(target, &probe).unwrap();
                start.elapsed()
            })
            .collect();
        let (label, attempts) = match verdict.unwrap() {
            Verdict::Confirmed { attempt, .. } => ("confirmed", attempt.number),
            Verdict::NotReproduced { attempts, .. } => ("not reproduced", attempts.len()),
        };
        println!(
            "{:<22} {:<14} {:>8} {:>10} {:>10.2} {:>10.3}",
            name,
            label,
            attempts,
            requests,
            median(cold).as_secs_f64() * 1e3,
            median(warm).as_secs_f64() * 1e3
        );
    }
}
