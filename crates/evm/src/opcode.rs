//! The EVM instruction set through Cancun: mnemonic, immediate size and stack effect.

/// One opcode byte with its static properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opcode(pub u8);

/// Name, stack inputs and stack outputs of a defined opcode.
struct Info {
    name: &'static str,
    inputs: u8,
    outputs: u8,
}

const fn info(name: &'static str, inputs: u8, outputs: u8) -> Option<Info> {
    Some(Info {
        name,
        inputs,
        outputs,
    })
}

#[allow(clippy::match_same_arms)]
const fn lookup(byte: u8) -> Option<Info> {
    match byte {
        0x00 => info("STOP", 0, 0),
        0x01 => info("ADD", 2, 1),
        0x02 => info("MUL", 2, 1),
        0x03 => info("SUB", 2, 1),
        0x04 => info("DIV", 2, 1),
        0x05 => info("SDIV", 2, 1),
        0x06 => info("MOD", 2, 1),
        0x07 => info("SMOD", 2, 1),
        0x08 => info("ADDMOD", 3, 1),
        0x09 => info("MULMOD", 3, 1),
        0x0a => info("EXP", 2, 1),
        0x0b => info("SIGNEXTEND", 2, 1),
        0x10 => info("LT", 2, 1),
        0x11 => info("GT", 2, 1),
        0x12 => info("SLT", 2, 1),
        0x13 => info("SGT", 2, 1),
        0x14 => info("EQ", 2, 1),
        0x15 => info("ISZERO", 1, 1),
        0x16 => info("AND", 2, 1),
        0x17 => info("OR", 2, 1),
        0x18 => info("XOR", 2, 1),
        0x19 => info("NOT", 1, 1),
        0x1a => info("BYTE", 2, 1),
        0x1b => info("SHL", 2, 1),
        0x1c => info("SHR", 2, 1),
        0x1d => info("SAR", 2, 1),
        0x20 => info("KECCAK256", 2, 1),
        0x30 => info("ADDRESS", 0, 1),
        0x31 => info("BALANCE", 1, 1),
        0x32 => info("ORIGIN", 0, 1),
        0x33 => info("CALLER", 0, 1),
        0x34 => info("CALLVALUE", 0, 1),
        0x35 => info("CALLDATALOAD", 1, 1),
        0x36 => info("CALLDATASIZE", 0, 1),
        0x37 => info("CALLDATACOPY", 3, 0),
        0x38 => info("CODESIZE", 0, 1),
        0x39 => info("CODECOPY", 3, 0),
        0x3a => info("GASPRICE", 0, 1),
        0x3b => info("EXTCODESIZE", 1, 1),
        0x3c => info("EXTCODECOPY", 4, 0),
        0x3d => info("RETURNDATASIZE", 0, 1),
        0x3e => info("RETURNDATACOPY", 3, 0),
        0x3f => info("EXTCODEHASH", 1, 1),
        0x40 => info("BLOCKHASH", 1, 1),
        0x41 => info("COINBASE", 0, 1),
        0x42 => info("TIMESTAMP", 0, 1),
        0x43 => info("NUMBER", 0, 1),
        0x44 => info("PREVRANDAO", 0, 1),
        0x45 => info("GASLIMIT", 0, 1),
        0x46 => info("CHAINID", 0, 1),
        0x47 => info("SELFBALANCE", 0, 1),
        0x48 => info("BASEFEE", 0, 1),
        0x49 => info("BLOBHASH", 1, 1),
        0x4a => info("BLOBBASEFEE", 0, 1),
        0x50 => info("POP", 1, 0),
        0x51 => info("MLOAD", 1, 1),
        0x52 => info("MSTORE", 2, 0),
        0x53 => info("MSTORE8", 2, 0),
        0x54 => info("SLOAD", 1, 1),
        0x55 => info("SSTORE", 2, 0),
        0x56 => info("JUMP", 1, 0),
        0x57 => info("JUMPI", 2, 0),
        0x58 => info("PC", 0, 1),
        0x59 => info("MSIZE", 0, 1),
        0x5a => info("GAS", 0, 1),
        0x5b => info("JUMPDEST", 0, 0),
        0x5c => info("TLOAD", 1, 1),
        0x5d => info("TSTORE", 2, 0),
        0x5e => info("MCOPY", 3, 0),
        0x5f => info("PUSH0", 0, 1),
        0x60..=0x7f => Some(Info {
            name: PUSH_NAMES[(byte - 0x60) as usize],
            inputs: 0,
            outputs: 1,
        }),
        0x80..=0x8f => Some(Info {
            name: DUP_NAMES[(byte - 0x80) as usize],
            inputs: byte - 0x7f,
            outputs: byte - 0x7f + 1,
        }),
        0x90..=0x9f => Some(Info {
            name: SWAP_NAMES[(byte - 0x90) as usize],
            inputs: byte - 0x8f + 1,
            outputs: byte - 0x8f + 1,
        }),
        0xa0..=0xa4 => Some(Info {
            name: LOG_NAMES[(byte - 0xa0) as usize],
            inputs: byte - 0xa0 + 2,
            outputs: 0,
        }),
        0xf0 => info("CREATE", 3, 1),
        0xf1 => info("CALL", 7, 1),
        0xf2 => info("CALLCODE", 7, 1),
        0xf3 => info("RETURN", 2, 0),
        0xf4 => info("DELEGATECALL", 6, 1),
        0xf5 => info("CREATE2", 4, 1),
        0xfa => info("STATICCALL", 6, 1),
        0xfd => info("REVERT", 2, 0),
        0xff => info("SELFDESTRUCT", 1, 0),
        _ => None,
    }
}

