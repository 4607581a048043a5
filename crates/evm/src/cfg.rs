//! Basic blocks: maximal runs of instructions entered only at their first instruction.

use crate::disasm::Instruction;
use crate::opcode::Opcode;

/// Index of a block in [`Blocks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(pub u32);

/// One basic block: instructions `start..end` of the instruction list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub start: usize,
    pub end: usize,
    /// Byte offset of the first instruction.
    pub pc: usize,
}

/// The blocks of a code, with the lookup from a jump destination to its block.
#[derive(Debug, Clone)]
pub(crate) struct Blocks {
    pub(crate) blocks: Vec<Block>,
    /// For every byte offset holding a JUMPDEST instruction, its block.
    jumpdests: Vec<Option<BlockId>>,
}

impl Blocks {
    /// Splits at every JUMPDEST and after every instruction that ends a block.
    pub(crate) fn build(instructions: &[Instruction], code_len: usize) -> Self {
        let mut blocks = Vec::new();
        let mut jumpdests = vec![None; code_len];
        let mut start = 0;
        for (i, ins) in instructions.iter().enumerate() {
            if ins.opcode == Opcode::JUMPDEST && i > start {
                blocks.push(Block {
                    start,
                    end: i,
                    pc: instructions[start].pc,
                });
                start = i;
            }
            if ins.opcode == Opcode::JUMPDEST
                && let Some(slot) = jumpdests.get_mut(ins.pc)
            {
                *slot = Some(BlockId(u32::try_from(blocks.len()).unwrap_or(u32::MAX)));
            }
            if ins.opcode.ends_block() {
                blocks.push(Block {
                    start,
                    end: i + 1,
                    pc: instructions[start].pc,
                });
                start = i + 1;
            }
        }
        if start < instructions.len() {
            blocks.push(Block {
                start,
                end: instructions.len(),
                pc: instructions[start].pc,
            });
        }
        Self { blocks, jumpdests }
    }

    /// The block of a jump destination: `None` unless `pc` is a JUMPDEST instruction.
    pub(crate) fn jumpdest(&self, pc: usize) -> Option<BlockId> {
        self.jumpdests.get(pc).copied().flatten()
    }

    pub(crate) fn get(&self, id: BlockId) -> Option<&Block> {
        self.blocks.get(id.0 as usize)
    }

    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disasm::disassemble;

    #[test]
    fn splits_at_jumpdests_and_jumps() {
        // PUSH1 4 JUMP INVALID JUMPDEST STOP
        let code = [0x60, 0x04, 0x56, 0xfe, 0x5b, 0x00];
        let ins = disassemble(&code);
        let blocks = Blocks::build(&ins, code.len());
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks.jumpdest(4), Some(BlockId(2)));
        assert_eq!(blocks.jumpdest(1), None);
    }
}
