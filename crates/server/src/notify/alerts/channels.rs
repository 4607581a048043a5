//! Delivery of one alert to one channel: signed webhook, Slack-compatible webhook, or
//! e-mail over SMTP. Every destination passes the egress guard first; a failure is an
//! error string for the notification row, never a panic.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};

use crate::config::{AlertChannel, AlertChannelKind, SmtpSettings, StartTls};
use crate::egress::EgressPolicy;
use crate::timestamp::rfc3339;

/// How long one HTTP delivery may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub(crate) const SIGNATURE_HEADER: &str = "x-web3audit-signature";

/// What a channel is told about an alert.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub(crate) alert: store::Alert,
    /// `initial` or `escalation`.
    pub(crate) purpose: &'static str,
    pub(crate) summary: String,
}

impl Notice {
    fn subject(&self) -> String {
        let prefix = if self.purpose == store::NOTIFICATION_ESCALATION {
            "ESCALATED "
        } else {
            ""
        };
        format!(
            "[web3audit] {prefix}{} alert: {}",
            self.alert.severity.to_ascii_uppercase(),
            self.alert.rule
        )
    }

    fn text(&self) -> String {
        let alert = &self.alert;
        let mut text = format!("{}\n\n{}\n\n", self.subject(), self.summary);
        text.push_str(&format!("Alert: {}\n", alert.id));
        text.push_str(&format!("Rule: {}\n", alert.rule));
        text.push_str(&format!("Severity: {}\n", alert.severity));
        if let Some(tenant) = &alert.tenant_id {
            text.push_str(&format!("Tenant: {tenant}\n"));
        }
        text.push_str(&format!("First seen: {}\n", rfc3339(alert.first_seen)));
        if self.purpose == store::NOTIFICATION_ESCALATION {
            text.push_str(&format!(
                "Occurrences so far: {}\nNot acknowledged yet.\n",
                alert.occurrences
            ));
        }
        text.push_str(&format!(
            "\nAcknowledge: POST /api/v1/alerts/{}/ack\n",
            alert.id
        ));
        text
    }

    fn json(&self) -> Value {
        let alert = &self.alert;
        json!({
            "type": "alert",
            "purpose": self.purpose,
            "summary": self.summary,
            "alert": {
                "id": alert.id,
                "rule": alert.rule,
                "severity": alert.severity,
                "state": alert.state,
                "tenant_id": alert.tenant_id,
                "first_seen": rfc3339(alert.first_seen),
                "last_seen": rfc3339(alert.last_seen),
                "occurrences": alert.occurrences,
                "detail": alert.detail,
            }
        })
    }
}

/// Sends `message` through `channel`; the error says why it was not delivered.
pub(crate) async fn send(
    channel: &AlertChannel,
    smtp: &SmtpSettings,
    egress: &EgressPolicy,
    message: &Notice,
) -> Result<(), String> {
    match channel.kind {
        AlertChannelKind::Webhook => {
            let body = message.json().to_string();
            let secret = channel.secret.as_ref().map_or("", |s| s.expose());
            let t = crate::timestamp::now_ms() / 1000;
            let signature = crate::notify::webhooks::sign(secret, t, &body);
            post(
                egress,
                channel.url.as_deref().unwrap_or(""),
                body,
                Some(format!("t={t},v1={signature}")),
            )
            .await
        }
        AlertChannelKind::Slack => {
            let body = json!({ "text": message.text() }).to_string();
            post(egress, channel.url.as_deref().unwrap_or(""), body, None).await
        }
        AlertChannelKind::Email => send_email(channel, smtp, egress, message).await,
    }
}

async fn post(
    egress: &EgressPolicy,
    url: &str,
    body: String,
    signature: Option<String>,
) -> Result<(), String> {
    let destination = egress.check(url).await.map_err(|e| e.to_string())?;
    let mut request = destination
        .client(HTTP_TIMEOUT)
        .post(&destination.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, "web3audit-alerts")
        .body(body);
    if let Some(signature) = signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

async fn send_email(
    channel: &AlertChannel,
    smtp: &SmtpSettings,
    egress: &EgressPolicy,
    message: &Notice,
) -> Result<(), String> {
    let host = smtp.host.as_deref().ok_or("no [smtp] host is configured")?;
    // The egress guard checks SMTP hosts like HTTP ones: allow-listed, no forbidden
    // address; the connection goes to the address that was checked.
    let authority = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let destination = egress
        .check(&format!("http://{authority}:{}/", smtp.port))
        .await
        .map_err(|e| e.to_string())?;
    let address = destination
        .addrs
        .first()
        .ok_or("the SMTP host resolved to no address")?
        .ip()
        .to_string();

    let from: Mailbox = smtp
        .from
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(|e| format!("invalid `from` address: {e}"))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(message.subject())
        .header(ContentType::TEXT_PLAIN);
    for to in &channel.to {
        let mailbox: Mailbox = to
            .parse()
            .map_err(|e| format!("invalid recipient `{to}`: {e}"))?;
        builder = builder.to(mailbox);
    }
    let email = builder
        .body(message.text())
        .map_err(|e| format!("cannot build the message: {e}"))?;

    let mut tls = TlsParameters::builder(host.to_string());
    if let Some(path) = &smtp.ca_file {
        let pem = tokio::task::spawn_blocking({
            let path = path.clone();
            move || std::fs::read(path)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot read the SMTP CA file {}: {e}", path.display()))?;
        let certificate = Certificate::from_pem(&pem)
            .map_err(|e| format!("invalid SMTP CA file {}: {e}", path.display()))?;
        tls = tls.add_root_certificate(certificate);
    }
    let tls = tls
        .build_rustls()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let tls = match smtp.starttls {
        StartTls::Required => Tls::Required(tls),
        StartTls::Opportunistic => Tls::Opportunistic(tls),
        StartTls::None => Tls::None,
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address)
        .port(smtp.port)
        .tls(tls)
        .hello_name(ClientId::Domain("web3audit".into()))
        .timeout(Some(smtp.timeout.duration()));
    if let (Some(username), Some(password)) = (&smtp.username, &smtp.password) {
        transport =
            transport.credentials(Credentials::new(username.clone(), password.expose().into()));
    }
    transport
        .build()
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP delivery failed: {e}"))
}
