//! Compliance evidence packs: for one tenant and a period, what an auditor (SOC 2,
//! ISO/IEC 27001) asks to see, taken from the audit trail and the incidents, mapped to the
//! controls it evidences, and signed.
//!
//! The mapping of trail actions to controls is data (`compliance/controls.toml`, embedded,
//! and carried in each pack). Service-wide controls (backups, retention) take the trail
//! entries that belong to no tenant as well. The pack also holds the verification of the
//! *whole* trail at generation time (hash chain, MACs, signed head, checkpoints) and its
//! head, so a pack vouches for the trail it was cut from.
//!
//! Signing covers the SHA-256 of the exact bytes of the pack, with the service's secret key
//! (HMAC-SHA256, the key of the trail's MACs) or, when one is configured, an Ed25519 key
//! whose public half anyone may use to verify ([`PackKey`]). A JSON pack is
//! `{"signature":{...},"pack":PACK}` with the signature over PACK's bytes; a PDF pack
//! ends with one comment line `%web3audit-signature ALGORITHM SHA256 KEY SIGNATURE` over
//! every byte before it. [`verify`] refuses a pack with any byte changed, or signed by a
//! key it was not told to trust.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store::trail::{Signer, verify_snapshot};
use store::{AuditEvent, Incident, IncidentFilter, Store};

use crate::timestamp::rfc3339;

/// The format name written in every pack.
pub const FORMAT: &str = "web3audit-compliance-pack/1";
const CONTROLS: &str = include_str!("../compliance/controls.toml");
const SIGNATURE_LINE: &str = "%web3audit-signature ";
/// Entries listed per control in the PDF (the JSON pack has them all).
const PDF_EVENTS_PER_CONTROL: usize = 400;

/// One control of the mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub description: String,
    pub soc2: Vec<String>,
    pub iso27001: Vec<String>,
    /// Trail actions: exact, or a prefix ending in `.*`.
    pub actions: Vec<String>,
    /// Also takes the entries of no tenant (service-wide operations).
    #[serde(default)]
    pub service_wide: bool,
    /// Evidenced by the incidents of the period too.
    #[serde(default)]
    pub incidents: bool,
    /// Evidenced by the verification of the audit trail too.
    #[serde(default)]
    pub trail: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlsFile {
    controls: Vec<Control>,
}

/// The mapping the packs are made with (parsed once).
pub fn controls() -> &'static [Control] {
    static CONTROLS_PARSED: std::sync::OnceLock<Vec<Control>> = std::sync::OnceLock::new();
    CONTROLS_PARSED.get_or_init(|| {
        toml::from_str::<ControlsFile>(CONTROLS)
            .expect("the embedded control mapping parses (checked by a test)")
            .controls
    })
}

