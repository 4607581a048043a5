//! A Sourcify-compatible server, through its v2 API:
//! `GET {base}/v2/contract/{chainId}/{address}?fields=sources,metadata,compilation`.
//!
//! A verified contract is HTTP 200 with `match` (`exact_match` or `match`), `sources`
//! (`{path: {content}}`), `metadata` (the metadata as a JSON object) and `compilation`
//! (`name`, `compilerVersion`, …). An unverified one is HTTP 404 with the minimal object
//! whose `match` is `null`; other refusals carry `customCode` and `message`.

use alloy_primitives::Address;
use serde_json::Value;

use crate::bundle::{MetadataForm, Provider, ProviderMatch, SourceBundle};
use crate::error::Error;
use crate::http::{Client, excerpt};
use crate::metadata::{Metadata, canonical_text};

const PROVIDER: Provider = Provider::Sourcify;

pub(crate) fn fetch(
    client: &Client,
    base: &str,
    chain_id: u64,
    address: Address,
) -> Result<Option<SourceBundle>, Error> {
    let url = format!(
        "{}/v2/contract/{chain_id}/{address}?fields=sources,metadata,compilation",
        base.trim_end_matches('/')
    );
    let answer = client.get(PROVIDER, &url, &url)?;
    parse(answer.status, &answer.body, &url)
}

/// Reads one answer of the lookup endpoint.
pub fn parse(status: u16, body: &str, url: &str) -> Result<Option<SourceBundle>, Error> {
    let json: Option<Value> = serde_json::from_str(body).ok();
    match status {
        200 => {}
        404 => {
            // Not verified: the minimal contract object with a null `match`.
            if let Some(doc) = &json {
                if doc.get("match").is_some_and(Value::is_null) {
                    return Ok(None);
                }
                if let Some(message) = refusal(doc) {
                    return Err(Error::Refused {
                        provider: PROVIDER,
                        message,
                    });
                }
            }
            return Err(status_error(status, body, url));
        }
        429 => {
            return Err(Error::RateLimited {
                provider: PROVIDER,
                message: json
                    .as_ref()
                    .and_then(refusal)
                    .unwrap_or_else(|| excerpt(body)),
            });
        }
        400..=499 => {
            if let Some(message) = json.as_ref().and_then(refusal) {
                return Err(Error::Refused {
                    provider: PROVIDER,
                    message,
                });
            }
            return Err(status_error(status, body, url));
        }
        _ => return Err(status_error(status, body, url)),
    }
    let doc = json.ok_or_else(|| malformed(format!("not JSON: {}", excerpt(body))))?;
    let match_status = match doc.get("match").and_then(Value::as_str) {
        Some("exact_match" | "perfect") => ProviderMatch::Exact,
        Some("match" | "partial") => ProviderMatch::Partial,
        // HTTP 200 with a null match does not happen for a verified contract.
        None if doc.get("match").is_some_and(Value::is_null) => return Ok(None),
        other => return Err(malformed(format!("unexpected `match`: {other:?}"))),
    };
    let sources = doc
        .get("sources")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed("no `sources` object".into()))?;
    let mut files = Vec::with_capacity(sources.len());
    for (path, entry) in sources {
        let content = entry
            .get("content")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(format!("source `{path}` has no text `content`")))?;
        files.push((path.clone(), content.to_string()));
    }
    if files.is_empty() {
        return Err(malformed("`sources` is empty".into()));
    }
    let (metadata, remappings) = match doc.get("metadata") {
        None | Some(Value::Null) => (None, Vec::new()),
        // The v2 API returns the metadata parsed; a string is taken as the original bytes.
        Some(Value::String(text)) => {
            let remappings = Metadata::parse(text)
                .map(|m| m.remappings)
                .unwrap_or_default();
            (Some((text.clone(), MetadataForm::Original)), remappings)
        }
        Some(object @ Value::Object(_)) => {
            let remappings = Metadata::from_value(object)
                .map(|m| m.remappings)
                .unwrap_or_default();
            (
                Some((canonical_text(object, false), MetadataForm::Reserialized)),
                remappings,
            )
        }
        Some(_) => return Err(malformed("`metadata` is neither an object nor text".into())),
    };
    let compilation = doc.get("compilation");
    let text_field = |key: &str| {
        compilation
            .and_then(|c| c.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (metadata, metadata_form) = match metadata {
        Some((text, form)) => (Some(text), form),
        None => (None, MetadataForm::Original),
    };
    Ok(Some(SourceBundle {
        files,
        contract_name: text_field("name"),
        compiler_version: text_field("compilerVersion"),
        metadata,
        metadata_form,
        remappings,
        provider: PROVIDER,
        match_status,
    }))
}

fn refusal(doc: &Value) -> Option<String> {
    let message = doc.get("message").and_then(Value::as_str)?;
    Some(match doc.get("customCode").and_then(Value::as_str) {
        Some(code) => format!("{message} ({code})"),
        None => message.to_string(),
    })
}

fn status_error(status: u16, body: &str, url: &str) -> Error {
    Error::Status {
        provider: PROVIDER,
        url: url.to_string(),
        status,
        excerpt: excerpt(body),
    }
}

fn malformed(message: String) -> Error {
    Error::Malformed {
        provider: PROVIDER,
        message,
    }
}
