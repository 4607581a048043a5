//! Integration tests against local HTTP servers that speak each provider's wire format.

mod budget_cache;
mod common;
mod config;
mod errors;
mod injection;
mod providers;
