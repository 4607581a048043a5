//! The compile-free check: does a fetched bundle match the deployed code?

use std::fmt;

use alloy_primitives::keccak256;

use crate::bundle::{MetadataForm, Provider, ProviderMatch, SourceBundle};
use crate::hash::{HashError, MetadataHash};
use crate::metadata::{Metadata, canonical_text};
use crate::tail::parse_tail;

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The metadata's hash equals the one in the deployed code and every source file has
    /// the keccak-256 the metadata records: these are the sources that were compiled.
    Exact { hash: MetadataHash },
    /// Something differs: the metadata hash, or a source file.
    Mismatch {
        subject: Subject,
        /// What the deployed code commits to (the metadata hash, or the keccak-256 the
        /// matching metadata records for the file).
        onchain: String,
        /// What the provider's file hashes to.
        fetched: String,
        /// What the provider itself claims, when that tempers the finding.
        note: Option<String>,
    },
    /// The match cannot be decided; `reason` is a sentence for the report.
    Unverifiable { reason: String },
}

/// What a mismatch is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The metadata file.
    Metadata,
    /// A source file, by path.
    Source(String),
}

impl Match {
    pub fn is_exact(&self) -> bool {
        matches!(self, Match::Exact { .. })
    }
}

impl fmt::Display for Match {
    /// A plain sentence for the report.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Match::Exact { hash } => write!(
                f,
                "The sources match the deployed code: the metadata hash {hash} in the bytecode \
                 equals the hash of the fetched metadata, and every source file has the \
                 keccak-256 the metadata records."
            ),
            Match::Mismatch {
                subject,
                onchain,
                fetched,
                note,
            } => {
                match subject {
                    Subject::Metadata => write!(
                        f,
                        "The sources do NOT match the deployed code: the bytecode commits to \
                         metadata hash {onchain}, but the fetched metadata hashes to {fetched}."
                    )?,
                    Subject::Source(path) => write!(
                        f,
                        "The sources do NOT match the deployed code: `{path}` should have \
                         keccak-256 {onchain} according to the metadata the bytecode commits \
                         to, but the fetched file has {fetched}."
                    )?,
                }
                match note {
                    Some(note) => write!(f, " {note}"),
                    None => Ok(()),
                }
            }
            Match::Unverifiable { reason } => f.write_str(reason),
        }
    }
}

/// Checks `bundle` against the deployed runtime code, without compiling.
pub fn check(runtime_code: &[u8], bundle: &SourceBundle) -> Match {
    let unverifiable = |reason: String| Match::Unverifiable { reason };
    let tail = match parse_tail(runtime_code) {
        Ok(tail) => tail,
        Err(e) => {
            return unverifiable(format!(
                "The match cannot be checked: the deployed code has no readable Solidity \
                 metadata tail ({e})."
            ));
        }
    };
    if tail.experimental {
        return unverifiable(
            "The match is not checked: the contract was compiled with experimental compiler \
             features."
                .into(),
        );
    }
    let Some(onchain) = tail.hash else {
        return unverifiable(
            "The match cannot be checked: the contract was compiled without a metadata hash \
             (`bytecodeHash: none`)."
                .into(),
        );
    };
    let Some(metadata_text) = &bundle.metadata else {
        let why = match bundle.provider {
            Provider::Etherscan => " (explorer APIs do not provide it)",
            Provider::Sourcify => "",
        };
        return unverifiable(format!(
            "The match cannot be checked: the {} returned no metadata file{why}, so the \
             sources cannot be compared with the metadata hash {onchain} in the bytecode.",
            bundle.provider
        ));
    };
    let fetched = match metadata_hash(
        onchain.kind(),
        metadata_text,
        bundle.metadata_form,
        &onchain,
    ) {
        Ok(hash) => hash,
        Err(HashError::IpfsTooLarge { size }) => {
            return unverifiable(format!(
                "The match cannot be checked: the metadata file is {size} bytes, and its IPFS \
                 hash is only computed for files of one chunk (up to {} bytes).",
                crate::hash::IPFS_MAX_SINGLE_CHUNK
            ));
        }
    };
    if fetched != onchain {
        let note = (bundle.match_status == ProviderMatch::Partial).then(|| {
            format!(
                "The {} reports only a partial match: recompiled, the sources give the same \
                 code except for the metadata hash, so comments, whitespace or file names may \
                 differ from what was deployed; this check does not recompile and cannot \
                 confirm that claim.",
                bundle.provider
            )
        });
        return Match::Mismatch {
            subject: Subject::Metadata,
            onchain: onchain.to_string(),
            fetched: fetched.to_string(),
            note,
        };
    }
    let metadata = match Metadata::parse(metadata_text) {
        Ok(metadata) => metadata,
        Err(e) => {
            return unverifiable(format!(
                "The match cannot be checked: the metadata file has the right hash but its \
                 list of sources cannot be read ({e})."
            ));
        }
    };
    for (path, recorded) in &metadata.sources {
        let Some((_, text)) = bundle.files.iter().find(|(p, _)| p == path) else {
            return unverifiable(format!(
                "The match cannot be checked: the metadata lists `{path}`, which the {} did \
                 not return.",
                bundle.provider
            ));
        };
        let actual = keccak256(text.as_bytes());
        let expected = match (&recorded.keccak256, &recorded.content) {
            (Some(hash), _) => *hash,
            (None, Some(content)) => keccak256(content.as_bytes()),
            (None, None) => {
                return unverifiable(format!(
                    "The match cannot be checked: the metadata records neither a hash nor the \
                     text of `{path}`."
                ));
            }
        };
        if actual != expected {
            return Match::Mismatch {
                subject: Subject::Source(path.clone()),
                onchain: expected.to_string(),
                fetched: actual.to_string(),
                note: None,
            };
        }
    }
    if let Some((path, text)) = bundle
        .files
        .iter()
        .find(|(p, _)| !metadata.sources.contains_key(p))
    {
        return Match::Mismatch {
            subject: Subject::Source(path.clone()),
            onchain: "no such file in the build".into(),
            fetched: keccak256(text.as_bytes()).to_string(),
            note: None,
        };
    }
    Match::Exact { hash: onchain }
}

