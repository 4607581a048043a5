//! The little EVM knowledge proxy detection needs: instruction boundaries and stack effects.

/// `DELEGATECALL`.
pub(crate) const DELEGATECALL: u8 = 0xf4;
/// `SLOAD`.
pub(crate) const SLOAD: u8 = 0x54;
pub(crate) const PUSH0: u8 = 0x5f;
pub(crate) const PUSH1: u8 = 0x60;
pub(crate) const PUSH32: u8 = 0x7f;
const JUMPDEST: u8 = 0x5b;

/// One instruction: its offset, opcode and immediate bytes (cut short at the end of code).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Instruction<'a> {
    pub(crate) pc: usize,
    pub(crate) op: u8,
    pub(crate) immediate: &'a [u8],
}

/// The instructions of `code`, in order.
pub(crate) fn instructions(code: &[u8]) -> impl Iterator<Item = Instruction<'_>> {
    let mut pc = 0;
    std::iter::from_fn(move || {
        let op = *code.get(pc)?;
        let width = push_width(op);
        let start = pc + 1;
        let end = (start + width).min(code.len());
        let instruction = Instruction {
            pc,
            op,
            immediate: &code[start..end],
        };
        pc = start + width;
        Some(instruction)
    })
}

/// Immediate bytes of `op` (`PUSH1`..`PUSH32`; none for every other opcode).
pub(crate) fn push_width(op: u8) -> usize {
    if (PUSH1..=PUSH32).contains(&op) {
        usize::from(op - PUSH1) + 1
    } else {
        0
    }
}

/// Whether the block of straight-line code ends after `op`.
pub(crate) fn ends_block(op: u8) -> bool {
    matches!(op, 0x00 | 0x56 | 0x57 | 0xf3 | 0xfd | 0xfe | 0xff) || stack_effect(op).is_none()
}

/// Whether a new block starts at `op`.
pub(crate) fn starts_block(op: u8) -> bool {
    op == JUMPDEST
}

/// Items taken from and put on the stack by `op`; `None` for an undefined opcode.
pub(crate) fn stack_effect(op: u8) -> Option<(usize, usize)> {
    Some(match op {
        0x00 => (0, 0),
        0x01..=0x07 | 0x0a | 0x0b => (2, 1),
        0x08 | 0x09 => (3, 1),
        0x10..=0x14 | 0x16..=0x18 | 0x1a..=0x1d => (2, 1),
        0x15 | 0x19 => (1, 1),
        0x20 => (2, 1),
        0x30 | 0x32 | 0x33 | 0x34 | 0x36 | 0x38 | 0x3a | 0x3d => (0, 1),
        0x31 | 0x35 | 0x3b | 0x3f => (1, 1),
        0x37 | 0x39 | 0x3e => (3, 0),
        0x3c => (4, 0),
        0x40 | 0x49 => (1, 1),
        0x41..=0x48 | 0x4a => (0, 1),
        0x50 => (1, 0),
        0x51 | 0x54 | 0x5c => (1, 1),
        0x52 | 0x53 | 0x55 | 0x5d => (2, 0),
        0x56 => (1, 0),
        0x57 => (2, 0),
        0x58..=0x5a => (0, 1),
        0x5b => (0, 0),
        0x5e => (3, 0),
        0x5f..=0x7f => (0, 1),
        0x80..=0x8f => {
            let n = usize::from(op - 0x80) + 1;
            (n, n + 1)
        }
        0x90..=0x9f => {
            let n = usize::from(op - 0x90) + 2;
            (n, n)
        }
        0xa0..=0xa4 => (usize::from(op - 0xa0) + 2, 0),
        0xf0 => (3, 1),
        0xf1 | 0xf2 => (7, 1),
        0xf3 | 0xfd => (2, 0),
        0xf4 | 0xfa => (6, 1),
        0xf5 => (4, 1),
        0xfe => (0, 0),
        0xff => (1, 0),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_pushes_and_truncated_code() {
        let code = [0x60, 0x01, 0x7f, 0xaa];
        let ops: Vec<_> = instructions(&code)
            .map(|i| (i.pc, i.op, i.immediate.len()))
            .collect();
        assert_eq!(ops, vec![(0, 0x60, 1), (2, 0x7f, 1)]);
        assert_eq!(stack_effect(0x84), Some((5, 6)));
        assert_eq!(stack_effect(0x91), Some((3, 3)));
        assert_eq!(stack_effect(0x0c), None);
        assert!(ends_block(0x0c));
    }
}
