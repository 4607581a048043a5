//! One call executed in revm over the lazily read state, and what it changed.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use chain::StateReader;
use revm::context::result::{EVMError, ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::inspector::Inspector;
use revm::primitives::hardfork::SpecId;
use revm::state::EvmState;
use revm::{InspectEvm, MainBuilder, MainContext};

use crate::revert::RevertReason;
use crate::state::{LazyState, ReadError};

/// A call to simulate. Nothing is signed or sent: `from` needs no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    pub from: Address,
    pub to: Address,
    pub data: Bytes,
    /// Wei sent with the call.
    pub value: U256,
    pub gas_limit: u64,
}

impl CallRequest {
    /// The gas limit used when none is chosen: generous, below any block limit.
    pub const DEFAULT_GAS_LIMIT: u64 = 10_000_000;
}

/// The block the simulation runs in: its number, the chain id, and the timestamp, base fee
/// and gas limit of its header (see [`BlockEnvironment::from_reader`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockEnvironment {
    pub number: u64,
    pub timestamp: u64,
    /// Base fee in wei; the simulated call pays exactly this gas price.
    pub basefee: u64,
    pub chain_id: u64,
    pub gas_limit: u64,
    /// The EVM rules to run under.
    pub spec: SpecId,
}

impl BlockEnvironment {
    /// Number `block`, the reader's chain id, and the timestamp, base fee and gas limit of
    /// the block's header; Prague rules. A reader that cannot read the header leaves
    /// timestamp and base fee at zero and the gas limit at 30 million (set the fields to
    /// run with other values).
    pub fn from_reader<R: StateReader + ?Sized>(
        reader: &R,
        block: u64,
    ) -> Result<BlockEnvironment, SimError> {
        let chain_id = reader.chain_id().map_err(|source| ReadError {
            what: "chain id".into(),
            block,
            source,
        })?;
        let header = reader.header(block).unwrap_or(chain::BlockHeader {
            timestamp: 0,
            base_fee: 0,
            gas_limit: 30_000_000,
        });
        Ok(BlockEnvironment {
            number: block,
            timestamp: header.timestamp,
            basefee: header.base_fee,
            chain_id,
            gas_limit: header.gas_limit.max(CallRequest::DEFAULT_GAS_LIMIT),
            spec: SpecId::PRAGUE,
        })
    }
}

/// Why a simulation could not run (a call that reverts is an [`Outcome`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A read from the chain failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The EVM refused the transaction itself (gas limit above the block's, …).
    #[error("the simulated transaction is invalid: {0}")]
    InvalidTransaction(String),
    /// The EVM failed for another reason.
    #[error("the EVM failed: {0}")]
    Evm(String),
    /// A probe's signature could not be read.
    #[error(transparent)]
    Signature(#[from] crate::abi::SignatureError),
    /// The probed address has no code at the block.
    #[error("{address} has no code at block {block}")]
    NoCode { address: Address, block: u64 },
}

/// How the call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It returned `output`.
    Success { output: Bytes },
    /// It ran `REVERT`; `reason` decodes `output`.
    Reverted { output: Bytes, reason: RevertReason },
    /// It stopped exceptionally (out of gas, invalid opcode, stack overflow, …).
    Halted { reason: String },
}

/// A storage word the call changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageChange {
    pub account: Address,
    pub slot: U256,
    pub before: U256,
    pub after: U256,
}

/// An ether balance the call changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceChange {
    pub account: Address,
    /// Includes the simulation-only funding when `account` is the sender.
    pub before: U256,
    pub after: U256,
}

/// A `SELFDESTRUCT` that ran, or code that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeChange {
    /// `SELFDESTRUCT` ran in `account`, sending `value` wei to `beneficiary`;
    /// `removed` says whether the code is gone (since Cancun only for contracts created
    /// in the same transaction).
    SelfDestruct {
        account: Address,
        beneficiary: Address,
        value: U256,
        removed: bool,
    },
    /// The account's code hash changed (a contract created or replaced).
    Replaced {
        account: Address,
        before: B256,
        after: B256,
    },
}

/// A log the call emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
}

/// What one simulated call did. Nothing of it reached the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub gas_used: u64,
    /// Wei per gas the sender paid (the block's base fee).
    pub gas_price: u128,
    /// Sorted by account, then slot.
    pub storage_changes: Vec<StorageChange>,
    /// Sorted by account.
    pub balance_changes: Vec<BalanceChange>,
    pub logs: Vec<LogEntry>,
    pub code_changes: Vec<CodeChange>,
    /// Wei added to the sender's balance for the simulation only, so it can pay value
    /// and gas.
    pub funding: U256,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        matches!(self.status, Status::Success { .. })
    }

    /// Wei the sender paid for gas.
    pub fn fee(&self) -> U256 {
        U256::from(self.gas_used) * U256::from(self.gas_price)
    }

    /// The balance change of `account`, if it has one.
    pub fn balance_change(&self, account: Address) -> Option<&BalanceChange> {
        self.balance_changes.iter().find(|c| c.account == account)
    }
}

/// Records the `SELFDESTRUCT`s that run (revm reports them to an inspector).
#[derive(Debug, Default)]
struct SelfDestructs(Vec<(Address, Address, U256)>);

impl<CTX> Inspector<CTX> for SelfDestructs {
    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        self.0.push((contract, target, value));
    }
}

