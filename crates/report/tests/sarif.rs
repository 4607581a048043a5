//! SARIF output, validated against the OASIS SARIF 2.1.0 JSON schema
//! (`tests/fixtures/sarif-schema-2.1.0.json`, see `tests/fixtures/README.md`).

mod common;

use common::*;
use detectors::{FileId, Finding};
use report::{Report, SarifOptions, render_sarif};
use serde_json::{Value, json};

/// The pattern of the committed schema that the draft-07 meta-schema's `regex` format
/// check rejects (a bare `]`, valid only under ECMA-262 Annex B), and what it means. It
/// constrains `run.language` and `toolComponent.language`, which our logs never set.
const BROKEN_LANGUAGE_PATTERN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
const LANGUAGE_PATTERN: &str = r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#;

fn validator() -> jsonschema::Validator {
    let text = include_str!("fixtures/sarif-schema-2.1.0.json");
    // jsonschema checks the schema against its meta-schema before compiling it; mend
    // the pattern it rejects, in memory only (the fixture stays as published).
    assert_eq!(
        text.matches(BROKEN_LANGUAGE_PATTERN).count(),
        2,
        "the schema fixture changed"
    );
    let schema: Value =
        serde_json::from_str(&text.replace(BROKEN_LANGUAGE_PATTERN, LANGUAGE_PATTERN)).unwrap();
    jsonschema::draft7::options()
        // Check `uri`, `uri-reference` and `date-time` values, not just types.
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn schema_errors(log: &Value) -> Vec<String> {
    validator()
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn sample_sarif(options: &SarifOptions) -> Value {
    let sources = bank_and_token();
    serde_json::from_str(&render_sarif(&sample_report(&sources), options)).unwrap()
}

#[test]
fn output_is_valid_against_the_sarif_schema() {
    for options in [
        SarifOptions::default(),
        SarifOptions::with_src_root_dir("/home/dev/bank"),
    ] {
        let log = sample_sarif(&options);
        assert_eq!(schema_errors(&log), Vec::<String>::new());
    }
}

#[test]
fn a_baseline_marks_results_new_and_counts_the_hidden_ones() {
    let sources = bank_and_token();
    let mut report = sample_report(&sources);
    let total = report.findings.len();
    // A baseline holding the first finding only.
    let mut baseline = report::Baseline::from_report(&report);
    baseline.findings.truncate(1);
    assert_eq!(report.apply_baseline(&baseline), 1);
    let log: Value =
        serde_json::from_str(&render_sarif(&report, &SarifOptions::default())).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), total - 1);
    assert!(results.iter().all(|r| r["baselineState"] == "new"));
    assert_eq!(log["runs"][0]["properties"]["hiddenByBaseline"], 1);
    assert_eq!(schema_errors(&log), Vec::<String>::new());
    // Without a baseline, neither appears.
    let log = sample_sarif(&SarifOptions::default());
    assert_eq!(log["runs"][0].get("properties"), None);
    assert_eq!(log["runs"][0]["results"][0].get("baselineState"), None);
}

#[test]
fn empty_report_is_valid_too() {
    let sources = bank_and_token();
    let report = Report::build(
        &sources.views(),
        Vec::new(),
        &[],
        report::ToolInfo::new("web3audit", "0.1.0"),
    )
    .unwrap();
    let log: Value =
        serde_json::from_str(&render_sarif(&report, &SarifOptions::default())).unwrap();
    assert_eq!(log["runs"][0]["results"], json!([]));
    assert_eq!(log["runs"][0]["tool"]["driver"].get("informationUri"), None);
    assert_eq!(schema_errors(&log), Vec::<String>::new());
}

#[test]
fn odd_paths_stay_valid() {
    let text = "contract A {}";
    let sources = Sources::new(&[("lib/my dir/@scope/Ä:1.sol", text), ("/abs/B.sol", text)]);
    let findings = (0..2)
        .map(|i| Finding::new(&PRAGMA, FileId(i), span_of(text, "contract", 0), "m"))
        .collect();
    let report = Report::build(&sources.views(), findings, &[], tool()).unwrap();
    let log: Value =
        serde_json::from_str(&render_sarif(&report, &SarifOptions::default())).unwrap();
    assert_eq!(schema_errors(&log), Vec::<String>::new());
    let uri = |i: usize| {
        log["runs"][0]["results"][i]["locations"][0]["physicalLocation"]["artifactLocation"].clone()
    };
    assert_eq!(uri(0), json!({"uri": "file:///abs/B.sol"}));
    assert_eq!(
        uri(1),
        json!({"uri": "lib/my%20dir/@scope/%C3%84%3A1.sol", "uriBaseId": "%SRCROOT%"})
    );
}

