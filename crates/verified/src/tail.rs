//! The CBOR metadata tail solc appends to runtime code.
//!
//! The last two bytes of the runtime code are the big-endian length of a CBOR map just before
//! them. Its keys are text: `ipfs` (a 34-byte sha2-256 multihash), `bzzr0` or `bzzr1` (a
//! 32-byte Swarm hash), `solc` (three bytes `major minor patch` for a release, text for a
//! pre-release build) and `experimental` (`true` when experimental features were enabled).
//! A build with `bytecodeHash: none` has a tail without a hash; very old compilers (before
//! 0.4.7) and other languages have no Solidity tail at all.

use std::io::Cursor;

use alloy_primitives::B256;
use ciborium::value::Value;

use crate::hash::{HashKind, MetadataHash};

/// What the CBOR tail of a runtime code says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataTail {
    /// The metadata hash; `None` for a build with `bytecodeHash: none`.
    pub hash: Option<MetadataHash>,
    /// The compiler version (`0.8.26`, or the pre-release text solc wrote).
    pub solc: Option<String>,
    /// Whether the contract was compiled with experimental features.
    pub experimental: bool,
    /// The tail's length in bytes, its two length bytes included.
    pub len: usize,
}

/// Why a runtime code has no readable metadata tail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TailError {
    #[error("the code is {len} bytes, too short to end with a metadata tail")]
    TooShort { len: usize },
    #[error(
        "the last two bytes give a metadata length of {declared} bytes, which does not fit in \
         {code_len} bytes of code"
    )]
    BadLength { declared: usize, code_len: usize },
    #[error(
        "the bytes before the length are not a CBOR map (first byte 0x{first_byte:02x}); the \
         code has no Solidity metadata tail"
    )]
    NotAMap { first_byte: u8 },
    #[error("the metadata tail is not valid CBOR: {0}")]
    Cbor(String),
    #[error("the metadata tail has {0} bytes after its CBOR map")]
    TrailingBytes(usize),
    #[error("the metadata tail's `{key}` entry {problem}")]
    BadEntry { key: String, problem: String },
    #[error("the metadata tail holds both `{0}` and `{1}` hashes")]
    TwoHashes(&'static str, &'static str),
}

/// Reads the metadata tail at the end of `code`.
pub fn parse_tail(code: &[u8]) -> Result<MetadataTail, TailError> {
    if code.len() < 3 {
        return Err(TailError::TooShort { len: code.len() });
    }
    let declared = usize::from(u16::from_be_bytes([
        code[code.len() - 2],
        code[code.len() - 1],
    ]));
    if declared == 0 || declared + 2 > code.len() {
        return Err(TailError::BadLength {
            declared,
            code_len: code.len(),
        });
    }
    let start = code.len() - 2 - declared;
    let cbor = &code[start..code.len() - 2];
    // Major type 5 (map) is 0xa0..=0xbf.
    if cbor[0] & 0xe0 != 0xa0 {
        return Err(TailError::NotAMap {
            first_byte: cbor[0],
        });
    }
    let mut reader = Cursor::new(cbor);
    let value: Value =
        ciborium::from_reader(&mut reader).map_err(|e| TailError::Cbor(e.to_string()))?;
    let consumed = usize::try_from(reader.position()).unwrap_or(usize::MAX);
    if consumed < cbor.len() {
        return Err(TailError::TrailingBytes(cbor.len() - consumed));
    }
    let Value::Map(entries) = value else {
        return Err(TailError::NotAMap {
            first_byte: cbor[0],
        });
    };
    let mut tail = MetadataTail {
        hash: None,
        solc: None,
        experimental: false,
        len: declared + 2,
    };
    for (key, value) in entries {
        let Value::Text(key) = key else {
            return Err(TailError::BadEntry {
                key: format!("{key:?}"),
                problem: "is not keyed by text".into(),
            });
        };
        let bad = |problem: &str| TailError::BadEntry {
            key: key.clone(),
            problem: problem.to_string(),
        };
        match key.as_str() {
            "ipfs" => {
                let bytes = as_bytes(&value).ok_or_else(|| bad("is not a byte string"))?;
                let digest = match bytes {
                    [0x12, 0x20, digest @ ..] if digest.len() == 32 => B256::from_slice(digest),
                    _ => return Err(bad("is not a 34-byte sha2-256 multihash")),
                };
                set_hash(&mut tail, MetadataHash::Ipfs(digest))?;
            }
            "bzzr0" | "bzzr1" => {
                let bytes = as_bytes(&value).ok_or_else(|| bad("is not a byte string"))?;
                if bytes.len() != 32 {
                    return Err(bad("is not 32 bytes long"));
                }
                let digest = B256::from_slice(bytes);
                let hash = if key == "bzzr0" {
                    MetadataHash::Bzzr0(digest)
                } else {
                    MetadataHash::Bzzr1(digest)
                };
                set_hash(&mut tail, hash)?;
            }
            "solc" => {
                tail.solc = Some(match &value {
                    Value::Bytes(v) if v.len() == 3 => format!("{}.{}.{}", v[0], v[1], v[2]),
                    Value::Text(text) => text.clone(),
                    _ => return Err(bad("is neither three version bytes nor text")),
                });
            }
            "experimental" => {
                tail.experimental = match value {
                    Value::Bool(flag) => flag,
                    _ => return Err(bad("is not a boolean")),
                };
            }
            // Later compilers may add keys; they do not change what we check.
            _ => {}
        }
    }
    Ok(tail)
}

fn as_bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::Bytes(bytes) => Some(bytes),
        _ => None,
    }
}

