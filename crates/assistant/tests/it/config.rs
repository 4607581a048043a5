//! Configuration: TOML, unknown fields refused, endpoint rules, key sources.

use assistant::{AssistantError, AssistantSettings, KeySource, ProviderKind, Secret, resolve_key};

const TOML: &str = r#"
enabled = true
daily_token_budget = 200000

[provider]
kind = "openai-compatible"
endpoint = "https://api.openai.com/v1"
model = "gpt-4o-mini"
api_key = { env = "OPENAI_API_KEY" }
timeout_secs = 30
max_output_tokens = 2048
"#;

#[test]
fn the_toml_form_parses_and_validates() {
    let s: AssistantSettings = toml::from_str(TOML).unwrap();
    assert!(s.enabled);
    assert_eq!(s.provider.kind, ProviderKind::OpenAiCompatible);
    assert_eq!(
        s.provider.api_key,
        Some(KeySource::Env("OPENAI_API_KEY".into()))
    );
    s.validate().unwrap();

    let minimal: AssistantSettings = toml::from_str(
        "daily_token_budget = 1000\n[provider]\nkind = \"anthropic\"\nendpoint = \"https://api.anthropic.com\"\nmodel = \"claude\"\napi_key = { file = \"/run/secrets/k\" }\n",
    )
    .unwrap();
    assert!(!minimal.enabled, "the assistant is opt-in");
    assert_eq!(minimal.provider.timeout_secs, 60);
    minimal.validate().unwrap();
}

#[test]
fn unknown_fields_and_kinds_are_refused() {
    let extra = TOML.replace("model =", "temperature = 1\nmodel =");
    assert!(toml::from_str::<AssistantSettings>(&extra).is_err());
    let extra = TOML.replace("enabled = true", "enabled = true\nshare_with = \"x\"");
    assert!(toml::from_str::<AssistantSettings>(&extra).is_err());
    let kind = TOML.replace("openai-compatible", "gemini");
    assert!(toml::from_str::<AssistantSettings>(&kind).is_err());
}

#[test]
fn https_is_required_except_for_loopback() {
    let mut s: AssistantSettings = toml::from_str(TOML).unwrap();
    for ok in [
        "https://api.openai.com/v1",
        "http://localhost:11434/v1",
        "http://127.0.0.1:8000/v1",
        "http://[::1]:8000/v1",
        "https://10.0.0.5/v1",
    ] {
        s.provider.endpoint = ok.into();
        s.validate().unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        "http://api.openai.com/v1",
        "http://10.0.0.5:11434/v1",
        "http://localhost.evil.com/v1",
        "ftp://localhost/",
        "https://user:pw@api.openai.com/v1",
        "https://api.openai.com/v1?x=1",
        "not a url",
    ] {
        s.provider.endpoint = bad.into();
        assert!(
            matches!(s.validate(), Err(AssistantError::Config(_))),
            "{bad} was accepted"
        );
    }
}

#[test]
fn bounds_are_checked() {
    let mut s: AssistantSettings = toml::from_str(TOML).unwrap();
    s.provider.timeout_secs = 0;
    assert!(s.validate().is_err());
    s.provider.timeout_secs = 30;
    s.provider.max_output_tokens = 100_000;
    assert!(s.validate().is_err());
    s.provider.max_output_tokens = 2048;
    s.provider.model = " ".into();
    assert!(s.validate().is_err());
    s.provider.model = "m".into();
    s.daily_token_budget = 0;
    assert!(s.validate().is_err());
}

#[test]
fn keys_resolve_from_a_file_and_are_never_shown() {
    let dir = std::env::temp_dir().join(format!("assistant-key-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("key");
    std::fs::write(&path, "sk-secret-value\n").unwrap();
    let key = resolve_key(&KeySource::File(path.clone())).unwrap();
    assert_eq!(key.expose(), "sk-secret-value");
    assert_eq!(format!("{key:?}"), "Secret(<redacted>)");
    assert_eq!(format!("{key}"), "<redacted>");
    std::fs::write(&path, "  \n").unwrap();
    let err = resolve_key(&KeySource::File(path.clone())).unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
    let err = resolve_key(&KeySource::File(dir.join("missing"))).unwrap_err();
    assert!(matches!(err, AssistantError::Key(_)));
    let err = resolve_key(&KeySource::Env(
        "ASSISTANT_TEST_SURELY_UNSET_VARIABLE".into(),
    ))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("ASSISTANT_TEST_SURELY_UNSET_VARIABLE")
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let s = Secret::new("abc");
    assert!(!format!("{:?}", Some(s)).contains("abc"));
}

#[test]
fn the_example_files_parse_and_validate() {
    for toml_text in [
        include_str!("../../examples/openai.toml"),
        include_str!("../../examples/anthropic.toml"),
        include_str!("../../examples/ollama.toml"),
    ] {
        let s: AssistantSettings = toml::from_str(toml_text).unwrap();
        s.validate().unwrap();
    }
    let f: assistant::FindingInput =
        serde_json::from_str(include_str!("../../examples/finding.json")).unwrap();
    assert_eq!(
        f.context[f.line_start as usize - 1].text.trim(),
        f.snippet.lines().next().unwrap().trim()
    );
}
