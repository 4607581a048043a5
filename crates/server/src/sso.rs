//! OpenID Connect sign-in for the dashboard (single sign-on through a tenant's identity
//! provider).
//!
//! The flow is the authorization code flow with PKCE (S256), `state` and `nonce`:
//! - [`start`] discovers the provider (its metadata and signing keys, cached per node),
//!   stores the sign-in under way (`sso_logins`: the state's hash, the nonce, the PKCE
//!   verifier and the hash of a cookie that binds it to the browser) and gives the
//!   authorization URL;
//! - [`finish`] takes the callback: the state must be one this service issued, unspent,
//!   unexpired and started by the same browser; it is spent before the code is exchanged
//!   (a replayed callback is refused here, whatever the provider does with the code). The
//!   ID token's signature is checked against the provider's keys (asymmetric algorithms
//!   only: never `none`, never one keyed with the client secret), then its issuer,
//!   audience, expiry and nonce. A key id the cached key set does not hold fetches the key
//!   set again once (the provider rotated its keys).
//! - The account: the provider's subject is linked to one user of the provider's tenant,
//!   created on its first sign-in (just in time). The role follows the group-to-role
//!   mapping on every sign-in: the first mapping whose group the ID token's group claim
//!   lists. Someone in no mapped group is refused, and an account they already had is
//!   disabled with its sessions revoked (its API keys stop with it): removal at the
//!   provider takes effect at the next sign-in.
//!
//! Every refusal is a [`SsoError`] with a precise message, recorded in the audit trail as
//! a failed `login` (`via: "sso"`); nothing else changes. All requests to the provider go
//! through the egress guard (the issuer's host must be allow-listed; pinned addresses, no
//! redirects).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use assistant::KeySource;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::dashboard::session::{new_token, token_hash};
use crate::egress::EgressPolicy;
use crate::error::ApiError;
use crate::state::AppState;
use crate::timestamp::now_ms;

/// How long a sign-in may take at the provider.
pub(crate) const LOGIN_TTL_SECS: u64 = 600;
/// How long provider metadata and keys are used before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// The shortest time between two fetches for an unknown key id (a token with a made-up
/// `kid` must not make the service hammer the provider).
const REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(10);
/// Requests to the provider time out after this.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Answers from the provider larger than this are refused.
const MAX_RESPONSE_BYTES: usize = 1 << 20;
/// The password hash of accounts created by single sign-on: not a hash, so no password
/// ever matches it and such accounts sign in through their provider only.
pub(crate) const NO_PASSWORD: &str = "!sso";

/// `[sso.NAME]`: one identity provider of one tenant.
///
/// ```toml
/// [sso.acme]
/// tenant = "TENANT_ID"
/// label = "Acme staff"                      # the sign-in button: "Sign in with Acme staff"
/// issuer = "https://login.acme.example"     # its host must be in [egress] allow_hosts
/// client_id = "web3audit"
/// client_secret = { env = "ACME_OIDC_SECRET" } # or { file = "/run/secrets/acme" }; none: a public client
/// allowed_domains = ["acme.example"]        # e-mail domains accepted; empty: any
/// groups_claim = "groups"                   # the ID-token claim listing the user's groups
/// scopes = ["groups"]                       # asked for besides openid, email and profile
/// roles = [
///   { group = "security-leads", role = "admin" },  # the first match wins
///   { group = "auditors", role = "auditor" },
/// ]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    pub tenant: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub issuer: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<KeySource>,
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub roles: Vec<GroupRole>,
}

fn default_groups_claim() -> String {
    "groups".into()
}

/// One entry of a provider's group-to-role mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRole {
    pub group: String,
    pub role: String,
}

impl ProviderSettings {
    /// What the sign-in button says.
    pub(crate) fn label<'a>(&'a self, name: &'a str) -> &'a str {
        self.label.as_deref().unwrap_or(name)
    }

