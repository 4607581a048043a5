//! Fetching from a local server that answers in the Sourcify v2 and Etherscan formats, and
//! checking what comes back against the compiled fixture's runtime code.

mod common;

use std::time::Duration;

use alloy_primitives::Address;
use common::{Reply, Server};
use serde_json::json;
use verified::{
    ApiKey, Error, Match, MetadataForm, Provider, ProviderMatch, SourcesConfig, Subject, check,
    fetch,
};

const CHAIN: u64 = 1;
const ADDRESS: Address = Address::repeat_byte(0xab);

fn sourcify_only(url: &str) -> SourcesConfig {
    SourcesConfig {
        sourcify_url: url.to_string(),
        etherscan_url: String::new(),
        timeout_secs: 5,
        ..SourcesConfig::default()
    }
}

fn etherscan_only(url: &str) -> SourcesConfig {
    SourcesConfig {
        sourcify_url: String::new(),
        etherscan_url: format!("{url}/api"),
        etherscan_api_key: Some(ApiKey::new("SECRETKEY42")),
        timeout_secs: 5,
        ..SourcesConfig::default()
    }
}

fn vault_found() -> serde_json::Value {
    let vault = common::vault();
    common::sourcify_found(
        CHAIN,
        &ADDRESS.to_string(),
        &common::vault_sources(),
        &vault.metadata,
        "Vault",
    )
}

#[test]
fn sourcify_found_is_an_exact_match() {
    let server = Server::start(|_| Reply::json(200, &vault_found()));
    let bundle = fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    assert_eq!(
        server.requests(),
        vec![format!(
            "/v2/contract/1/{ADDRESS}?fields=sources,metadata,compilation"
        )]
    );
    assert_eq!(bundle.provider, Provider::Sourcify);
    assert_eq!(bundle.match_status, ProviderMatch::Exact);
    assert_eq!(bundle.metadata_form, MetadataForm::Reserialized);
    assert_eq!(bundle.contract_name.as_deref(), Some("Vault"));
    assert_eq!(
        bundle.compiler_version.as_deref(),
        Some("0.8.26+commit.8a97fa7a")
    );
    assert_eq!(bundle.files.len(), 2);
    let outcome = check(&common::vault().deployed_bytecode, &bundle);
    assert!(outcome.is_exact(), "{outcome}");
}

#[test]
fn sourcify_not_found_is_none() {
    let server = Server::start(|_| {
        Reply::json(
            404,
            &common::sourcify_not_found(CHAIN, &ADDRESS.to_string()),
        )
    });
    assert!(
        fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
            .unwrap()
            .is_none()
    );
}

#[test]
fn sourcify_refusals_and_failures_are_precise() {
    let rate_limited = Server::start(|_| {
        Reply::json(
            429,
            &json!({"customCode": "rate_limited", "message": "Too many requests", "errorId": "1"}),
        )
    });
    let err = fetch(&sourcify_only(&rate_limited.url), CHAIN, ADDRESS).unwrap_err();
    assert!(
        matches!(&err, Error::RateLimited { message, .. } if message.contains("Too many")),
        "{err}"
    );

    let unsupported = Server::start(|_| {
        Reply::json(
            400,
            &json!({"customCode": "unsupported_chain", "message": "The chain with chainId 1 is not supported", "errorId": "2"}),
        )
    });
    let err = fetch(&sourcify_only(&unsupported.url), CHAIN, ADDRESS).unwrap_err();
    assert!(
        matches!(&err, Error::Refused { message, .. } if message.contains("unsupported_chain")),
        "{err}"
    );

    // A 404 that is not the API's answer (a wrong base URL) is not "not verified".
    let wrong_url = Server::start(|_| Reply::text(404, "<html>Not Found</html>"));
    let err = fetch(&sourcify_only(&wrong_url.url), CHAIN, ADDRESS).unwrap_err();
    assert!(matches!(err, Error::Status { status: 404, .. }), "{err}");

    let html = Server::start(|_| Reply::text(200, "<html>maintenance</html>"));
    let err = fetch(&sourcify_only(&html.url), CHAIN, ADDRESS).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { message, .. } if message.contains("not JSON")),
        "{err}"
    );

    let no_sources =
        Server::start(|_| Reply::json(200, &json!({"match": "match", "chainId": "1"})));
    let err = fetch(&sourcify_only(&no_sources.url), CHAIN, ADDRESS).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { message, .. } if message.contains("sources")),
        "{err}"
    );

    let broken = Server::start(|_| Reply::text(500, "internal error"));
    let err = fetch(&sourcify_only(&broken.url), CHAIN, ADDRESS).unwrap_err();
    assert!(matches!(err, Error::Status { status: 500, .. }), "{err}");
}

