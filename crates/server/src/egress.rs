//! The egress guard: every outbound HTTP request of the service (webhooks, alert
//! channels) goes to a destination checked here first.
//!
//! A URL given by a tenant must not turn the service into a proxy into its own network
//! (server-side request forgery): the host must be on the operator's allow-list
//! (`[egress] allow_hosts`), and no address it resolves to may be one that is never a
//! legitimate receiver (link-local, cloud metadata, multicast, unspecified, broadcast),
//! whatever the list says. The connection then goes to the very addresses that were
//! checked (no second lookup, so no DNS rebinding), follows no redirect and uses no proxy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

/// Config: `[egress] allow_hosts = ["hooks.example.com", "*.example.org", "127.0.0.1"]`
/// (env WEB3AUDIT_EGRESS_ALLOW_HOSTS, comma-separated). Empty: no outbound HTTP at all.
#[derive(Debug, Clone)]
pub(crate) struct EgressPolicy {
    /// Exact host names and IP literals, lower case, IPv6 without brackets.
    exact: Vec<String>,
    /// Suffixes of `*.suffix` entries, lower case, with the leading dot.
    suffixes: Vec<String>,
}

/// A checked destination: the URL and the addresses it resolved to (pinned, so the
/// connection goes to the address that was checked — no DNS rebinding).
#[derive(Debug, Clone)]
pub(crate) struct Destination {
    pub(crate) url: String,
    pub(crate) host: String,
    pub(crate) addrs: Vec<SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum EgressError {
    #[error("host `{host}` is not in the egress allow-list (`[egress] allow_hosts`)")]
    NotAllowed { host: String },
    #[error("host `{host}` resolves to {addr}, an address the service never sends to")]
    Forbidden { host: String, addr: IpAddr },
    #[error("{0}")]
    BadUrl(String),
    #[error("cannot resolve host `{host}`: {reason}")]
    Resolve { host: String, reason: String },
}

/// Cloud metadata services (AWS, GCP and Azure share the first; AWS over IPv6; Alibaba).
const METADATA: [IpAddr; 3] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
];

/// Why an address is never a destination, whatever the allow-list says.
fn forbidden(addr: IpAddr) -> Option<&'static str> {
    // An IPv4-mapped IPv6 address is the IPv4 address.
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    };
    if METADATA.contains(&addr) {
        return Some("cloud metadata");
    }
    match addr {
        IpAddr::V4(v4) if v4.is_unspecified() => Some("unspecified"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("broadcast"),
        IpAddr::V4(v4) if v4.is_multicast() => Some("multicast"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("link-local"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("unspecified"),
        IpAddr::V6(v6) if v6.is_multicast() => Some("multicast"),
        IpAddr::V6(v6) if v6.is_unicast_link_local() => Some("link-local"),
        _ => None,
    }
}

fn normalize(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

impl EgressPolicy {
    pub(crate) fn new(allow_hosts: &[String]) -> Self {
        let mut policy = EgressPolicy {
            exact: Vec::new(),
            suffixes: Vec::new(),
        };
        for entry in allow_hosts {
            match entry.trim().strip_prefix("*.") {
                Some(suffix) if !suffix.is_empty() => {
                    policy.suffixes.push(format!(".{}", normalize(suffix)));
                }
                _ => {
                    let host = normalize(entry);
                    // IP literals in their canonical form, as URLs are compared.
                    policy.exact.push(match host.parse::<IpAddr>() {
                        Ok(ip) => ip.to_string(),
                        Err(_) => host,
                    });
                }
            }
        }
        policy.exact.retain(|h| !h.is_empty());
        policy
    }

    /// Whether `host` (as in a URL) is on the allow-list. A wildcard entry matches names
    /// below its suffix, not the suffix itself, and never an IP literal.
    pub(crate) fn allows(&self, host: &str) -> bool {
        let host = normalize(host);
        if self.exact.contains(&host) {
            return true;
        }
        host.parse::<IpAddr>().is_err()
            && self
                .suffixes
                .iter()
                .any(|s| host.ends_with(s.as_str()) && host.len() > s.len())
    }

    /// Checks one destination before any connection: scheme http or https; no userinfo;
    /// the host equals an allow-list entry or matches a `*.suffix` entry (case-insensitive,
    /// IP literals compared as written); then resolves the host and refuses if ANY
    /// resolved address is unspecified, multicast, broadcast, link-local (169.254.0.0/16,
    /// fe80::/10), or a cloud metadata address (169.254.169.254, fd00:ec2::254,
    /// 100.100.100.200) — these are refused even when allow-listed. Loopback and private
    /// addresses are accepted only because the host was allow-listed by name or literal.
    pub(crate) async fn check(&self, url: &str) -> Result<Destination, EgressError> {
        let parsed = Url::parse(url.trim())
            .map_err(|e| EgressError::BadUrl(format!("`{url}` is not a valid URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(EgressError::BadUrl(format!(
                "the scheme must be http or https, not `{}`",
                parsed.scheme()
            )));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(EgressError::BadUrl(
                "the URL must not carry a user name or password".into(),
            ));
        }
        let host = match parsed.host_str().map(normalize) {
            Some(host) if !host.is_empty() => match host.parse::<IpAddr>() {
                Ok(ip) => ip.to_string(),
                Err(_) => host,
            },
            _ => return Err(EgressError::BadUrl("the URL has no host".into())),
        };
        if !self.allows(&host) {
            return Err(EgressError::NotAllowed { host });
        }
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| EgressError::BadUrl("the URL has no port".into()))?;
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| EgressError::Resolve {
                    host: host.clone(),
                    reason: e.to_string(),
                })?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(EgressError::Resolve {
                host,
                reason: "no address".into(),
            });
        }
        if let Some(bad) = addrs.iter().find(|a| forbidden(a.ip()).is_some()) {
            return Err(EgressError::Forbidden {
                host,
                addr: bad.ip(),
            });
        }
        Ok(Destination {
            url: parsed.to_string(),
            host,
            addrs,
        })
    }
}

