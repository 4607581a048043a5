//! Abstract interpretation of the stack over the basic blocks.
//!
//! States are kept per (block, function, stack shape): the function is the selector whose
//! dispatcher branch the path took (`None` before the dispatcher decides), and the shape is
//! the stack with only its jump-destination constants, so that an internal function entered
//! with different return addresses is interpreted once per call site and each `JUMP` back
//! resolves. States with the same key are joined; past `Limits::max_contexts_per_block`
//! shapes, a block's states are widened to one per stack height, and past as many heights
//! further paths into the block are cut (counted in `Analysis::pruned_paths`). Every interpreted
//! instruction counts against `Limits::max_steps`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use alloy_primitives::U256;

use crate::cfg::{BlockId, Blocks};
use crate::disasm::Instruction;
use crate::facts::{CallKind, ExternalCall, Operand, SelfDestruct, SlotKind, StorageAccess};
use crate::opcode::Opcode;
use crate::value::{CallSet, Sources, Value};
use crate::{Error, Limits};

/// The function a state belongs to: a selector, or `None` for code outside any selector branch.
pub(crate) type Func = Option<u32>;

const MAX_STACK: usize = 1024;
const MAX_MEMORY_WORDS: usize = 32;
const MAX_BOUNDED: usize = 16;
/// Bounds of the look-ahead that decides whether a branch reverts.
const REVERT_LOOKAHEAD_BLOCKS: usize = 48;
const REVERT_LOOKAHEAD_STEPS: usize = 3000;

#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    stack: Vec<Value>,
    /// Words stored at constant offsets, sorted by offset.
    memory: Vec<(u64, Value)>,
    /// Every path here passed a caller guard.
    guarded: bool,
    /// Every path here read a caller-keyed storage slot.
    caller_keyed_read: bool,
    /// A call forwarding more than 2300 gas that some path here made.
    heavy_call: Option<u32>,
    /// Calldata words (by the pc of their load) every path here compared with a constant bound
    /// before a branch.
    bounded: Vec<u32>,
}

impl State {
    fn entry() -> Self {
        Self {
            stack: Vec::new(),
            memory: Vec::new(),
            guarded: false,
            caller_keyed_read: false,
            heavy_call: None,
            bounded: Vec::new(),
        }
    }

    fn join(&self, other: &Self) -> Self {
        let stack = self
            .stack
            .iter()
            .zip(&other.stack)
            .map(|(a, b)| a.join(b))
            .collect();
        let memory = self
            .memory
            .iter()
            .filter_map(|(off, a)| {
                other
                    .memory
                    .iter()
                    .find(|(o, _)| o == off)
                    .map(|(_, b)| (*off, a.join(b)))
            })
            .collect();
        Self {
            stack,
            memory,
            guarded: self.guarded && other.guarded,
            caller_keyed_read: self.caller_keyed_read && other.caller_keyed_read,
            heavy_call: self.heavy_call.or(other.heavy_call),
            bounded: self
                .bounded
                .iter()
                .copied()
                .filter(|b| other.bounded.contains(b))
                .collect(),
        }
    }

    fn mstore(&mut self, offset: u64, value: Value) {
        self.memory.retain(|(o, _)| o.abs_diff(offset) >= 32);
        let at = self.memory.partition_point(|(o, _)| *o < offset);
        self.memory.insert(at, (offset, value));
        if self.memory.len() > MAX_MEMORY_WORDS {
            self.memory.pop();
        }
    }

    fn mload(&self, offset: u64) -> Option<&Value> {
        self.memory
            .iter()
            .find(|(o, _)| *o == offset)
            .map(|(_, v)| v)
    }

    /// Sources of the words in `offset..offset + len`.
    fn memory_sources(&self, offset: u64, len: u64) -> Sources {
        let mut sources = Sources::empty();
        for (o, v) in &self.memory {
            if o.saturating_add(32) > offset && *o < offset.saturating_add(len) {
                sources |= v.sources;
            }
        }
        sources
    }
}

/// How a block ends.
enum Exit {
    /// Falls through to the next block.
    Next,
    Jump(Value),
    Jumpi {
        target: Value,
        cond: Value,
    },
    Halt(Opcode),
    /// Stack underflow or overflow: the path cannot continue.
    Dead,
}

