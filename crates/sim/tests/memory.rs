//! Simulations over an in-memory state (no node): the compiled fixtures run in the EVM,
//! revert reasons are decoded, arguments are synthesized, and read errors surface.

#[path = "support/memory.rs"]
mod memory;

use alloy_primitives::{Address, B256, Bytes, U256};
use memory::{Account, MemoryReader, address_word, runtime};
use sim::{
    CallRequest, Effect, Probe, RevertReason, SimError, Status, Verdict, confirm, selector,
    simulate,
};

const BLOCK: u64 = 100;
const ETH: u128 = 1_000_000_000_000_000_000;

fn owner() -> Address {
    Address::repeat_byte(0x0d)
}

fn target() -> Address {
    Address::repeat_byte(0xc0)
}

/// `name`'s runtime code at `target()` with `owner()` in slot 0 and `balance` wei.
fn reader_with(name: &str, balance: U256) -> MemoryReader {
    let mut reader = MemoryReader::new(BLOCK);
    let mut account = Account {
        code: runtime(name),
        balance,
        nonce: 1,
        ..Account::default()
    };
    account.storage.insert(U256::ZERO, address_word(owner()));
    reader.accounts.insert(target(), account);
    reader
}

fn call(data: Vec<u8>) -> CallRequest {
    CallRequest {
        from: Address::repeat_byte(0x77),
        to: target(),
        data: Bytes::from(data),
        value: U256::ZERO,
        gas_limit: CallRequest::DEFAULT_GAS_LIMIT,
    }
}

fn with_address(signature: &str, address: Address) -> Vec<u8> {
    let mut data = selector(signature).to_vec();
    data.extend_from_slice(address_word(address).as_slice());
    data
}

#[test]
fn a_require_message_is_decoded() {
    let reader = reader_with("GuardedOwnership", U256::ZERO);
    let outcome = simulate(
        &reader,
        BLOCK,
        call(with_address(
            "transferOwnership(address)",
            Address::repeat_byte(0x77),
        )),
    )
    .unwrap();
    let Status::Reverted { reason, .. } = &outcome.status else {
        panic!("expected a revert: {outcome:?}");
    };
    assert_eq!(
        *reason,
        RevertReason::Message("caller is not the owner".into())
    );
    assert!(outcome.storage_changes.is_empty());
    assert!(outcome.gas_used > 21_000);
}

#[test]
fn a_custom_error_is_decoded_with_its_argument() {
    let reader = reader_with("GuardedVault", U256::from(ETH));
    let mut data = selector("withdraw(uint256)").to_vec();
    data.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
    let outcome = simulate(&reader, BLOCK, call(data)).unwrap();
    let Status::Reverted { reason, .. } = &outcome.status else {
        panic!("expected a revert: {outcome:?}");
    };
    assert_eq!(
        reason.to_string(),
        format!(
            "custom error NotOwner(address) (0x{}) with {}",
            alloy_primitives::hex::encode(selector("NotOwner(address)")),
            format_args!(
                "data {}",
                Bytes::from(address_word(Address::repeat_byte(0x77)).to_vec())
            )
        )
    );
}

#[test]
fn a_compiler_panic_is_decoded() {
    // PackedAdmin keeps a uint64 counter in the low bytes of slot 1: at its maximum the
    // increment in setAdmin overflows.
    let mut reader = reader_with("PackedAdmin", U256::ZERO);
    let account = reader.accounts.get_mut(&target()).unwrap();
    let mut slot1 = [0u8; 32];
    slot1[24..].copy_from_slice(&u64::MAX.to_be_bytes());
    account.storage.insert(U256::from(1), B256::from(slot1));
    let outcome = simulate(
        &reader,
        BLOCK,
        call(with_address(
            "setAdmin(address)",
            Address::repeat_byte(0x77),
        )),
    )
    .unwrap();
    let Status::Reverted { reason, .. } = &outcome.status else {
        panic!("expected a revert: {outcome:?}");
    };
    assert_eq!(
        reason.to_string(),
        "Panic(0x11: arithmetic overflow or underflow)"
    );
}