impl Control {
    fn covers(&self, action: &str) -> bool {
        self.actions
            .iter()
            .any(|pattern| match pattern.strip_suffix(".*") {
                Some(prefix) => action
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.')),
                None => pattern == action,
            })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    #[error("no tenant `{0}`")]
    UnknownTenant(String),
    #[error("the period is empty: `from` must be before `to`")]
    EmptyPeriod,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// What a pack covers.
#[derive(Debug, Clone)]
pub struct PackRequest {
    pub tenant_id: String,
    /// Unix milliseconds, inclusive.
    pub from_ms: i64,
    /// Unix milliseconds, exclusive.
    pub to_ms: i64,
    /// Who asks (`cli:compliance`, `user:ID`).
    pub generated_by: String,
}

async fn incident_view(store: &dyn Store, incident: &Incident) -> Result<Value, store::StoreError> {
    let timeline: Vec<Value> = store
        .list_incident_events(&incident.tenant_id, &incident.id)
        .await?
        .iter()
        .map(|e| {
            json!({ "at": rfc3339(e.created_at), "kind": e.kind, "actor": e.actor, "body": e.body })
        })
        .collect();
    Ok(json!({
        "id": incident.id,
        "title": incident.title,
        "priority": incident.priority,
        "state": incident.state,
        "assignee": incident.assignee,
        "opened_at": rfc3339(incident.opened_at),
        "acknowledged_at": incident.acknowledged_at.map(rfc3339),
        "mitigated_at": incident.mitigated_at.map(rfc3339),
        "resolved_at": incident.resolved_at.map(rfc3339),
        "alert_count": incident.alert_count,
        "timeline": timeline,
    }))
}

/// Builds the pack (unsigned): the tenant, the period, the trail's verification and head,
/// each control with its evidence, the incidents of the period with their timelines.
pub async fn build(
    store: &dyn Store,
    signer: &Signer,
    request: &PackRequest,
    now_ms: i64,
) -> Result<Value, ComplianceError> {
    if request.from_ms >= request.to_ms {
        return Err(ComplianceError::EmptyPeriod);
    }
    let tenant = store
        .get_tenant(&request.tenant_id)
        .await?
        .ok_or_else(|| ComplianceError::UnknownTenant(request.tenant_id.clone()))?;
    let snapshot = store.audit_trail().await?;
    let verification = verify_snapshot(&snapshot, signer);
    let in_period: Vec<&AuditEvent> = snapshot
        .entries
        .iter()
        .filter(|e| (request.from_ms..request.to_ms).contains(&e.event.ts))
        .collect();

    let incidents: Vec<Incident> = store
        .list_incidents(
            &tenant.id,
            &IncidentFilter {
                limit: 1000,
                ..IncidentFilter::default()
            },
        )
        .await?
        .into_iter()
        .filter(|i| {
            i.opened_at < request.to_ms && i.resolved_at.is_none_or(|r| r >= request.from_ms)
        })
        .collect();
    let mut incident_views = Vec::with_capacity(incidents.len());
    for incident in &incidents {
        incident_views.push(incident_view(store, incident).await?);
    }

    let trail = json!({
        "verified": verification.first_break.is_none(),
        "entries": verification.entries,
        "first_break": verification.first_break,
        "checkpoint": verification.checkpoint,
        "head": snapshot.head.as_ref().map(|h| json!({ "seq": h.seq, "hash": h.hash })),
    });
    let mapping = controls();
    let control_views: Vec<Value> = mapping
        .iter()
        .map(|control| {
            let events: Vec<Value> = in_period
                .iter()
                .filter(|e| match e.event.tenant_id.as_deref() {
                    Some(t) => t == tenant.id,
                    None => control.service_wide,
                })
                .filter(|e| control.covers(&e.event.action))
                .map(|e| crate::handlers::audit_event_view(e))
                .collect();
            let mut view = json!({
                "id": control.id,
                "title": control.title,
                "description": control.description,
                "soc2": control.soc2,
                "iso27001": control.iso27001,
                "actions": control.actions,
                "event_count": events.len(),
                "events": events,
            });
            if control.incidents {
                view["incident_count"] = json!(incidents.len());
            }
            if control.trail {
                view["trail_verified"] = trail["verified"].clone();
            }
            view
        })
        .collect();
    Ok(json!({
        "format": FORMAT,
        "tenant": { "id": tenant.id, "name": tenant.name, "plan": tenant.plan },
        "period": {
            "from": rfc3339(request.from_ms),
            "to": rfc3339(request.to_ms),
            "from_ms": request.from_ms,
            "to_ms": request.to_ms,
        },
        "generated_at": rfc3339(now_ms),
        "generated_by": request.generated_by,
        "service_version": env!("CARGO_PKG_VERSION"),
        "trail": trail,
        "controls": control_views,
        "incidents": incident_views,
    }))
}

/// Records in the audit trail that a pack was made: who, for which tenant and period, in
/// which format, with the SHA-256 of the exact file.
pub async fn record(
    store: &dyn Store,
    signer: &Signer,
    request: &PackRequest,
    format: &str,
    bytes: &[u8],
) -> Result<(), store::StoreError> {
    let event = store::NewAuditEvent {
        ts: crate::timestamp::now_ms(),
        tenant_id: Some(request.tenant_id.clone()),
        actor: request.generated_by.clone(),
        action: "compliance.pack_generated".into(),
        target: Some(request.tenant_id.clone()),
        outcome: "success".into(),
        detail: json!({
            "from": rfc3339(request.from_ms),
            "to": rfc3339(request.to_ms),
            "format": format,
            "sha256": sha256_hex(bytes),
        }),
    };
    store.append_audit_event(&event, signer).await.map(|_| ())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn signed_message(sha256: &str) -> String {
    format!("web3audit-compliance-pack\n{sha256}")
}

/// An Ed25519 signing key for packs (PKCS#8, kept as hex in a file).
pub struct Ed25519Key {
    pair: ring::signature::Ed25519KeyPair,
}

impl std::fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ed25519Key(public {})", self.public_hex())
    }
}

impl Ed25519Key {
    /// A new key: its file text (hex of the PKCS#8 document) and the key.
    pub fn generate() -> Result<(String, Ed25519Key), String> {
        let rng = ring::rand::SystemRandom::new();
        let document = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| "cannot generate an Ed25519 key".to_owned())?;
        let text = hex::encode(document.as_ref());
        let key = Ed25519Key::from_text(&text)?;
        Ok((text, key))
    }

