//! Reading deployed contracts from an EVM chain.
//!
//! [`StateReader`] is the one view of chain state the rest of the workspace uses: the
//! JSON-RPC client ([`RpcClient`]) implements it against real endpoints, tests and the
//! simulator can implement it over anything else. Every read names the block it reads at,
//! so that one scan sees one consistent state.
//!
//! Endpoint URLs often carry an API key (`https://user:pass@host/`, `…/v3/KEY`,
//! `…?apikey=KEY`). No error message and no `Display` or `Debug` of this crate shows one:
//! endpoints are always named by their redacted form ([`redact_url`]).

mod config;
mod evm;
pub mod proxy;
mod redact;
mod rpc;
pub mod upgrade;

pub use config::ClientConfig;
pub use redact::redact_url;
pub use rpc::RpcClient;

use alloy_primitives::{Address, B256, Bytes, U256};

/// Why a read from the chain failed. `endpoint` is always the URL with any credentials
/// removed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The endpoint could not be reached, timed out, or answered with an HTTP error status.
    #[error("{endpoint}: {message}")]
    Transport { endpoint: String, message: String },
    /// The node answered with a JSON-RPC error (a rate-limit error, code -32005, only after
    /// the retries and the other endpoints).
    #[error("{endpoint}: {method} failed: {message}")]
    Rpc {
        endpoint: String,
        method: String,
        message: String,
    },
    /// The endpoint answered something that is not the JSON-RPC response expected for
    /// `method` (not JSON, no result, a result of the wrong shape).
    #[error("{endpoint}: {method}: malformed response: {message}")]
    Malformed {
        endpoint: String,
        method: String,
        message: String,
    },
    /// The endpoint serves another chain than the one configured (or than the other
    /// endpoints of the same client).
    #[error("{endpoint}: wrong chain: expected chain id {expected}, the endpoint serves {actual}")]
    WrongChain {
        endpoint: String,
        expected: u64,
        actual: u64,
    },
    /// The response body was longer than the configured limit.
    #[error("{endpoint}: {method}: response larger than the limit of {limit} bytes")]
    ResponseTooLarge {
        endpoint: String,
        method: String,
        limit: u64,
    },
    /// The client's request budget is spent; `method` is the request that was refused.
    #[error("request budget of {budget} requests spent: {method} not sent")]
    BudgetSpent { budget: u64, method: String },
    /// Every endpoint failed; the failure of each, in the order they were tried.
    #[error("all {} endpoints failed: {}", .0.len(), join_errors(.0))]
    AllEndpointsFailed(Vec<ChainError>),
    /// Anything else: a configuration that cannot work, an answer that cannot be used.
    #[error("{0}")]
    Other(String),
}

fn join_errors(errors: &[ChainError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Read access to chain state at a given block.
pub trait StateReader {
    /// The chain id the endpoint serves.
    fn chain_id(&self) -> Result<u64, ChainError>;
    /// The latest block number.
    fn block_number(&self) -> Result<u64, ChainError>;
    /// Runtime code at `address` (empty when there is none).
    fn code(&self, address: Address, block: u64) -> Result<Bytes, ChainError>;
    /// One storage word of `address`.
    fn storage(&self, address: Address, slot: U256, block: u64) -> Result<B256, ChainError>;
    /// Ether balance of `address`, in wei.
    fn balance(&self, address: Address, block: u64) -> Result<U256, ChainError>;
    /// Transaction count (nonce) of `address`.
    fn nonce(&self, address: Address, block: u64) -> Result<u64, ChainError>;
    /// `eth_call` of `data` to `to`, from no particular sender.
    fn call(&self, to: Address, data: &[u8], block: u64) -> Result<Bytes, ChainError>;
    /// The parts of block `block`'s header a simulation needs. Readers that cannot read
    /// headers answer an error (the default), and a simulation then runs with zeros.
    fn header(&self, block: u64) -> Result<BlockHeader, ChainError> {
        Err(ChainError::Other(format!(
            "this reader cannot read the header of block {block}"
        )))
    }
}

/// What a simulation takes from a block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockHeader {
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    /// Base fee per gas in wei (EIP-1559); zero before London.
    pub base_fee: u64,
    pub gas_limit: u64,
}
