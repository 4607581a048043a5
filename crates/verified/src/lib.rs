//! Verified sources of deployed contracts, fetched and checked without a compiler.
//!
//! solc appends a CBOR map to the runtime code ([`tail`]) holding the hash of the metadata
//! file it wrote for the build. The metadata file records the keccak-256 of every source
//! file. So a metadata file whose hash ([`hash`]) equals the one in the deployed code, and
//! sources whose keccak-256 equal the ones it records, are the sources that were compiled:
//! [`check`] decides that without recompiling, and says plainly when it cannot.
//!
//! [`fetch`] asks a Sourcify-compatible server (v2 API), then an Etherscan-compatible API
//! when a key is configured. The resulting [`SourceBundle`] goes to the analyzer as
//! in-memory sources: `project::Project::from_sources(bundle.project_sources(), …)`.

pub mod bundle;
pub mod check;
pub mod config;
pub mod error;
pub mod etherscan;
pub mod hash;
mod http;
pub mod metadata;
pub mod sourcify;
pub mod tail;

use alloy_primitives::Address;

pub use bundle::{MetadataForm, Provider, ProviderMatch, SourceBundle};
pub use check::{Match, Subject, check};
pub use config::{ApiKey, SourcesConfig};
pub use error::Error;
pub use hash::{HashError, HashKind, MetadataHash};
pub use metadata::{Metadata, MetadataError};
pub use tail::{MetadataTail, TailError, parse_tail};

/// Fetches the verified sources of `address` on `chain_id`.
///
/// Sourcify (when `sourcify_url` is set) is asked first, since it has the metadata file
/// that [`check`] needs; the explorer (when `etherscan_url` is set and a key is available)
/// second. `Ok(None)` means every provider asked answered that the contract is not
/// verified. When no provider has it and one of them failed, that failure is returned:
/// "not verified" is never reported on the strength of a failed request.
pub fn fetch(
    config: &SourcesConfig,
    chain_id: u64,
    address: Address,
) -> Result<Option<SourceBundle>, Error> {
    let client = http::Client::new(config);
    let mut failure = None;
    if !config.sourcify_url.is_empty() {
        match sourcify::fetch(&client, &config.sourcify_url, chain_id, address) {
            Ok(Some(bundle)) => return Ok(Some(bundle)),
            Ok(None) => {}
            Err(e) => failure = Some(e),
        }
    }
    if !config.etherscan_url.is_empty()
        && let Some(key) = config.resolved_etherscan_key()
    {
        match etherscan::fetch(&client, &config.etherscan_url, &key, chain_id, address) {
            Ok(Some(bundle)) => return Ok(Some(bundle)),
            Ok(None) => {}
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(None),
    }
}
