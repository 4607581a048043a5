//! A `chain::StateReader` over accounts held in memory: the unit tests run the compiled
//! fixtures without a node.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::PathBuf;

use alloy_primitives::{Address, B256, Bytes, U256};
use chain::{ChainError, StateReader};

#[derive(Default, Clone)]
pub(crate) struct Account {
    pub(crate) code: Vec<u8>,
    pub(crate) balance: U256,
    pub(crate) nonce: u64,
    pub(crate) storage: HashMap<U256, B256>,
}

/// Accounts at one block; reads at any other block are refused.
pub(crate) struct MemoryReader {
    pub(crate) block: u64,
    pub(crate) chain_id: u64,
    pub(crate) accounts: HashMap<Address, Account>,
    /// Storage reads fail with this message when set (an unreachable node).
    pub(crate) failing_storage: Option<String>,
    pub(crate) reads: Cell<usize>,
}

impl MemoryReader {
    pub(crate) fn new(block: u64) -> Self {
        MemoryReader {
            block,
            chain_id: 31337,
            accounts: HashMap::new(),
            failing_storage: None,
            reads: Cell::new(0),
        }
    }

    fn check(&self, block: u64) -> Result<(), ChainError> {
        self.reads.set(self.reads.get() + 1);
        if block == self.block {
            Ok(())
        } else {
            Err(ChainError::Other(format!("block {block} is not held")))
        }
    }

    fn account(&self, address: Address) -> Account {
        self.accounts.get(&address).cloned().unwrap_or_default()
    }
}

impl StateReader for MemoryReader {
    fn chain_id(&self) -> Result<u64, ChainError> {
        Ok(self.chain_id)
    }
    fn block_number(&self) -> Result<u64, ChainError> {
        Ok(self.block)
    }
    fn code(&self, address: Address, block: u64) -> Result<Bytes, ChainError> {
        self.check(block)?;
        Ok(Bytes::from(self.account(address).code))
    }
    fn storage(&self, address: Address, slot: U256, block: u64) -> Result<B256, ChainError> {
        self.check(block)?;
        if let Some(message) = &self.failing_storage {
            return Err(ChainError::Transport {
                endpoint: "memory".into(),
                message: message.clone(),
            });
        }
        Ok(self
            .account(address)
            .storage
            .get(&slot)
            .copied()
            .unwrap_or_default())
    }
    fn balance(&self, address: Address, block: u64) -> Result<U256, ChainError> {
        self.check(block)?;
        Ok(self.account(address).balance)
    }
    fn nonce(&self, address: Address, block: u64) -> Result<u64, ChainError> {
        self.check(block)?;
        Ok(self.account(address).nonce)
    }
    fn call(&self, _to: Address, _data: &[u8], _block: u64) -> Result<Bytes, ChainError> {
        Err(ChainError::Other("the memory reader runs no calls".into()))
    }
}

pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fixtures.json")
}

/// The runtime code of a fixture contract.
pub(crate) fn runtime(name: &str) -> Vec<u8> {
    devnet::load_artifact(&fixtures(), name)
        .unwrap()
        .deployed_bytecode
}

/// An address as a storage word.
pub(crate) fn address_word(address: Address) -> B256 {
    let mut word = [0u8; 32];
    word[12..].copy_from_slice(address.as_slice());
    B256::from(word)
}
