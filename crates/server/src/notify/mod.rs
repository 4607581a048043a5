//! Notifications the service sends out over HTTP (webhooks, alert channels), through
//! the egress guard ([`crate::egress`]), and e-mail (alert channels).

pub(crate) mod alerts;
pub(crate) mod webhooks;
