//! The tamper-evident audit trail: a hash chain whose every link is also authenticated
//! with an HMAC under the service's secret key.
//!
//! `hash[n] = SHA-256(hash[n-1] || canonical(entry n))` and `mac[n] = HMAC(key, hash[n])`,
//! with `hash[0]` the all-zero genesis value. The head row records the last `seq` and
//! hash under its own MAC, so that removing the newest entries is caught as well. A
//! changed entry breaks its own hash; a deleted or inserted one breaks the sequence and
//! the next link; a reordered pair breaks both links; a forged entry lacks a valid MAC.
//!
//! Retention prunes the oldest entries, never silently: the transaction that deletes
//! entries `..=seq` also stores a [`Checkpoint`] holding that `seq`, the hash of the entry
//! and the number deleted, under its own MAC. Verification then starts from the latest
//! checkpoint instead of the genesis value, and checks that the checkpoints account for
//! every pruned entry, so that a deleted or forged checkpoint, or entries deleted without
//! one, are caught like any other tampering.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{AuditEvent, NewAuditEvent, StoreError};

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

/// A pruning of the trail: the entries up to and including `seq` were deleted; the last
/// had hash `hash`; this pruning deleted `pruned` of them at `created_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub pruned: i64,
    pub created_at: i64,
    pub mac: String,
}

impl Checkpoint {
    /// A checkpoint after the entry `seq` with hash `hash`, signed.
    pub fn new(seq: i64, hash: &str, pruned: i64, created_at: i64, signer: &Signer) -> Self {
        Checkpoint {
            seq,
            hash: hash.to_string(),
            pruned,
            created_at,
            mac: signer.mac(&checkpoint_message(seq, hash, pruned, created_at)),
        }
    }

    pub fn mac_verifies(&self, signer: &Signer) -> bool {
        signer.mac_matches(
            &checkpoint_message(self.seq, &self.hash, self.pruned, self.created_at),
            &self.mac,
        )
    }
}

pub fn checkpoint_message(seq: i64, hash: &str, pruned: i64, created_at: i64) -> String {
    format!("checkpoint:{seq}:{hash}:{pruned}:{created_at}")
}

/// The checkpoint that replaces `old`, the entries about to be pruned (the start of the
/// remaining chain, after `latest`); `None` when there are none. Refuses (as corrupt)
/// when the latest checkpoint or those entries do not verify: pruning must never turn a
/// tampered part of the trail into a valid checkpoint.
pub fn prepare_checkpoint(
    latest: Option<&Checkpoint>,
    old: &[AuditEvent],
    now: i64,
    signer: &Signer,
) -> Result<Option<Checkpoint>, StoreError> {
    let Some(last) = old.last() else {
        return Ok(None);
    };
    if let Some(latest) = latest
        && !latest.mac_verifies(signer)
    {
        return Err(StoreError::Corrupt(format!(
            "the audit trail checkpoint at entry {} does not verify; nothing pruned",
            latest.seq
        )));
    }
    let start = latest.map_or((0, GENESIS), |c| (c.seq, c.hash.as_str()));
    if let Some(brk) = verify_segment(old, start, signer) {
        return Err(StoreError::Corrupt(format!(
            "the audit trail does not verify at entry {}: {}; nothing pruned",
            brk.seq, brk.reason
        )));
    }
    Ok(Some(Checkpoint::new(
        last.seq,
        &last.hash,
        last.seq - start.0,
        now,
        signer,
    )))
}

/// Everything verification reads, from one snapshot of the database.
#[derive(Debug, Clone, Default)]
pub struct TrailSnapshot {
    /// The remaining entries, ascending `seq`.
    pub entries: Vec<AuditEvent>,
    pub head: Option<ChainHead>,
    /// Every checkpoint, ascending `seq`.
    pub checkpoints: Vec<Checkpoint>,
}

/// Where a verified chain starts when older entries were pruned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainStart {
    /// The last pruned entry (the chain goes on at `seq + 1`).
    pub seq: i64,
    /// When the latest checkpoint was written.
    pub created_at: i64,
    /// Entries pruned in all (1 to `seq`).
    pub pruned: i64,
    /// Checkpoints written so far.
    pub checkpoints: usize,
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
    /// The checkpoint the remaining chain starts at; `None` when nothing was pruned.
    pub checkpoint: Option<ChainStart>,
}