    /// Checks what can be checked without the network; `public_url` is the service's.
    pub(crate) fn validate(
        &self,
        name: &str,
        public_url: Option<&str>,
        egress: &EgressPolicy,
    ) -> Result<(), String> {
        if name.is_empty()
            || name.len() > 40
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(
                "the name must be 1 to 40 lower-case letters, digits or `-` (it is part of the callback URL)"
                    .into(),
            );
        }
        if public_url.is_none() {
            return Err(
                "`public_url` must be set: the provider sends browsers back to PUBLIC_URL/login/sso/NAME/callback"
                    .into(),
            );
        }
        if self.tenant.trim().is_empty() {
            return Err("`tenant` must name the tenant its users belong to".into());
        }
        let issuer =
            reqwest::Url::parse(&self.issuer).map_err(|e| format!("`issuer` is not a URL: {e}"))?;
        let host = issuer.host_str().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match issuer.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(
                    "`issuer` must be an https URL (plain http only on this machine)".into(),
                );
            }
        }
        if !egress.allows(&host.trim_matches(['[', ']']).to_ascii_lowercase()) {
            return Err(format!(
                "the issuer's host `{host}` is not in `[egress] allow_hosts`"
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err("`client_id` must not be empty".into());
        }
        if let Some(source) = &self.client_secret {
            assistant::resolve_key(source).map_err(|e| format!("client_secret: {e}"))?;
        }
        if self.groups_claim.trim().is_empty() {
            return Err("`groups_claim` must not be empty".into());
        }
        if self.roles.is_empty() {
            return Err(
                "`roles` must map at least one group to a role, or nobody could sign in".into(),
            );
        }
        if let Some(bad) = self
            .roles
            .iter()
            .find(|r| r.group.is_empty() || r.role.is_empty())
        {
            return Err(format!(
                "`roles`: group `{}` and role `{}` must both be given",
                bad.group.escape_debug(),
                bad.role.escape_debug()
            ));
        }
        if let Some(bad) = self
            .allowed_domains
            .iter()
            .find(|d| d.is_empty() || d.contains(['@', ' ', '/']))
        {
            return Err(format!(
                "`allowed_domains`: `{}` is not a domain",
                bad.escape_debug()
            ));
        }
        Ok(())
    }
}

