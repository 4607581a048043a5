//! The second factor of local accounts: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second
//! steps, the codes of the step before and after accepted for clock drift), single-use
//! recovery codes, and the sealing of TOTP secrets at rest.
//!
//! - A code is accepted for a step only when that step is later than the last step
//!   accepted for the user (the store checks and records it atomically), so a code, even
//!   one seen by someone looking over a shoulder, works once.
//! - Secrets are sealed with ChaCha20-Poly1305 under a key derived from the service's
//!   secret key (HMAC-SHA256 with a purpose label), the user id as associated data: a
//!   database dump alone does not give the secrets, and a sealed secret copied onto another
//!   user does not open.
//! - Recovery codes are random (50 bits each), shown once, and stored as HMAC-SHA256 under
//!   a key derived the same way.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::config::Secret;

/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// Steps accepted before and after the current one.
pub const DRIFT_STEPS: i64 = 1;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends for HMAC-SHA1).
const SECRET_BYTES: usize = 20;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A new random TOTP secret.
pub fn new_secret() -> Vec<u8> {
    random_bytes(SECRET_BYTES)
}

/// The secret as authenticator apps take it: base32 without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// The secret of [`secret_base32`] text (as an app or a test reads it back).
pub fn secret_from_base32(text: &str) -> Option<Vec<u8>> {
    BASE32_NOPAD.decode(text.trim().as_bytes()).ok()
}

/// The `otpauth://` URI of the secret (what a QR code carries).
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let label = format!("{}:{}", percent(issuer), percent(account));
    format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        secret_base32(secret),
        percent(issuer)
    )
}

/// Everything but unreserved characters (and `@`, which apps show as is in a label).
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

fn percent(text: &str) -> String {
    utf8_percent_encode(text, LABEL).to_string()
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECS, secret.to_vec()).ok()
}

/// The code of `secret` for the step holding `unix_secs`.
pub fn code_at(secret: &[u8], unix_secs: u64) -> Option<String> {
    totp(secret).map(|t| t.generate(unix_secs))
}

/// The step of a code of `secret` matching `code` at `unix_secs`, within the drift and
/// later than `after` (the last step accepted); `None` when there is none. The caller then
/// records the step (atomically with the check that it is still the latest).
pub fn matching_step(secret: &[u8], code: &str, unix_secs: u64, after: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret)?;
    let now = i64::try_from(unix_secs / STEP_SECS).ok()?;
    let mut found = None;
    // Every candidate is computed and compared, so the time taken does not tell which
    // step (if any) matched.
    for step in now - DRIFT_STEPS..=now + DRIFT_STEPS {
        let Ok(at) = u64::try_from(step) else {
            continue;
        };
        let candidate = totp.generate(at * STEP_SECS);
        let fresh = after.is_none_or(|last| step > last);
        if bool::from(candidate.as_bytes().ct_eq(code.as_bytes())) && fresh && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// A key for `purpose`, derived from the service's secret key.
fn derived_key(secret: &Secret, purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"web3audit/");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

/// `secret` sealed for `user_id`: hex of nonce and ciphertext.
pub fn seal(key: &Secret, user_id: &str, secret: &[u8]) -> String {
    let cipher = ChaCha20Poly1305::new(&derived_key(key, "totp-secret/v1").into());
    let nonce = random_bytes(12);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: user_id.as_bytes(),
            },
        )
        .expect("encryption of a short secret cannot fail");
    format!("{}{}", hex::encode(nonce), hex::encode(sealed))
}

/// The secret [`seal`]ed for `user_id`; `None` when it does not open (another key, another
/// user, or altered).
pub fn open(key: &Secret, user_id: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(sealed).ok()?;
    let (nonce, ciphertext) = bytes.split_at_checked(12)?;
    let cipher = ChaCha20Poly1305::new(&derived_key(key, "totp-secret/v1").into());
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: user_id.as_bytes(),
            },
        )
        .ok()
}