#[test]
fn a_successful_call_reports_its_storage_and_balance_changes() {
    let reader = reader_with("OpenVault", U256::from(2 * ETH));
    let mut data = selector("withdraw(uint256)").to_vec();
    data.extend_from_slice(&U256::from(ETH / 2).to_be_bytes::<32>());
    let mut request = call(data);
    request.value = U256::ZERO;
    let outcome = simulate(&reader, BLOCK, request.clone()).unwrap();
    assert!(outcome.succeeded(), "{outcome:?}");
    let vault = outcome.balance_change(target()).unwrap();
    assert_eq!(vault.before, U256::from(2 * ETH));
    assert_eq!(vault.after, U256::from(3 * ETH / 2));
    let sender = outcome.balance_change(request.from).unwrap();
    assert_eq!(sender.after - sender.before, U256::from(ETH / 2));
    assert!(outcome.storage_changes.is_empty());

    // An owner change shows the slot with its old and new words.
    let reader = reader_with("OpenOwnership", U256::ZERO);
    let outcome = simulate(
        &reader,
        BLOCK,
        call(with_address(
            "transferOwnership(address)",
            Address::repeat_byte(0x77),
        )),
    )
    .unwrap();
    assert_eq!(outcome.storage_changes.len(), 1);
    let change = outcome.storage_changes[0];
    assert_eq!(change.account, target());
    assert_eq!(change.slot, U256::ZERO);
    assert_eq!(change.before, U256::from_be_bytes(address_word(owner()).0));
    assert_eq!(
        change.after,
        U256::from_be_bytes(address_word(Address::repeat_byte(0x77)).0)
    );
}

#[test]
fn the_sender_is_funded_for_the_value_it_sends() {
    // The sender has nothing on chain; the simulation gives it the value it sends.
    let reader = reader_with("OpenVault", U256::ZERO);
    let mut request = call(Vec::new());
    request.value = U256::from(3 * ETH);
    let outcome = simulate(&reader, BLOCK, request.clone()).unwrap();
    assert!(outcome.succeeded(), "{outcome:?}");
    assert_eq!(outcome.funding, U256::from(3 * ETH));
    let vault = outcome.balance_change(target()).unwrap();
    assert_eq!(vault.after, U256::from(3 * ETH));
    let sender = outcome.balance_change(request.from).unwrap();
    assert_eq!(
        (sender.before, sender.after),
        (U256::from(3 * ETH), U256::ZERO)
    );
}

#[test]
fn an_unguarded_owner_change_is_confirmed_from_the_signature() {
    let reader = reader_with("OpenOwnership", U256::ZERO);
    let verdict = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::signature(
            "transferOwnership(address)",
            Effect::PrivilegedWrite { slot: None },
        ),
    )
    .unwrap();
    let Verdict::Confirmed {
        evidence, attempt, ..
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        format!(
            "slot 0x0 changed from {} (owner() before the call) to {} (unprivileged caller)",
            owner(),
            attempt.caller
        )
    );
    assert_eq!(attempt.number, 1);
    assert_eq!(
        attempt.description,
        "transferOwnership(address) with address = the caller"
    );
    assert_eq!(
        attempt.calldata.as_ref(),
        with_address("transferOwnership(address)", attempt.caller).as_slice()
    );
    // The caller is fresh: nothing at that address in the state.
    assert!(!reader.accounts.contains_key(&attempt.caller));
}

#[test]
fn the_guarded_twin_is_not_reproduced_and_says_why() {
    let reader = reader_with("GuardedOwnership", U256::ZERO);
    let verdict = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::signature(
            "transferOwnership(address)",
            Effect::PrivilegedWrite {
                slot: Some(U256::ZERO),
            },
        ),
    )
    .unwrap();
    let Verdict::NotReproduced { reason, attempts } = verdict else {
        panic!("confirmed: {verdict:?}");
    };
    assert_eq!(
        reason,
        "reverted with \"caller is not the owner\" on the only attempt"
    );
    assert_eq!(attempts.len(), 1);
}