/// Why a single sign-on was refused. The message is shown on the sign-in page and
/// recorded in the audit trail.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SsoError {
    #[error("there is no single sign-on provider `{0}`")]
    UnknownProvider(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Provider(String),
    #[error("the sign-in answer has no `{0}`")]
    MissingParameter(&'static str),
    #[error("this sign-in was not started here, or it was started more than 10 minutes ago")]
    UnknownState,
    #[error("this sign-in was started in another browser")]
    WrongBrowser,
    #[error("this sign-in was already completed once: a replayed answer is refused")]
    Replayed,
    #[error("this sign-in took more than 10 minutes; start again")]
    Expired,
    #[error("cannot reach the identity provider: {0}")]
    Unreachable(String),
    #[error("the identity provider's token endpoint refused the code: {0}")]
    Exchange(String),
    #[error("the identity provider sent no ID token")]
    NoIdToken,
    #[error("the ID token is refused: {0}")]
    InvalidToken(String),
    #[error("the account has no e-mail address in the ID token")]
    NoEmail,
    #[error("the e-mail address `{0}` is not verified by the identity provider")]
    UnverifiedEmail(String),
    #[error("the e-mail domain of `{0}` is not allowed for this provider")]
    DomainNotAllowed(String),
    #[error("the ID token has no `{0}` claim (the groups that map to roles)")]
    GroupsMissing(String),
    #[error("the ID token's `{0}` claim is not a list of group names")]
    GroupsWrongType(String),
    #[error("none of the account's groups at the identity provider maps to a role here")]
    NoMappedGroup,
    #[error("the role `{0}` mapped to the account's group does not exist in the tenant")]
    UnknownRole(String),
    #[error("the account `{0}` is disabled")]
    Disabled(String),
    #[error("another account already uses the e-mail address `{0}`")]
    EmailTaken(String),
    #[error("{}", .0.detail)]
    Internal(ApiError),
}

impl From<ApiError> for SsoError {
    fn from(error: ApiError) -> Self {
        SsoError::Internal(error)
    }
}

impl From<store::StoreError> for SsoError {
    fn from(error: store::StoreError) -> Self {
        SsoError::Internal(error.into())
    }
}

impl SsoError {
    /// A short, stable name for the audit trail.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            SsoError::UnknownProvider(_) => "unknown provider",
            SsoError::Provider(_) => "provider error",
            SsoError::MissingParameter(_) => "missing parameter",
            SsoError::UnknownState => "unknown state",
            SsoError::WrongBrowser => "wrong browser",
            SsoError::Replayed => "replayed",
            SsoError::Expired => "expired",
            SsoError::Unreachable(_) => "provider unreachable",
            SsoError::Exchange(_) => "code exchange failed",
            SsoError::NoIdToken => "no id token",
            SsoError::InvalidToken(_) => "invalid id token",
            SsoError::NoEmail => "no email",
            SsoError::UnverifiedEmail(_) => "unverified email",
            SsoError::DomainNotAllowed(_) => "domain not allowed",
            SsoError::GroupsMissing(_) => "groups claim missing",
            SsoError::GroupsWrongType(_) => "groups claim wrong type",
            SsoError::NoMappedGroup => "no mapped group",
            SsoError::UnknownRole(_) => "unknown role",
            SsoError::Disabled(_) => "account disabled",
            SsoError::EmailTaken(_) => "email taken",
            SsoError::Internal(_) => "internal error",
        }
    }
}

/// Provider metadata (with its key set) per provider, as discovered by this node.
#[derive(Default)]
pub(crate) struct Discovery {
    cache: tokio::sync::Mutex<HashMap<String, Discovered>>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Discovery")
    }
}

#[derive(Clone)]
struct Discovered {
    issuer: String,
    metadata: CoreProviderMetadata,
    fetched: Instant,
    /// When an unknown key id last made the service fetch again.
    forced: Option<Instant>,
}

/// Why a request to the provider failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct HttpError(String);

/// The HTTP client of the provider's requests: each through the egress guard.
struct Http<'a>(&'a EgressPolicy);

impl<'c> openidconnect::AsyncHttpClient<'c> for Http<'_> {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<openidconnect::HttpResponse, HttpError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(send(self.0, request))
    }
}