    /// The key from its file text.
    pub fn from_text(text: &str) -> Result<Ed25519Key, String> {
        let bytes = hex::decode(text.trim()).map_err(|_| {
            "the signing key file is not hex (web3audit compliance keygen writes one)".to_owned()
        })?;
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&bytes)
            .map_err(|_| "the signing key file does not hold an Ed25519 PKCS#8 key".to_owned())?;
        Ok(Ed25519Key { pair })
    }

    pub fn public_hex(&self) -> String {
        use ring::signature::KeyPair;
        hex::encode(self.pair.public_key().as_ref())
    }
}

/// What signs a pack.
#[derive(Debug)]
pub enum PackKey {
    /// The service's secret key: only holders of it can verify.
    Hmac(Signer),
    /// A key whose public half verifies, without any secret.
    Ed25519(Ed25519Key),
}

impl PackKey {
    fn algorithm(&self) -> &'static str {
        match self {
            PackKey::Hmac(_) => "hmac-sha256",
            PackKey::Ed25519(_) => "ed25519",
        }
    }

    /// The key's identity as written in the signature (no spaces).
    fn key_id(&self) -> String {
        match self {
            PackKey::Hmac(_) => "service-secret-key".into(),
            PackKey::Ed25519(key) => key.public_hex(),
        }
    }

    fn sign(&self, sha256: &str) -> String {
        match self {
            PackKey::Hmac(signer) => signer.mac(&signed_message(sha256)),
            PackKey::Ed25519(key) => hex::encode(key.pair.sign(signed_message(sha256).as_bytes())),
        }
    }
}

/// The key packs are signed with: the configured Ed25519 key, else the service's secret.
pub fn pack_key(
    settings: &crate::config::Settings,
    secret: &crate::config::Secret,
) -> Result<PackKey, String> {
    match &settings.compliance_signing_key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Ed25519Key::from_text(&text).map(PackKey::Ed25519)
        }
        None => Ok(PackKey::Hmac(Signer::new(secret.expose().as_bytes()))),
    }
}

/// The keys a verification trusts: the service's secret key, and Ed25519 public keys
/// (hex).
#[derive(Debug, Default)]
pub struct Trust {
    pub hmac: Option<Signer>,
    pub ed25519: Vec<String>,
}

impl Trust {
    fn check(
        &self,
        algorithm: &str,
        key_id: &str,
        sha256: &str,
        signature: &str,
    ) -> Result<(), VerifyError> {
        match algorithm {
            "hmac-sha256" => {
                let signer = self
                    .hmac
                    .as_ref()
                    .ok_or(VerifyError::NoKey("the service's secret key"))?;
                (signer.mac(&signed_message(sha256)) == signature)
                    .then_some(())
                    .ok_or(VerifyError::BadSignature)
            }
            "ed25519" => {
                if self.ed25519.is_empty() {
                    return Err(VerifyError::NoKey("an Ed25519 public key (--public-key)"));
                }
                if !self.ed25519.iter().any(|k| k.eq_ignore_ascii_case(key_id)) {
                    return Err(VerifyError::BadSignature);
                }
                let public = hex::decode(key_id).map_err(|_| VerifyError::BadSignature)?;
                let signature = hex::decode(signature).map_err(|_| VerifyError::BadSignature)?;
                ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
                    .verify(signed_message(sha256).as_bytes(), &signature)
                    .map_err(|_| VerifyError::BadSignature)
            }
            other => Err(VerifyError::NotAPack(format!(
                "unknown signature algorithm `{}`",
                other.escape_debug()
            ))),
        }
    }
}