#[test]
fn huge_responses_are_cut_off() {
    let server = Server::start(|_| Reply::text(200, "x".repeat(200_000)));
    let config = SourcesConfig {
        max_response_bytes: 10_000,
        ..sourcify_only(&server.url)
    };
    let err = fetch(&config, CHAIN, ADDRESS).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 10_000, .. }),
        "{err}"
    );
}

#[test]
fn slow_servers_time_out() {
    let server = Server::start(|_| Reply {
        delay: Duration::from_secs(4),
        ..Reply::json(200, &json!({}))
    });
    let config = SourcesConfig {
        timeout_secs: 1,
        ..sourcify_only(&server.url)
    };
    let started = std::time::Instant::now();
    let err = fetch(&config, CHAIN, ADDRESS).unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn unreachable_servers_are_transport_errors() {
    // Bind and drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = fetch(
        &sourcify_only(&format!("http://127.0.0.1:{port}")),
        CHAIN,
        ADDRESS,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
}

#[test]
fn etherscan_single_file() {
    let source = "pragma solidity ^0.8.0;\ncontract Flat { uint x; }\n";
    let server =
        Server::start(move |_| Reply::json(200, &common::etherscan_found(source, "Flat", None)));
    let bundle = fetch(&etherscan_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    let request = &server.requests()[0];
    assert!(request.starts_with("/api?chainid=1&module=contract&action=getsourcecode&address="));
    assert!(request.ends_with("&apikey=SECRETKEY42"));
    assert_eq!(bundle.provider, Provider::Etherscan);
    assert_eq!(bundle.match_status, ProviderMatch::Verified);
    assert_eq!(
        bundle.files,
        vec![("Flat.sol".to_string(), source.to_string())]
    );
    assert_eq!(
        bundle.compiler_version.as_deref(),
        Some("0.8.26+commit.8a97fa7a")
    );
    assert_eq!(bundle.metadata, None);
    // No metadata file: the match cannot be checked, and the report says why.
    let outcome = check(&common::vault().deployed_bytecode, &bundle);
    let Match::Unverifiable { reason } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        reason.contains("returned no metadata file (explorer APIs do not provide it)"),
        "{reason}"
    );
}

#[test]
fn etherscan_standard_json_in_double_braces() {
    let input = json!({
        "language": "Solidity",
        "sources": {
            "src/Vault.sol": {"content": "import \"@base/Owned.sol\";\ncontract Vault is Owned {}\n"},
            "lib/base/Owned.sol": {"content": "contract Owned {}\n"},
        },
        "settings": {"optimizer": {"enabled": true, "runs": 200}, "remappings": ["@base/=lib/base/"]},
    });
    let source_code = format!("{{{input}}}");
    let server = Server::start(move |_| {
        Reply::json(
            200,
            &common::etherscan_found(&source_code, "Vault", Some("src/Vault.sol")),
        )
    });
    let bundle = fetch(&etherscan_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    let mut paths: Vec<&str> = bundle.files.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["lib/base/Owned.sol", "src/Vault.sol"]);
    assert_eq!(bundle.remappings, vec!["@base/=lib/base/".to_string()]);
    // The analyzer resolves the remapped import from the bundle alone.
    let project =
        project::Project::from_sources(bundle.project_sources(), &project::LoadOptions::default());
    assert!(project.diagnostics.is_empty(), "{:?}", project.diagnostics);
    let vault = project
        .files
        .iter()
        .find(|f| f.display_path == "src/Vault.sol")
        .unwrap();
    assert!(vault.imports.iter().all(Option::is_some));
}

#[test]
fn etherscan_sources_object_without_settings() {
    let sources =
        json!({"A.sol": {"content": "contract A {}"}, "B.sol": {"content": "contract B {}"}});
    let source_code = sources.to_string();
    let server =
        Server::start(move |_| Reply::json(200, &common::etherscan_found(&source_code, "A", None)));
    let bundle = fetch(&etherscan_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    assert_eq!(bundle.files.len(), 2);
    assert!(bundle.remappings.is_empty());
}

#[test]
fn etherscan_unverified_rate_limited_and_refused() {
    let unverified = Server::start(|_| Reply::json(200, &common::etherscan_unverified()));
    assert!(
        fetch(&etherscan_only(&unverified.url), CHAIN, ADDRESS)
            .unwrap()
            .is_none()
    );

    let limited = Server::start(|_| {
        Reply::json(
            200,
            &common::etherscan_refusal("Max calls per sec rate limit reached (5/sec)"),
        )
    });
    let err = fetch(&etherscan_only(&limited.url), CHAIN, ADDRESS).unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err}");

    let bad_key =
        Server::start(|_| Reply::json(200, &common::etherscan_refusal("Invalid API Key")));
    let err = fetch(&etherscan_only(&bad_key.url), CHAIN, ADDRESS).unwrap_err();
    assert!(
        matches!(&err, Error::Refused { message, .. } if message == "Invalid API Key"),
        "{err}"
    );

    let broken =
        Server::start(|_| Reply::json(200, &common::etherscan_found("{{not json}}", "X", None)));
    let err = fetch(&etherscan_only(&broken.url), CHAIN, ADDRESS).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");

    let garbage = Server::start(|_| Reply::text(200, "not json at all"));
    let err = fetch(&etherscan_only(&garbage.url), CHAIN, ADDRESS).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
}

#[test]
fn the_api_key_never_appears_in_errors() {
    let server = Server::start(|_| Reply::text(503, "unavailable"));
    let err = fetch(&etherscan_only(&server.url), CHAIN, ADDRESS).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(matches!(err, Error::Status { status: 503, .. }), "{err}");
    assert!(!shown.contains("SECRETKEY42"), "{shown}");
    assert!(shown.contains("apikey=<redacted>"), "{shown}");
    // Nor in transport errors.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = fetch(
        &etherscan_only(&format!("http://127.0.0.1:{port}")),
        CHAIN,
        ADDRESS,
    )
    .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("SECRETKEY42"), "{err}");
}