/// One request to the provider, through the egress guard.
async fn send(
    egress: &EgressPolicy,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let url = request.uri().to_string();
    let destination = egress
        .check(&url)
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    let client = destination.client(HTTP_TIMEOUT);
    let (parts, body) = request.into_parts();
    let mut response = client
        .request(parts.method, &destination.url)
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| HttpError(format!("{url}: {e}")))?;
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| HttpError(format!("{url}: {e}")))?
    {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HttpError(format!(
                "{url}: the answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    builder
        .body(bytes)
        .map_err(|e| HttpError(format!("{url}: {e}")))
}

impl Discovery {
    /// The provider's metadata: cached, or fetched when missing, older than an hour,
    /// or when `refresh` asks for it (an unknown key id) and the last fetch is not too
    /// recent.
    async fn metadata(
        &self,
        egress: &EgressPolicy,
        name: &str,
        provider: &ProviderSettings,
        refresh: bool,
    ) -> Result<CoreProviderMetadata, SsoError> {
        let mut cache = self.cache.lock().await;
        let mut forced = None;
        if let Some(found) = cache.get(name)
            && found.issuer == provider.issuer
        {
            forced = found.forced;
            let fresh = if refresh {
                forced.is_some_and(|at| at.elapsed() < REFRESH_MIN_INTERVAL)
            } else {
                found.fetched.elapsed() < METADATA_TTL
            };
            if fresh {
                return Ok(found.metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(provider.issuer.clone())
            .map_err(|e| SsoError::Unreachable(format!("the issuer is not a URL: {e}")))?;
        let http = Http(egress);
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| SsoError::Unreachable(describe_error(&e)))?;
        cache.insert(
            name.to_owned(),
            Discovered {
                issuer: provider.issuer.clone(),
                metadata: metadata.clone(),
                fetched: Instant::now(),
                forced: if refresh {
                    Some(Instant::now())
                } else {
                    forced
                },
            },
        );
        Ok(metadata)
    }
}

/// An error with its causes, one after another.
fn describe_error(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The signature algorithms an ID token may use: asymmetric ones only, so that neither
/// `none` nor a MAC keyed with the client secret (which the service shares with the
/// provider) passes.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

fn provider<'a>(state: &'a AppState, name: &str) -> Result<&'a ProviderSettings, SsoError> {
    state
        .settings
        .sso
        .get(name)
        .ok_or_else(|| SsoError::UnknownProvider(name.to_owned()))
}

fn redirect_url(state: &AppState, name: &str) -> Result<RedirectUrl, SsoError> {
    let base = state
        .settings
        .public_url
        .as_deref()
        .ok_or_else(|| SsoError::Internal(ApiError::internal("public_url is not set")))?;
    RedirectUrl::new(format!(
        "{}/login/sso/{name}/callback",
        base.trim_end_matches('/')
    ))
    .map_err(|e| SsoError::Internal(ApiError::internal(e)))
}

fn client_secret(provider: &ProviderSettings) -> Result<Option<ClientSecret>, SsoError> {
    provider
        .client_secret
        .as_ref()
        .map(|source| {
            assistant::resolve_key(source)
                .map(|secret| ClientSecret::new(secret.expose().to_owned()))
                .map_err(|e| SsoError::Internal(ApiError::internal(e)))
        })
        .transpose()
}

/// A sign-in begun: where to send the browser, and the cookie value that binds the
/// callback to it.
pub(crate) struct Started {
    pub authorize_url: String,
    pub browser_token: String,
}

/// Begins a sign-in with provider `name`.
pub(crate) async fn start(state: &AppState, name: &str) -> Result<Started, SsoError> {
    let provider = provider(state, name)?;
    let egress = EgressPolicy::new(&state.settings.egress_allow_hosts);
    let metadata = state.sso.metadata(&egress, name, provider, false).await?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        client_secret(provider)?,
    )
    .set_redirect_uri(redirect_url(state, name)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    for scope in &provider.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = request.url();
    let browser_token = new_token();
    let now = now_ms();
    state
        .store
        .create_sso_login(&store::SsoLogin {
            state_hash: token_hash(csrf.secret()),
            provider: name.to_owned(),
            browser_hash: token_hash(&browser_token),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            created_at: now,
            expires_at: now + LOGIN_TTL_SECS as i64 * 1000,
            used_at: None,
        })
        .await?;
    // Sign-ins never finished are of no use to anyone: sweep them now and then.
    if now % 16 == 0
        && let Err(error) = state.store.delete_expired_sso_logins(now).await
    {
        tracing::warn!(%error, "cannot delete expired single sign-on requests");
    }
    Ok(Started {
        authorize_url: url.to_string(),
        browser_token,
    })
}

/// What the provider sent the browser back with.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The issuer of the answer (RFC 9207), when the provider names it.
    pub iss: Option<String>,
}

/// A sign-in that passed: the account, as it now is.
pub(crate) struct SignedIn {
    pub user: store::User,
    pub created: bool,
}

/// Who a refusal is recorded against: the provider's subject once it is known.
pub(crate) struct Attempt {
    pub tenant_id: Option<String>,
    pub actor: String,
    /// Whether the refusal is one anyone can cause at will (before the provider issued
    /// a token for this sign-in), recorded at most once a minute per provider.
    pub throttled: bool,
}

/// Completes a sign-in with provider `name` from its callback. `browser` is the value
/// of the cookie [`start`] set. Every refusal is recorded before it is returned.
pub(crate) async fn finish(
    state: &AppState,
    name: &str,
    query: &CallbackQuery,
    browser: Option<&str>,
) -> Result<SignedIn, SsoError> {
    let mut attempt = Attempt::anonymous(state, name);
    let outcome = complete(state, name, query, browser, &mut attempt).await;
    if let Err(error) = &outcome {
        record_refusal(state, name, &attempt, error).await?;
    }
    outcome
}

/// Records a refused sign-in as a failed `login`. Before the provider issued a token for
/// the sign-in anyone can cause these at will, so those are throttled (at most one a
/// minute per provider); after it, each is recorded.
pub(crate) async fn record_refusal(
    state: &AppState,
    name: &str,
    attempt: &Attempt,
    error: &SsoError,
) -> Result<(), ApiError> {
    if let SsoError::Internal(internal) = error {
        tracing::error!(error = ?internal.internal, provider = name, "single sign-on failed");
    }
    let detail = json!({
        "via": "sso",
        "provider": name,
        "reason": error.reason(),
        "error": error.to_string(),
    });
    if attempt.throttled {
        state
            .record_throttled(
                attempt.tenant_id.as_deref(),
                &attempt.actor,
                "login",
                None,
                "failure",
                detail,
            )
            .await;
    } else {
        state
            .record(
                attempt.tenant_id.as_deref(),
                &attempt.actor,
                "login",
                None,
                "failure",
                detail,
            )
            .await?;
    }
    Ok(())
}

impl Attempt {
    /// An attempt with provider `name` by someone not yet known.
    pub(crate) fn anonymous(state: &AppState, name: &str) -> Self {
        Attempt {
            tenant_id: state.settings.sso.get(name).map(|p| p.tenant.clone()),
            actor: format!("sso:{name}"),
            throttled: true,
        }
    }
}

async fn complete(
    state: &AppState,
    name: &str,
    query: &CallbackQuery,
    browser: Option<&str>,
    attempt: &mut Attempt,
) -> Result<SignedIn, SsoError> {
    let provider = provider(state, name)?;
    if let Some(error) = &query.error {
        let text = match &query.error_description {
            Some(description) => format!("{error}: {description}"),
            None => error.clone(),
        };
        return Err(SsoError::Provider(text));
    }
    // An answer that names another issuer was meant for another provider (mix-up).
    if let Some(iss) = &query.iss
        && iss.trim_end_matches('/') != provider.issuer.trim_end_matches('/')
    {
        return Err(SsoError::InvalidToken(format!(
            "the answer comes from issuer `{}`, not this provider's",
            iss.escape_debug()
        )));
    }
    let code = query
        .code
        .as_deref()
        .ok_or(SsoError::MissingParameter("code"))?;
    let state_param = query
        .state
        .as_deref()
        .ok_or(SsoError::MissingParameter("state"))?;
    let state_hash = token_hash(state_param);
    let login = state
        .store
        .get_sso_login(&state_hash)
        .await?
        .filter(|l| l.provider == name)
        .ok_or(SsoError::UnknownState)?;
    if login.used_at.is_some() {
        return Err(SsoError::Replayed);
    }
    if now_ms() >= login.expires_at {
        return Err(SsoError::Expired);
    }
    let same_browser = browser.is_some_and(|b| {
        crate::dashboard::session::tokens_match(&login.browser_hash, &token_hash(b))
    });
    if !same_browser {
        return Err(SsoError::WrongBrowser);
    }
    if !state.store.spend_sso_login(&state_hash, now_ms()).await? {
        return Err(SsoError::Replayed);
    }

    let egress = EgressPolicy::new(&state.settings.egress_allow_hosts);
    let http = Http(&egress);
    let metadata = state.sso.metadata(&egress, name, provider, false).await?;
    let secret = client_secret(provider)?;
    let redirect = redirect_url(state, name)?;
    let client_for = |metadata| {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            secret.clone(),
        )
        .set_redirect_uri(redirect.clone())
    };
    let client = client_for(metadata);
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| SsoError::Exchange(describe_error(&e)))?
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| SsoError::Exchange(describe_error(&e)))?;
    attempt.throttled = false;
    let id_token = response.id_token().ok_or(SsoError::NoIdToken)?;
    let nonce = Nonce::new(login.nonce.clone());
    let verified = {
        let verifier = client.id_token_verifier().set_allowed_algs(ALLOWED_ALGS);
        match id_token.claims(&verifier, &nonce) {
            Ok(claims) => Ok(claims.clone()),
            Err(error) => Err(error),
        }
    };
    // A key id the cached set does not hold: the provider may have rotated its keys.
    let (claims, client) = match verified {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            let client = client_for(state.sso.metadata(&egress, name, provider, true).await?);
            let claims = {
                let verifier = client.id_token_verifier().set_allowed_algs(ALLOWED_ALGS);
                id_token
                    .claims(&verifier, &nonce)
                    .map_err(|e| SsoError::InvalidToken(token_error(&e)))?
                    .clone()
            };
            (claims, client)
        }
        Err(error) => return Err(SsoError::InvalidToken(token_error(&error))),
        Ok(claims) => (claims, client),
    };
    // The access token must be the one the ID token was issued with.
    if let Some(expected) = claims.access_token_hash() {
        let verifier = client.id_token_verifier().set_allowed_algs(ALLOWED_ALGS);
        let actual = id_token
            .signing_alg()
            .and_then(|alg| Ok((alg, id_token.signing_key(&verifier)?)))
            .map_err(|e| SsoError::InvalidToken(e.to_string()))
            .and_then(|(alg, key)| {
                AccessTokenHash::from_token(response.access_token(), alg, key)
                    .map_err(|e| SsoError::InvalidToken(e.to_string()))
            })?;
        if actual != *expected {
            return Err(SsoError::InvalidToken(
                "its access-token hash (`at_hash`) does not match the access token".into(),
            ));
        }
    }
    let subject = claims.subject().as_str().to_owned();
    attempt.actor = format!("sso:{name}:{subject}");

    // The claims the standard types do not carry (the groups), from the verified token.
    let raw = payload(&id_token.to_string())
        .ok_or_else(|| SsoError::InvalidToken("its payload is not a JSON object".into()))?;
    let email = claims
        .email()
        .map(|e| e.as_str().trim().to_ascii_lowercase())
        .filter(|e| e.contains('@'))
        .ok_or(SsoError::NoEmail)?;
    if claims.email_verified() == Some(false) {
        return Err(SsoError::UnverifiedEmail(email));
    }
    let domain = email.rsplit('@').next().unwrap_or_default();
    if !provider.allowed_domains.is_empty()
        && !provider
            .allowed_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    {
        return Err(SsoError::DomainNotAllowed(email));
    }
    let groups = groups(&raw, &provider.groups_claim)?;
    let identity = state.store.get_sso_identity(name, &subject).await?;
    let mapped = provider
        .roles
        .iter()
        .find(|r| groups.iter().any(|g| g == &r.group));
    let Some(mapped) = mapped else {
        if let Some(identity) = &identity {
            revoke_access(state, name, identity, &attempt.actor).await?;
        }
        return Err(SsoError::NoMappedGroup);
    };
    let known = crate::permissions::builtin(&mapped.role).is_some()
        || state
            .store
            .get_role(&provider.tenant, &mapped.role)
            .await?
            .is_some();
    if !known {
        return Err(SsoError::UnknownRole(mapped.role.clone()));
    }
    let now = now_ms();
    let (user, created) = match identity {
        Some(identity) => {
            let user = state
                .store
                .get_user(&identity.tenant_id, &identity.user_id)
                .await?
                .filter(|u| u.tenant_id == provider.tenant)
                .ok_or_else(|| SsoError::Disabled(email.clone()))?;
            if user.disabled {
                return Err(SsoError::Disabled(user.email));
            }
            let user = if user.role == mapped.role {
                user
            } else {
                let changed = state
                    .store
                    .update_user(
                        &user.tenant_id,
                        &user.id,
                        &store::UserUpdate {
                            role: Some(mapped.role.clone()),
                            ..store::UserUpdate::default()
                        },
                    )
                    .await?
                    .ok_or_else(|| SsoError::Disabled(email.clone()))?;
                state
                    .record(
                        Some(&changed.tenant_id),
                        &attempt.actor,
                        "user.updated",
                        Some(&changed.id),
                        "success",
                        json!({ "role": changed.role, "previous_role": user.role, "via": "sso", "provider": name, "group": mapped.group }),
                    )
                    .await?;
                changed
            };
            state.store.touch_sso_identity(name, &subject, now).await?;
            (user, false)
        }
        None => {
            if state.store.find_user_by_email(&email).await?.is_some() {
                return Err(SsoError::EmailTaken(email));
            }
            let user = store::User {
                id: crate::handlers::new_id(),
                tenant_id: provider.tenant.clone(),
                email: email.clone(),
                password_hash: NO_PASSWORD.into(),
                role: mapped.role.clone(),
                disabled: false,
                created_at: now,
            };
            match state.store.create_user(&user).await {
                Err(store::StoreError::Conflict(_)) => return Err(SsoError::EmailTaken(email)),
                other => other?,
            }
            state
                .store
                .create_sso_identity(&store::SsoIdentity {
                    provider: name.to_owned(),
                    subject: subject.clone(),
                    tenant_id: user.tenant_id.clone(),
                    user_id: user.id.clone(),
                    created_at: now,
                    last_sign_in_at: now,
                })
                .await?;
            state
                .record(
                    Some(&user.tenant_id),
                    &attempt.actor,
                    "user.created",
                    Some(&user.id),
                    "success",
                    json!({ "email": user.email, "role": user.role, "via": "sso", "provider": name, "group": mapped.group }),
                )
                .await?;
            (user, true)
        }
    };
    state
        .record(
            Some(&user.tenant_id),
            &format!("user:{}", user.id),
            "login",
            None,
            "success",
            json!({ "via": "sso", "provider": name, "subject": subject, "group": mapped.group, "role": user.role }),
        )
        .await?;
    Ok(SignedIn { user, created })
}