/// Facts keyed by (function, pc), joined over all contexts.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub(crate) functions: BTreeMap<u32, usize>,
    pub(crate) reads: BTreeMap<(Func, usize), StorageAccess>,
    pub(crate) writes: BTreeMap<(Func, usize), StorageAccess>,
    pub(crate) calls: BTreeMap<(Func, usize), ExternalCall>,
    pub(crate) checked_calls: BTreeSet<usize>,
    pub(crate) selfdestructs: BTreeMap<(Func, usize), SelfDestruct>,
    pub(crate) caller_guards: BTreeSet<(Func, usize)>,
    pub(crate) origin_checks: BTreeSet<(Func, usize)>,
    pub(crate) origin_uses: BTreeSet<Func>,
    pub(crate) edges: BTreeSet<(BlockId, BlockId)>,
    pub(crate) unresolved_jumps: BTreeSet<usize>,
    pub(crate) reached: BTreeSet<BlockId>,
    pub(crate) steps: usize,
    /// Paths cut because a block had too many widened states.
    pub(crate) pruned_paths: usize,
}

/// The interpreter over one code.
pub(crate) struct Interpreter<'a> {
    instructions: &'a [Instruction],
    blocks: &'a Blocks,
    limits: &'a Limits,
    revert_cache: HashMap<(usize, BlockId), bool>,
}

/// (block, function, guarded, stack shape): guarded and unguarded paths are kept apart so
/// that a guard decided after a join (`a == b && c`) is still seen on each path.
type Key = (BlockId, Func, bool, Vec<Option<U256>>);

impl<'a> Interpreter<'a> {
    pub(crate) fn new(
        instructions: &'a [Instruction],
        blocks: &'a Blocks,
        limits: &'a Limits,
    ) -> Self {
        Self {
            instructions,
            blocks,
            limits,
            revert_cache: HashMap::new(),
        }
    }

    /// Interprets from pc 0 until no state changes.
    pub(crate) fn run(&mut self) -> Result<Facts, Error> {
        let mut facts = Facts::default();
        if self.blocks.len() == 0 {
            return Ok(facts);
        }
        let mut states: HashMap<Key, State> = HashMap::new();
        let mut shapes: HashMap<(BlockId, Func), usize> = HashMap::new();
        let mut widened: HashMap<(BlockId, Func), usize> = HashMap::new();
        let mut queue: VecDeque<Key> = VecDeque::new();
        let start = (BlockId(0), None, false, Vec::new());
        states.insert(start.clone(), State::entry());
        queue.push_back(start);
        while let Some(key) = queue.pop_front() {
            let Some(state) = states.get(&key).cloned() else {
                continue;
            };
            let (block, func, _, _) = key;
            facts.reached.insert(block);
            for (next, next_func, next_state) in self.step_block(block, func, state, &mut facts)? {
                facts.edges.insert((block, next));
                let mut shape = self.shape(&next_state);
                let count = shapes.entry((next, next_func)).or_insert(0);
                let guarded = next_state.guarded;
                let exact = (next, next_func, guarded, shape.clone());
                if !states.contains_key(&exact) {
                    if *count >= self.limits.max_contexts_per_block {
                        shape = vec![None; shape.len()];
                    } else {
                        *count += 1;
                    }
                }
                let key = (next, next_func, guarded, shape);
                // Widened states are one per stack height: a path that keeps growing the stack
                // at a block (compiled code does not) is cut after as many heights.
                if !states.contains_key(&key) && *count >= self.limits.max_contexts_per_block {
                    let widened = widened.entry((next, next_func)).or_insert(0);
                    if *widened >= self.limits.max_contexts_per_block {
                        facts.pruned_paths += 1;
                        continue;
                    }
                    *widened += 1;
                }
                let merged = match states.get(&key) {
                    Some(old) => {
                        let joined = old.join(&next_state);
                        if &joined == old {
                            continue;
                        }
                        joined
                    }
                    None => {
                        if states.len() >= self.limits.max_contexts {
                            return Err(Error::ContextLimit {
                                contexts: states.len(),
                                max: self.limits.max_contexts,
                            });
                        }
                        next_state
                    }
                };
                states.insert(key.clone(), merged);
                queue.push_back(key);
            }
        }
        Ok(facts)
    }

