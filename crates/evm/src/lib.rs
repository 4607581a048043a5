//! Analysis of EVM runtime bytecode when no source is at hand.
//!
//! [`analyze`] disassembles the code (through Cancun, leaving out the compiler's metadata
//! tail), splits it into basic blocks, resolves jumps by abstract interpretation of the stack
//! (constants, and the sources a value derives from: calldata, caller, origin, storage, …),
//! recovers the functions from the selector dispatcher, and collects per-function facts:
//! storage slots read and written, caller guards, uses of the origin, external calls and
//! self-destructs. [`Analysis::findings`] runs the bytecode detectors over those facts.
//!
//! Invariants: no IO (the code comes in as a byte slice), no panic on any input, and bounded
//! work: [`Limits`] caps the code size, the interpreted instructions and the contexts, and
//! exceeding a cap is an [`Error`], never a hang.

mod cfg;
mod detectors;
mod disasm;
mod facts;
mod interp;
mod opcode;
mod signatures;
mod value;

pub use cfg::{Block, BlockId};
pub use detectors::{DetectorInfo, Finding, Severity, detectors};
pub use disasm::{Instruction, disassemble, metadata_len, strip_metadata};
pub use facts::{
    CallKind, ExternalCall, FunctionFacts, Operand, SelfDestruct, SlotKind, StorageAccess,
};
pub use opcode::Opcode;
pub use signatures::signature;
pub use value::{Source, Sources};

/// Caps on the work of one analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest code accepted, metadata included.
    pub max_code_bytes: usize,
    /// Instructions interpreted, over all contexts and look-aheads.
    pub max_steps: usize,
    /// Stack shapes kept apart per (block, function) before they are widened into one per
    /// stack height.
    pub max_contexts_per_block: usize,
    /// States kept over the whole code.
    pub max_contexts: usize,
}

impl Default for Limits {
    /// Twice the EIP-170 size limit, five million steps, 16 shapes per block and 200,000
    /// states: generous for compiled contracts, a fraction of a second for most.
    fn default() -> Self {
        Self {
            max_code_bytes: 2 * 24_576,
            max_steps: 5_000_000,
            max_contexts_per_block: 16,
            max_contexts: 200_000,
        }
    }
}

/// Why an analysis stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("code of {len} bytes is over the limit of {max} bytes (Limits::max_code_bytes)")]
    CodeTooLarge { len: usize, max: usize },
    #[error(
        "stopped after {max} interpreted instructions over {blocks} basic blocks (Limits::max_steps)"
    )]
    StepLimit { max: usize, blocks: usize },
    #[error("stopped at {contexts} interpreter states, the limit is {max} (Limits::max_contexts)")]
    ContextLimit { contexts: usize, max: usize },
}

impl Error {
    /// A short name of the error kind, for tallies.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CodeTooLarge { .. } => "code-too-large",
            Self::StepLimit { .. } => "step-limit",
            Self::ContextLimit { .. } => "context-limit",
        }
    }
}

/// One function recovered from the dispatcher, or the code outside every selector branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// `None` for the code reached without a selector match (dispatcher, fallback, receive).
    pub selector: Option<[u8; 4]>,
    /// The signature from the bundled list of common selectors, when it is there.
    pub name: Option<&'static str>,
    /// Where the dispatcher jumps for this selector (0 for the code outside selectors).
    pub entry_pc: usize,
    pub facts: FunctionFacts,
}

impl Function {
    /// `transfer(address,uint256)`, `0x12345678` or `fallback`.
    pub fn display_name(&self) -> String {
        match (self.name, self.selector) {
            (Some(name), _) => name.to_string(),
            (None, Some(s)) => format!("0x{:02x}{:02x}{:02x}{:02x}", s[0], s[1], s[2], s[3]),
            (None, None) => "fallback".to_string(),
        }
    }
}

