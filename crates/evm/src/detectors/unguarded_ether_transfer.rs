//! ## What it detects
//! A `CALL` with a nonzero value to the caller or to an address from calldata, on a path
//! without a caller guard, whose amount is the contract's balance or comes from calldata, in
//! a function that neither reads nor writes a storage slot keyed by the caller. Also left
//! out: amounts computed from calldata and storage together (a quantity times a stored
//! price: a trade), and payments to an address from calldata in a function that writes a
//! slot keyed by calldata (the recipient's own account being settled). Paying back `msg.value` or the
//! caller's own mapping balance (a withdrawal) is not reported.
//!
//! ## Why it matters
//! Anyone can take the contract's ether.
//!
//! ## Example
//! ```solidity
//! function withdrawAll() external { payable(msg.sender).transfer(address(this).balance); }
//! ```
//!
//! ## Recommendation
//! Guard the payment, or pay only what the caller is owed.
//!
//! ## References
//! SWC-105 (Unprotected Ether Withdrawal)

use super::{DetectorInfo, Finding, Severity, finding};
use crate::{Analysis, CallKind, SlotKind, Source};

pub(super) const INFO: DetectorInfo = DetectorInfo {
    id: "bytecode-unguarded-ether-transfer",
    title: "Ether sent to an arbitrary caller",
    severity: Severity::High,
    description: "A CALL sends ether to the caller or to an address from calldata without any \
                  caller check, and the amount is the contract's balance or a calldata value \
                  rather than msg.value or the caller's own recorded balance: anyone can drain \
                  the contract.",
};

pub(super) fn check(analysis: &Analysis, out: &mut Vec<Finding>) {
    for function in &analysis.functions {
        // A function that reads or writes a slot keyed by the caller books what it pays,
        // before or after the payment.
        let facts = &function.facts;
        let keeps_caller_balance = facts
            .storage_reads
            .iter()
            .chain(&facts.storage_writes)
            .any(|a| a.kind == SlotKind::KeyedByCaller);
        for call in &function.facts.calls {
            if call.kind != CallKind::Call || call.guarded || call.after_caller_keyed_read {
                continue;
            }
            if keeps_caller_balance {
                continue;
            }
            let Some(value) = &call.value else { continue };
            let to_anyone = call.target.sources.contains(Source::Caller)
                || call.target.sources.contains(Source::Calldata);
            let amount = value.sources;
            // The whole balance, or a number the caller picks; a calldata quantity times a
            // stored price is a trade.
            let arbitrary_amount = (amount.contains(Source::Balance)
                || (amount.contains(Source::Calldata) && !amount.contains(Source::Storage)))
                && !amount.contains(Source::CallValue)
                && !amount.contains(Source::CallerKeyedStorage);
            // Paying an address from calldata what the function books against a slot keyed
            // by calldata (`balances[to] -= amount; to.transfer(amount)`) settles its account.
            let books_recipient = call.target.sources.contains(Source::Calldata)
                && facts
                    .storage_writes
                    .iter()
                    .any(|w| w.kind == SlotKind::KeyedByCalldata);
            if books_recipient {
                continue;
            }
            if to_anyone && value.constant.is_none_or(|k| !k.is_zero()) && arbitrary_amount {
                out.push(finding(
                    &INFO,
                    function,
                    call.pc,
                    "ether sent to an arbitrary address without a caller check",
                ));
            }
        }
    }
}
