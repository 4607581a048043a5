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
pub use detectors::{DetectorInfo, Finding, Severity, detector, detectors};
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
    /// Paths cut at a block that already had `Limits::max_contexts_per_block` widened
    /// states (stack heights): code that grows the stack in a loop.
    pub pruned_paths: usize,
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
        pruned_paths: facts.pruned_paths,
        is_library: body.len() > 23 && body[0] == 0x73 && body[21] == 0x30 && body[22] == 0x14,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KILL: [u8; 4] = [0x41, 0xc0, 0xe1, 0xb5];

    #[test]
    fn shr_dispatcher_and_unguarded_selfdestruct() {
        // PUSH0 CALLDATALOAD PUSH1 0xe0 SHR DUP1 PUSH4 kill() EQ PUSH1 16 JUMPI STOP
        // 16: JUMPDEST CALLER SELFDESTRUCT
        let mut code = vec![0x5f, 0x35, 0x60, 0xe0, 0x1c, 0x80, 0x63];
        code.extend_from_slice(&KILL);
        code.extend_from_slice(&[0x14, 0x60, 0x10, 0x57, 0x00, 0x5b, 0x33, 0xff]);
        let analysis = analyze(&code, &Limits::default()).unwrap();
        let kill = analysis.function(KILL).unwrap();
        assert_eq!((kill.entry_pc, kill.name), (16, Some("kill()")));
        let findings = analysis.findings();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].detector_id, "bytecode-unguarded-selfdestruct");
        assert_eq!((findings[0].selector, findings[0].pc), (Some(KILL), 18));
        assert!(
            findings[0]
                .message
                .contains("source not available: found in bytecode")
        );
    }

    #[test]
    fn div_dispatcher_of_old_compilers() {
        // PUSH29 2^224 PUSH1 0 CALLDATALOAD DIV PUSH4 0xffffffff AND PUSH4 kill() DUP2 EQ
        // PUSH1 L JUMPI STOP L: JUMPDEST STOP
        let mut code = vec![0x7c, 0x01];
        code.extend_from_slice(&[0; 28]);
        code.extend_from_slice(&[
            0x60, 0x00, 0x35, 0x04, 0x63, 0xff, 0xff, 0xff, 0xff, 0x16, 0x63,
        ]);
        code.extend_from_slice(&KILL);
        let target = u8::try_from(code.len() + 6).unwrap();
        code.extend_from_slice(&[0x81, 0x14, 0x60, target, 0x57, 0x00, 0x5b, 0x00]);
        let analysis = analyze(&code, &Limits::default()).unwrap();
        assert_eq!(
            analysis.function(KILL).unwrap().entry_pc,
            usize::from(target)
        );
    }

    #[test]
    fn internal_function_returns_to_each_call_site() {
        // Two calls of the function at 14 with return addresses 5 and 12.
        let code = [
            0x60, 0x05, 0x60, 0x0e, 0x56, // PUSH1 5 PUSH1 14 JUMP
            0x5b, 0x60, 0x0c, 0x60, 0x0e, 0x56, // 5: JUMPDEST PUSH1 12 PUSH1 14 JUMP
            0x00, // 11: dead
            0x5b, 0x00, // 12: JUMPDEST STOP
            0x5b, 0x56, // 14: JUMPDEST JUMP (to the return address)
        ];
        let analysis = analyze(&code, &Limits::default()).unwrap();
        assert_eq!(analysis.unresolved_jumps, 0);
        assert_eq!((analysis.blocks, analysis.reachable_blocks), (5, 4));
        assert_eq!(analysis.edges, 4);
    }

    #[test]
    fn detectors_are_listed() {
        assert_eq!(detectors().len(), 7);
        assert!(detectors().iter().all(|d| d.id.starts_with("bytecode-")));
    }
}
