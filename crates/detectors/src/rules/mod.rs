//! One file per detector.

pub(crate) mod delegatecall_in_loop;
pub(crate) mod deprecated_construct;
pub(crate) mod dos_array_reset;
pub(crate) mod dos_external_call_in_loop;
pub(crate) mod dos_failed_payment;
pub(crate) mod dos_unbounded_loop;
pub(crate) mod floating_pragma;
pub(crate) mod msg_value_in_loop;
pub(crate) mod strict_balance_equality;
pub(crate) mod tx_origin_auth;
pub(crate) mod unchecked_erc20_transfer;
pub(crate) mod unchecked_low_level_call;
pub(crate) mod unchecked_send;
pub(crate) mod unused_return;