#[test]
fn withdrawal_arguments_go_from_the_balance_to_small_to_max() {
    // Guarded: every amount is tried and every one reverts with the custom error.
    let reader = reader_with("GuardedVault", U256::from(ETH));
    let verdict = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::signature("withdraw(uint256)", Effect::EtherOut),
    )
    .unwrap();
    let Verdict::NotReproduced { reason, attempts } = verdict else {
        panic!("confirmed: {verdict:?}");
    };
    let descriptions: Vec<&str> = attempts.iter().map(|a| a.description.as_str()).collect();
    assert_eq!(
        descriptions,
        vec![
            "withdraw(uint256) with number = the contract's balance (1000000000000000000 wei)",
            "withdraw(uint256) with number = 1",
            "withdraw(uint256) with number = the type's maximum",
        ]
    );
    assert_eq!(
        reason,
        format!(
            "reverted with custom error NotOwner(address) (0x{}) with data {} on every attempt (3)",
            alloy_primitives::hex::encode(selector("NotOwner(address)")),
            Bytes::from(address_word(attempts[0].caller).to_vec())
        )
    );

    // Unguarded but only the balance or less can leave: the first attempt does it.
    let reader = reader_with("OpenVault", U256::from(3 * ETH / 2));
    let verdict = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::signature("withdraw(uint256)", Effect::EtherOut),
    )
    .unwrap();
    let Verdict::Confirmed {
        evidence, attempt, ..
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        "1.5 ETH (1500000000000000000 wei) left the contract to the caller"
    );
    assert_eq!(attempt.number, 1);
}

#[test]
fn an_empty_vault_is_not_reproduced_with_the_reasons_of_each_attempt() {
    // With no ether a zero-amount withdrawal succeeds without effect; the others revert.
    let reader = reader_with("OpenVault", U256::ZERO);
    let verdict = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::signature("withdraw(uint256)", Effect::EtherOut),
    )
    .unwrap();
    let Verdict::NotReproduced { reason, .. } = verdict else {
        panic!("confirmed: {verdict:?}");
    };
    assert_eq!(
        reason,
        "the contract holds no ether at block 100; \
         attempt 1 (withdraw(uint256) with number = the contract's balance (0 wei)): succeeded without ether leaving the contract; \
         attempt 2 (withdraw(uint256) with number = 1): reverted with \"amount exceeds the balance\"; \
         attempt 3 (withdraw(uint256) with number = the type's maximum): reverted with \"amount exceeds the balance\""
    );
}

#[test]
fn a_bare_selector_is_tried_with_word_shapes() {
    let reader = reader_with("ExitVault", U256::from(2 * ETH));
    let verdict = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::selector(selector("emergencyExit(address,uint256)"), Effect::EtherOut),
    )
    .unwrap();
    let Verdict::Confirmed {
        evidence, attempt, ..
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        "2 ETH (2000000000000000000 wei) left the contract to the caller"
    );
    assert_eq!(
        attempt.description,
        format!(
            "selector 0x{} with two words: the caller's address, the contract's balance",
            alloy_primitives::hex::encode(selector("emergencyExit(address,uint256)"))
        )
    );
    assert_eq!(attempt.number, 5);
}

#[test]
fn a_packed_admin_is_found_through_its_getter() {
    let mut reader = reader_with("PackedAdmin", U256::ZERO);
    let account = reader.accounts.get_mut(&target()).unwrap();
    account.storage.clear();
    // slot 1: admin in bytes 4..24, then the uint64 counter (3).
    let mut slot1 = [0u8; 32];
    slot1[4..24].copy_from_slice(owner().as_slice());
    slot1[31] = 3;
    account.storage.insert(U256::from(1), B256::from(slot1));
    let verdict = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::selector(
            selector("setAdmin(address)"),
            Effect::PrivilegedWrite { slot: None },
        ),
    )
    .unwrap();
    let Verdict::Confirmed {
        evidence, attempt, ..
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        format!(
            "slot 0x1 changed: the address in bytes 4..24 went from {} (admin() before the call) to {} (unprivileged caller)",
            owner(),
            attempt.caller
        )
    );
    assert_eq!(attempt.number, 2);
}

