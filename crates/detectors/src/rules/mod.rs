//! One file per detector.

pub(crate) mod deprecated_construct;
pub(crate) mod divide_before_multiply;
pub(crate) mod encode_packed_collision;
pub(crate) mod erc20_approve_race;
pub(crate) mod floating_pragma;
pub(crate) mod integer_overflow;
pub(crate) mod locked_ether;
pub(crate) mod reentrancy_benign;
pub(crate) mod reentrancy_eth;
pub(crate) mod reentrancy_events;
pub(crate) mod reentrancy_no_eth;
pub(crate) mod reentrancy_read_only;
pub(crate) mod short_address;
pub(crate) mod state_variable_shadowing;
pub(crate) mod timestamp_dependence;
pub(crate) mod tx_order_dependence;
pub(crate) mod tx_origin_auth;
pub(crate) mod unchecked_arithmetic;
pub(crate) mod unsafe_downcast;
pub(crate) mod weak_randomness;