    /// The stack with only its jump destinations, as part of a state's key.
    fn shape(&self, state: &State) -> Vec<Option<U256>> {
        state
            .stack
            .iter()
            .map(|v| {
                v.konst.filter(|k| {
                    usize::try_from(*k)
                        .ok()
                        .and_then(|pc| self.blocks.jumpdest(pc))
                        .is_some()
                })
            })
            .collect()
    }

    fn count_step(&self, facts: &mut Facts) -> Result<(), Error> {
        facts.steps += 1;
        if facts.steps > self.limits.max_steps {
            return Err(Error::StepLimit {
                max: self.limits.max_steps,
                blocks: self.blocks.len(),
            });
        }
        Ok(())
    }

    /// Interprets one block and returns its successors with their states.
    fn step_block(
        &mut self,
        id: BlockId,
        func: Func,
        mut state: State,
        facts: &mut Facts,
    ) -> Result<Vec<(BlockId, Func, State)>, Error> {
        let Some(block) = self.blocks.get(id).cloned() else {
            return Ok(Vec::new());
        };
        let mut exit = Exit::Next;
        for ins in &self.instructions[block.start..block.end] {
            self.count_step(facts)?;
            exit = exec(ins, &mut state, func, Some(facts));
            if !matches!(exit, Exit::Next) {
                break;
            }
        }
        let mut out = Vec::new();
        match exit {
            Exit::Next => {
                let next = BlockId(id.0.saturating_add(1));
                if self.blocks.get(next).is_some() {
                    out.push((next, func, state));
                }
            }
            Exit::Jump(target) => match self.destination(&target) {
                Some(next) => out.push((next, func, state)),
                None => {
                    if target.konst.is_none() {
                        facts.unresolved_jumps.insert(self.last_pc(&block));
                    }
                }
            },
            Exit::Jumpi { target, cond } => {
                let pc = self.last_pc(&block);
                let fallthrough = BlockId(id.0.saturating_add(1));
                let fallthrough = self.blocks.get(fallthrough).map(|_| fallthrough);
                let taken = self.destination(&target);
                if target.konst.is_none() {
                    facts.unresolved_jumps.insert(pc);
                }
                for call in cond.call.iter() {
                    facts.checked_calls.insert(call as usize);
                }
                let (take, fall) = match cond.konst {
                    Some(k) if k.is_zero() => (false, true),
                    Some(_) => (true, false),
                    None => (true, true),
                };
                let mut taken_func = func;
                let mut fall_func = func;
                if let (None, Some((selector, positive))) = (func, cond.selector_eq) {
                    let entry = if positive { taken } else { fallthrough };
                    if let Some(entry) = entry.and_then(|b| self.blocks.get(b)) {
                        facts.functions.entry(selector).or_insert(entry.pc);
                    }
                    if positive {
                        taken_func = Some(selector);
                    } else {
                        fall_func = Some(selector);
                    }
                }
                if let Some(origin) = cond.bound
                    && !state.bounded.contains(&origin)
                    && state.bounded.len() < MAX_BOUNDED
                {
                    state.bounded.push(origin);
                }
                let is_caller_eq = cond.sources.has(Sources::CALLER_EQ);
                let is_origin_eq = cond.sources.has(Sources::ORIGIN_EQ);
                if is_origin_eq {
                    facts.origin_checks.insert((func, pc));
                }
                // The branch where the caller equals the trusted value is guarded; both are
                // when the other side reverts anyway.
                let (mut taken_guarded, mut fall_guarded) = match cond.caller_eq {
                    Some(positive) => (positive, !positive),
                    None => (false, false),
                };
                if is_caller_eq || cond.caller_member {
                    let reverts = [taken, fallthrough]
                        .into_iter()
                        .flatten()
                        .any(|b| self.reverts(pc, b, &state, func, facts));
                    if reverts {
                        facts.caller_guards.insert((func, pc));
                        taken_guarded = true;
                        fall_guarded = true;
                    }
                }
                if let (true, Some(t)) = (take, taken) {
                    let mut next = state.clone();
                    next.guarded |= taken_guarded;
                    out.push((t, taken_func, next));
                }
                if let (true, Some(f)) = (fall, fallthrough) {
                    state.guarded |= fall_guarded;
                    out.push((f, fall_func, state));
                }
            }
            Exit::Halt(_) | Exit::Dead => {}
        }
        Ok(out)
    }

