//! Verified sources of deployed contracts, checked without a compiler.
//!
//! solc appends a CBOR map to the runtime code ([`tail`]) holding the hash of the metadata
//! file it wrote for the build. The metadata file records the keccak-256 of every source
//! file. So a metadata file whose hash ([`hash`]) equals the one in the deployed code, and
//! sources whose keccak-256 equal the ones it records, are the sources that were compiled —
//! no recompilation needed.

pub mod hash;
pub mod metadata;
pub mod tail;

pub use hash::{HashError, HashKind, MetadataHash};
pub use metadata::{Metadata, MetadataError};
pub use tail::{MetadataTail, TailError, parse_tail};
