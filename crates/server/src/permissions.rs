//! Permissions as data: the permissions, the built-in roles as named sets of them
//! (`roles.toml`, embedded), tenants' own roles (stored), API-key scopes, and the
//! permission every API route needs ([`ROUTES`]).
//!
//! A credential's permissions are its role's; an API key with scopes has only those of
//! its scopes its role also grants, and a key owned by a user never more than that user
//! has now (a key loses what its owner loses). Every API route is in [`ROUTES`]: the
//! credential extractor checks the route's permission before anything else of the request
//! is read, and a route missing from the table is refused (a test checks the table against
//! the router).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The built-in roles and the permissions, as data.
const ROLES: &str = include_str!("../roles.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    permissions: BTreeMap<String, String>,
    roles: BTreeMap<String, RoleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    permissions: Vec<String>,
}

struct Catalog {
    /// Permission names in order, with what each allows.
    permissions: Vec<(String, String)>,
    roles: BTreeMap<String, Permissions>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let file: RolesFile =
            toml::from_str(ROLES).expect("the embedded roles parse (checked by a test)");
        let permissions: Vec<(String, String)> = file.permissions.into_iter().collect();
        assert!(permissions.len() <= 64, "at most 64 permissions");
        let index = |name: &str| {
            permissions
                .iter()
                .position(|(p, _)| p == name)
                .unwrap_or_else(|| panic!("role permission `{name}` is not a permission"))
        };
        let roles = file
            .roles
            .into_iter()
            .map(|(name, role)| {
                let bits = role
                    .permissions
                    .iter()
                    .fold(0u64, |bits, p| bits | 1 << index(p));
                (name, Permissions(bits))
            })
            .collect();
        Catalog { permissions, roles }
    })
}

/// A set of permissions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions(u64);

impl Permissions {
    /// Every permission.
    pub fn all() -> Self {
        Permissions((1u64 << catalog().permissions.len()) - 1)
    }

    /// The set of `names`; the first unknown name is the error.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut bits = 0;
        for name in names {
            let name = name.as_ref();
            let index = catalog()
                .permissions
                .iter()
                .position(|(p, _)| p == name)
                .ok_or_else(|| format!("`{}` is not a permission", name.escape_debug()))?;
            bits |= 1 << index;
        }
        Ok(Permissions(bits))
    }

    pub fn contains(self, name: &str) -> bool {
        catalog()
            .permissions
            .iter()
            .position(|(p, _)| p == name)
            .is_some_and(|index| self.0 & (1 << index) != 0)
    }

    pub fn intersect(self, other: Permissions) -> Permissions {
        Permissions(self.0 & other.0)
    }

    pub fn is_subset_of(self, other: Permissions) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn names(self) -> Vec<&'static str> {
        catalog()
            .permissions
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, (p, _))| p.as_str())
            .collect()
    }
}

/// Every permission with what it allows.
pub fn catalogue() -> Vec<(&'static str, &'static str)> {
    catalog()
        .permissions
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_str()))
        .collect()
}

/// The permissions of a built-in role.
pub fn builtin(role: &str) -> Option<Permissions> {
    catalog().roles.get(role).copied()
}

pub const BUILTIN_ROLES: [&str; 3] = ["viewer", "auditor", "admin"];