#[test]
fn the_explorer_is_asked_when_sourcify_has_nothing() {
    let source = "contract Flat {}";
    let server = Server::start(move |target| {
        if target.starts_with("/v2/contract/") {
            Reply::json(404, &common::sourcify_not_found(CHAIN, "0x"))
        } else {
            Reply::json(200, &common::etherscan_found(source, "Flat", None))
        }
    });
    let config = SourcesConfig {
        sourcify_url: server.url.clone(),
        ..etherscan_only(&server.url)
    };
    let bundle = fetch(&config, CHAIN, ADDRESS).unwrap().unwrap();
    assert_eq!(bundle.provider, Provider::Etherscan);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_failed_provider_is_never_reported_as_not_verified() {
    let server = Server::start(|target| {
        if target.starts_with("/v2/contract/") {
            Reply::text(502, "bad gateway")
        } else {
            Reply::json(200, &common::etherscan_unverified())
        }
    });
    let config = SourcesConfig {
        sourcify_url: server.url.clone(),
        ..etherscan_only(&server.url)
    };
    let err = fetch(&config, CHAIN, ADDRESS).unwrap_err();
    assert!(matches!(err, Error::Status { status: 502, .. }), "{err}");
}

#[test]
fn a_tampered_source_or_metadata_is_a_mismatch() {
    let code = common::vault().deployed_bytecode;
    // A source changed after the build: the metadata still matches, the file does not.
    let mut answer = vault_found();
    answer["sources"]["Owned.sol"]["content"] = json!(
        common::vault_sources()[0]
            .1
            .replace("msg.sender == owner", "true")
    );
    let server = Server::start(move |_| Reply::json(200, &answer));
    let bundle = fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    let outcome = check(&code, &bundle);
    assert!(
        matches!(&outcome, Match::Mismatch { subject: Subject::Source(p), .. } if p == "Owned.sol"),
        "{outcome:?}"
    );
    assert!(outcome.to_string().contains("do NOT match"));

    // The metadata changed (and the source with it, consistently): the hash differs.
    let mut answer = vault_found();
    answer["metadata"]["settings"]["optimizer"]["runs"] = json!(201);
    let server = Server::start(move |_| Reply::json(200, &answer));
    let bundle = fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    let outcome = check(&code, &bundle);
    assert!(
        matches!(
            &outcome,
            Match::Mismatch {
                subject: Subject::Metadata,
                ..
            }
        ),
        "{outcome:?}"
    );

    // A file missing from the answer cannot be checked.
    let mut answer = vault_found();
    answer["sources"]
        .as_object_mut()
        .unwrap()
        .remove("Owned.sol");
    let server = Server::start(move |_| Reply::json(200, &answer));
    let bundle = fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    let outcome = check(&code, &bundle);
    assert!(
        matches!(&outcome, Match::Unverifiable { reason } if reason.contains("`Owned.sol`")),
        "{outcome:?}"
    );

    // An extra file that was not part of the build.
    let mut answer = vault_found();
    answer["sources"]["Extra.sol"] = json!({"content": "contract Extra {}"});
    let server = Server::start(move |_| Reply::json(200, &answer));
    let bundle = fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    let outcome = check(&code, &bundle);
    assert!(
        matches!(&outcome, Match::Mismatch { subject: Subject::Source(p), .. } if p == "Extra.sol"),
        "{outcome:?}"
    );
}

#[test]
fn the_sources_of_another_contract_are_a_mismatch() {
    // Counter06's code against the Vault's metadata and sources.
    let counter =
        devnet::load_artifact(&common::fixture_path("solc-0.6.12.json"), "Counter06").unwrap();
    let server = Server::start(|_| Reply::json(200, &vault_found()));
    let bundle = fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    let outcome = check(&counter.deployed_bytecode, &bundle);
    let Match::Mismatch {
        subject: Subject::Metadata,
        onchain,
        fetched,
        note: None,
    } = &outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(onchain.starts_with("Qm") && fetched.starts_with("Qm"));
    assert_ne!(onchain, fetched);

    // When the provider itself says the match is partial, the report says so too.
    let mut answer = vault_found();
    answer["match"] = json!("match");
    answer["runtimeMatch"] = json!("match");
    let server = Server::start(move |_| Reply::json(200, &answer));
    let bundle = fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    assert_eq!(bundle.match_status, ProviderMatch::Partial);
    let outcome = check(&counter.deployed_bytecode, &bundle);
    assert!(
        matches!(&outcome, Match::Mismatch { note: Some(note), .. } if note.contains("partial match")),
        "{outcome:?}"
    );
    assert!(outcome.to_string().contains("cannot confirm that claim"));
}

#[test]
fn response_parsers_never_panic_on_cut_or_garbled_answers() {
    let sourcify = vault_found().to_string();
    let etherscan = common::etherscan_found(
        &format!(
            "{{{}}}",
            json!({"sources": {"A.sol": {"content": "contract A {}"}}})
        ),
        "A",
        None,
    )
    .to_string();
    for cut in 0..sourcify.len().min(4000) {
        for status in [200, 404, 429] {
            let _ = verified::sourcify::parse(status, &sourcify[..cut], "http://x");
        }
    }
    for cut in 0..etherscan.len() {
        let _ = verified::etherscan::parse(&etherscan[..cut]);
    }
    // Wrong types in every field the parsers read.
    for body in [
        r#"{"match":"exact_match","sources":{"a.sol":{"content":7}}}"#,
        r#"{"match":"exact_match","sources":[],"metadata":3}"#,
        r#"{"match":"exact_match","sources":{"a.sol":{"content":"x"}},"metadata":3}"#,
        r#"{"match":7}"#,
        r#"[]"#,
    ] {
        assert!(
            matches!(
                verified::sourcify::parse(200, body, "http://x"),
                Err(Error::Malformed { .. })
            ),
            "{body}"
        );
    }
    for body in [
        r#"{"status":"1","result":"x"}"#,
        r#"{"status":"1","result":[]}"#,
        r#"{"status":"1","result":[{"SourceCode":"{\"a.sol\":{\"content\":1}}"}]}"#,
        r#"{"status":"1","result":[{"SourceCode":"{{}}"}]}"#,
    ] {
        assert!(
            matches!(
                verified::etherscan::parse(body),
                Err(Error::Malformed { .. })
            ),
            "{body}"
        );
    }
}

#[test]
fn codes_without_a_checkable_hash_are_unverifiable() {
    let server = Server::start(|_| Reply::json(200, &vault_found()));
    let bundle = fetch(&sourcify_only(&server.url), CHAIN, ADDRESS)
        .unwrap()
        .unwrap();
    // No tail at all.
    let outcome = check(&[0x60, 0x80, 0x60, 0x40, 0x52, 0x00], &bundle);
    assert!(
        matches!(&outcome, Match::Unverifiable { reason } if reason.contains("no readable Solidity metadata tail")),
        "{outcome:?}"
    );
    // `bytecodeHash: none`: a tail with only the version.
    let mut code = vec![0x00];
    let cbor = [0xa1, 0x64, b's', b'o', b'l', b'c', 0x43, 0x00, 0x08, 0x1a];
    code.extend_from_slice(&cbor);
    code.extend_from_slice(&(cbor.len() as u16).to_be_bytes());
    let outcome = check(&code, &bundle);
    assert!(
        matches!(&outcome, Match::Unverifiable { reason } if reason.contains("bytecodeHash: none")),
        "{outcome:?}"
    );
    // Experimental builds.
    let mut code = vec![0x00];
    let mut cbor = vec![0xa1, 0x6c];
    cbor.extend_from_slice(b"experimental");
    cbor.push(0xf5);
    code.extend_from_slice(&cbor);
    code.extend_from_slice(&(cbor.len() as u16).to_be_bytes());
    let outcome = check(&code, &bundle);
    assert!(
        matches!(&outcome, Match::Unverifiable { reason } if reason.contains("experimental")),
        "{outcome:?}"
    );
}
