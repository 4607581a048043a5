//! The tamper-evident audit trail: a hash chain whose every link is also authenticated
//! with an HMAC under the service's secret key.
//!
//! `hash[n] = SHA-256(hash[n-1] || canonical(entry n))` and `mac[n] = HMAC(key, hash[n])`,
//! with `hash[0]` the all-zero genesis value. The head row records the last `seq` and
//! hash under its own MAC, so that removing the newest entries is caught as well. A
//! changed entry breaks its own hash; a deleted or inserted one breaks the sequence and
//! the next link; a reordered pair breaks both links; a forged entry lacks a valid MAC.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{AuditEvent, NewAuditEvent};

/// Hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Holds the HMAC key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<redacted>)")
    }
}

impl Signer {
    pub fn new(key: &[u8]) -> Self {
        Signer { key: key.to_vec() }
    }

    pub fn mac(&self, message: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn mac_matches(&self, message: &str, expected_hex: &str) -> bool {
        let Ok(expected) = hex::decode(expected_hex) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(message.as_bytes());
        mac.verify_slice(&expected).is_ok()
    }
}

/// The recorded end of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
    pub mac: String,
}

/// Canonical bytes of an entry: a JSON array in fixed order, so that no field can be
/// moved into another without changing the hash.
pub fn canonical(seq: i64, event: &NewAuditEvent) -> String {
    serde_json::json!([
        seq,
        event.ts,
        event.tenant_id,
        event.actor,
        event.action,
        event.target,
        event.outcome,
        event.detail,
    ])
    .to_string()
}

pub fn link_hash(prev_hash: &str, seq: i64, event: &NewAuditEvent) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical(seq, event).as_bytes());
    hex::encode(hasher.finalize())
}

pub fn head_message(seq: i64, hash: &str) -> String {
    format!("head:{seq}:{hash}")
}

/// Why verification failed, at which entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The `seq` of the first entry that does not verify (or the expected one when missing).
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: usize,
    pub first_break: Option<Break>,
}

/// Checks the whole chain, entries in ascending `seq` order as stored.
pub fn verify(entries: &[AuditEvent], head: Option<&ChainHead>, signer: &Signer) -> Verification {
    let first_break = find_break(entries, head, signer);
    Verification {
        entries: entries.len(),
        first_break,
    }
}

fn find_break(entries: &[AuditEvent], head: Option<&ChainHead>, signer: &Signer) -> Option<Break> {
    let mut prev = GENESIS.to_string();
    for (index, entry) in entries.iter().enumerate() {
        let expected_seq = index as i64 + 1;
        let brk = |reason: String| {
            Some(Break {
                seq: entry.seq,
                reason,
            })
        };
        if entry.seq != expected_seq {
            return Some(Break {
                seq: expected_seq.min(entry.seq),
                reason: format!(
                    "sequence gap or insertion: expected entry {expected_seq}, found {}",
                    entry.seq
                ),
            });
        }
        if entry.prev_hash != prev {
            return brk("previous-hash link does not match the preceding entry (deleted, inserted or reordered entry)".into());
        }
        let hash = link_hash(&prev, entry.seq, &entry.event);
        if hash != entry.hash {
            return brk("content does not match its hash (entry changed)".into());
        }
        if !signer.mac_matches(&entry.hash, &entry.mac) {
            return brk(
                "HMAC does not verify under the secret key (entry forged or key differs)".into(),
            );
        }
        prev = hash;
    }
    let last_seq = entries.len() as i64;
    match head {
        None if entries.is_empty() => None,
        None => Some(Break {
            seq: last_seq,
            reason: "chain head is missing".into(),
        }),
        Some(head) => {
            if !signer.mac_matches(&head_message(head.seq, &head.hash), &head.mac) {
                Some(Break {
                    seq: head.seq,
                    reason: "chain head HMAC does not verify".into(),
                })
            } else if head.seq != last_seq || head.hash != prev {
                Some(Break {
                    seq: (last_seq + 1).min(head.seq.max(1)),
                    reason: format!(
                        "chain ends at entry {last_seq} but the head records entry {} (entries removed from the end or appended outside the service)",
                        head.seq
                    ),
                })
            } else {
                None
            }
        }
    }
}
