//! The egress guard: every outbound HTTP request of the service (webhooks, alert
//! channels) goes to an allow-listed host whose resolved addresses were checked, and
//! connects to exactly those addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Config: `[egress] allow_hosts = ["hooks.example.com", "*.example.org", "127.0.0.1"]`
/// (env WEB3AUDIT_EGRESS_ALLOW_HOSTS, comma-separated). Settings field:
/// `pub egress_allow_hosts: Vec<String>` in crates/server/src/config.rs. Empty = no
/// outbound HTTP allowed at all.
#[derive(Debug, Clone)]
pub(crate) struct EgressPolicy {
    allow_hosts: Vec<String>,
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
    #[error("host `{host}` is not in the egress allow-list ([egress] allow_hosts)")]
    NotAllowed { host: String },
    #[error("host `{host}` resolves to {addr}, an address outbound requests may never reach")]
    Forbidden { host: String, addr: IpAddr },
    #[error("invalid outbound URL: {0}")]
    BadUrl(String),
    #[error("cannot resolve `{host}`: {reason}")]
    Resolve { host: String, reason: String },
}

impl EgressPolicy {
    pub(crate) fn new(allow_hosts: &[String]) -> Self {
        EgressPolicy {
            allow_hosts: allow_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    /// Checks one destination before any connection (see the module documentation).
    pub(crate) async fn check(&self, url: &str) -> Result<Destination, EgressError> {
        let parsed =
            reqwest::Url::parse(url).map_err(|e| EgressError::BadUrl(format!("{url}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(EgressError::BadUrl(format!(
                "scheme `{}` is not http or https",
                parsed.scheme()
            )));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(EgressError::BadUrl(
                "credentials in the URL are not allowed".into(),
            ));
        }
        let host = match parsed.host_str() {
            Some(h) if !h.is_empty() => h
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase(),
            _ => return Err(EgressError::BadUrl(format!("{url} has no host"))),
        };
        if !self.allows(&host) {
            return Err(EgressError::NotAllowed { host });
        }
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| EgressError::BadUrl(format!("{url} has no port")))?;
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
                reason: "no addresses".into(),
            });
        }
        if let Some(addr) = addrs.iter().find(|a| is_forbidden(a.ip())) {
            return Err(EgressError::Forbidden {
                host,
                addr: addr.ip(),
            });
        }
        Ok(Destination {
            url: url.to_string(),
            host,
            addrs,
        })
    }

    fn allows(&self, host: &str) -> bool {
        let bare = host;
        self.allow_hosts.iter().any(|entry| {
            let entry = entry.trim_start_matches('[').trim_end_matches(']');
            match entry.strip_prefix("*.") {
                Some(suffix) => bare
                    .strip_suffix(suffix)
                    .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
                None => entry == bare,
            }
        })
    }
}

fn is_forbidden(ip: IpAddr) -> bool {
    const METADATA_V4: [Ipv4Addr; 2] = [
        Ipv4Addr::new(169, 254, 169, 254),
        Ipv4Addr::new(100, 100, 100, 200),
    ];
    const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
    match ip {
        IpAddr::V4(v4) => {
            v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_link_local()
                || METADATA_V4.contains(&v4)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6 == METADATA_V6
        }
    }
}

impl Destination {
    /// A client that connects only to `addrs`, follows no redirects, with `timeout`.
    pub(crate) fn client(&self, timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .resolve_to_addrs(&self.host, &self.addrs)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .no_proxy()
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    }
}
