//! Notifications the service sends out over HTTP, through the egress guard
//! ([`crate::egress`]).

pub(crate) mod webhooks;
