//! Removing credentials from endpoint URLs before they appear in any message.

/// Path segments longer than this are taken for API keys (`/v3/9aa3d95b3bc440fa88ea12eaa4456161`,
/// `/v2/AbCdEf…`); shorter ones (`/v3`, `/rpc`, `/mainnet`) are kept.
const LONGEST_PLAIN_SEGMENT: usize = 12;

/// `url` with its credentials replaced by `***`: the user information (`user:pass@`), every
/// query value, the fragment, and every path segment long enough to be a key. Scheme, host,
/// port and short path segments stay, so that the endpoint can still be recognised.
///
/// ```
/// assert_eq!(
///     chain::redact_url("https://user:secret@rpc.example.org/v3/0123456789abcdef0123?apikey=K&x=1"),
///     "https://***@rpc.example.org/v3/***?apikey=***&x=***"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => (&url[..at + 3], &url[at + 3..]),
        None => ("", url),
    };
    let (rest, fragment) = match rest.find('#') {
        Some(at) => (&rest[..at], Some(())),
        None => (rest, None),
    };
    let (rest, query) = match rest.find('?') {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let host = match authority.rfind('@') {
        Some(at) => format!("***@{}", &authority[at + 1..]),
        None => authority.to_string(),
    };
    let path = path
        .split('/')
        .map(|segment| {
            if segment.len() > LONGEST_PLAIN_SEGMENT {
                "***"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut out = format!("{scheme}{host}{path}");
    if let Some(query) = query {
        out.push('?');
        let pairs = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) => format!("{key}=***"),
                None if pair.is_empty() => String::new(),
                None => "***".to_string(),
            })
            .collect::<Vec<_>>();
        out.push_str(&pairs.join("&"));
    }
    if fragment.is_some() {
        out.push_str("#***");
    }
    out
}

/// `message` with every secret part of `url` replaced, for texts that come from lower layers
/// (the HTTP library names the URL in some of its errors).
pub(crate) fn scrub(message: &str, url: &str) -> String {
    let mut out = message.replace(url, &redact_url(url));
    for secret in secrets(url) {
        if secret.len() >= 3 {
            out = out.replace(secret, "***");
        }
    }
    out
}

/// The parts of `url` that [`redact_url`] hides.
fn secrets(url: &str) -> Vec<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split('#').next().unwrap_or_default();
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
    let mut out = Vec::new();
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        out.push(userinfo);
        out.extend(userinfo.split(':'));
    }
    out.extend(
        path.split('/')
            .filter(|segment| segment.len() > LONGEST_PLAIN_SEGMENT),
    );
    out.extend(
        query
            .split('&')
            .map(|pair| pair.split_once('=').map_or(pair, |(_, value)| value)),
    );
    if let Some((_, fragment)) = url.split_once('#') {
        out.push(fragment);
    }
    out.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_plain_urls() {
        assert_eq!(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(
            redact_url("https://rpc.example.org/v3/mainnet"),
            "https://rpc.example.org/v3/mainnet"
        );
    }

    #[test]
    fn hides_user_info_path_keys_and_query_values() {
        assert_eq!(
            redact_url("https://alice:hunter2@node.example:8545/"),
            "https://***@node.example:8545/"
        );
        assert_eq!(
            redact_url("https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161"),
            "https://mainnet.infura.io/v3/***"
        );
        assert_eq!(
            redact_url("https://api.example/rpc?apikey=SECRETKEY&chain=1#frag"),
            "https://api.example/rpc?apikey=***&chain=***#***"
        );
    }

    #[test]
    fn scrub_removes_raw_secrets_from_messages() {
        let url = "https://bob:pw1234@h.example/v2/abcdefghijklmnopqrstuvwxyz?key=QWERTY";
        let message = format!("cannot reach {url}; user bob:pw1234 key QWERTY");
        let clean = scrub(&message, url);
        for secret in ["pw1234", "abcdefghijklmnopqrstuvwxyz", "QWERTY"] {
            assert!(!clean.contains(secret), "{clean}");
        }
        assert!(clean.contains("h.example"));
    }
}