    fn last_pc(&self, block: &crate::cfg::Block) -> usize {
        self.instructions
            .get(block.end.saturating_sub(1))
            .map_or(block.pc, |i| i.pc)
    }

    fn destination(&self, target: &Value) -> Option<BlockId> {
        let pc = usize::try_from(target.konst?).ok()?;
        self.blocks.jumpdest(pc)
    }

    /// Whether every path from `start` (entered with `state`) ends in REVERT, INVALID or a jump
    /// to a non-destination, within a bounded look-ahead. Cached per (JUMPI pc, successor).
    fn reverts(
        &mut self,
        pc: usize,
        start: BlockId,
        state: &State,
        func: Func,
        facts: &mut Facts,
    ) -> bool {
        if let Some(known) = self.revert_cache.get(&(pc, start)) {
            return *known;
        }
        let mut steps = 0;
        let mut blocks = 0;
        let mut work = vec![(start, state.clone())];
        let mut result = true;
        'paths: while let Some((id, mut state)) = work.pop() {
            blocks += 1;
            let Some(block) = self.blocks.get(id).cloned() else {
                continue;
            };
            if blocks > REVERT_LOOKAHEAD_BLOCKS {
                result = false;
                break;
            }
            let mut exit = Exit::Next;
            for ins in &self.instructions[block.start..block.end] {
                steps += 1;
                if steps > REVERT_LOOKAHEAD_STEPS || self.count_step(facts).is_err() {
                    result = false;
                    break 'paths;
                }
                exit = exec(ins, &mut state, func, None);
                if !matches!(exit, Exit::Next) {
                    break;
                }
            }
            match exit {
                Exit::Next => work.push((BlockId(id.0.saturating_add(1)), state)),
                Exit::Jump(target) => match (target.konst, self.destination(&target)) {
                    (_, Some(next)) => work.push((next, state)),
                    (Some(_), None) => {}
                    (None, None) => {
                        result = false;
                        break;
                    }
                },
                Exit::Jumpi { target, cond } => {
                    let next = BlockId(id.0.saturating_add(1));
                    match cond.konst {
                        Some(k) if k.is_zero() => work.push((next, state)),
                        Some(_) => match self.destination(&target) {
                            Some(t) => work.push((t, state)),
                            None if target.konst.is_some() => {}
                            None => {
                                result = false;
                                break;
                            }
                        },
                        None => {
                            match self.destination(&target) {
                                Some(t) => work.push((t, state.clone())),
                                None if target.konst.is_some() => {}
                                None => {
                                    result = false;
                                    break;
                                }
                            }
                            work.push((next, state));
                        }
                    }
                }
                Exit::Halt(op) => {
                    if op != Opcode::REVERT && op.is_defined() {
                        result = false;
                        break;
                    }
                }
                Exit::Dead => {}
            }
        }
        self.revert_cache.insert((pc, start), result);
        result
    }
}

fn u64_of(value: &Value) -> Option<u64> {
    value.konst.and_then(|k| u64::try_from(k).ok())
}

/// Marks the success flags among `inputs` as consumed by a check.
fn consume(inputs: &[Value], facts: &mut Option<&mut Facts>) {
    if let Some(facts) = facts.as_deref_mut() {
        for v in inputs {
            for call in v.call.iter() {
                facts.checked_calls.insert(call as usize);
            }
        }
    }
}