/// Someone no longer in any mapped group: their account is disabled (its API keys stop
/// with it) and its sessions revoked.
async fn revoke_access(
    state: &AppState,
    name: &str,
    identity: &store::SsoIdentity,
    actor: &str,
) -> Result<(), SsoError> {
    let update = store::UserUpdate {
        disabled: Some(true),
        ..store::UserUpdate::default()
    };
    let Some(user) = state
        .store
        .update_user(&identity.tenant_id, &identity.user_id, &update)
        .await?
    else {
        return Ok(());
    };
    let sessions = state
        .store
        .revoke_user_sessions(&user.tenant_id, &user.id, now_ms())
        .await?;
    state
        .record(
            Some(&user.tenant_id),
            actor,
            "user.updated",
            Some(&user.id),
            "success",
            json!({ "disabled": true, "via": "sso", "provider": name, "reason": "in no group mapped to a role", "sessions_revoked": sessions }),
        )
        .await?;
    Ok(())
}

/// The payload of a compact JWT as a JSON object (the token is already verified).
fn payload(token: &str) -> Option<serde_json::Map<String, Value>> {
    use base64::Engine;
    let part = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The group names of claim `claim`: a list of strings, nothing else.
fn groups(raw: &serde_json::Map<String, Value>, claim: &str) -> Result<Vec<String>, SsoError> {
    match raw.get(claim) {
        None | Some(Value::Null) => Err(SsoError::GroupsMissing(claim.to_owned())),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| SsoError::GroupsWrongType(claim.to_owned())),
        Some(_) => Err(SsoError::GroupsWrongType(claim.to_owned())),
    }
}