/// Runs `request` over `state` in `env`; the state's cache keeps what was read.
pub(crate) fn run<R: StateReader + ?Sized>(
    state: &mut LazyState<'_, R>,
    env: &BlockEnvironment,
    request: &CallRequest,
) -> Result<Outcome, SimError> {
    let gas_price = u128::from(env.basefee);
    let gas_cost = U256::from(gas_price) * U256::from(request.gas_limit);
    let funding = request.value.saturating_add(gas_cost);
    let sender_balance = state.starting_balance(request.from)?;
    state.override_balance(request.from, sender_balance.saturating_add(funding));

    let mut cfg = CfgEnv::new_with_spec(env.spec);
    cfg.chain_id = env.chain_id;
    // The sender's nonce does not matter for a call that is never sent.
    cfg.disable_nonce_check = true;
    let block = BlockEnv {
        number: U256::from(env.number),
        timestamp: U256::from(env.timestamp),
        basefee: env.basefee,
        gas_limit: env.gas_limit,
        ..BlockEnv::default()
    };
    let tx = TxEnv::builder()
        .caller(request.from)
        .kind(TxKind::Call(request.to))
        .data(request.data.clone())
        .value(request.value)
        .gas_limit(request.gas_limit)
        .gas_price(gas_price)
        .chain_id(Some(env.chain_id))
        .build()
        .map_err(|e| SimError::InvalidTransaction(format!("{e:?}")))?;

    let result = {
        let context = Context::mainnet()
            .with_cfg(cfg)
            .with_block(block)
            .with_db(&mut *state);
        let mut evm = context.build_mainnet_with_inspector(SelfDestructs::default());
        let result = evm.inspect_tx(tx);
        let destructs = std::mem::take(&mut evm.inspector.0);
        result.map(|r| (r.result, r.state, destructs))
    };
    let outcome = match result {
        Ok((result, evm_state, destructs)) => {
            describe(state, &result, &evm_state, &destructs, funding, gas_price)
        }
        Err(EVMError::Database(error)) => Err(SimError::Read(error)),
        Err(EVMError::Transaction(error)) => Err(SimError::InvalidTransaction(error.to_string())),
        Err(EVMError::Header(error)) => Err(SimError::Evm(error.to_string())),
        Err(EVMError::Custom(error)) => Err(SimError::Evm(error)),
        Err(EVMError::CustomAny(error)) => Err(SimError::Evm(error.to_string())),
    };
    state.clear_overrides();
    outcome
}

fn describe<R: StateReader + ?Sized>(
    state: &mut LazyState<'_, R>,
    result: &ExecutionResult,
    evm_state: &EvmState,
    destructs: &[(Address, Address, U256)],
    funding: U256,
    gas_price: u128,
) -> Result<Outcome, SimError> {
    let (status, gas, logs) = match result {
        ExecutionResult::Success {
            gas, logs, output, ..
        } => {
            let output = match output {
                Output::Call(bytes) => bytes.clone(),
                Output::Create(bytes, _) => bytes.clone(),
            };
            (Status::Success { output }, gas, logs)
        }
        ExecutionResult::Revert { gas, output, logs } => (
            Status::Reverted {
                reason: RevertReason::decode(output),
                output: output.clone(),
            },
            gas,
            logs,
        ),
        ExecutionResult::Halt { reason, gas, logs } => (
            Status::Halted {
                reason: format!("{reason:?}"),
            },
            gas,
            logs,
        ),
    };
    let mut storage_changes = Vec::new();
    let mut balance_changes = Vec::new();
    let mut code_changes = Vec::new();
    let mut accounts: Vec<(&Address, &revm::state::Account)> = evm_state.iter().collect();
    accounts.sort_by_key(|(address, _)| **address);
    for (address, account) in accounts {
        if !account.is_touched() {
            continue;
        }
        let mut slots: Vec<_> = account.changed_storage_slots().collect();
        slots.sort_by_key(|(slot, _)| **slot);
        for (slot, value) in slots {
            storage_changes.push(StorageChange {
                account: *address,
                slot: *slot,
                before: value.original_value,
                after: value.present_value,
            });
        }
        let before = state.starting_balance(*address)?;
        if before != account.info.balance {
            balance_changes.push(BalanceChange {
                account: *address,
                before,
                after: account.info.balance,
            });
        }
        let code_before = state.account(*address)?.code_hash;
        if account.is_selfdestructed() {
            continue;
        }
        if account.info.code_hash != code_before {
            code_changes.push(CodeChange::Replaced {
                account: *address,
                before: code_before,
                after: account.info.code_hash,
            });
        }
    }
    for (contract, beneficiary, value) in destructs {
        let removed = evm_state
            .get(contract)
            .is_some_and(|account| account.is_selfdestructed());
        code_changes.push(CodeChange::SelfDestruct {
            account: *contract,
            beneficiary: *beneficiary,
            value: *value,
            removed,
        });
    }
    Ok(Outcome {
        status,
        gas_used: gas.tx_gas_used(),
        gas_price,
        storage_changes,
        balance_changes,
        logs: logs
            .iter()
            .map(|log| LogEntry {
                address: log.address,
                topics: log.data.topics().to_vec(),
                data: log.data.data.clone(),
            })
            .collect(),
        code_changes,
        funding,
    })
}
