//! An Etherscan-compatible explorer API:
//! `GET {url}?chainid={id}&module=contract&action=getsourcecode&address={a}&apikey={key}`.
//!
//! The answer is `{"status", "message", "result"}`. On success `result` is a list with one
//! entry holding `SourceCode`, `ContractName`, `CompilerVersion` (`v0.8.26+commit…`), and
//! more. `SourceCode` is one of: the text of a single Solidity file; a JSON object of sources
//! (`{"A.sol": {"content": …}}`); or a standard-JSON compiler input wrapped in double braces
//! (`{{"language": …, "sources": …, "settings": …}}`). An unverified contract has an empty
//! `SourceCode`. A refusal has status `"0"` and the reason as the `result` text (for
//! example `Max rate limit reached` or `Invalid API Key`). The explorer does not return the
//! compiler's metadata file, so its sources cannot be checked against the bytecode.

use alloy_primitives::Address;
use serde_json::Value;

use crate::bundle::{MetadataForm, Provider, ProviderMatch, SourceBundle};
use crate::config::ApiKey;
use crate::error::Error;
use crate::http::{Client, excerpt};

const PROVIDER: Provider = Provider::Etherscan;

pub(crate) fn fetch(
    client: &Client,
    endpoint: &str,
    key: &ApiKey,
    chain_id: u64,
    address: Address,
) -> Result<Option<SourceBundle>, Error> {
    let separator = if endpoint.contains('?') { '&' } else { '?' };
    let base = format!(
        "{endpoint}{separator}chainid={chain_id}&module=contract&action=getsourcecode&address={address}"
    );
    let url = format!("{base}&apikey={}", key.expose());
    let shown = format!("{base}&apikey=<redacted>");
    let answer = client.get(PROVIDER, &url, &shown)?;
    if answer.status == 429 {
        return Err(Error::RateLimited {
            provider: PROVIDER,
            message: excerpt(&answer.body),
        });
    }
    if answer.status != 200 {
        return Err(Error::Status {
            provider: PROVIDER,
            url: shown,
            status: answer.status,
            excerpt: excerpt(&answer.body),
        });
    }
    parse(&answer.body)
}

/// Reads the JSON of one `getsourcecode` answer.
pub fn parse(body: &str) -> Result<Option<SourceBundle>, Error> {
    let doc: Value = serde_json::from_str(body)
        .map_err(|_| malformed(format!("not JSON: {}", excerpt(body))))?;
    let status = doc.get("status").and_then(Value::as_str);
    let result = doc.get("result");
    if status != Some("1") {
        let reason = result
            .and_then(Value::as_str)
            .or_else(|| doc.get("message").and_then(Value::as_str))
            .unwrap_or("no reason given")
            .to_string();
        let lower = reason.to_ascii_lowercase();
        if lower.contains("rate limit") {
            return Err(Error::RateLimited {
                provider: PROVIDER,
                message: reason,
            });
        }
        if lower.contains("not verified") {
            return Ok(None);
        }
        return Err(Error::Refused {
            provider: PROVIDER,
            message: reason,
        });
    }
    let entry = result
        .and_then(Value::as_array)
        .and_then(|list| list.first())
        .ok_or_else(|| malformed("`result` is not a list with one entry".into()))?;
    let field = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or_default();
    let source_code = field("SourceCode");
    if source_code.trim().is_empty() {
        return Ok(None);
    }
    let contract_name = Some(field("ContractName").to_string()).filter(|n| !n.is_empty());
    let (files, remappings) = split_sources(source_code, entry, contract_name.as_deref())?;
    let compiler_version = Some(field("CompilerVersion"))
        .filter(|v| !v.is_empty())
        .map(|v| v.strip_prefix('v').unwrap_or(v).to_string());
    Ok(Some(SourceBundle {
        files,
        contract_name,
        compiler_version,
        metadata: None,
        metadata_form: MetadataForm::Original,
        remappings,
        provider: PROVIDER,
        match_status: ProviderMatch::Verified,
    }))
}

type Files = Vec<(String, String)>;

/// The files and remappings of a `SourceCode` field, in any of its three forms.
fn split_sources(
    source_code: &str,
    entry: &Value,
    contract_name: Option<&str>,
) -> Result<(Files, Vec<String>), Error> {
    let trimmed = source_code.trim();
    let json_text = if trimmed.starts_with("{{") && trimmed.ends_with("}}") {
        Some(&trimmed[1..trimmed.len() - 1])
    } else if trimmed.starts_with('{') {
        Some(trimmed)
    } else {
        None
    };
    if let Some(text) = json_text
        && let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text)
    {
        let (sources, remappings) = match object.get("sources") {
            Some(Value::Object(sources)) => {
                let remappings = object
                    .get("settings")
                    .and_then(|s| s.get("remappings"))
                    .and_then(Value::as_array)
                    .map(|list| {
                        list.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                (sources.clone(), remappings)
            }
            _ => (object, Vec::new()),
        };
        let mut files = Vec::with_capacity(sources.len());
        for (path, source) in &sources {
            let content = source
                .get("content")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(format!("source `{path}` has no text `content`")))?;
            files.push((path.clone(), content.to_string()));
        }
        if files.is_empty() {
            return Err(malformed(
                "the multi-file `SourceCode` has no sources".into(),
            ));
        }
        return Ok((files, remappings));
    }
    if trimmed.starts_with("{{") {
        return Err(malformed(
            "`SourceCode` is wrapped in double braces but is not a standard-JSON input".into(),
        ));
    }
    // A single flattened file, named as the explorer names it when it says so.
    let path = entry
        .get("ContractFileName")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}.sol", contract_name.unwrap_or("Contract")));
    Ok((vec![(path, source_code.to_string())], Vec::new()))
}

fn malformed(message: String) -> Error {
    Error::Malformed {
        provider: PROVIDER,
        message,
    }
}