/// The validation can fail: logs that break the schema are rejected.
#[test]
fn broken_logs_are_rejected() {
    let valid = sample_sarif(&SarifOptions::default());
    let mut breakages: Vec<(&str, Value)> = Vec::new();

    let mut log = valid.clone();
    log["version"] = json!("2.0");
    breakages.push(("wrong version", log));

    let mut log = valid.clone();
    log["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    breakages.push(("result without message", log));

    let mut log = valid.clone();
    log["runs"][0]["results"][0]["level"] = json!("critical");
    breakages.push(("unknown level", log));

    let mut log = valid.clone();
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    breakages.push(("line 0", log));

    let mut log = valid.clone();
    log["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    breakages.push(("driver without name", log));

    let mut log = valid.clone();
    log["runs"][0]["unexpected"] = json!(true);
    breakages.push(("unknown run property", log));

    let validator = validator();
    assert!(validator.is_valid(&valid));
    for (what, log) in breakages {
        assert!(!validator.is_valid(&log), "{what} was accepted");
    }
}

#[test]
fn carries_what_github_code_scanning_reads() {
    let log = sample_sarif(&SarifOptions::with_src_root_dir("/home/dev/bank"));
    assert_eq!(log["$schema"], report::SARIF_SCHEMA_URI);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file:///home/dev/bank/"
    );
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "web3audit");
    assert_eq!(driver["version"], "0.1.0");
    assert_eq!(driver["informationUri"], "https://example.com/web3audit");

    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "block-timestamp",
            "floating-pragma",
            "reentrancy-eth",
            "tx-origin-auth",
            "unchecked-send"
        ]
    );
    let reentrancy = &rules[2];
    assert_eq!(reentrancy["name"], "ReentrancyEth");
    assert_eq!(reentrancy["shortDescription"]["text"], REENTRANCY.title);
    assert_eq!(
        reentrancy["fullDescription"]["text"],
        REENTRANCY.description
    );
    assert_eq!(reentrancy["help"]["markdown"], REENTRANCY.doc.trim_end());
    assert!(
        reentrancy["help"]["text"]
            .as_str()
            .unwrap()
            .contains("Recommendation: Write state before the call")
    );
    assert!(
        reentrancy["help"]["text"]
            .as_str()
            .unwrap()
            .contains("https://swcregistry.io/docs/SWC-107")
    );
    assert_eq!(reentrancy["defaultConfiguration"]["level"], "error");
    assert_eq!(
        reentrancy["properties"],
        json!({"security-severity": "8.0", "tags": ["reentrancy", "SWC-107", "security"], "precision": "medium", "problem.severity": "error"})
    );
    let severities: Vec<(&str, &str, &str)> = rules
        .iter()
        .map(|r| {
            (
                r["defaultConfiguration"]["level"].as_str().unwrap(),
                r["properties"]["security-severity"].as_str().unwrap(),
                r["properties"]["problem.severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        severities,
        [
            ("warning", "5.5", "warning"),
            ("note", "0.0", "recommendation"),
            ("error", "8.0", "error"),
            ("error", "9.5", "error"),
            ("note", "3.0", "recommendation"),
        ]
    );
    // A rule without `doc` gets generated Markdown help, and no SWC tag without an SWC id.
    assert!(
        rules[4]["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## References\n\n- https://swcregistry.io/docs/SWC-104")
    );
    assert_eq!(rules[1]["properties"]["tags"], json!(["other", "security"]));

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(result["ruleId"], rules[index]["id"]);
        let fingerprint = result["partialFingerprints"]["web3auditFingerprint/v1"]
            .as_str()
            .unwrap();
        assert!(fingerprint.contains(':'));
    }
    let reentrancy = &results[1];
    assert_eq!(reentrancy["level"], "error");
    assert_eq!(
        reentrancy["message"]["text"],
        "external call before `balances` is written"
    );
    assert_eq!(
        reentrancy["locations"][0]["physicalLocation"],
        json!({
            "artifactLocation": {"uri": "src/Bank.sol", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 9, "startColumn": 23, "endLine": 9, "endColumn": 57,
                       "snippet": {"text": "msg.sender.call{value: amount}(\"\")"}}
        })
    );
    let related = reentrancy["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 2);
    assert_eq!(related[0]["id"], 1);
    assert_eq!(
        related[0]["message"]["text"],
        "state written after the call"
    );
    assert_eq!(
        related[1]["physicalLocation"]["artifactLocation"]["uri"],
        "src/Token.sol"
    );
    assert_eq!(
        reentrancy["properties"],
        json!({"severity": "high", "confidence": "medium", "contract": "Bank", "function": "withdraw"})
    );
    assert_eq!(results[0].get("relatedLocations"), None);
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(
        levels,
        ["note", "error", "error", "note", "note", "warning", "note"]
    );
}

#[test]
fn sarif_snapshot() {
    let sources = bank_and_token();
    insta::assert_snapshot!(render_sarif(
        &sample_report(&sources),
        &SarifOptions::default()
    ));
}

#[test]
fn other_analyzers_are_extensions_and_results_say_who_found_them() {
    let sources = bank_and_token();
    let mut report = sample_report(&sources);
    report.findings[0].found_by = vec!["web3audit".to_owned(), "slither".to_owned()];
    report.findings[0].merged.push(report::MergedFinding {
        rule_id: "slither:reentrancy-eth".to_owned(),
        start_line: 3,
        end_line: 9,
        message: "Reentrancy in Bank.withdraw()".to_owned(),
    });
    report.tools.push(report::ToolRun {
        name: "slither".to_owned(),
        version: Some("0.11.6".to_owned()),
        status: "partial".to_owned(),
        findings: 3,
        merged: 1,
        duration_ms: 4200,
        notes: vec!["`A.sol`: timed out after 300 s; its process group was killed".to_owned()],
    });
    let log: Value =
        serde_json::from_str(&render_sarif(&report, &SarifOptions::default())).unwrap();
    assert_eq!(schema_errors(&log), Vec::<String>::new());
    let extension = &log["runs"][0]["tool"]["extensions"][0];
    assert_eq!(extension["name"], "slither");
    assert_eq!(extension["version"], "0.11.6");
    assert_eq!(extension["properties"]["status"], "partial");
    let result = &log["runs"][0]["results"][0]["properties"];
    assert_eq!(result["foundBy"], json!(["web3audit", "slither"]));
    assert_eq!(result["mergedRules"], json!(["slither:reentrancy-eth"]));
    // Without other analyzers, nothing of this appears.
    let plain = sample_sarif(&SarifOptions::default());
    assert!(plain["runs"][0]["tool"].get("extensions").is_none());
    assert!(
        plain["runs"][0]["results"][0]["properties"]
            .get("foundBy")
            .is_none()
    );
}

#[test]
fn a_solana_finding_in_a_rust_file_is_valid_sarif() {
    let text = "#[derive(Accounts)]\npub struct Withdraw<'info> {\n    pub authority: AccountInfo<'info>,\n}\n";
    let sources = Sources::new(&[("programs/vault/src/lib.rs", text)]);
    let meta = detectors::solana_finding_meta("solana-missing-signer").expect("a Solana rule");
    let finding = Finding::new(
        meta,
        FileId(0),
        span_of(text, "authority", 0),
        "`authority` acts as an authority in `withdraw` but is never required to sign",
    )
    .with_context(Some("vault"), Some("withdraw"));
    let report = Report::build(&sources.views(), vec![finding], &[meta], tool()).unwrap();
    for options in [
        SarifOptions::default(),
        SarifOptions::with_src_root_dir("/home/dev/vault"),
    ] {
        let log: Value = serde_json::from_str(&render_sarif(&report, &options)).unwrap();
        assert_eq!(schema_errors(&log), Vec::<String>::new());
        let run = &log["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["id"],
            "solana-missing-signer"
        );
        assert!(
            run["tool"]["driver"]["rules"][0]["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("`signer-authorization`")
        );
        let location = &run["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "programs/vault/src/lib.rs"
        );
        assert_eq!(location["region"]["startLine"], 3);
    }
}
