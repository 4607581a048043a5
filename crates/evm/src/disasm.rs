//! Disassembly: bytes to instructions, with the compiler's CBOR metadata tail left out.

use alloy_primitives::U256;

use crate::opcode::Opcode;

/// One decoded instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Byte offset of the opcode in the code.
    pub pc: usize,
    pub opcode: Opcode,
    /// The pushed constant of PUSH0..PUSH32 (missing bytes of a PUSH cut off by the end of the
    /// code read as zero, as the EVM reads them).
    pub immediate: Option<U256>,
    /// A PUSH whose immediate runs past the end of the code.
    pub truncated: bool,
}

/// The length of the CBOR metadata tail solc appends, when the last two bytes (its length,
/// big-endian) describe a CBOR map that fits in the code.
pub fn metadata_len(code: &[u8]) -> Option<usize> {
    let n = code.len();
    if n < 2 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([code[n - 2], code[n - 1]]));
    if len < 2 || len + 2 > n {
        return None;
    }
    let start = n - 2 - len;
    // A CBOR map with 1..=23 entries is one byte 0xa1..=0xb7.
    (0xa1..=0xb7).contains(&code[start]).then_some(len + 2)
}

/// The code without its metadata tail (the whole code when there is none).
pub fn strip_metadata(code: &[u8]) -> &[u8] {
    match metadata_len(code) {
        Some(len) => &code[..code.len() - len],
        None => code,
    }
}

/// Decodes every instruction of `code` in order. Bytes that are no opcode become instructions
/// whose opcode is not defined (shown as INVALID); a PUSH at the end is kept, marked truncated.
pub fn disassemble(code: &[u8]) -> Vec<Instruction> {
    let mut out = Vec::with_capacity(code.len());
    let mut pc = 0;
    while pc < code.len() {
        let opcode = Opcode(code[pc]);
        let size = opcode.immediate_size();
        let (immediate, truncated) = if opcode == Opcode::PUSH0 {
            (Some(U256::ZERO), false)
        } else if size > 0 {
            let start = pc + 1;
            let end = (start + size).min(code.len());
            let mut word = [0u8; 32];
            // The EVM pads missing bytes on the right.
            word[32 - size..32 - size + (end - start)].copy_from_slice(&code[start..end]);
            (Some(U256::from_be_bytes(word)), end - start < size)
        } else {
            (None, false)
        };
        out.push(Instruction {
            pc,
            opcode,
            immediate,
            truncated,
        });
        pc += 1 + size;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pushes_and_invalid_bytes() {
        let code = [0x60, 0x80, 0x5f, 0x0c, 0x61, 0x12];
        let ins = disassemble(&code);
        assert_eq!(ins.len(), 4);
        assert_eq!(ins[0].immediate, Some(U256::from(0x80)));
        assert_eq!(ins[1].opcode, Opcode::PUSH0);
        assert_eq!(ins[2].opcode.name(), "INVALID");
        assert!(ins[3].truncated);
        assert_eq!(ins[3].immediate, Some(U256::from(0x1200)));
    }

    #[test]
    fn strips_consistent_metadata_only() {
        let mut code = vec![0x00, 0x00];
        code.extend_from_slice(&[0xa1, 0x65, b'b', b'z', b'z', b'r', b'0']);
        code.extend_from_slice(&[0x00, 0x07]);
        assert_eq!(strip_metadata(&code), &[0x00, 0x00]);
        assert_eq!(strip_metadata(&[0x00, 0x00, 0x00, 0x07]), &[0, 0, 0, 7]);
        assert_eq!(strip_metadata(&[0xff]), &[0xff]);
    }
}