fn fold(op: Opcode, a: U256, b: U256) -> Option<U256> {
    let bool_word = |x: bool| if x { U256::from(1) } else { U256::ZERO };
    Some(match op {
        Opcode::ADD => a.wrapping_add(b),
        Opcode::MUL => a.wrapping_mul(b),
        Opcode::SUB => a.wrapping_sub(b),
        Opcode::DIV => a.checked_div(b).unwrap_or(U256::ZERO),
        Opcode::EXP => a.wrapping_pow(b),
        Opcode::LT => bool_word(a < b),
        Opcode::GT => bool_word(a > b),
        Opcode::EQ => bool_word(a == b),
        Opcode::AND => a & b,
        Opcode::OR => a | b,
        Opcode::XOR => a ^ b,
        Opcode::SHL => usize::try_from(a)
            .ok()
            .filter(|s| *s < 256)
            .map_or(U256::ZERO, |s| b << s),
        Opcode::SHR => usize::try_from(a)
            .ok()
            .filter(|s| *s < 256)
            .map_or(U256::ZERO, |s| b >> s),
        _ => return None,
    })
}

fn is_selector_shift(shift: &Value) -> bool {
    shift.konst == Some(U256::from(224))
}

fn is_selector_divisor(divisor: &Value) -> bool {
    divisor.konst == Some(U256::from(1) << 224)
}

/// The result of a binary operation on abstract values.
fn binary(op: Opcode, a: &Value, b: &Value) -> Value {
    let mut out = Value::from_sources(a.sources | b.sources);
    out.konst = match (a.konst, b.konst) {
        (Some(x), Some(y)) => fold(op, x, y),
        _ => None,
    };
    // Masks, shifts and divisions by a constant keep a storage value's slot.
    out.slot = match (a.slot, b.slot) {
        (Some(s), None) if b.konst.is_some() => Some(s),
        (None, Some(s)) if a.konst.is_some() => Some(s),
        _ => None,
    };
    // A boolean read from a caller-keyed slot is masked to a byte (`AND 0xff`); a balance is
    // not, so `balances[msg.sender] > 0` does not count as membership.
    out.caller_member = op == Opcode::AND
        && [(a, b), (b, a)].iter().any(|(x, y)| {
            x.sources.has(Sources::CALLER_KEYED)
                && !x.sources.has(Sources::CALLDATA)
                && y.konst
                    .is_some_and(|k| !k.is_zero() && k <= U256::from(0xff))
        });
    let compare = matches!(op, Opcode::LT | Opcode::GT | Opcode::EQ);
    if !compare {
        out.origin = match (a.origin, b.origin) {
            (Some(o), None) if b.konst.is_some() => Some(o),
            (None, Some(o)) if a.konst.is_some() => Some(o),
            _ => None,
        };
    }
    // `index < N` or `N > index`: a bounds check of a calldata index.
    out.bound = match op {
        Opcode::LT if b.konst.is_some() => a.origin,
        Opcode::GT if a.konst.is_some() => b.origin,
        _ => None,
    };
    match op {
        Opcode::DIV if a.sources.has(Sources::CALLDATA_WORD0) && is_selector_divisor(b) => {
            out.sources |= Sources::SELECTOR;
        }
        Opcode::SHR if b.sources.has(Sources::CALLDATA_WORD0) && is_selector_shift(a) => {
            out.sources |= Sources::SELECTOR;
        }
        // `a == b`, and `a - b` or `a ^ b` deciding a branch (zero when equal).
        Opcode::EQ | Opcode::SUB | Opcode::XOR => {
            let positive = op == Opcode::EQ;
            for (x, y) in [(a, b), (b, a)] {
                if x.sources.has(Sources::SELECTOR)
                    && let Some(k) = y.konst.and_then(|k| u32::try_from(k).ok())
                {
                    out.selector_eq = Some((k, positive));
                }
                let trusted = y.konst.is_some()
                    || (y.sources.has(Sources::STORAGE)
                        && !y.sources.any(Sources::CALLER | Sources::CALLDATA));
                if x.sources.has(Sources::CALLER) && trusted && !x.sources.has(Sources::CALLDATA) {
                    out.sources |= Sources::CALLER_EQ;
                    out.caller_eq = Some(positive);
                }
                if x.sources.has(Sources::ORIGIN) && !y.sources.has(Sources::CALLER) {
                    out.sources |= Sources::ORIGIN_EQ;
                }
            }
        }
        _ => {}
    }
    // Selector tests are not selectors themselves.
    if matches!(
        op,
        Opcode::EQ | Opcode::LT | Opcode::GT | Opcode::SUB | Opcode::XOR
    ) {
        out.sources = out
            .sources
            .without(Sources::SELECTOR | Sources::CALLDATA_WORD0);
    }
    if matches!(op, Opcode::EQ | Opcode::AND | Opcode::OR | Opcode::XOR) {
        out.call = a.call.union(b.call);
    }
    out
}

