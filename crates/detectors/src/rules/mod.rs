//! One file per detector.

pub(crate) mod deprecated_construct;
pub(crate) mod encode_packed_collision;
pub(crate) mod floating_pragma;
pub(crate) mod locked_ether;
pub(crate) mod reentrancy_benign;
pub(crate) mod reentrancy_eth;
pub(crate) mod reentrancy_events;
pub(crate) mod reentrancy_no_eth;
pub(crate) mod reentrancy_read_only;
pub(crate) mod short_address;
pub(crate) mod state_variable_shadowing;
pub(crate) mod tx_origin_auth;
