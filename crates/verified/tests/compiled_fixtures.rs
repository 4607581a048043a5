//! The hashes computed from the compiler's metadata files equal the ones solc put in the
//! runtime code, for each hash kind (fixtures compiled by `tests/fixtures/build.sh`).

use std::path::PathBuf;

use verified::{HashKind, MetadataHash, parse_tail};

fn fixture(file: &str, name: &str) -> devnet::Artifact {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    devnet::load_artifact(&path, name).unwrap()
}

/// Every (fixture file, contract, expected hash kind, expected version).
const CASES: &[(&str, &str, HashKind, &str)] = &[
    ("solc-0.8.26.json", "Vault", HashKind::Ipfs, "0.8.26"),
    ("solc-0.8.26.json", "Owned", HashKind::Ipfs, "0.8.26"),
    ("solc-0.6.12.json", "Counter06", HashKind::Ipfs, "0.6.12"),
    ("solc-0.5.17.json", "Counter05", HashKind::Bzzr1, "0.5.17"),
    ("solc-0.5.17.json", "Ledger05", HashKind::Bzzr1, "0.5.17"),
    ("solc-0.4.26.json", "Counter04", HashKind::Bzzr0, ""),
    ("solc-0.4.26.json", "Ledger04", HashKind::Bzzr0, ""),
];

#[test]
fn metadata_hash_equals_the_hash_in_the_runtime_code() {
    for &(file, name, kind, version) in CASES {
        let artifact = fixture(file, name);
        let tail =
            parse_tail(&artifact.deployed_bytecode).unwrap_or_else(|e| panic!("{name}: {e}"));
        let onchain = tail.hash.clone().unwrap();
        assert_eq!(onchain.kind(), kind, "{name}");
        assert_eq!(tail.solc.as_deref().unwrap_or(""), version, "{name}");
        assert!(!tail.experimental);
        let computed = MetadataHash::compute(kind, artifact.metadata.as_bytes()).unwrap();
        assert_eq!(computed, onchain, "{name} ({file})");
    }
}

#[test]
fn the_large_fixtures_span_several_swarm_chunks() {
    // The tree path of the Swarm hashes is only exercised by files over one 4096-byte chunk.
    for name in ["Ledger04", "Ledger05"] {
        let file = if name == "Ledger04" {
            "solc-0.4.26.json"
        } else {
            "solc-0.5.17.json"
        };
        assert!(fixture(file, name).metadata.len() > 3 * 4096, "{name}");
    }
}

#[test]
fn one_changed_byte_of_the_metadata_is_a_different_hash() {
    for &(file, name, kind, _) in CASES {
        let artifact = fixture(file, name);
        let onchain = parse_tail(&artifact.deployed_bytecode)
            .unwrap()
            .hash
            .unwrap();
        let mut metadata = artifact.metadata.into_bytes();
        // Change one byte, at the start, the middle and the end.
        for at in [0, metadata.len() / 2, metadata.len() - 1] {
            metadata[at] ^= 0x01;
            let computed = MetadataHash::compute(kind, &metadata).unwrap();
            assert_ne!(computed, onchain, "{name} at byte {at}");
            metadata[at] ^= 0x01;
        }
        assert_eq!(MetadataHash::compute(kind, &metadata).unwrap(), onchain);
    }
}

#[test]
fn canonical_text_reproduces_the_compilers_metadata() {
    // Providers that return the metadata as a parsed object are checked through this.
    for &(file, name, _, _) in CASES {
        let artifact = fixture(file, name);
        let value: serde_json::Value = serde_json::from_str(&artifact.metadata).unwrap();
        assert_eq!(
            verified::metadata::canonical_text(&value, false),
            artifact.metadata,
            "{name}"
        );
    }
}

#[test]
fn ipfs_hashes_render_as_cid_v0() {
    let artifact = fixture("solc-0.8.26.json", "Vault");
    let hash = parse_tail(&artifact.deployed_bytecode)
        .unwrap()
        .hash
        .unwrap();
    let text = hash.to_string();
    assert!(text.starts_with("Qm") && text.len() == 46, "{text}");
}