const PUSH_NAMES: [&str; 32] = [
    "PUSH1", "PUSH2", "PUSH3", "PUSH4", "PUSH5", "PUSH6", "PUSH7", "PUSH8", "PUSH9", "PUSH10",
    "PUSH11", "PUSH12", "PUSH13", "PUSH14", "PUSH15", "PUSH16", "PUSH17", "PUSH18", "PUSH19",
    "PUSH20", "PUSH21", "PUSH22", "PUSH23", "PUSH24", "PUSH25", "PUSH26", "PUSH27", "PUSH28",
    "PUSH29", "PUSH30", "PUSH31", "PUSH32",
];
const DUP_NAMES: [&str; 16] = [
    "DUP1", "DUP2", "DUP3", "DUP4", "DUP5", "DUP6", "DUP7", "DUP8", "DUP9", "DUP10", "DUP11",
    "DUP12", "DUP13", "DUP14", "DUP15", "DUP16",
];
const SWAP_NAMES: [&str; 16] = [
    "SWAP1", "SWAP2", "SWAP3", "SWAP4", "SWAP5", "SWAP6", "SWAP7", "SWAP8", "SWAP9", "SWAP10",
    "SWAP11", "SWAP12", "SWAP13", "SWAP14", "SWAP15", "SWAP16",
];
const LOG_NAMES: [&str; 5] = ["LOG0", "LOG1", "LOG2", "LOG3", "LOG4"];

