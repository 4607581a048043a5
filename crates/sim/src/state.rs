//! The EVM's view of the chain: accounts and storage words read lazily through a
//! [`StateReader`] at one fixed block and cached for the run. Nothing is ever written back:
//! the only "writes" are simulation-only balance overrides held in memory.

use std::collections::HashMap;

use alloy_primitives::{Address, B256, U256, keccak256};
use chain::{ChainError, StateReader};
use revm::Database;
use revm::bytecode::Bytecode;
use revm::database_interface::DBErrorMarker;
use revm::state::AccountInfo;

/// A read from the chain that failed during a simulation.
#[derive(Debug, thiserror::Error)]
#[error("reading {what} at block {block}: {source}")]
pub struct ReadError {
    /// What was being read (`code of 0x…`, `storage 0x… of 0x…`).
    pub what: String,
    pub block: u64,
    #[source]
    pub source: ChainError,
}

impl DBErrorMarker for ReadError {}

/// One account as it was at the block, before any simulated call.
#[derive(Debug, Clone)]
pub(crate) struct AccountAtBlock {
    pub(crate) balance: U256,
    pub(crate) nonce: u64,
    pub(crate) code: Bytecode,
    pub(crate) code_hash: B256,
}

impl AccountAtBlock {
    fn exists(&self) -> bool {
        !self.balance.is_zero() || self.nonce != 0 || !self.code.is_empty()
    }
}

/// State read on demand from a [`StateReader`] at `block`, cached for the run.
pub(crate) struct LazyState<'r, R: ?Sized> {
    reader: &'r R,
    block: u64,
    accounts: HashMap<Address, AccountAtBlock>,
    storage: HashMap<(Address, U256), U256>,
    codes: HashMap<B256, Bytecode>,
    balance_overrides: HashMap<Address, U256>,
    reads: usize,
}

impl<'r, R: StateReader + ?Sized> LazyState<'r, R> {
    pub(crate) fn new(reader: &'r R, block: u64) -> Self {
        LazyState {
            reader,
            block,
            accounts: HashMap::new(),
            storage: HashMap::new(),
            codes: HashMap::new(),
            balance_overrides: HashMap::new(),
            reads: 0,
        }
    }

    pub(crate) fn block(&self) -> u64 {
        self.block
    }

    /// How many reads went to the chain so far (cache misses).
    pub(crate) fn reads(&self) -> usize {
        self.reads
    }

    fn read_error(&self, what: String) -> impl FnOnce(ChainError) -> ReadError {
        let block = self.block;
        move |source| ReadError {
            what,
            block,
            source,
        }
    }

    /// The account as it is at the block (without simulation overrides).
    pub(crate) fn account(&mut self, address: Address) -> Result<AccountAtBlock, ReadError> {
        if let Some(account) = self.accounts.get(&address) {
            return Ok(account.clone());
        }
        let block = self.block;
        let code = self
            .reader
            .code(address, block)
            .map_err(self.read_error(format!("code of {address}")))?;
        let balance = self
            .reader
            .balance(address, block)
            .map_err(self.read_error(format!("balance of {address}")))?;
        let nonce = self
            .reader
            .nonce(address, block)
            .map_err(self.read_error(format!("nonce of {address}")))?;
        self.reads += 3;
        let code_hash = keccak256(&code);
        let code = Bytecode::new_raw(code);
        self.codes.insert(code_hash, code.clone());
        let account = AccountAtBlock {
            balance,
            nonce,
            code,
            code_hash,
        };
        self.accounts.insert(address, account.clone());
        Ok(account)
    }

    /// The balance the simulation starts from: the override when there is one.
    pub(crate) fn starting_balance(&mut self, address: Address) -> Result<U256, ReadError> {
        match self.balance_overrides.get(&address) {
            Some(balance) => Ok(*balance),
            None => Ok(self.account(address)?.balance),
        }
    }

    /// Gives `address` `balance` in the simulation only.
    pub(crate) fn override_balance(&mut self, address: Address, balance: U256) {
        self.balance_overrides.insert(address, balance);
    }

    pub(crate) fn clear_overrides(&mut self) {
        self.balance_overrides.clear();
    }

    /// One storage word as it is at the block.
    pub(crate) fn word(&mut self, address: Address, slot: U256) -> Result<U256, ReadError> {
        if let Some(value) = self.storage.get(&(address, slot)) {
            return Ok(*value);
        }
        let word = self
            .reader
            .storage(address, slot, self.block)
            .map_err(self.read_error(format!("storage slot {slot:#x} of {address}")))?;
        self.reads += 1;
        let value = U256::from_be_bytes(word.0);
        self.storage.insert((address, slot), value);
        Ok(value)
    }
}

impl<R: StateReader + ?Sized> Database for LazyState<'_, R> {
    type Error = ReadError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, ReadError> {
        let account = self.account(address)?;
        let overridden = self.balance_overrides.get(&address).copied();
        if !account.exists() && overridden.is_none() {
            return Ok(None);
        }
        Ok(Some(AccountInfo {
            balance: overridden.unwrap_or(account.balance),
            nonce: account.nonce,
            code_hash: account.code_hash,
            code: Some(account.code),
            ..AccountInfo::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, ReadError> {
        self.codes
            .get(&code_hash)
            .cloned()
            .ok_or_else(|| ReadError {
                what: format!("code with hash {code_hash}"),
                block: self.block,
                source: ChainError::Other(
                    "no account read so far has this code; a code hash cannot be read alone".into(),
                ),
            })
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, ReadError> {
        self.word(address, index)
    }

    /// The reader has no block-hash read: `BLOCKHASH` sees zero, which is also what the
    /// EVM answers for blocks out of its 256-block window.
    fn block_hash(&mut self, _number: u64) -> Result<B256, ReadError> {
        Ok(B256::ZERO)
    }
}