fn pop_n(state: &mut State, n: usize) -> Option<Vec<Value>> {
    if state.stack.len() < n {
        return None;
    }
    let at = state.stack.len() - n;
    let mut taken = state.stack.split_off(at);
    taken.reverse();
    Some(taken)
}

/// Executes one instruction on `state`; records facts when `facts` is given.
#[allow(clippy::too_many_lines)]
fn exec(ins: &Instruction, state: &mut State, func: Func, mut facts: Option<&mut Facts>) -> Exit {
    let op = ins.opcode;
    if !op.is_defined() {
        return Exit::Halt(op);
    }
    if let Some(k) = ins.immediate {
        if state.stack.len() >= MAX_STACK {
            return Exit::Dead;
        }
        state.stack.push(Value::constant(k));
        return Exit::Next;
    }
    let n = op.inputs();
    match op.0 {
        // DUPn
        0x80..=0x8f => {
            let depth = usize::from(op.0 - 0x7f);
            if state.stack.len() < depth || state.stack.len() >= MAX_STACK {
                return Exit::Dead;
            }
            let v = state.stack[state.stack.len() - depth].clone();
            state.stack.push(v);
            return Exit::Next;
        }
        // SWAPn
        0x90..=0x9f => {
            let depth = usize::from(op.0 - 0x8f);
            let len = state.stack.len();
            if len <= depth {
                return Exit::Dead;
            }
            state.stack.swap(len - 1, len - 1 - depth);
            return Exit::Next;
        }
        _ => {}
    }
    let Some(inputs) = pop_n(state, n) else {
        return Exit::Dead;
    };
    let record_pc = ins.pc;
    match op {
        Opcode::STOP | Opcode::RETURN | Opcode::REVERT => return Exit::Halt(op),
        Opcode::POP => {}
        Opcode::JUMPDEST => {}
        Opcode::JUMP => return Exit::Jump(inputs[0].clone()),
        Opcode::JUMPI => {
            return Exit::Jumpi {
                target: inputs[0].clone(),
                cond: inputs[1].clone(),
            };
        }
        Opcode::ISZERO | Opcode::NOT => {
            let a = &inputs[0];
            let mut out = Value::from_sources(
                a.sources
                    .without(Sources::SELECTOR | Sources::CALLDATA_WORD0),
            );
            out.konst = a.konst.map(|k| {
                if op == Opcode::NOT {
                    !k
                } else if k.is_zero() {
                    U256::from(1)
                } else {
                    U256::ZERO
                }
            });
            out.call = a.call;
            out.bound = a.bound;
            out.caller_member = a.caller_member;
            if op == Opcode::ISZERO {
                out.caller_eq = a.caller_eq.map(|p| !p);
                out.selector_eq = a.selector_eq.map(|(s, positive)| (s, !positive));
            }
            state.stack.push(out);
        }
        Opcode::KECCAK256 => {
            let sources = match (u64_of(&inputs[0]), u64_of(&inputs[1])) {
                (Some(off), Some(len)) if len <= 0x400 => state.memory_sources(off, len),
                _ => Sources::empty(),
            };
            state
                .stack
                .push(Value::from_sources(sources.public() | Sources::KECCAK));
        }
        Opcode::ORIGIN => {
            if let Some(f) = facts.as_deref_mut() {
                f.origin_uses.insert(func);
            }
            state.stack.push(Value::from_sources(Sources::ORIGIN));
        }
        Opcode::CALLER => state.stack.push(Value::from_sources(Sources::CALLER)),
        Opcode::CALLVALUE => state.stack.push(Value::from_sources(Sources::CALLVALUE)),
        Opcode::SELFBALANCE | Opcode::BALANCE => {
            state.stack.push(Value::from_sources(Sources::BALANCE))
        }
        Opcode::GAS => state.stack.push(Value::from_sources(Sources::GAS)),
        Opcode::PC => state.stack.push(Value::constant(U256::from(ins.pc))),
        Opcode::CALLDATALOAD => {
            let mut sources = Sources::CALLDATA;
            if inputs[0].konst == Some(U256::ZERO) {
                sources |= Sources::CALLDATA_WORD0;
            }
            let mut v = Value::from_sources(sources);
            v.origin = u32::try_from(ins.pc).ok();
            state.stack.push(v);
        }
        Opcode::CALLDATACOPY => {
            if let (Some(dest), Some(len)) = (u64_of(&inputs[0]), u64_of(&inputs[2])) {
                let mut off = 0;
                while off < len.min(0x200) {
                    state.mstore(
                        dest.saturating_add(off),
                        Value::from_sources(Sources::CALLDATA),
                    );
                    off += 32;
                }
            }
        }
        Opcode::MLOAD => {
            let v = u64_of(&inputs[0])
                .and_then(|off| state.mload(off).cloned())
                .unwrap_or_default();
            state.stack.push(v);
        }
        Opcode::MSTORE => {
            consume(&inputs[1..], &mut facts);
            if let Some(off) = u64_of(&inputs[0]) {
                state.mstore(off, inputs[1].clone());
            }
        }
        Opcode::MSTORE8 => {
            if let Some(off) = u64_of(&inputs[0]) {
                state
                    .memory
                    .retain(|(o, _)| !(*o <= off && off < o.saturating_add(32)));
            }
        }
        Opcode::SLOAD => {
            let slot = &inputs[0];
            let keyed_by_caller =
                slot.sources.has(Sources::KECCAK) && slot.sources.has(Sources::CALLER);
            if keyed_by_caller {
                state.caller_keyed_read = true;
            }
            if let Some(f) = facts.as_deref_mut() {
                let operand = Operand::of(slot);
                let access = StorageAccess {
                    pc: record_pc,
                    kind: SlotKind::of(&operand),
                    slot: operand,
                    guarded: state.guarded,
                    after_call: None,
                };
                join_access(&mut f.reads, (func, record_pc), access);
            }
            let mut sources = Sources::STORAGE;
            if keyed_by_caller {
                sources |= Sources::CALLER_KEYED;
            }
            let mut v = Value::from_sources(sources);
            v.slot = slot.konst;
            state.stack.push(v);
        }
        Opcode::SSTORE => {
            consume(&inputs[1..], &mut facts);
            if let Some(f) = facts.as_deref_mut() {
                let operand = Operand::of(&inputs[0]);
                let mut kind = SlotKind::of(&operand);
                if kind == SlotKind::Calldata
                    && inputs[0].origin.is_some_and(|o| state.bounded.contains(&o))
                {
                    kind = SlotKind::CalldataIndexed;
                }
                let access = StorageAccess {
                    pc: record_pc,
                    kind,
                    slot: operand,
                    guarded: state.guarded,
                    after_call: state.heavy_call.map(|pc| pc as usize),
                };
                join_access(&mut f.writes, (func, record_pc), access);
            }
        }
        Opcode::CALL | Opcode::CALLCODE | Opcode::DELEGATECALL | Opcode::STATICCALL => {
            let kind = match op {
                Opcode::CALL => CallKind::Call,
                Opcode::CALLCODE => CallKind::CallCode,
                Opcode::DELEGATECALL => CallKind::DelegateCall,
                _ => CallKind::StaticCall,
            };
            let with_value = matches!(kind, CallKind::Call | CallKind::CallCode);
            let gas = &inputs[0];
            let target = &inputs[1];
            let forwards_gas = match gas.konst {
                Some(k) => k > U256::from(2300),
                None => gas.sources.has(Sources::GAS),
            };
            let precompile = target.konst.is_some_and(|k| k <= U256::from(0xffff));
            if let Some(f) = facts.as_deref_mut() {
                let call = ExternalCall {
                    pc: record_pc,
                    kind,
                    target: Operand::of(target),
                    value: with_value.then(|| Operand::of(&inputs[2])),
                    gas: Operand::of(gas),
                    forwards_gas,
                    success_checked: false,
                    guarded: state.guarded,
                    after_caller_keyed_read: state.caller_keyed_read,
                };
                join_call(&mut f.calls, (func, record_pc), call);
            }
            if kind == CallKind::Call && forwards_gas && !precompile {
                state.heavy_call = state.heavy_call.or(u32::try_from(record_pc).ok());
            }
            let mut v = Value::from_sources(Sources::CALL_SUCCESS);
            if let Ok(pc) = u32::try_from(record_pc) {
                v.call = CallSet::one(pc);
            }
            // The returned data lands in memory.
            let (ret_off, ret_len) = if with_value {
                (&inputs[5], &inputs[6])
            } else {
                (&inputs[4], &inputs[5])
            };
            if let (Some(off), Some(len)) = (u64_of(ret_off), u64_of(ret_len))
                && len > 0
            {
                state.mstore(off, Value::from_sources(Sources::RETURNDATA));
            }
            state.stack.push(v);
        }
        Opcode::SELFDESTRUCT => {
            if let Some(f) = facts.as_deref_mut() {
                let fact = SelfDestruct {
                    pc: record_pc,
                    beneficiary: Operand::of(&inputs[0]),
                    guarded: state.guarded,
                };
                f.selfdestructs
                    .entry((func, record_pc))
                    .and_modify(|old| {
                        old.guarded &= fact.guarded;
                        old.beneficiary = old.beneficiary.join(&fact.beneficiary);
                    })
                    .or_insert(fact);
            }
            return Exit::Halt(op);
        }
        _ if n == 2 && op.outputs() == 1 => {
            let v = binary(op, &inputs[0], &inputs[1]);
            if !matches!(op, Opcode::EQ | Opcode::AND | Opcode::OR | Opcode::XOR) {
                consume(&inputs, &mut facts);
            }
            state.stack.push(v);
        }
        _ => {
            consume(&inputs, &mut facts);
            // Every other instruction: its outputs are opaque, but keep what they derive from.
            let mut sources = Sources::empty();
            for v in &inputs {
                sources |= v.sources.public();
            }
            if op == Opcode::RETURNDATASIZE {
                sources = Sources::RETURNDATA;
            }
            for _ in 0..op.outputs() {
                state.stack.push(Value::from_sources(sources));
            }
        }
    }
    if state.stack.len() > MAX_STACK {
        return Exit::Dead;
    }
    Exit::Next
}