impl Destination {
    /// A client that connects only to `addrs`, follows no redirects, with `timeout`.
    pub(crate) fn client(&self, timeout: Duration) -> reqwest::Client {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("web3audit/", env!("CARGO_PKG_VERSION")));
        // An IP literal is connected to as written; a name only to the checked addresses.
        let builder = if self.host.parse::<IpAddr>().is_ok() {
            builder
        } else {
            builder.resolve_to_addrs(&self.host, &self.addrs)
        };
        // Building fails only when the TLS backend cannot start at all, which no
        // configuration or input can cause.
        builder
            .build()
            .expect("the outbound HTTP client builds (TLS backend available)")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn policy(hosts: &[&str]) -> EgressPolicy {
        EgressPolicy::new(&hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn metadata_and_link_local_are_refused_even_when_listed() {
        let p = policy(&[
            "169.254.169.254",
            "169.254.1.2",
            "100.100.100.200",
            "[fd00:ec2::254]",
            "fe80::1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::ffff:169.254.169.254",
        ]);
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://169.254.1.2/",
            "http://100.100.100.200/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://0.0.0.0:8080/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[::ffff:169.254.169.254]/",
        ] {
            match p.check(url).await {
                Err(EgressError::Forbidden { .. }) => {}
                other => panic!("{url}: expected Forbidden, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn names_not_listed_are_refused() {
        let p = policy(&["hooks.example.com", "127.0.0.1"]);
        for url in [
            "http://localhost/",
            "http://example.com/",
            "http://hooks.example.com.evil.test/",
            "http://127.0.0.2/",
            "http://[::1]/",
        ] {
            match p.check(url).await {
                Err(EgressError::NotAllowed { .. }) => {}
                other => panic!("{url}: expected NotAllowed, got {other:?}"),
            }
        }
        assert!(matches!(
            policy(&[]).check("http://127.0.0.1/").await,
            Err(EgressError::NotAllowed { .. })
        ));
    }

    #[tokio::test]
    async fn bad_urls_are_refused_before_the_list() {
        let p = policy(&["localhost", "127.0.0.1"]);
        for url in [
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "http://user:pw@127.0.0.1/",
            "http://user@127.0.0.1/",
            "not a url",
        ] {
            match p.check(url).await {
                Err(EgressError::BadUrl(_)) => {}
                other => panic!("{url}: expected BadUrl, got {other:?}"),
            }
        }
    }

    #[test]
    fn wildcards_match_names_below_the_suffix_only() {
        let p = policy(&["*.Example.org", "Hooks.Example.COM", "::1"]);
        assert!(p.allows("a.example.org"));
        assert!(p.allows("deep.a.EXAMPLE.org"));
        assert!(!p.allows("example.org"));
        assert!(!p.allows("badexample.org"));
        assert!(!p.allows("example.org.evil.test"));
        assert!(p.allows("hooks.example.com"));
        assert!(p.allows("[::1]"));
        assert!(!policy(&["*.0.0.1"]).allows("127.0.0.1"));
    }

    #[tokio::test]
    async fn listed_names_resolve_and_are_pinned() {
        let p = policy(&["localhost", "127.0.0.1"]);
        let d = p.check("http://LOCALHOST:9/hook?x=1").await.unwrap();
        assert_eq!(d.host, "localhost");
        assert!(!d.addrs.is_empty());
        assert!(
            d.addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 9)
        );
        let d = p.check("https://127.0.0.1/h").await.unwrap();
        assert_eq!(d.addrs, ["127.0.0.1:443".parse().unwrap()]);
    }

    /// A server that answers `/` with a redirect to `/target` and counts hits on it.
    async fn redirecting_server() -> (SocketAddr, Arc<AtomicUsize>) {
        use axum::routing::get;
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let app = axum::Router::new()
            .route(
                "/",
                get(|| async {
                    (
                        axum::http::StatusCode::FOUND,
                        [(axum::http::header::LOCATION, "/target")],
                    )
                }),
            )
            .route(
                "/target",
                get(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async { "reached" }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (addr, hits)
    }

    #[tokio::test]
    async fn the_client_connects_to_the_pinned_address_and_follows_no_redirect() {
        let (addr, hits) = redirecting_server().await;
        // The name does not resolve anywhere: only the pinned address can be reached.
        let d = Destination {
            url: format!("http://receiver.invalid:{}/", addr.port()),
            host: "receiver.invalid".into(),
            addrs: vec![addr],
        };
        let response = d
            .client(Duration::from_secs(5))
            .get(&d.url)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::FOUND);
        assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
    }
}
