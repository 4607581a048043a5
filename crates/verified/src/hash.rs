//! The metadata hashes solc embeds in runtime code, computed from a metadata file without a
//! compiler.
//!
//! - IPFS (solc ≥ 0.6 by default): the CIDv0 of the metadata file added to IPFS with the
//!   default importer: one UnixFS `File` node in dag-pb, addressed by a sha2-256 multihash
//!   (`0x12 0x20` + digest). Only the single-chunk form is computed: a file larger than one
//!   chunk (262,144 bytes) is a tree of chunks whose layout we do not reproduce, and is
//!   reported as such ([`HashError::IpfsTooLarge`]).
//! - Swarm `bzzr0` (solc 0.4.7 – 0.5.8): the keccak-256 chunk tree of the old Swarm
//!   spec: a chunk is `keccak256(length as 8 bytes little-endian ‖ payload)`, where the
//!   payload is the data itself up to 4096 bytes, else the hashes of the sub-trees, each
//!   covering the largest power of 128 times 4096 bytes that fits.
//! - Swarm `bzzr1` (solc 0.5.9 – 0.5.17): the same chunk tree, but a chunk's payload is
//!   zero-padded to 4096 bytes and hashed as a binary Merkle tree of keccak-256 over
//!   64-byte leaves before the length is prefixed.

use std::fmt;

use alloy_primitives::{B256, keccak256};
use sha2::{Digest, Sha256};

/// The size of one Swarm chunk's payload.
const SWARM_CHUNK: usize = 4096;
/// How many 32-byte hashes one Swarm chunk holds.
const SWARM_BRANCHES: usize = SWARM_CHUNK / 32;
/// The largest file the default IPFS importer stores as a single chunk.
pub const IPFS_MAX_SINGLE_CHUNK: usize = 262_144;

/// Which hash function the compiler used for the metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    Ipfs,
    Bzzr0,
    Bzzr1,
}

impl HashKind {
    /// The key of this hash in the CBOR tail (`ipfs`, `bzzr0`, `bzzr1`).
    pub fn key(self) -> &'static str {
        match self {
            HashKind::Ipfs => "ipfs",
            HashKind::Bzzr0 => "bzzr0",
            HashKind::Bzzr1 => "bzzr1",
        }
    }
}

/// A metadata hash as found in the bytecode or computed from a metadata file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MetadataHash {
    /// The sha2-256 digest of an IPFS CIDv0 (the multihash without its `0x12 0x20` prefix).
    Ipfs(B256),
    Bzzr0(B256),
    Bzzr1(B256),
}

impl MetadataHash {
    pub fn kind(&self) -> HashKind {
        match self {
            MetadataHash::Ipfs(_) => HashKind::Ipfs,
            MetadataHash::Bzzr0(_) => HashKind::Bzzr0,
            MetadataHash::Bzzr1(_) => HashKind::Bzzr1,
        }
    }

    /// The 32-byte digest.
    pub fn digest(&self) -> B256 {
        match self {
            MetadataHash::Ipfs(d) | MetadataHash::Bzzr0(d) | MetadataHash::Bzzr1(d) => *d,
        }
    }

    /// Computes the hash of `kind` over a metadata file's bytes.
    pub fn compute(kind: HashKind, metadata: &[u8]) -> Result<MetadataHash, HashError> {
        Ok(match kind {
            HashKind::Ipfs => MetadataHash::Ipfs(ipfs_digest(metadata)?),
            HashKind::Bzzr0 => MetadataHash::Bzzr0(swarm_bzzr0(metadata)),
            HashKind::Bzzr1 => MetadataHash::Bzzr1(swarm_bzzr1(metadata)),
        })
    }
}

impl fmt::Display for MetadataHash {
    /// IPFS as its CIDv0 (`Qm…`), Swarm hashes as `bzzr0://<hex>` / `bzzr1://<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataHash::Ipfs(digest) => {
                let mut multihash = Vec::with_capacity(34);
                multihash.extend_from_slice(&[0x12, 0x20]);
                multihash.extend_from_slice(digest.as_slice());
                write!(f, "{}", bs58::encode(multihash).into_string())
            }
            MetadataHash::Bzzr0(d) => write!(f, "bzzr0://{}", hex_digits(d.as_slice())),
            MetadataHash::Bzzr1(d) => write!(f, "bzzr1://{}", hex_digits(d.as_slice())),
        }
    }
}

pub(crate) fn hex_digits(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Why a hash could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error(
        "the metadata file is {size} bytes; its IPFS hash would be a tree of chunks, and only the \
         single-chunk form (up to {IPFS_MAX_SINGLE_CHUNK} bytes) is computed"
    )]
    IpfsTooLarge { size: usize },
}