/// New recovery codes, `xxxxx-xxxxx` in lowercase base32 (10 characters, 50 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let text = BASE32_NOPAD.encode(&random_bytes(7)).to_ascii_lowercase();
            format!("{}-{}", &text[..5], &text[5..10])
        })
        .collect()
}

/// What is stored of a recovery code: HMAC-SHA256 under a derived key, of the code
/// without its dash and in lowercase (as users type it).
pub fn recovery_hash(key: &Secret, user_id: &str, code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derived_key(key, "recovery-code/v1"))
        .expect("HMAC takes keys of any length");
    mac.update(user_id.as_bytes());
    mac.update(b"\0");
    mac.update(normalized.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 test vectors (8 digits there; the last 6 here).
    #[test]
    fn codes_follow_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, time).unwrap(), code, "at {time}");
        }
    }

    #[test]
    fn the_window_is_one_step_each_way_and_a_used_step_never_again() {
        let secret = new_secret();
        let now = 1_800_000_015; // 15 s into step 60,000,000
        let step = (now / STEP_SECS) as i64;
        let at = |s: i64| code_at(&secret, s as u64 * STEP_SECS).unwrap();
        assert_eq!(matching_step(&secret, &at(step), now, None), Some(step));
        assert_eq!(
            matching_step(&secret, &at(step - 1), now, None),
            Some(step - 1)
        );
        assert_eq!(
            matching_step(&secret, &at(step + 1), now, None),
            Some(step + 1)
        );
        assert_eq!(matching_step(&secret, &at(step - 2), now, None), None);
        assert_eq!(matching_step(&secret, &at(step + 2), now, None), None);
        // The edges of the step: its first and last second accept the same codes.
        let first = step as u64 * STEP_SECS;
        let last = first + STEP_SECS - 1;
        for t in [first, last] {
            assert_eq!(
                matching_step(&secret, &at(step - 1), t, None),
                Some(step - 1)
            );
            assert_eq!(
                matching_step(&secret, &at(step + 1), t, None),
                Some(step + 1)
            );
        }
        // One second later the previous step is out of the window.
        assert_eq!(matching_step(&secret, &at(step - 1), last + 1, None), None);
        // A code of a step already used, or of an earlier one, is refused.
        assert_eq!(matching_step(&secret, &at(step), now, Some(step)), None);
        assert_eq!(matching_step(&secret, &at(step - 1), now, Some(step)), None);
        assert_eq!(
            matching_step(&secret, &at(step + 1), now, Some(step)),
            Some(step + 1)
        );
        // Not six digits.
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(matching_step(&secret, bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn sealed_secrets_open_only_for_their_user_and_key() {
        let key = Secret::new("service-secret-key-0123456789abcdef0123");
        let other = Secret::new("another-secret-key-0123456789abcdef0123");
        let secret = new_secret();
        let sealed = seal(&key, "u1", &secret);
        assert_eq!(
            open(&key, "u1", &sealed).as_deref(),
            Some(secret.as_slice())
        );
        assert_eq!(open(&key, "u2", &sealed), None);
        assert_eq!(open(&other, "u1", &sealed), None);
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(open(&key, "u1", &String::from_utf8(altered).unwrap()), None);
        assert_ne!(seal(&key, "u1", &secret), sealed, "a fresh nonce each time");
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_as_typed() {
        let key = Secret::new("service-secret-key-0123456789abcdef0123");
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 11);
        assert_eq!(
            recovery_hash(&key, "u1", code),
            recovery_hash(&key, "u1", &code.replace('-', "").to_uppercase())
        );
        assert_ne!(
            recovery_hash(&key, "u1", code),
            recovery_hash(&key, "u2", code)
        );
    }

    #[test]
    fn the_uri_names_the_issuer_account_and_parameters() {
        let uri = otpauth_uri(b"12345678901234567890", "web3audit acme", "a@acme.test");
        assert_eq!(
            uri,
            "otpauth://totp/web3audit%20acme:a@acme.test?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=web3audit%20acme&algorithm=SHA1&digits=6&period=30"
        );
    }
}