/// The permission each API route needs: `(method, path as routed, permission)`;
/// `None` is any credential of the tenant (its own account, the OpenAPI document).
pub const ROUTES: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/api/v1/openapi.json", None),
    ("GET", "/api/v1/me", None),
    ("POST", "/api/v1/me/second-factor", None),
    ("DELETE", "/api/v1/me/second-factor", None),
    ("POST", "/api/v1/me/second-factor/confirm", None),
    (
        "PUT",
        "/api/v1/tenants/{id}/second-factor-policy",
        Some("user.manage"),
    ),
    (
        "DELETE",
        "/api/v1/users/{id}/second-factor",
        Some("user.manage"),
    ),
    ("POST", "/api/v1/api-keys/{id}/rotate", Some("key.manage")),
    ("POST", "/api/v1/audits", Some("audit.submit")),
    ("GET", "/api/v1/audits", Some("audit.read")),
    ("GET", "/api/v1/audits/{id}", Some("audit.read")),
    ("POST", "/api/v1/audits/{id}/cancel", Some("audit.submit")),
    ("GET", "/api/v1/audits/{id}/findings", Some("audit.read")),
    ("GET", "/api/v1/audits/{id}/report", Some("report.export")),
    ("GET", "/api/v1/findings/{id}", Some("audit.read")),
    (
        "POST",
        "/api/v1/findings/{id}/triage",
        Some("finding.triage"),
    ),
    (
        "GET",
        "/api/v1/findings/{id}/suggestions",
        Some("audit.read"),
    ),
    (
        "POST",
        "/api/v1/findings/{id}/suggestions",
        Some("assistant.use"),
    ),
    ("GET", "/api/v1/tenants/{id}/assistant", None),
    (
        "PUT",
        "/api/v1/tenants/{id}/assistant",
        Some("tenant.manage"),
    ),
    ("GET", "/api/v1/tenants", Some("tenant.manage")),
    ("POST", "/api/v1/tenants", Some("tenant.manage")),
    ("GET", "/api/v1/tenants/{id}", Some("tenant.manage")),
    ("PATCH", "/api/v1/tenants/{id}", Some("tenant.manage")),
    ("GET", "/api/v1/users", Some("user.manage")),
    ("POST", "/api/v1/users", Some("user.manage")),
    ("PATCH", "/api/v1/users/{id}", Some("user.manage")),
    ("DELETE", "/api/v1/users/{id}/sessions", Some("user.manage")),
    ("GET", "/api/v1/roles", None),
    ("POST", "/api/v1/roles", Some("user.manage")),
    ("DELETE", "/api/v1/roles/{name}", Some("user.manage")),
    ("GET", "/api/v1/api-keys", Some("key.manage")),
    ("POST", "/api/v1/api-keys", Some("key.manage")),
    ("DELETE", "/api/v1/api-keys/{id}", Some("key.manage")),
    ("GET", "/api/v1/audit-log", Some("trail.read")),
    ("GET", "/api/v1/webhooks", Some("webhook.manage")),
    ("POST", "/api/v1/webhooks", Some("webhook.manage")),
    ("GET", "/api/v1/webhooks/{id}", Some("webhook.manage")),
    ("PATCH", "/api/v1/webhooks/{id}", Some("webhook.manage")),
    ("DELETE", "/api/v1/webhooks/{id}", Some("webhook.manage")),
    ("POST", "/api/v1/webhooks/{id}/test", Some("webhook.manage")),
    (
        "GET",
        "/api/v1/webhooks/{id}/deliveries",
        Some("webhook.manage"),
    ),
    ("GET", "/api/v1/alerts", Some("alert.manage")),
    ("GET", "/api/v1/alerts/{id}", Some("alert.manage")),
    ("POST", "/api/v1/alerts/{id}/ack", Some("alert.manage")),
    ("GET", "/api/v1/monitors", Some("monitor.read")),
    ("POST", "/api/v1/monitors", Some("monitor.manage")),
    ("GET", "/api/v1/monitors/{id}", Some("monitor.read")),
    ("PATCH", "/api/v1/monitors/{id}", Some("monitor.manage")),
    ("DELETE", "/api/v1/monitors/{id}", Some("monitor.manage")),
    ("GET", "/api/v1/monitors/{id}/events", Some("monitor.read")),
    ("GET", "/api/v1/incidents", Some("incident.read")),
    ("GET", "/api/v1/incidents/{id}", Some("incident.read")),
    ("PATCH", "/api/v1/incidents/{id}", Some("incident.manage")),
    (
        "POST",
        "/api/v1/incidents/{id}/comments",
        Some("incident.manage"),
    ),
];

/// The route's entry: `Some(None)` for any credential, `None` when the route is not in
/// the table.
pub fn route_permission(method: &str, path: &str) -> Option<Option<&'static str>> {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, permission)| *permission)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_nest_and_every_route_names_a_permission() {
        let viewer = builtin("viewer").unwrap();
        let auditor = builtin("auditor").unwrap();
        let admin = builtin("admin").unwrap();
        assert!(viewer.is_subset_of(auditor) && auditor.is_subset_of(admin));
        assert_eq!(admin, Permissions::all());
        assert!(auditor.contains("finding.triage") && !viewer.contains("finding.triage"));
        for (_, _, permission) in ROUTES {
            if let Some(p) = permission {
                assert!(Permissions::from_names(&[p]).is_ok(), "{p}");
            }
        }
        assert_eq!(
            Permissions::from_names(&["audit.read", "nope"]),
            Err("`nope` is not a permission".into())
        );
        let scoped = Permissions::from_names(&["audit.read", "report.export"]).unwrap();
        assert_eq!(
            scoped.intersect(viewer).names(),
            ["audit.read", "report.export"]
        );
    }
}