/// The pack as a signed JSON file.
pub fn signed_json(pack: &Value, key: &PackKey) -> Vec<u8> {
    let body = serde_json::to_string_pretty(pack).expect("a pack serializes");
    let sha256 = sha256_hex(body.as_bytes());
    let signature = json!({
        "algorithm": key.algorithm(),
        "key": key.key_id(),
        "sha256": sha256,
        "signature": key.sign(&sha256),
    });
    let mut out = json_prefix(&signature).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out.extend_from_slice(b"}\n");
    out
}

fn json_prefix(signature: &Value) -> String {
    format!(
        "{{\"signature\":{},\"pack\":",
        serde_json::to_string(signature).expect("a signature serializes")
    )
}

/// The pack as a signed PDF file: a summary page, then each control with its evidence,
/// the incidents, and how to verify.
pub fn signed_pdf(pack: &Value, key: &PackKey) -> Vec<u8> {
    let mut pdf = render_pdf(pack);
    let sha256 = sha256_hex(&pdf);
    let line = format!(
        "{SIGNATURE_LINE}{} {sha256} {} {}\n",
        key.algorithm(),
        key.key_id(),
        key.sign(&sha256)
    );
    pdf.extend_from_slice(line.as_bytes());
    pdf
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn render_pdf(pack: &Value) -> Vec<u8> {
    use report::DocBlock::{Heading, Mono, PageBreak, Rule, Text};
    let tenant = &pack["tenant"];
    let title = format!(
        "Compliance evidence: {} ({} to {})",
        text(&tenant["name"]),
        text(&pack["period"]["from"]),
        text(&pack["period"]["to"])
    );
    let trail = &pack["trail"];
    let verified = trail["verified"].as_bool() == Some(true);
    let mut blocks = vec![
        Heading("Summary".into()),
        Text(format!(
            "Tenant {} (id {}, plan {}). Period from {} (inclusive) to {} (exclusive). Generated at {} by {}, web3audit {}.",
            text(&tenant["name"]),
            text(&tenant["id"]),
            text(&tenant["plan"]),
            text(&pack["period"]["from"]),
            text(&pack["period"]["to"]),
            text(&pack["generated_at"]),
            text(&pack["generated_by"]),
            text(&pack["service_version"]),
        )),
        Text(if verified {
            format!(
                "Audit trail: verified at generation, {} entries; head at entry {} with hash {}.",
                text(&trail["entries"]),
                text(&trail["head"]["seq"]),
                text(&trail["head"]["hash"]),
            )
        } else {
            format!(
                "Audit trail: NOT VERIFIED at generation: {} (entry {}).",
                text(&trail["first_break"]["reason"]),
                text(&trail["first_break"]["seq"]),
            )
        }),
        Rule,
    ];
    let controls = pack["controls"].as_array().cloned().unwrap_or_default();
    for control in &controls {
        blocks.push(Mono(format!(
            "{:<24} {:>6} entries   SOC 2 {}   ISO 27001 {}",
            text(&control["id"]),
            text(&control["event_count"]),
            join(&control["soc2"]),
            join(&control["iso27001"]),
        )));
    }
    for control in &controls {
        blocks.push(PageBreak);
        blocks.push(Heading(format!(
            "{}: {}",
            text(&control["id"]),
            text(&control["title"])
        )));
        blocks.push(Text(text(&control["description"])));
        blocks.push(Text(format!(
            "SOC 2: {}. ISO/IEC 27001:2022 Annex A: {}. Actions: {}.",
            join(&control["soc2"]),
            join(&control["iso27001"]),
            join(&control["actions"]),
        )));
        if let Some(verified) = control["trail_verified"].as_bool() {
            blocks.push(Text(format!(
                "Trail verification at generation: {}.",
                if verified { "intact" } else { "BROKEN" }
            )));
        }
        if let Some(count) = control["incident_count"].as_u64() {
            blocks.push(Text(format!(
                "{count} incident(s) open during the period: listed under Incidents."
            )));
        }
        let events = control["events"].as_array().cloned().unwrap_or_default();
        blocks.push(Text(format!(
            "{} trail entries in the period.",
            events.len()
        )));
        for event in events.iter().take(PDF_EVENTS_PER_CONTROL) {
            blocks.push(Mono(format!(
                "#{} {} {} {} {} {}",
                text(&event["seq"]),
                text(&event["ts"]),
                text(&event["action"]),
                text(&event["outcome"]),
                text(&event["actor"]),
                text(&event["target"]),
            )));
        }
        if events.len() > PDF_EVENTS_PER_CONTROL {
            blocks.push(Text(format!(
                "... and {} more in the JSON pack.",
                events.len() - PDF_EVENTS_PER_CONTROL
            )));
        }
    }
    blocks.push(PageBreak);
    blocks.push(Heading("Incidents".into()));
    let incidents = pack["incidents"].as_array().cloned().unwrap_or_default();
    if incidents.is_empty() {
        blocks.push(Text("No incident was open during the period.".into()));
    }
    for incident in &incidents {
        blocks.push(Text(format!(
            "{} {} ({}): opened {}, acknowledged {}, mitigated {}, resolved {}; assignee {}.",
            text(&incident["priority"]),
            text(&incident["title"]),
            text(&incident["state"]),
            text(&incident["opened_at"]),
            text(&incident["acknowledged_at"]),
            text(&incident["mitigated_at"]),
            text(&incident["resolved_at"]),
            text(&incident["assignee"]),
        )));
        for entry in incident["timeline"].as_array().into_iter().flatten() {
            blocks.push(Text(format!(
                "{} {}: {} (by {})",
                text(&entry["at"]),
                text(&entry["kind"]),
                timeline_body(&entry["body"]),
                text(&entry["actor"]),
            )));
        }
    }
    blocks.push(Rule);
    blocks.push(Text(
        "This file is signed: its last line is an HMAC-SHA256, under the service's secret key, of every byte before it. Check it with `web3audit compliance verify FILE`.".into(),
    ));
    report::render_document_pdf(&title, "web3audit", &blocks)
}

/// A timeline entry's body in words: a comment's text, an alert's summary, a state
/// change, an assignment.
fn timeline_body(body: &Value) -> String {
    if let Some(text) = body["text"].as_str() {
        return text.to_owned();
    }
    if let Some(summary) = body["summary"].as_str() {
        return format!("{} ({})", summary, text(&body["level"]));
    }
    if body.get("from").is_some() || body.get("to").is_some() {
        return format!("{} to {}", text(&body["from"]), text(&body["to"]));
    }
    if let Some(assignee) = body.get("assignee") {
        return format!("assigned to {}", text(assignee));
    }
    body.to_string()
}

fn join(list: &Value) -> String {
    list.as_array()
        .map(|items| items.iter().map(text).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

/// What a verified pack says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `json` or `pdf`.
    pub format: &'static str,
    /// `hmac-sha256` or `ed25519`.
    pub algorithm: String,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("not a compliance pack: {0}")]
    NotAPack(String),
    #[error("the pack was changed after it was signed (its SHA-256 is not the signed one)")]
    Changed,
    #[error(
        "the signature does not verify under the trusted keys (forged, or signed with another key)"
    )]
    BadSignature,
    #[error("the pack is signed with {0}, which was not given")]
    NoKey(&'static str),
}

