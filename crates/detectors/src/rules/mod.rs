//! One file per detector.

pub(crate) mod arbitrary_send_eth;
pub(crate) mod arbitrary_storage_write;
pub(crate) mod arbitrary_transfer_from;
pub(crate) mod controlled_delegatecall;
pub(crate) mod default_visibility;
pub(crate) mod deprecated_construct;
pub(crate) mod ecrecover_zero;
pub(crate) mod floating_pragma;
pub(crate) mod misnamed_constructor;
pub(crate) mod signature_replay;
pub(crate) mod tx_origin_auth;
pub(crate) mod uninitialized_storage_pointer;
pub(crate) mod unprotected_initializer;
pub(crate) mod unprotected_selfdestruct;
pub(crate) mod unprotected_state_write;