/// Checks the whole chain, entries in ascending `seq` order as stored, from the genesis
/// value (a trail that was never pruned).
pub fn verify(entries: &[AuditEvent], head: Option<&ChainHead>, signer: &Signer) -> Verification {
    let first_break = find_break(entries, head, (0, GENESIS), signer);
    Verification {
        entries: entries.len(),
        first_break,
        checkpoint: None,
    }
}

/// Checks the remaining chain from the latest checkpoint, and the checkpoints: each MAC,
/// and that together they account for every entry before the first remaining one.
pub fn verify_snapshot(snapshot: &TrailSnapshot, signer: &Signer) -> Verification {
    let entries = &snapshot.entries;
    let latest = snapshot.checkpoints.last();
    let checkpoint = latest.map(|c| ChainStart {
        seq: c.seq,
        created_at: c.created_at,
        pruned: c.seq,
        checkpoints: snapshot.checkpoints.len(),
    });
    let first_break = checkpoint_break(&snapshot.checkpoints, signer).or_else(|| {
        let start = latest.map_or((0, GENESIS), |c| (c.seq, c.hash.as_str()));
        find_break(entries, snapshot.head.as_ref(), start, signer)
    });
    Verification {
        entries: entries.len(),
        first_break,
        checkpoint,
    }
}

/// Checks that the entries after `start` (`(seq, hash)` of the entry before the first
/// one) form a valid chain, without looking at the head: the part of the trail that a
/// pruning is about to replace by a checkpoint, so that pruning never hides tampering.
pub fn verify_segment(
    entries: &[AuditEvent],
    start: (i64, &str),
    signer: &Signer,
) -> Option<Break> {
    walk(entries, start, signer).err()
}

fn checkpoint_break(checkpoints: &[Checkpoint], signer: &Signer) -> Option<Break> {
    let mut accounted = 0;
    for checkpoint in checkpoints {
        if !checkpoint.mac_verifies(signer) {
            return Some(Break {
                seq: checkpoint.seq,
                reason: format!(
                    "checkpoint at entry {} does not verify under the secret key (checkpoint forged or edited, or key differs)",
                    checkpoint.seq
                ),
            });
        }
        if checkpoint.pruned < 1 || checkpoint.seq != accounted + checkpoint.pruned {
            return Some(Break {
                seq: accounted + 1,
                reason: format!(
                    "the checkpoints do not account for the pruned entries {}..={} (a checkpoint was deleted)",
                    accounted + 1,
                    checkpoint.seq - checkpoint.pruned
                ),
            });
        }
        accounted = checkpoint.seq;
    }
    None
}

/// Walks the chain from `start`; the `(seq, hash)` of its last entry, or the first break.
fn walk(
    entries: &[AuditEvent],
    start: (i64, &str),
    signer: &Signer,
) -> Result<(i64, String), Break> {
    let (start_seq, start_hash) = start;
    if let Some(first) = entries.first()
        && first.seq != start_seq + 1
    {
        let reason = if start_seq == 0 && first.seq > 1 {
            format!(
                "entries 1..={} are missing and no checkpoint records their pruning (deleted, or pruned without a checkpoint)",
                first.seq - 1
            )
        } else if first.seq > start_seq + 1 {
            format!(
                "entries {}..={} are missing: the latest checkpoint ends at entry {start_seq} (entries deleted, or the latest checkpoint deleted)",
                start_seq + 1,
                first.seq - 1
            )
        } else {
            format!(
                "entry {} is still present although the checkpoint records entries up to {start_seq} as pruned",
                first.seq
            )
        };
        return Err(Break {
            seq: (start_seq + 1).min(first.seq),
            reason,
        });
    }
    let mut prev = start_hash.to_string();
    let mut last_seq = start_seq;
    for (index, entry) in entries.iter().enumerate() {
        let expected_seq = start_seq + index as i64 + 1;
        let brk = |reason: String| {
            Err(Break {
                seq: entry.seq,
                reason,
            })
        };
        if entry.seq != expected_seq {
            return Err(Break {
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
        last_seq = entry.seq;
    }
    Ok((last_seq, prev))
}

fn find_break(
    entries: &[AuditEvent],
    head: Option<&ChainHead>,
    start: (i64, &str),
    signer: &Signer,
) -> Option<Break> {
    let (last_seq, prev) = match walk(entries, start, signer) {
        Ok(end) => end,
        Err(brk) => return Some(brk),
    };
    match head {
        None if entries.is_empty() && start.0 == 0 => None,
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