/// Checks a signed pack (JSON or PDF) byte for byte, under the keys `trust` holds.
pub fn verify(bytes: &[u8], trust: &Trust) -> Result<Verified, VerifyError> {
    let malformed = || VerifyError::NotAPack("the PDF has no signature line".into());
    let (format, body, fields) = if bytes.starts_with(b"%PDF-") {
        let without_newline = bytes.strip_suffix(b"\n").ok_or_else(malformed)?;
        let start = without_newline
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = std::str::from_utf8(&without_newline[start..])
            .ok()
            .and_then(|l| l.strip_prefix(SIGNATURE_LINE))
            .ok_or_else(malformed)?;
        let parts: Vec<String> = line.split(' ').map(str::to_owned).collect();
        let [algorithm, sha256, key_id, signature]: [String; 4] = parts
            .try_into()
            .map_err(|_| VerifyError::NotAPack("the signature line is malformed".into()))?;
        (
            "pdf",
            &bytes[..start],
            [algorithm, key_id, sha256, signature],
        )
    } else {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| VerifyError::NotAPack(format!("neither a PDF nor JSON: {e}")))?;
        let signature = &value["signature"];
        let field = |name: &str| {
            signature[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| VerifyError::NotAPack(format!("the signature has no `{name}`")))
        };
        let prefix = json_prefix(signature);
        let body = bytes
            .strip_prefix(prefix.as_bytes())
            .and_then(|rest| rest.strip_suffix(b"}\n"))
            .ok_or(VerifyError::Changed)?;
        if value["pack"]["format"] != FORMAT {
            return Err(VerifyError::NotAPack(format!(
                "the pack's format is not {FORMAT}"
            )));
        }
        let fields = [
            field("algorithm")?,
            field("key")?,
            field("sha256")?,
            field("signature")?,
        ];
        ("json", body, fields)
    };
    let [algorithm, key_id, sha256, signature] = fields;
    if sha256_hex(body) != sha256 {
        return Err(VerifyError::Changed);
    }
    trust.check(&algorithm, &key_id, &sha256, &signature)?;
    Ok(Verified {
        format,
        algorithm,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_parses_and_every_control_names_both_frameworks() {
        let controls = controls();
        assert!(controls.len() >= 8);
        for c in controls {
            assert!(!c.soc2.is_empty() && !c.iso27001.is_empty(), "{}", c.id);
        }
        let provisioning = controls
            .iter()
            .find(|c| c.id == "access-provisioning")
            .unwrap();
        assert!(provisioning.covers("api_key.rotated"));
        assert!(provisioning.covers("user.created"));
        assert!(!provisioning.covers("user"));
        assert!(!provisioning.covers("username.changed"));
    }

    fn pack() -> Value {
        json!({ "format": FORMAT, "tenant": { "id": "t", "name": "Acme", "plan": "pro" },
            "period": { "from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z" },
            "trail": { "verified": true, "entries": 3, "head": { "seq": 3, "hash": "ab" } },
            "controls": [], "incidents": [] })
    }

    fn trusting_hmac(key: &[u8]) -> Trust {
        Trust {
            hmac: Some(Signer::new(key)),
            ed25519: Vec::new(),
        }
    }

    #[test]
    fn any_changed_byte_or_another_key_is_refused() {
        let key = PackKey::Hmac(Signer::new(b"k1"));
        let trust = trusting_hmac(b"k1");
        for signed in [signed_json(&pack(), &key), signed_pdf(&pack(), &key)] {
            assert_eq!(verify(&signed, &trust).unwrap().algorithm, "hmac-sha256");
            assert_eq!(
                verify(&signed, &trusting_hmac(b"k2")),
                Err(VerifyError::BadSignature)
            );
            for at in [20, signed.len() / 2, signed.len() - 3] {
                let mut changed = signed.clone();
                changed[at] ^= 0x01;
                assert!(verify(&changed, &trust).is_err(), "byte {at} changed");
            }
        }
        assert!(matches!(
            verify(b"hello", &trust),
            Err(VerifyError::NotAPack(_))
        ));
    }

    #[test]
    fn ed25519_packs_verify_with_the_public_key_alone() {
        let (text, key) = Ed25519Key::generate().unwrap();
        let public = key.public_hex();
        assert_eq!(Ed25519Key::from_text(&text).unwrap().public_hex(), public);
        assert!(Ed25519Key::from_text("not hex").is_err());
        let key = PackKey::Ed25519(key);
        let (_, other) = Ed25519Key::generate().unwrap();
        let trust = Trust {
            hmac: None,
            ed25519: vec![public.clone()],
        };
        for signed in [signed_json(&pack(), &key), signed_pdf(&pack(), &key)] {
            assert_eq!(verify(&signed, &trust).unwrap().algorithm, "ed25519");
            // Another key, or no key given, is not trusted.
            let stranger = Trust {
                hmac: Some(Signer::new(b"k")),
                ed25519: vec![other.public_hex()],
            };
            assert_eq!(verify(&signed, &stranger), Err(VerifyError::BadSignature));
            assert!(matches!(
                verify(&signed, &Trust::default()),
                Err(VerifyError::NoKey(_))
            ));
            for at in [20, signed.len() / 2, signed.len() - 3] {
                let mut changed = signed.clone();
                changed[at] ^= 0x01;
                assert!(verify(&changed, &trust).is_err(), "byte {at} changed");
            }
        }
    }
}