fn set_hash(tail: &mut MetadataTail, hash: MetadataHash) -> Result<(), TailError> {
    if let Some(existing) = &tail.hash {
        return Err(TailError::TwoHashes(
            existing.kind().key(),
            hash.kind().key(),
        ));
    }
    tail.hash = Some(hash);
    Ok(())
}

impl MetadataTail {
    /// The kind of hash in the tail, if any.
    pub fn hash_kind(&self) -> Option<HashKind> {
        self.hash.as_ref().map(MetadataHash::kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_with_tail(cbor: &[u8]) -> Vec<u8> {
        let mut code = vec![0x60, 0x80, 0x60, 0x40, 0x52, 0xfe];
        code.extend_from_slice(cbor);
        code.extend_from_slice(&(cbor.len() as u16).to_be_bytes());
        code
    }

    /// `{"ipfs": h'1220' ++ 32×0x11, "solc": h'00081a'}` as solc 0.8.26 writes it.
    fn ipfs_tail() -> Vec<u8> {
        let mut cbor = vec![0xa2, 0x64, b'i', b'p', b'f', b's', 0x58, 0x22, 0x12, 0x20];
        cbor.extend_from_slice(&[0x11; 32]);
        cbor.extend_from_slice(&[0x64, b's', b'o', b'l', b'c', 0x43, 0x00, 0x08, 0x1a]);
        cbor
    }

    #[test]
    fn reads_an_ipfs_tail_with_a_version() {
        let tail = parse_tail(&code_with_tail(&ipfs_tail())).unwrap();
        assert_eq!(tail.hash, Some(MetadataHash::Ipfs(B256::repeat_byte(0x11))));
        assert_eq!(tail.solc.as_deref(), Some("0.8.26"));
        assert!(!tail.experimental);
        assert_eq!(tail.len, ipfs_tail().len() + 2);
    }

    #[test]
    fn reads_a_bzzr0_tail_without_a_version() {
        let mut cbor = vec![0xa1, 0x65, b'b', b'z', b'z', b'r', b'0', 0x58, 0x20];
        cbor.extend_from_slice(&[0x22; 32]);
        let tail = parse_tail(&code_with_tail(&cbor)).unwrap();
        assert_eq!(
            tail.hash,
            Some(MetadataHash::Bzzr0(B256::repeat_byte(0x22)))
        );
        assert_eq!(tail.solc, None);
    }

    #[test]
    fn reads_experimental_and_prerelease_versions() {
        // {"experimental": true, "solc": "0.8.27-nightly"}
        let mut cbor = vec![0xa2, 0x6c];
        cbor.extend_from_slice(b"experimental");
        cbor.push(0xf5);
        cbor.extend_from_slice(&[0x64, b's', b'o', b'l', b'c', 0x6e]);
        cbor.extend_from_slice(b"0.8.27-nightly");
        let tail = parse_tail(&code_with_tail(&cbor)).unwrap();
        assert!(tail.experimental);
        assert_eq!(tail.hash, None);
        assert_eq!(tail.solc.as_deref(), Some("0.8.27-nightly"));
    }

    #[test]
    fn rejects_codes_without_a_tail() {
        assert_eq!(parse_tail(&[0x00]), Err(TailError::TooShort { len: 1 }));
        // A length pointing before the start of the code.
        assert!(matches!(
            parse_tail(&[0x60, 0x00, 0x00, 0x40]),
            Err(TailError::BadLength { declared: 64, .. })
        ));
        assert!(matches!(
            parse_tail(&[0x60, 0x00, 0x00, 0x00]),
            Err(TailError::BadLength { declared: 0, .. })
        ));
        // Plain code whose last bytes happen to make a small length.
        assert!(matches!(
            parse_tail(&[0x60, 0x01, 0x60, 0x02, 0x01, 0x00, 0x02]),
            Err(TailError::NotAMap { first_byte: 0x02 })
        ));
        // An array, as other compilers write, is no Solidity tail either.
        assert!(matches!(
            parse_tail(&code_with_tail(&[0x82, 0x01, 0x02])),
            Err(TailError::NotAMap { first_byte: 0x82 })
        ));
    }

    #[test]
    fn rejects_garbled_tails() {
        // A map header announcing two entries but holding a truncated one.
        let cbor = [0xa2, 0x64, b'i', b'p', b'f', b's', 0x58, 0x22, 0x12];
        assert!(matches!(
            parse_tail(&code_with_tail(&cbor)),
            Err(TailError::Cbor(_))
        ));
        // A short multihash.
        let cbor = [0xa1, 0x64, b'i', b'p', b'f', b's', 0x42, 0x12, 0x20];
        assert!(matches!(
            parse_tail(&code_with_tail(&cbor)),
            Err(TailError::BadEntry { key, .. }) if key == "ipfs"
        ));
        // Bytes after the map.
        let mut cbor = ipfs_tail();
        cbor.push(0x00);
        assert_eq!(
            parse_tail(&code_with_tail(&cbor)),
            Err(TailError::TrailingBytes(1))
        );
        // A version that is a number.
        let cbor = [0xa1, 0x64, b's', b'o', b'l', b'c', 0x08];
        assert!(matches!(
            parse_tail(&code_with_tail(&cbor)),
            Err(TailError::BadEntry { key, .. }) if key == "solc"
        ));
    }

    #[test]
    fn never_panics_on_arbitrary_endings() {
        // Every short code and every length field over a fixed body.
        for len in 0..40usize {
            let code: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let _ = parse_tail(&code);
        }
        for declared in 0..=u16::MAX {
            let mut code = vec![0xa1; 64];
            code.extend_from_slice(&declared.to_be_bytes());
            let _ = parse_tail(&code);
        }
    }
}