#[allow(missing_docs)]
impl Opcode {
    pub const STOP: Self = Self(0x00);
    pub const ADD: Self = Self(0x01);
    pub const MUL: Self = Self(0x02);
    pub const SUB: Self = Self(0x03);
    pub const DIV: Self = Self(0x04);
    pub const EXP: Self = Self(0x0a);
    pub const LT: Self = Self(0x10);
    pub const GT: Self = Self(0x11);
    pub const EQ: Self = Self(0x14);
    pub const ISZERO: Self = Self(0x15);
    pub const AND: Self = Self(0x16);
    pub const OR: Self = Self(0x17);
    pub const XOR: Self = Self(0x18);
    pub const NOT: Self = Self(0x19);
    pub const SHL: Self = Self(0x1b);
    pub const SHR: Self = Self(0x1c);
    pub const KECCAK256: Self = Self(0x20);
    pub const ADDRESS: Self = Self(0x30);
    pub const BALANCE: Self = Self(0x31);
    pub const ORIGIN: Self = Self(0x32);
    pub const CALLER: Self = Self(0x33);
    pub const CALLVALUE: Self = Self(0x34);
    pub const CALLDATALOAD: Self = Self(0x35);
    pub const CALLDATASIZE: Self = Self(0x36);
    pub const CALLDATACOPY: Self = Self(0x37);
    pub const RETURNDATASIZE: Self = Self(0x3d);
    pub const SELFBALANCE: Self = Self(0x47);
    pub const POP: Self = Self(0x50);
    pub const MLOAD: Self = Self(0x51);
    pub const MSTORE: Self = Self(0x52);
    pub const MSTORE8: Self = Self(0x53);
    pub const SLOAD: Self = Self(0x54);
    pub const SSTORE: Self = Self(0x55);
    pub const JUMP: Self = Self(0x56);
    pub const JUMPI: Self = Self(0x57);
    pub const PC: Self = Self(0x58);
    pub const GAS: Self = Self(0x5a);
    pub const JUMPDEST: Self = Self(0x5b);
    pub const PUSH0: Self = Self(0x5f);
    pub const PUSH1: Self = Self(0x60);
    pub const PUSH4: Self = Self(0x63);
    pub const PUSH32: Self = Self(0x7f);
    pub const CALL: Self = Self(0xf1);
    pub const CALLCODE: Self = Self(0xf2);
    pub const RETURN: Self = Self(0xf3);
    pub const DELEGATECALL: Self = Self(0xf4);
    pub const STATICCALL: Self = Self(0xfa);
    pub const REVERT: Self = Self(0xfd);
    pub const INVALID: Self = Self(0xfe);
    pub const SELFDESTRUCT: Self = Self(0xff);
}

impl Opcode {
    /// The mnemonic; `INVALID` for bytes that are no instruction.
    pub fn name(self) -> &'static str {
        lookup(self.0).map_or("INVALID", |i| i.name)
    }

    /// Whether the byte is an instruction (0xfe, the designated invalid opcode, is not).
    pub fn is_defined(self) -> bool {
        lookup(self.0).is_some()
    }

    /// Bytes of immediate data that follow the opcode (PUSH1..PUSH32).
    pub fn immediate_size(self) -> usize {
        match self.0 {
            0x60..=0x7f => usize::from(self.0 - 0x5f),
            _ => 0,
        }
    }

    /// Stack items taken (undefined opcodes take none: they halt).
    pub fn inputs(self) -> usize {
        lookup(self.0).map_or(0, |i| usize::from(i.inputs))
    }

    /// Stack items left.
    pub fn outputs(self) -> usize {
        lookup(self.0).map_or(0, |i| usize::from(i.outputs))
    }

    /// Whether execution never continues to the next instruction.
    pub fn is_terminator(self) -> bool {
        matches!(self.0, 0x00 | 0x56 | 0xf3 | 0xfd | 0xff) || !self.is_defined()
    }

    /// Whether the instruction ends a basic block (terminators and JUMPI).
    pub fn ends_block(self) -> bool {
        self.is_terminator() || self == Self::JUMPI
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancun_opcodes_are_defined() {
        for (byte, name) in [
            (0x5c, "TLOAD"),
            (0x5d, "TSTORE"),
            (0x5e, "MCOPY"),
            (0x5f, "PUSH0"),
            (0x49, "BLOBHASH"),
            (0x4a, "BLOBBASEFEE"),
            (0x7f, "PUSH32"),
            (0x8f, "DUP16"),
            (0x9f, "SWAP16"),
            (0xa4, "LOG4"),
        ] {
            assert_eq!(Opcode(byte).name(), name);
        }
        assert_eq!(Opcode(0x0c).name(), "INVALID");
        assert!(!Opcode::INVALID.is_defined());
        assert_eq!(Opcode(0x9f).inputs(), 17);
        assert_eq!(Opcode(0x8f).outputs(), 17);
        assert_eq!(Opcode::PUSH32.immediate_size(), 32);
        assert_eq!(Opcode::PUSH0.immediate_size(), 0);
    }
}
