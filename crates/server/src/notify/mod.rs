//! Outbound notifications of the service.

pub(crate) mod alerts;
