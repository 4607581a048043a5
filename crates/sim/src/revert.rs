//! Decoding what a reverted call returned: `Error(string)`, `Panic(uint256)`, a custom
//! error (named when it is one of a few common access-control errors), or raw bytes.

use std::fmt;

use alloy_primitives::{Bytes, U256};

/// Why a call reverted, decoded from its return data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevertReason {
    /// `revert("…")` / `require(cond, "…")`: the `Error(string)` payload.
    Message(String),
    /// A compiler-inserted `Panic(uint256)` (overflow, division by zero, …).
    Panic { code: U256 },
    /// A custom error: its selector, its name when it is a known one, and its arguments.
    Custom {
        selector: [u8; 4],
        name: Option<&'static str>,
        data: Bytes,
    },
    /// `revert()` without data.
    Empty,
    /// Return data that is none of the above (shorter than a selector, or a malformed
    /// `Error(string)`).
    Raw(Bytes),
}

/// Custom errors of common access-control libraries, named by their signature (the
/// selector is computed, not written down).
const KNOWN_ERRORS: &[&str] = &[
    "OwnableUnauthorizedAccount(address)",
    "OwnableInvalidOwner(address)",
    "AccessControlUnauthorizedAccount(address,bytes32)",
    "AccessControlBadConfirmation()",
    "Unauthorized()",
    "NotOwner()",
    "NotOwner(address)",
    "OnlyOwner()",
    "NotAuthorized()",
    "ReentrancyGuardReentrantCall()",
    "EnforcedPause()",
];

pub use chain::proxy::selector;

impl RevertReason {
    /// Decodes the return data of a reverted call.
    pub fn decode(output: &[u8]) -> RevertReason {
        if output.is_empty() {
            return RevertReason::Empty;
        }
        let Some((head, body)) = output.split_first_chunk::<4>() else {
            return RevertReason::Raw(Bytes::copy_from_slice(output));
        };
        if *head == selector("Error(string)") {
            return match decode_string(body) {
                Some(message) => RevertReason::Message(message),
                None => RevertReason::Raw(Bytes::copy_from_slice(output)),
            };
        }
        if *head == selector("Panic(uint256)") && body.len() == 32 {
            return RevertReason::Panic {
                code: U256::from_be_slice(body),
            };
        }
        let name = KNOWN_ERRORS
            .iter()
            .find(|signature| selector(signature) == *head)
            .copied();
        RevertReason::Custom {
            selector: *head,
            name,
            data: Bytes::copy_from_slice(body),
        }
    }
}

/// The ABI encoding of one `string` argument: an offset, then length and bytes.
fn decode_string(body: &[u8]) -> Option<String> {
    let offset = word_as_usize(body.get(..32)?)?;
    let length_word = body.get(offset..offset.checked_add(32)?)?;
    let length = word_as_usize(length_word)?;
    let start = offset + 32;
    let bytes = body.get(start..start.checked_add(length)?)?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

fn word_as_usize(word: &[u8]) -> Option<usize> {
    let value = U256::from_be_slice(word);
    usize::try_from(value).ok()
}

fn panic_meaning(code: U256) -> &'static str {
    match code.saturating_to::<u64>() {
        0x00 => "generic compiler panic",
        0x01 => "assertion failed",
        0x11 => "arithmetic overflow or underflow",
        0x12 => "division or modulo by zero",
        0x21 => "invalid enum value",
        0x22 => "bad storage byte array encoding",
        0x31 => "pop on an empty array",
        0x32 => "array index out of bounds",
        0x41 => "out of memory",
        0x51 => "call to an uninitialized function",
        _ => "unknown panic code",
    }
}