fn join_access(
    map: &mut BTreeMap<(Func, usize), StorageAccess>,
    key: (Func, usize),
    access: StorageAccess,
) {
    map.entry(key)
        .and_modify(|old| {
            old.guarded &= access.guarded;
            old.after_call = old.after_call.or(access.after_call);
            old.slot = old.slot.join(&access.slot);
            if old.kind != access.kind {
                // A path without the bounds check makes the write arbitrary again.
                old.kind = match (&old.kind, &access.kind) {
                    (SlotKind::Calldata, _) | (_, SlotKind::Calldata) => SlotKind::Calldata,
                    (SlotKind::CalldataIndexed, _) | (_, SlotKind::CalldataIndexed) => {
                        SlotKind::CalldataIndexed
                    }
                    _ => SlotKind::of(&old.slot),
                };
            }
        })
        .or_insert(access);
}

fn join_call(
    map: &mut BTreeMap<(Func, usize), ExternalCall>,
    key: (Func, usize),
    call: ExternalCall,
) {
    map.entry(key)
        .and_modify(|old| {
            old.guarded &= call.guarded;
            old.after_caller_keyed_read &= call.after_caller_keyed_read;
            old.forwards_gas |= call.forwards_gas;
            old.target = old.target.join(&call.target);
            old.gas = old.gas.join(&call.gas);
            old.value = match (&old.value, &call.value) {
                (Some(a), Some(b)) => Some(a.join(b)),
                _ => None,
            };
        })
        .or_insert(call);
}
