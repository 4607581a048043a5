//! The registry: every detector, sorted by id.

use crate::detector::Detector;
use crate::meta::DetectorMeta;
use crate::rules;
use crate::solana_rules::SolanaRule;

/// Every detector, sorted by id (a test keeps it so).
pub static REGISTRY: &[&dyn Detector] = &[
    &rules::arbitrary_approve::ArbitraryApprove,
    &rules::arbitrary_external_call::ArbitraryExternalCall,
    &rules::arbitrary_send_eth::ArbitrarySendEth,
    &rules::arbitrary_storage_write::ArbitraryStorageWrite,
    &rules::arbitrary_transfer_from::ArbitraryTransferFrom,
    &rules::array_delete_gap::ArrayDeleteGap,
    &rules::contract_check_bypass::ContractCheckBypass,
    &rules::controlled_delegatecall::ControlledDelegatecall,
    &rules::default_visibility::DefaultVisibility,
    &rules::delegatecall_in_loop::DelegatecallInLoop,
    &rules::deprecated_construct::DeprecatedConstruct,
    &rules::divide_before_multiply::DivideBeforeMultiply,
    &rules::dos_array_reset::DosArrayReset,
    &rules::dos_external_call_in_loop::DosExternalCallInLoop,
    &rules::dos_failed_payment::DosFailedPayment,
    &rules::dos_unbounded_loop::DosUnboundedLoop,
    &rules::ecrecover_zero::EcrecoverZero,
    &rules::encode_packed_collision::EncodePackedCollision,
    &rules::erc20_approve_race::Erc20ApproveRace,
    &rules::erc721_transfer_unchecked::Erc721TransferUnchecked,
    &rules::floating_pragma::FloatingPragma,
    &rules::gas_price_refund::GasPriceRefund,
    &rules::integer_overflow::IntegerOverflow,
    &rules::locked_ether::LockedEther,
    &rules::memory_copy_not_written::MemoryCopyNotWritten,
    &rules::misnamed_constructor::MisnamedConstructor,
    &rules::missing_slippage::MissingSlippage,
    &rules::msg_value_in_loop::MsgValueInLoop,
    &rules::oracle_stale_price::OracleStalePrice,
    &rules::phantom_permit::PhantomPermit,
    &rules::proxy_storage_collision::ProxyStorageCollision,
    &rules::reentrancy_benign::ReentrancyBenign,
    &rules::reentrancy_eth::ReentrancyEth,
    &rules::reentrancy_events::ReentrancyEvents,
    &rules::reentrancy_no_eth::ReentrancyNoEth,
    &rules::reentrancy_read_only::ReentrancyReadOnly,
    &rules::reentrancy_token_callback::ReentrancyTokenCallback,
    &rules::short_address::ShortAddress,
    &rules::signature_replay::SignatureReplay,
    &SolanaRule("solana-account-data-matching"),
    &SolanaRule("solana-account-revival"),
    &SolanaRule("solana-arbitrary-cpi"),
    &SolanaRule("solana-bump-seed-canonicalization"),
    &SolanaRule("solana-duplicate-mutable-accounts"),
    &SolanaRule("solana-missing-owner-check"),
    &SolanaRule("solana-missing-signer"),
    &SolanaRule("solana-pda-sharing"),
    &SolanaRule("solana-reinitialization"),
    &SolanaRule("solana-type-cosplay"),
    &SolanaRule("solana-unchecked-account-without-check"),
    &SolanaRule("solana-unchecked-arithmetic"),
    &SolanaRule("solana-unchecked-sysvar"),
    &rules::state_variable_shadowing::StateVariableShadowing,
    &rules::state_write_after_transfer::StateWriteAfterTransfer,
    &rules::strict_balance_equality::StrictBalanceEquality,
    &rules::struct_delete_mapping::StructDeleteMapping,
    &rules::timestamp_dependence::TimestampDependence,
    &rules::token_recovery_own_token::TokenRecoveryOwnToken,
    &rules::transient_lock_not_cleared::TransientLockNotCleared,
    &rules::transient_slot_injection::TransientSlotInjection,
    &rules::tx_order_dependence::TxOrderDependence,
    &rules::tx_origin_auth::TxOriginAuth,
    &rules::unchecked_arithmetic::UncheckedArithmetic,
    &rules::unchecked_erc20_transfer::UncheckedErc20Transfer,
    &rules::unchecked_low_level_call::UncheckedLowLevelCall,
    &rules::unchecked_send::UncheckedSend,
    &rules::uninitialized_implementation::UninitializedImplementation,
    &rules::uninitialized_storage_pointer::UninitializedStoragePointer,
    &rules::unprotected_initializer::UnprotectedInitializer,
    &rules::unprotected_selfdestruct::UnprotectedSelfdestruct,
    &rules::unprotected_state_write::UnprotectedStateWrite,
    &rules::unsafe_downcast::UnsafeDowncast,
    &rules::unused_return::UnusedReturn,
    &rules::unused_suppression::UnusedSuppression,
    &rules::vyper_compiler_advisory::VyperCompilerAdvisory,
    &rules::vyper_reentrancy_lock_bug::VyperReentrancyLockBug,
    &rules::weak_randomness::WeakRandomness,
];

/// All detectors in id order.
pub fn all() -> impl Iterator<Item = &'static dyn Detector> {
    REGISTRY.iter().copied()
}

/// The detector with this id, if any.
pub fn find(id: &str) -> Option<&'static dyn Detector> {
    REGISTRY.iter().copied().find(|d| d.meta().id == id)
}

/// Metadata of every detector, in id order.
pub fn metas() -> impl Iterator<Item = &'static DetectorMeta> {
    REGISTRY.iter().map(|d| d.meta())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_kebab_case() {
        let ids: Vec<&str> = metas().map(|m| m.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "registry ids must be unique and sorted");
        for id in ids {
            assert!(
                !id.is_empty()
                    && id.split('-').all(|part| !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "`{id}` is not kebab-case"
            );
        }
    }

    #[test]
    fn every_detector_documents_its_sections() {
        for meta in metas() {
            for section in [
                "## What it detects",
                "## Why it matters",
                "## Example",
                "## Recommendation",
            ] {
                assert!(
                    meta.doc.contains(section),
                    "`{}` lacks the section `{section}`",
                    meta.id
                );
            }
            assert!(
                !meta.title.is_empty()
                    && !meta.description.is_empty()
                    && !meta.recommendation.is_empty()
            );
            assert!(
                !meta.title.ends_with('.'),
                "`{}`: titles have no trailing period",
                meta.id
            );
        }
    }
}