impl fmt::Display for RevertReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevertReason::Message(message) => write!(f, "\"{message}\""),
            RevertReason::Panic { code } => {
                write!(f, "Panic({code:#x}: {})", panic_meaning(*code))
            }
            RevertReason::Custom {
                selector,
                name,
                data,
            } => {
                let selector = alloy_primitives::hex::encode(selector);
                match name {
                    Some(name) => write!(f, "custom error {name} (0x{selector})")?,
                    None => write!(f, "custom error 0x{selector}")?,
                }
                if !data.is_empty() {
                    write!(f, " with data {data}")?;
                }
                Ok(())
            }
            RevertReason::Empty => write!(f, "no reason"),
            RevertReason::Raw(data) => write!(f, "undecodable data {data}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(value: u64) -> [u8; 32] {
        U256::from(value).to_be_bytes()
    }

    fn error_string(message: &str) -> Vec<u8> {
        let mut out = selector("Error(string)").to_vec();
        out.extend_from_slice(&word(32));
        out.extend_from_slice(&word(message.len() as u64));
        let mut padded = message.as_bytes().to_vec();
        padded.resize(message.len().div_ceil(32) * 32, 0);
        out.extend_from_slice(&padded);
        out
    }

    #[test]
    fn error_string_is_decoded() {
        let reason = RevertReason::decode(&error_string("caller is not the owner"));
        assert_eq!(
            reason,
            RevertReason::Message("caller is not the owner".into())
        );
        assert_eq!(reason.to_string(), "\"caller is not the owner\"");
    }

    #[test]
    fn selectors_are_the_known_ones() {
        assert_eq!(selector("Error(string)"), [0x08, 0xc3, 0x79, 0xa0]);
        assert_eq!(selector("Panic(uint256)"), [0x4e, 0x48, 0x7b, 0x71]);
        assert_eq!(
            selector("transferOwnership(address)"),
            [0xf2, 0xfd, 0xe3, 0x8b]
        );
    }

    #[test]
    fn panic_is_decoded_with_its_meaning() {
        let mut data = selector("Panic(uint256)").to_vec();
        data.extend_from_slice(&word(0x11));
        let reason = RevertReason::decode(&data);
        assert_eq!(
            reason,
            RevertReason::Panic {
                code: U256::from(0x11)
            }
        );
        assert_eq!(
            reason.to_string(),
            "Panic(0x11: arithmetic overflow or underflow)"
        );
    }

    #[test]
    fn known_custom_error_is_named() {
        let mut data = selector("OwnableUnauthorizedAccount(address)").to_vec();
        data.extend_from_slice(&[0u8; 12]);
        data.extend_from_slice(&[0xab; 20]);
        let reason = RevertReason::decode(&data);
        let RevertReason::Custom { selector, name, .. } = &reason else {
            panic!("not a custom error: {reason:?}");
        };
        assert_eq!(*selector, [0x11, 0x8c, 0xda, 0xa7]);
        assert_eq!(*name, Some("OwnableUnauthorizedAccount(address)"));
        assert!(
            reason
                .to_string()
                .starts_with("custom error OwnableUnauthorizedAccount(address) (0x118cdaa7) with data 0x000000000000000000000000abab")
        );
    }

    #[test]
    fn unknown_custom_error_keeps_its_selector() {
        let reason = RevertReason::decode(&[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(reason.to_string(), "custom error 0xdeadbeef");
    }

    #[test]
    fn malformed_payloads_never_panic() {
        assert_eq!(RevertReason::decode(&[]), RevertReason::Empty);
        assert_eq!(
            RevertReason::decode(&[1, 2]),
            RevertReason::Raw(Bytes::from(vec![1, 2]))
        );
        // Error(string) whose offset points past the end, and one with a huge length.
        let mut bad_offset = selector("Error(string)").to_vec();
        bad_offset.extend_from_slice(&word(4096));
        assert!(matches!(
            RevertReason::decode(&bad_offset),
            RevertReason::Raw(_)
        ));
        let mut huge = selector("Error(string)").to_vec();
        huge.extend_from_slice(&word(32));
        huge.extend_from_slice(&U256::MAX.to_be_bytes::<32>());
        assert!(matches!(RevertReason::decode(&huge), RevertReason::Raw(_)));
        // A truncated string body is refused rather than read past its end.
        let mut truncated = error_string("a long enough message to need two words!");
        truncated.truncate(4 + 64 + 8);
        assert!(matches!(
            RevertReason::decode(&truncated),
            RevertReason::Raw(_)
        ));
    }
}