/// A verification failure in words.
fn token_error(error: &ClaimsVerificationError) -> String {
    match error {
        ClaimsVerificationError::Expired(_) => "it has expired".into(),
        ClaimsVerificationError::InvalidAudience(why) => {
            format!("it was not issued to this service (audience): {why}")
        }
        ClaimsVerificationError::InvalidIssuer(why) => {
            format!("it was issued by another issuer: {why}")
        }
        ClaimsVerificationError::InvalidNonce(_) => {
            "its nonce is not the one of this sign-in".into()
        }
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoSignature) => {
            "it is not signed (algorithm `none`)".into()
        }
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::DisallowedAlg(alg),
        ) => format!("it is signed with {alg}, an algorithm this service does not accept"),
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => "no key of the provider's key set matches its signature".into(),
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::CryptoError(_),
        ) => "its signature does not verify".into(),
        other => describe_error(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ProviderSettings {
        ProviderSettings {
            tenant: "t1".into(),
            label: None,
            issuer: "https://login.example.com".into(),
            client_id: "web3audit".into(),
            client_secret: None,
            allowed_domains: vec!["example.com".into()],
            groups_claim: "groups".into(),
            scopes: Vec::new(),
            roles: vec![GroupRole {
                group: "auditors".into(),
                role: "auditor".into(),
            }],
        }
    }

    #[test]
    fn providers_are_checked_before_start() {
        let egress = EgressPolicy::new(&["login.example.com".into(), "127.0.0.1".into()]);
        let url = Some("https://audit.example.com");
        assert_eq!(settings().validate("acme", url, &egress), Ok(()));
        let err = |s: ProviderSettings, name: &str, url: Option<&str>| {
            s.validate(name, url, &egress).unwrap_err()
        };
        assert!(err(settings(), "Acme", url).contains("lower-case"));
        assert!(err(settings(), "acme", None).contains("public_url"));
        let mut s = settings();
        s.issuer = "http://login.example.com".into();
        assert!(err(s, "acme", url).contains("https"));
        let mut s = settings();
        s.issuer = "http://127.0.0.1:9000".into();
        assert_eq!(s.validate("acme", url, &egress), Ok(()));
        let mut s = settings();
        s.issuer = "https://elsewhere.example.org".into();
        assert!(err(s, "acme", url).contains("allow_hosts"));
        let mut s = settings();
        s.roles.clear();
        assert!(err(s, "acme", url).contains("roles"));
        let mut s = settings();
        s.client_secret = Some(KeySource::Env("WEB3AUDIT_TEST_NO_SUCH_VARIABLE".into()));
        assert!(err(s, "acme", url).contains("WEB3AUDIT_TEST_NO_SUCH_VARIABLE"));
    }

    #[test]
    fn groups_must_be_a_list_of_names() {
        let raw = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            groups(&raw(json!({ "groups": ["a", "b"] })), "groups").unwrap(),
            ["a", "b"]
        );
        assert!(matches!(
            groups(&raw(json!({})), "groups"),
            Err(SsoError::GroupsMissing(_))
        ));
        assert!(matches!(
            groups(&raw(json!({ "groups": "a" })), "groups"),
            Err(SsoError::GroupsWrongType(_))
        ));
        assert!(matches!(
            groups(&raw(json!({ "groups": ["a", 1] })), "groups"),
            Err(SsoError::GroupsWrongType(_))
        ));
    }
}