/// The sha2-256 digest of the CIDv0 of `data` added to IPFS as one UnixFS file chunk.
pub fn ipfs_digest(data: &[u8]) -> Result<B256, HashError> {
    if data.len() > IPFS_MAX_SINGLE_CHUNK {
        return Err(HashError::IpfsTooLarge { size: data.len() });
    }
    // UnixFS `Data` message: Type = File (field 1, varint 2), Data (field 2, bytes),
    // filesize (field 3, varint).
    let mut unixfs = Vec::with_capacity(data.len() + 16);
    unixfs.extend_from_slice(&[0x08, 0x02]);
    if !data.is_empty() {
        unixfs.push(0x12);
        push_varint(&mut unixfs, data.len() as u64);
        unixfs.extend_from_slice(data);
    }
    unixfs.push(0x18);
    push_varint(&mut unixfs, data.len() as u64);
    // dag-pb `PBNode` with no links: Data (field 1, bytes) = the UnixFS message.
    let mut node = Vec::with_capacity(unixfs.len() + 8);
    node.push(0x0a);
    push_varint(&mut node, unixfs.len() as u64);
    node.extend_from_slice(&unixfs);
    Ok(B256::from_slice(&Sha256::digest(&node)))
}

/// Protobuf's base-128 varint.
fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The largest span one child of a node over `len` bytes covers: 4096 × 128ᵏ.
fn swarm_child_span(len: usize) -> usize {
    let mut span = SWARM_CHUNK;
    while span.saturating_mul(SWARM_BRANCHES) < len {
        span *= SWARM_BRANCHES;
    }
    span
}

/// The old Swarm (`bzzr0`) chunk-tree hash.
pub fn swarm_bzzr0(data: &[u8]) -> B256 {
    let payload = if data.len() <= SWARM_CHUNK {
        data.to_vec()
    } else {
        let span = swarm_child_span(data.len());
        data.chunks(span)
            .flat_map(|child| swarm_bzzr0(child).0)
            .collect()
    };
    length_prefixed_keccak(data.len(), &payload)
}

/// The Swarm binary-Merkle-tree (`bzzr1`) chunk hash.
pub fn swarm_bzzr1(data: &[u8]) -> B256 {
    bzzr1_node(data, false)
}

/// One node of the bzzr1 tree. A span of exactly one chunk is a leaf unless its parent covers
/// more than one chunk per child, in which case it is an intermediate node over one leaf.
fn bzzr1_node(data: &[u8], below_intermediate: bool) -> B256 {
    let mut payload =
        if data.len() < SWARM_CHUNK || (data.len() == SWARM_CHUNK && !below_intermediate) {
            data.to_vec()
        } else {
            let span = swarm_child_span(data.len());
            let children_are_intermediate = span > SWARM_CHUNK;
            data.chunks(span)
                .flat_map(|child| bzzr1_node(child, children_are_intermediate).0)
                .collect()
        };
    payload.resize(SWARM_CHUNK, 0);
    let root = binary_merkle_root(&payload);
    length_prefixed_keccak(data.len(), root.as_slice())
}

/// keccak-256 over pairs of hashes down to 64-byte leaves.
fn binary_merkle_root(data: &[u8]) -> B256 {
    if data.len() <= 64 {
        return keccak256(data);
    }
    let (left, right) = data.split_at(data.len() / 2);
    let mut pair = [0u8; 64];
    pair[..32].copy_from_slice(binary_merkle_root(left).as_slice());
    pair[32..].copy_from_slice(binary_merkle_root(right).as_slice());
    keccak256(pair)
}

fn length_prefixed_keccak(len: usize, payload: &[u8]) -> B256 {
    let mut buf = Vec::with_capacity(8 + payload.len());
    buf.extend_from_slice(&(len as u64).to_le_bytes());
    buf.extend_from_slice(payload);
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_matches_protobuf() {
        let mut out = Vec::new();
        push_varint(&mut out, 300);
        assert_eq!(out, vec![0xac, 0x02]);
        out.clear();
        push_varint(&mut out, 127);
        assert_eq!(out, vec![0x7f]);
    }

    #[test]
    fn ipfs_of_a_known_file() {
        // `hello world` (11 bytes, no newline) added with the default importer is
        // Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD.
        let hash = MetadataHash::Ipfs(ipfs_digest(b"hello world").unwrap());
        assert_eq!(
            hash.to_string(),
            "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
        );
    }

    #[test]
    fn ipfs_refuses_a_multi_chunk_file() {
        let data = vec![b'x'; IPFS_MAX_SINGLE_CHUNK + 1];
        assert_eq!(
            ipfs_digest(&data),
            Err(HashError::IpfsTooLarge {
                size: IPFS_MAX_SINGLE_CHUNK + 1
            })
        );
        assert!(ipfs_digest(&data[..IPFS_MAX_SINGLE_CHUNK]).is_ok());
    }

    #[test]
    fn swarm_spans_grow_by_powers_of_128() {
        assert_eq!(swarm_child_span(4097), 4096);
        assert_eq!(swarm_child_span(4096 * 128), 4096);
        assert_eq!(swarm_child_span(4096 * 128 + 1), 4096 * 128);
    }

    #[test]
    fn small_swarm_hashes_are_one_chunk() {
        let data = b"metadata";
        let mut expected = (data.len() as u64).to_le_bytes().to_vec();
        expected.extend_from_slice(data);
        assert_eq!(swarm_bzzr0(data), keccak256(&expected));
        // bzzr1 pads to a full chunk and hashes it as a binary Merkle tree.
        let mut padded = data.to_vec();
        padded.resize(4096, 0);
        let mut expected = (data.len() as u64).to_le_bytes().to_vec();
        expected.extend_from_slice(binary_merkle_root(&padded).as_slice());
        assert_eq!(swarm_bzzr1(data), keccak256(&expected));
    }
}