/// The hash of the metadata text. A re-serialized text that does not match is also tried
/// with non-ASCII characters escaped, the other way compilers have written them.
fn metadata_hash(
    kind: crate::hash::HashKind,
    text: &str,
    form: MetadataForm,
    onchain: &MetadataHash,
) -> Result<MetadataHash, HashError> {
    let hash = MetadataHash::compute(kind, text.as_bytes())?;
    if hash == *onchain || form == MetadataForm::Original || text.is_ascii() {
        return Ok(hash);
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Ok(hash);
    };
    let escaped = MetadataHash::compute(kind, canonical_text(&value, true).as_bytes())?;
    Ok(if escaped == *onchain { escaped } else { hash })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runtime code ending with an IPFS tail for `metadata`.
    fn code_committing_to(metadata: &str) -> Vec<u8> {
        let digest = crate::hash::ipfs_digest(metadata.as_bytes()).unwrap();
        let mut cbor = vec![0xa1, 0x64, b'i', b'p', b'f', b's', 0x58, 0x22, 0x12, 0x20];
        cbor.extend_from_slice(digest.as_slice());
        let mut code = vec![0x00];
        code.extend_from_slice(&cbor);
        code.extend_from_slice(&(cbor.len() as u16).to_be_bytes());
        code
    }

    fn bundle(metadata: String, form: MetadataForm, files: &[(&str, &str)]) -> SourceBundle {
        SourceBundle {
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            contract_name: None,
            compiler_version: None,
            metadata: Some(metadata),
            metadata_form: form,
            remappings: Vec::new(),
            provider: Provider::Sourcify,
            match_status: ProviderMatch::Exact,
        }
    }

    const SOURCE: &str = "contract A {}";

    fn metadata_value() -> serde_json::Value {
        serde_json::json!({
            "compiler": {"version": "0.8.26"},
            "output": {"devdoc": {"details": "Ünïcödé ✓"}},
            "sources": {"A.sol": {"keccak256": keccak256(SOURCE).to_string()}},
        })
    }

    #[test]
    fn reserialized_metadata_matches_either_escaping_of_non_ascii() {
        let value = metadata_value();
        let raw = canonical_text(&value, false);
        let escaped = canonical_text(&value, true);
        assert_ne!(raw, escaped);
        for committed in [&raw, &escaped] {
            let code = code_committing_to(committed);
            let outcome = check(
                &code,
                &bundle(
                    raw.clone(),
                    MetadataForm::Reserialized,
                    &[("A.sol", SOURCE)],
                ),
            );
            assert!(outcome.is_exact(), "{outcome:?}");
        }
        // Original bytes are taken as they are: no second form is tried.
        let code = code_committing_to(&escaped);
        let outcome = check(
            &code,
            &bundle(raw, MetadataForm::Original, &[("A.sol", SOURCE)]),
        );
        assert!(
            matches!(
                outcome,
                Match::Mismatch {
                    subject: Subject::Metadata,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }

    #[test]
    fn oversized_ipfs_metadata_is_unverifiable() {
        let code = code_committing_to("{}");
        let huge = format!(
            "{{\"pad\":\"{}\"}}",
            "x".repeat(crate::hash::IPFS_MAX_SINGLE_CHUNK)
        );
        let outcome = check(&code, &bundle(huge, MetadataForm::Original, &[]));
        assert!(
            matches!(&outcome, Match::Unverifiable { reason } if reason.contains("one chunk")),
            "{outcome:?}"
        );
    }

    #[test]
    fn literal_content_in_the_metadata_is_compared() {
        let value = serde_json::json!({"sources": {"A.sol": {"content": SOURCE}}});
        let text = canonical_text(&value, false);
        let code = code_committing_to(&text);
        let good = check(
            &code,
            &bundle(text.clone(), MetadataForm::Original, &[("A.sol", SOURCE)]),
        );
        assert!(good.is_exact(), "{good:?}");
        let bad = check(
            &code,
            &bundle(text, MetadataForm::Original, &[("A.sol", "contract B {}")]),
        );
        assert!(
            matches!(
                bad,
                Match::Mismatch {
                    subject: Subject::Source(_),
                    ..
                }
            ),
            "{bad:?}"
        );
    }
}