#[test]
fn selfdestruct_is_confirmed_and_the_code_stays_since_cancun() {
    let reader = reader_with("Killable", U256::from(ETH));
    let verdict = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::signature("kill()", Effect::CodeDestroyed),
    )
    .unwrap();
    let Verdict::Confirmed {
        evidence,
        attempt,
        outcome,
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        format!(
            "SELFDESTRUCT ran in the contract, sending 1 ETH (1000000000000000000 wei) to {} (unprivileged caller); \
             the code stays (since Cancun SELFDESTRUCT only removes contracts created in the same transaction)",
            attempt.caller
        )
    );
    assert_eq!(outcome.balance_change(target()).unwrap().after, U256::ZERO);
}

#[test]
fn read_errors_and_bad_input_are_precise_errors() {
    let mut reader = reader_with("OpenOwnership", U256::ZERO);
    reader.failing_storage = Some("connection refused".into());
    let error = simulate(
        &reader,
        BLOCK,
        call(with_address(
            "transferOwnership(address)",
            Address::repeat_byte(0x77),
        )),
    )
    .unwrap_err();
    assert!(matches!(error, SimError::Read(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "reading storage slot 0x0 of {} at block {BLOCK}: memory: connection refused",
            target()
        )
    );

    // A block the reader does not hold.
    let reader = reader_with("OpenOwnership", U256::ZERO);
    let error = simulate(&reader, BLOCK + 1, call(Vec::new())).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "reading code of {} at block {}: block {} is not held",
            Address::repeat_byte(0x77),
            BLOCK + 1,
            BLOCK + 1
        )
    );

    // No code at the target.
    let error = confirm(
        &reader,
        BLOCK,
        Address::repeat_byte(0x99),
        Probe::signature("kill()", Effect::CodeDestroyed),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{} has no code at block {BLOCK}",
            Address::repeat_byte(0x99)
        )
    );

    // A signature that is not one.
    let error = confirm(
        &reader,
        BLOCK,
        target(),
        Probe::signature("transferOwnership(adress)", Effect::EtherOut),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "signature \"transferOwnership(adress)\": unknown type \"adress\""
    );
}

#[test]
fn reads_are_cached_across_the_attempts_of_a_run() {
    let reader = reader_with("GuardedVault", U256::from(ETH));
    let mut simulator = sim::Simulator::new(&reader, BLOCK).unwrap();
    simulator
        .confirm(
            target(),
            &Probe::signature("withdraw(uint256)", Effect::EtherOut),
        )
        .unwrap();
    let after_first = reader.reads.get();
    assert_eq!(after_first, simulator.reads());
    simulator
        .confirm(
            target(),
            &Probe::signature("withdraw(uint256)", Effect::EtherOut),
        )
        .unwrap();
    assert_eq!(
        reader.reads.get(),
        after_first,
        "the second run read nothing new"
    );
}

#[test]
fn a_withdrawal_smaller_than_the_fee_is_still_traced_to_the_caller() {
    // One wei leaves while the caller pays far more in gas at a 1 gwei base fee: the
    // caller still counts as the receiver once its fee is added back.
    let reader = reader_with("OpenVault", U256::from(1));
    let mut environment = sim::BlockEnvironment::from_reader(&reader, BLOCK).unwrap();
    environment.basefee = 1_000_000_000;
    environment.timestamp = 1_700_000_000;
    let mut simulator = sim::Simulator::with_environment(&reader, environment);
    let verdict = simulator
        .confirm(
            target(),
            &Probe::signature("withdraw(uint256)", Effect::EtherOut),
        )
        .unwrap();
    let Verdict::Confirmed {
        evidence, outcome, ..
    } = verdict
    else {
        panic!("not confirmed: {verdict:?}");
    };
    assert_eq!(
        evidence,
        "0.000000000000000001 ETH (1 wei) left the contract to the caller"
    );
    assert_eq!(outcome.gas_price, 1_000_000_000);
    assert!(outcome.fee() > U256::from(1));
}
