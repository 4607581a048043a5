//! Confirmation by simulation: a suspicious call executed against a chain's state in an
//! in-process EVM (revm), as an unprivileged sender, to see whether it really changes the
//! owner, moves ether out or destroys code.
//!
//! State is read lazily through a [`chain::StateReader`] at one fixed block (code,
//! balance and nonce per account, storage word by word) and cached for the run. Nothing is
//! ever sent to a chain: the only reads are `StateReader` reads, and the only "writes" are
//! the simulation's own in-memory balance override that lets the sender pay value and gas.
//!
//! - [`simulate`] runs one [`CallRequest`] and returns its [`Outcome`]: success or revert
//!   (with the decoded [`RevertReason`]), storage and balance changes, logs, code changes,
//!   gas used.
//! - [`confirm`] runs a [`Probe`] (a signature or a bare selector, and the [`Effect`] to
//!   look for) from a fresh address with synthesized arguments and returns a [`Verdict`].
//!
//! Use [`Simulator`] to run several calls over one cache or to set the block environment
//! (timestamp, base fee) explicitly.

mod abi;
mod confirm;
mod revert;
mod simulate;
mod state;

use alloy_primitives::Address;
use chain::StateReader;

pub use abi::{AbiType, Signature, SignatureError};
pub use confirm::{Attempt, Effect, EntryPoint, Probe, Verdict};
pub use revert::{RevertReason, selector};
pub use revm::primitives::hardfork::SpecId;
pub use simulate::{
    BalanceChange, BlockEnvironment, CallRequest, CodeChange, LogEntry, Outcome, SimError, Status,
    StorageChange,
};
pub use state::ReadError;

/// Simulates `request` against the state at `block`. The block environment comes from
/// [`BlockEnvironment::from_reader`].
pub fn simulate<R: StateReader + ?Sized>(
    reader: &R,
    block: u64,
    request: CallRequest,
) -> Result<Outcome, SimError> {
    Simulator::new(reader, block)?.simulate(&request)
}

/// Tries to reproduce `probe` on `target` at `block` as an unprivileged caller.
pub fn confirm<R: StateReader + ?Sized>(
    reader: &R,
    block: u64,
    target: Address,
    probe: Probe,
) -> Result<Verdict, SimError> {
    Simulator::new(reader, block)?.confirm(target, &probe)
}

/// Simulations over one block, sharing one cache of what was read.
pub struct Simulator<'r, R: ?Sized> {
    state: state::LazyState<'r, R>,
    environment: BlockEnvironment,
}

impl<'r, R: StateReader + ?Sized> Simulator<'r, R> {
    /// At `block`, with the environment of [`BlockEnvironment::from_reader`].
    pub fn new(reader: &'r R, block: u64) -> Result<Self, SimError> {
        let environment = BlockEnvironment::from_reader(reader, block)?;
        Ok(Self::with_environment(reader, environment))
    }

    /// At block `environment.number`, with an environment set by the caller.
    pub fn with_environment(reader: &'r R, environment: BlockEnvironment) -> Self {
        Simulator {
            state: state::LazyState::new(reader, environment.number),
            environment,
        }
    }

    pub fn environment(&self) -> &BlockEnvironment {
        &self.environment
    }

    /// How many reads went to the reader so far (each cached afterwards).
    pub fn reads(&self) -> usize {
        self.state.reads()
    }

    /// Runs one call; the state read stays cached, the call's changes do not.
    pub fn simulate(&mut self, request: &CallRequest) -> Result<Outcome, SimError> {
        simulate::run(&mut self.state, &self.environment, request)
    }

    /// Tries to reproduce `probe` on `target`.
    pub fn confirm(&mut self, target: Address, probe: &Probe) -> Result<Verdict, SimError> {
        confirm::confirm_with(&mut self.state, &self.environment, target, probe)
    }
}
