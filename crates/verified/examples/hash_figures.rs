//! Prints how fast the metadata hashes and the tail reader run, on the committed fixtures
//! and on synthetic metadata of growing size. A figure, not a test:
//!
//! `cargo run --release -p verified --example hash_figures`

use std::path::PathBuf;
use std::time::Instant;

use verified::{HashKind, MetadataHash, parse_tail};

fn main() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let ledger =
        devnet::load_artifact(&fixtures.join("solc-0.5.17.json"), "Ledger05").expect("fixture");
    let vault =
        devnet::load_artifact(&fixtures.join("solc-0.8.26.json"), "Vault").expect("fixture");

    let rounds = 2_000;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(parse_tail(&vault.deployed_bytecode).expect("tail"));
    }
    let per = started.elapsed().as_secs_f64() / f64::from(rounds);
    println!("tail read (Vault runtime code): {:.2} µs", per * 1e6);

    let sizes: [(&str, Vec<u8>); 4] = [
        ("Vault metadata", vault.metadata.clone().into_bytes()),
        ("Ledger05 metadata", ledger.metadata.clone().into_bytes()),
        ("synthetic 200 KiB", vec![b'x'; 200 * 1024]),
        ("synthetic 2 MiB", vec![b'x'; 2 * 1024 * 1024]),
    ];
    println!(
        "{:<20} {:>10} {:>12} {:>12} {:>12}",
        "input", "bytes", "ipfs", "bzzr0", "bzzr1"
    );
    for (name, data) in &sizes {
        let mut cells = Vec::new();
        for kind in [HashKind::Ipfs, HashKind::Bzzr0, HashKind::Bzzr1] {
            let runs = if data.len() > 1 << 20 { 5 } else { 50 };
            let started = Instant::now();
            let mut ok = true;
            for _ in 0..runs {
                ok &= std::hint::black_box(MetadataHash::compute(kind, data)).is_ok();
            }
            let per = started.elapsed().as_secs_f64() / f64::from(runs);
            cells.push(if ok {
                format!("{:.3} ms", per * 1e3)
            } else {
                "too large".to_string()
            });
        }
        println!(
            "{:<20} {:>10} {:>12} {:>12} {:>12}",
            name,
            data.len(),
            cells[0],
            cells[1],
            cells[2]
        );
    }
}