/// The result of [`analyze`].
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The code outside every selector first, then the functions by selector.
    pub functions: Vec<Function>,
    /// Instructions decoded, metadata left out.
    pub instructions: usize,
    /// Basic blocks.
    pub blocks: usize,
    /// Blocks the interpreter reached.
    pub reachable_blocks: usize,
    /// Resolved control-flow edges between blocks.
    pub edges: usize,
    /// JUMP and JUMPI instructions with a destination the interpreter could not resolve.
    pub unresolved_jumps: usize,
    /// Length of the metadata tail left out of the analysis.
    pub metadata_bytes: usize,
    /// Instructions interpreted.
    pub steps: usize,
    /// The code starts with solc's library call guard (`PUSH20 <own address> ADDRESS EQ`):
    /// a library, whose storage parameters arrive as slots in calldata.
    pub is_library: bool,
}

impl Analysis {
    /// The function with this selector.
    pub fn function(&self, selector: [u8; 4]) -> Option<&Function> {
        self.functions.iter().find(|f| f.selector == Some(selector))
    }

    /// The selectors recovered from the dispatcher.
    pub fn selectors(&self) -> impl Iterator<Item = [u8; 4]> + '_ {
        self.functions.iter().filter_map(|f| f.selector)
    }

    /// The findings of every bytecode detector, by detector, then function, then pc.
    pub fn findings(&self) -> Vec<Finding> {
        detectors::run(self)
    }
}

/// Analyzes runtime bytecode.
///
/// # Errors
/// When the code or the work exceeds `limits`.
pub fn analyze(code: &[u8], limits: &Limits) -> Result<Analysis, Error> {
    if code.len() > limits.max_code_bytes {
        return Err(Error::CodeTooLarge {
            len: code.len(),
            max: limits.max_code_bytes,
        });
    }
    let body = strip_metadata(code);
    let instructions = disassemble(body);
    let blocks = cfg::Blocks::build(&instructions, body.len());
    let facts = interp::Interpreter::new(&instructions, &blocks, limits).run()?;
    let mut functions = vec![Function {
        selector: None,
        name: None,
        entry_pc: 0,
        facts: FunctionFacts::default(),
    }];
    for (&selector, &entry_pc) in &facts.functions {
        functions.push(Function {
            selector: Some(selector.to_be_bytes()),
            name: signature(selector.to_be_bytes()),
            entry_pc,
            facts: FunctionFacts::default(),
        });
    }
    let index = |func: interp::Func| -> usize {
        func.and_then(|s| facts.functions.keys().position(|k| *k == s))
            .map_or(0, |i| i + 1)
    };
    for (&(func, _), access) in &facts.reads {
        functions[index(func)]
            .facts
            .storage_reads
            .push(access.clone());
    }
    for (&(func, _), access) in &facts.writes {
        functions[index(func)]
            .facts
            .storage_writes
            .push(access.clone());
    }
    for (&(func, pc), call) in &facts.calls {
        let mut call = call.clone();
        call.success_checked = facts.checked_calls.contains(&pc);
        functions[index(func)].facts.calls.push(call);
    }
    for (&(func, _), fact) in &facts.selfdestructs {
        functions[index(func)]
            .facts
            .selfdestructs
            .push(fact.clone());
    }
    for &(func, pc) in &facts.caller_guards {
        functions[index(func)].facts.caller_guards.push(pc);
    }
    for &(func, pc) in &facts.origin_checks {
        functions[index(func)].facts.origin_checks.push(pc);
    }
    for &func in &facts.origin_uses {
        functions[index(func)].facts.uses_origin = true;
    }
    Ok(Analysis {
        functions,
        instructions: instructions.len(),
        blocks: blocks.len(),
        reachable_blocks: facts.reached.len(),
        edges: facts.edges.len(),
        unresolved_jumps: facts.unresolved_jumps.len(),
        metadata_bytes: code.len() - body.len(),
        steps: facts.steps,
        is_library: body.len() > 23 && body[0] == 0x73 && body[21] == 0x30 && body[22] == 0x14,
    })
}
