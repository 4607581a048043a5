//! A `chain::StateReader` over a local Anvil node's JSON-RPC, for the node tests only. The
//! workspace's RPC client implements the same trait and can take its place.

use std::cell::Cell;

use alloy_primitives::{Address, B256, Bytes, U256};
use chain::{ChainError, StateReader};
use devnet::Anvil;
use serde_json::{Value, json};

pub(crate) struct AnvilReader<'a> {
    node: &'a Anvil,
    /// Reads made, to show that the simulation only reads.
    pub(crate) requests: Cell<usize>,
}

/// The timestamp and base fee of a block, for an explicit block environment.
pub(crate) struct Header {
    pub(crate) timestamp: u64,
    pub(crate) basefee: u64,
}

impl<'a> AnvilReader<'a> {
    pub(crate) fn new(node: &'a Anvil) -> Self {
        AnvilReader {
            node,
            requests: Cell::new(0),
        }
    }

    fn request(&self, method: &str, params: Value) -> Result<Value, ChainError> {
        self.requests.set(self.requests.get() + 1);
        self.node
            .rpc(method, params)
            .map_err(|error| ChainError::Rpc {
                endpoint: self.node.url().to_string(),
                method: method.to_string(),
                message: error.to_string(),
            })
    }

    fn parse<T: serde::de::DeserializeOwned>(method: &str, value: Value) -> Result<T, ChainError> {
        serde_json::from_value(value)
            .map_err(|e| ChainError::Other(format!("{method}: answer of the wrong shape: {e}")))
    }

    pub(crate) fn header(&self, block: u64) -> Result<Header, ChainError> {
        let value = self.request("eth_getBlockByNumber", json!([tag(block), false]))?;
        let field = |name: &str| -> Result<u64, ChainError> {
            let quantity: U256 = Self::parse("eth_getBlockByNumber", value[name].clone())?;
            u64::try_from(quantity)
                .map_err(|_| ChainError::Other(format!("{name} does not fit in 64 bits")))
        };
        Ok(Header {
            timestamp: field("timestamp")?,
            basefee: field("baseFeePerGas")?,
        })
    }
}

fn tag(block: u64) -> String {
    format!("{block:#x}")
}

fn quantity_u64(method: &str, value: Value) -> Result<u64, ChainError> {
    let quantity: U256 = AnvilReader::parse(method, value)?;
    u64::try_from(quantity).map_err(|_| ChainError::Other(format!("{method}: over 64 bits")))
}

impl StateReader for AnvilReader<'_> {
    fn chain_id(&self) -> Result<u64, ChainError> {
        quantity_u64("eth_chainId", self.request("eth_chainId", json!([]))?)
    }

    fn block_number(&self) -> Result<u64, ChainError> {
        quantity_u64(
            "eth_blockNumber",
            self.request("eth_blockNumber", json!([]))?,
        )
    }

    fn code(&self, address: Address, block: u64) -> Result<Bytes, ChainError> {
        let value = self.request("eth_getCode", json!([address, tag(block)]))?;
        Self::parse("eth_getCode", value)
    }

    fn storage(&self, address: Address, slot: U256, block: u64) -> Result<B256, ChainError> {
        let value = self.request(
            "eth_getStorageAt",
            json!([address, B256::from(slot), tag(block)]),
        )?;
        Self::parse("eth_getStorageAt", value)
    }

    fn balance(&self, address: Address, block: u64) -> Result<U256, ChainError> {
        let value = self.request("eth_getBalance", json!([address, tag(block)]))?;
        Self::parse("eth_getBalance", value)
    }

    fn nonce(&self, address: Address, block: u64) -> Result<u64, ChainError> {
        let value = self.request("eth_getTransactionCount", json!([address, tag(block)]))?;
        quantity_u64("eth_getTransactionCount", value)
    }

    fn call(&self, to: Address, data: &[u8], block: u64) -> Result<Bytes, ChainError> {
        let value = self.request(
            "eth_call",
            json!([{"to": to, "data": devnet::hex(data)}, tag(block)]),
        )?;
        Self::parse("eth_call", value)
    }
}
