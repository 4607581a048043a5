//! The compiler's metadata file: what the check reads from it, and its canonical text.
//!
//! solc writes the metadata as compact JSON with object keys in byte order, and hashes
//! exactly those bytes. A provider that hands back the metadata as a parsed JSON object
//! (Sourcify's v2 API does) loses the original bytes; [`canonical_text`] writes the object
//! back the way solc does, so that the hash can still be computed. Non-ASCII text is written
//! as UTF-8 by current compilers; [`canonical_text`] can also escape it (`\uXXXX`) for the
//! other convention, and the check accepts either when the hash matches.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use alloy_primitives::B256;
use serde_json::Value;

/// What the check needs from a metadata file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `compiler.version` (`0.8.26+commit.8a97fa7a`).
    pub compiler_version: Option<String>,
    /// `settings.compilationTarget`: the file and the contract compiled.
    pub target: Option<(String, String)>,
    /// Each source by its path: the keccak-256 of its text and, when the metadata was
    /// written with literal content, the text.
    pub sources: BTreeMap<String, MetadataSource>,
    /// `settings.remappings`.
    pub remappings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataSource {
    pub keccak256: Option<B256>,
    pub content: Option<String>,
}

/// Why a metadata file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("the metadata is not JSON: {0}")]
    Json(String),
    #[error("the metadata is not a JSON object")]
    NotAnObject,
    #[error("the metadata has no `sources` object")]
    NoSources,
    #[error("the metadata's source `{path}` has a malformed `keccak256`: {value}")]
    BadKeccak { path: String, value: String },
}

impl Metadata {
    pub fn parse(text: &str) -> Result<Metadata, MetadataError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| MetadataError::Json(e.to_string()))?;
        Metadata::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Metadata, MetadataError> {
        let object = value.as_object().ok_or(MetadataError::NotAnObject)?;
        let compiler_version = object
            .get("compiler")
            .and_then(|c| c.get("version"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let settings = object.get("settings");
        let target = settings
            .and_then(|s| s.get("compilationTarget"))
            .and_then(Value::as_object)
            .and_then(|t| t.iter().next())
            .and_then(|(path, name)| Some((path.clone(), name.as_str()?.to_string())));
        let remappings = settings
            .and_then(|s| s.get("remappings"))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let listed = object
            .get("sources")
            .and_then(Value::as_object)
            .ok_or(MetadataError::NoSources)?;
        let mut sources = BTreeMap::new();
        for (path, entry) in listed {
            let keccak256 = match entry.get("keccak256").and_then(Value::as_str) {
                Some(text) => Some(parse_b256(text).ok_or_else(|| MetadataError::BadKeccak {
                    path: path.clone(),
                    value: text.to_string(),
                })?),
                None => None,
            };
            let content = entry
                .get("content")
                .and_then(Value::as_str)
                .map(str::to_string);
            sources.insert(path.clone(), MetadataSource { keccak256, content });
        }
        Ok(Metadata {
            compiler_version,
            target,
            sources,
            remappings,
        })
    }
}

fn parse_b256(text: &str) -> Option<B256> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.len() != 64 {
        return None;
    }
    digits.parse::<B256>().ok()
}

/// Writes a JSON value as solc writes its metadata: compact, object keys in byte order,
/// integers as integers. With `ascii_only`, characters outside ASCII are escaped as
/// `\uXXXX` (UTF-16 units); otherwise they are written as UTF-8.
pub fn canonical_text(value: &Value, ascii_only: bool) -> String {
    let mut out = String::new();
    write_value(&mut out, value, ascii_only);
    out
}

fn write_value(out: &mut String, value: &Value, ascii_only: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_string(out, text, ascii_only),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, ascii_only);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key, ascii_only);
                out.push(':');
                write_value(out, item, ascii_only);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, text: &str, ascii_only: bool) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ascii_only && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_sorts_keys_and_compacts() {
        let value: Value =
            serde_json::from_str(r#"{ "b": [1, true, null], "a": {"z": "x\"y", "A": 2} }"#)
                .unwrap();
        assert_eq!(
            canonical_text(&value, false),
            r#"{"a":{"A":2,"z":"x\"y"},"b":[1,true,null]}"#
        );
    }

    #[test]
    fn canonical_text_escapes_controls_and_optionally_non_ascii() {
        let value = Value::String("é\u{1}\n😀".into());
        assert_eq!(canonical_text(&value, false), "\"é\\u0001\\n😀\"");
        assert_eq!(
            canonical_text(&value, true),
            "\"\\u00e9\\u0001\\n\\ud83d\\ude00\""
        );
    }

    #[test]
    fn reads_sources_target_and_version() {
        let text = r#"{"compiler":{"version":"0.8.26+commit.8a97fa7a"},"language":"Solidity",
            "settings":{"compilationTarget":{"src/A.sol":"A"},"remappings":["x/=lib/x/"]},
            "sources":{"src/A.sol":{"keccak256":"0x1111111111111111111111111111111111111111111111111111111111111111","urls":[]},
                       "src/B.sol":{"content":"contract B {}"}}}"#;
        let metadata = Metadata::parse(text).unwrap();
        assert_eq!(
            metadata.compiler_version.as_deref(),
            Some("0.8.26+commit.8a97fa7a")
        );
        assert_eq!(
            metadata.target,
            Some(("src/A.sol".to_string(), "A".to_string()))
        );
        assert_eq!(metadata.remappings, vec!["x/=lib/x/".to_string()]);
        assert_eq!(
            metadata.sources["src/A.sol"].keccak256,
            Some(B256::repeat_byte(0x11))
        );
        assert_eq!(
            metadata.sources["src/B.sol"].content.as_deref(),
            Some("contract B {}")
        );
    }

    #[test]
    fn rejects_malformed_metadata() {
        assert!(matches!(Metadata::parse("{"), Err(MetadataError::Json(_))));
        assert_eq!(Metadata::parse("[]"), Err(MetadataError::NotAnObject));
        assert_eq!(Metadata::parse("{}"), Err(MetadataError::NoSources));
        assert!(matches!(
            Metadata::parse(r#"{"sources":{"a.sol":{"keccak256":"0x12"}}}"#),
            Err(MetadataError::BadKeccak { .. })
        ));
    }
}
