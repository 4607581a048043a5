//! Credentials: argon2 password hashes, API keys (random, shown once, stored as SHA-256
//! of the secret part), HS256 JWTs, and the service secret key.

use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{Secret, Settings};

/// Roles, weakest first: admin > auditor > viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Auditor,
    Admin,
}

impl Role {
    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "viewer" => Some(Role::Viewer),
            "auditor" => Some(Role::Auditor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system random source is available");
    buf
}

/// A random password for bootstrap when none is given.
pub(crate) fn generate_password() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<18>())
}

/// Argon2id hash in PHC format. CPU-heavy: call off the async executor.
pub(crate) fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16-byte salt encodes");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// CPU-heavy: call off the async executor.
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that a login for an unknown
/// email costs the same time as one with a wrong password.
pub(crate) fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password"))
}

/// A freshly generated API key: the full key is shown once, the rest is stored.
#[derive(Clone)]
pub(crate) struct GeneratedKey {
    pub full: String,
    pub prefix: String,
    pub secret_hash: String,
}

pub(crate) const API_KEY_PREFIX: &str = "w3a_";

pub(crate) fn generate_api_key() -> GeneratedKey {
    let prefix = hex::encode(random_bytes::<8>());
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    GeneratedKey {
        full: format!("{API_KEY_PREFIX}{prefix}_{secret}"),
        secret_hash: hash_key_secret(&secret),
        prefix,
    }
}

fn hash_key_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Splits a presented key into `(prefix, secret)`.
pub(crate) fn split_api_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(API_KEY_PREFIX)?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 16 && !secret.is_empty()).then_some((prefix, secret))
}

/// Constant-time check of a presented secret against the stored hash.
pub(crate) fn api_key_matches(secret: &str, stored_hash: &str) -> bool {
    hash_key_secret(secret)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub sub: String,
    pub tid: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// [`ENROL_ONLY`] on a token of a user whose tenant requires a second factor they do not
    /// have yet: it opens only `/api/v1/me` and the enrolment endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<String>,
}

/// The `mfa` claim of a token that may only enrol a second factor.
pub(crate) const ENROL_ONLY: &str = "enrol";

pub(crate) fn issue_jwt(secret: &Secret, claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.expose().as_bytes()),
    )
    .expect("HS256 signing cannot fail")
}

/// Verifies signature, algorithm (HS256 only), issuer and expiry.
pub(crate) fn verify_jwt(secret: &Secret, issuer: &str, token: &str) -> Result<Claims, String> {
    // Look at the header ourselves so that `alg: none` (or RS256, …) gets a precise answer.
    let header_b64 = token.split('.').next().unwrap_or("");
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header_b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| "the token is not a JWT".to_string())?;
    match header.get("alg").and_then(|a| a.as_str()) {
        Some("HS256") => {}
        Some(other) => {
            return Err(format!(
                "algorithm `{other}` is not accepted; only HS256 is"
            ));
        }
        None => return Err("the token header names no algorithm".into()),
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.expose().as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the token has expired".to_string(),
        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            "the token signature does not verify".to_string()
        }
        jsonwebtoken::errors::ErrorKind::InvalidIssuer => {
            "the token issuer is not accepted".to_string()
        }
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
            "the token algorithm is not accepted".to_string()
        }
        _ => "the token is malformed".to_string(),
    })
}

/// File in the data directory that holds a generated secret key.
pub(crate) const SECRET_FILE: &str = "secret.key";

/// The secret key: configured, or read from the data directory, or (when `create`)
/// generated and persisted there. Returns whether it was generated now.
pub fn resolve_secret(settings: &Settings, create: bool) -> std::io::Result<(Secret, bool)> {
    if let Some(secret) = &settings.secret_key {
        return Ok((secret.clone(), false));
    }
    if !settings.database_url.starts_with("sqlite:") {
        // Every node signs with the same key; a key generated by one would not be known
        // to the others.
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no secret key: with a PostgreSQL database, set WEB3AUDIT_SECRET_KEY (or secret_key), the same on every node",
        ));
    }
    let dir = settings.data_dir();
    let path = dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => return Ok((Secret::new(text.trim()), false)),
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} holds fewer than 32 characters", path.display()),
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(std::io::Error::new(
                e.kind(),
                format!(
                    "no secret key: set WEB3AUDIT_SECRET_KEY or start the server once to create {}",
                    path.display()
                ),
            ));
        }
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(&dir)?;
    let secret = hex::encode(random_bytes::<32>());
    write_private(&path, &secret)?;
    Ok((Secret::new(secret), true))
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}
