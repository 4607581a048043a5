//! `web3audit config validate` on alert rules and channels: the example of
//! docs/operations.md validates, mistakes are reported precisely, the SMTP password is
//! redacted.

mod service_support;

use service_support::*;

/// The TOML example of the "Alert rules and channels" section of docs/operations.md.
fn documented_example() -> String {
    let guide = include_str!("../../../docs/operations.md");
    let section = guide
        .split("## Alert rules and channels")
        .nth(1)
        .expect("the operations guide has an alerts section");
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the alerts section has a TOML example");
    block.to_string()
}

fn validate(dir: &std::path::Path, name: &str, text: &str) -> (bool, String) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let output = bin()
        .args(["config", "validate", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_documented_example_validates_and_mistakes_are_named() {
    let dir = temp_dir("alerts-config");
    let example = documented_example();
    let (ok, stderr) = validate(&dir, "example.toml", &example);
    assert!(ok, "{stderr}");

    let cases = [
        // (what is wrong, replacement in the example, expected message parts)
        (
            "unknown level",
            (
                "severity = \"high\"\nwindow",
                "severity = \"urgent\"\nwindow",
            ),
            vec!["unknown variant `urgent`", "critical"],
        ),
        (
            "parameter of another kind",
            ("threshold = 50", "threshold = 50\nwindow = \"5m\""),
            vec![
                "rule `queue-backlog` (queue_depth)",
                "`window` does not apply",
            ],
        ),
        (
            "missing parameter",
            ("min_severity = \"critical\"", ""),
            vec![
                "rule `critical-findings` (finding)",
                "`min_severity` is required",
            ],
        ),
        (
            "unknown escalation channel",
            (
                "escalate_to = [\"pager\"]\n\n[[alerts.rules]]\nname = \"high",
                "escalate_to = [\"pagr\"]\n\n[[alerts.rules]]\nname = \"high",
            ),
            vec!["`escalate_to` names `pagr`"],
        ),
        (
            "bad duration",
            ("cooldown = \"10m\"", "cooldown = \"10 minutes\""),
            vec!["`10 minutes` has no known unit"],
        ),
        (
            "share above one",
            ("max_share = 0.2", "max_share = 20"),
            vec!["not a share between 0 and 1"],
        ),
        (
            "webhook without a secret",
            ("secret = \"change-me-to-a-long-random-string\"\n", ""),
            vec!["channel `pager`", "`secret` is required"],
        ),
        (
            "bad recipient",
            (
                "to = [\"security@example.com\"]",
                "to = [\"security team\"]",
            ),
            vec![
                "channel `security-team`",
                "`security team` is not an e-mail address",
            ],
        ),
        (
            "plain SMTP with a password",
            (
                "starttls = \"required\"",
                "starttls = \"none\"\npassword = \"hunter2-hunter2\"",
            ),
            vec!["smtp", "never sent over an unencrypted connection"],
        ),
        (
            "missing CA file",
            ("# ca_file = ", "ca_file = \"/nonexistent/ca.pem\" #"),
            vec!["cannot read `ca_file` /nonexistent/ca.pem"],
        ),
    ];
    for (what, (from, to), expected) in cases {
        assert!(
            example.contains(from),
            "{what}: `{from}` is not in the example"
        );
        let broken = example.replacen(from, to, 1);
        let (ok, stderr) = validate(&dir, "broken.toml", &broken);
        assert!(!ok, "{what}: accepted");
        for part in expected {
            assert!(stderr.contains(part), "{what}: `{part}` not in {stderr}");
        }
    }

    // An e-mail channel needs [smtp].
    let without_smtp = example.replace("[smtp]\nhost = \"smtp.example.com\"", "[smtp]");
    let (ok, stderr) = validate(&dir, "no-smtp.toml", &without_smtp);
    assert!(!ok);
    assert!(
        stderr.contains("e-mail channels need an [smtp] section with a host"),
        "{stderr}"
    );
}

#[test]
fn config_show_redacts_the_smtp_password_and_channel_secrets() {
    let dir = temp_dir("alerts-config-show");
    let path = dir.join("alerts.toml");
    std::fs::write(&path, documented_example()).unwrap();
    let output = bin()
        .args(["config", "show", "--config", path.to_str().unwrap()])
        .env("WEB3AUDIT_SMTP_PASSWORD", "smtp-password-from-env")
        .env(
            "WEB3AUDIT_EGRESS_ALLOW_HOSTS",
            "a.example.com, b.example.com",
        )
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!shown.contains("smtp-password-from-env"), "{shown}");
    assert!(
        !shown.contains("change-me-to-a-long-random-string"),
        "{shown}"
    );
    assert!(shown.contains("password = \"<redacted>\""), "{shown}");
    assert!(shown.contains("name = \"queue-backlog\""), "{shown}");
    assert!(shown.contains("cooldown = \"10m\""), "{shown}");
    assert!(
        shown.contains("\"a.example.com\"") && shown.contains("\"b.example.com\""),
        "{shown}"
    );
}
