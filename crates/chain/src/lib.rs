//! Reading deployed contracts from an EVM chain.
//!
//! [`StateReader`] is the one view of chain state the rest of the workspace uses: the
//! JSON-RPC client implements it against real endpoints, tests and the simulator can
//! implement it over anything else. Every read names the block it reads at, so that one
//! scan sees one consistent state.

use alloy_primitives::{Address, B256, Bytes, U256};

/// Why a read from the chain failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The endpoint could not be reached, timed out, or answered something that is not a
    /// JSON-RPC response; `endpoint` is the URL with any credentials removed.
    #[error("{endpoint}: {message}")]
    Transport { endpoint: String, message: String },
    /// The node answered with a JSON-RPC error.
    #[error("{endpoint}: {method} failed: {message}")]
    Rpc {
        endpoint: String,
        method: String,
        message: String,
    },
    /// Anything else: a wrong chain id, a budget spent, an answer of the wrong shape.
    #[error("{0}")]
    Other(String),
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
}
