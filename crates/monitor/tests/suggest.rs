//! `monitor::suggest`: monitors derived from the analysis of Solidity fixtures, checked by
//! rule (name, kind, level), loaded back with `monitor::load`, and snapshotted as TOML.

use std::collections::BTreeMap;

use alloy_primitives::Address;
use chain::proxy::ProxyKind;
use monitor::config::{MonitorFile, RuleKind};
use monitor::suggest::{self, Request, SuggestError, Suggestion, Unit};
use syntax::FileId;

/// Suggests from one fixture file of `tests/fixtures/suggest`.
fn suggest_from(fixture: &str, request: &Request) -> Result<Suggestion, SuggestError> {
    let path = format!(
        "{}/tests/fixtures/suggest/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("the fixture exists");
    let parse = syntax::parse(&text);
    assert!(parse.diagnostics().is_empty(), "{:?}", parse.diagnostics());
    let inputs = [semantics::SourceInput {
        file: FileId(0),
        parse: &parse,
        imports: &[],
    }];
    let model = semantics::Model::build(&inputs);
    let unit = Unit {
        model: &model,
        texts: BTreeMap::from([(FileId(0), text.as_str())]),
        files: None,
    };
    suggest::suggest(&unit, request)
}

fn mainnet() -> Request {
    Request {
        chain_id: 1,
        ..Request::default()
    }
}

/// The TOML of a suggestion, checked to load as a monitor file.
fn loaded(suggestion: &Suggestion) -> String {
    let text = suggestion.to_toml("a fixture");
    let file = monitor::load(&text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(file, suggestion.file, "the file reads back as written");
    text
}

/// `(monitor, rule, kind, level)` of every rule, in file order.
fn rules(file: &MonitorFile) -> Vec<(String, String, RuleKind, String)> {
    file.monitors
        .iter()
        .flat_map(|m| {
            m.rules
                .iter()
                .map(|r| (m.name.clone(), r.name.clone(), r.kind, r.level.clone()))
        })
        .collect()
}

fn rule<'f>(file: &'f MonitorFile, name: &str) -> &'f monitor::config::RuleSpec {
    file.monitors
        .iter()
        .flat_map(|m| &m.rules)
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

fn row(
    monitor: &str,
    name: &str,
    kind: RuleKind,
    level: &str,
) -> (String, String, RuleKind, String) {
    (monitor.into(), name.into(), kind, level.into())
}

#[test]
fn ownable_vault_watches_ownership_pausing_privileged_calls_and_ether() {
    let suggestion = suggest_from("OwnableVault.sol", &mainnet()).unwrap();
    let text = loaded(&suggestion);
    // Ownable and Pausable are bases of Vault: one monitor.
    assert_eq!(
        rules(&suggestion.file),
        [
            row(
                "Vault",
                "event-ownership-transferred",
                RuleKind::Event,
                "critical"
            ),
            row(
                "Vault",
                "balance-drop-native",
                RuleKind::BalanceDrop,
                "high"
            ),
            row("Vault", "call-set-fee", RuleKind::Call, "high"),
            row("Vault", "call-sweep", RuleKind::Call, "high"),
            row("Vault", "event-paused", RuleKind::Event, "high"),
            row("Vault", "event-unpaused", RuleKind::Event, "high"),
            row("Vault", "call-withdraw", RuleKind::Call, "medium"),
        ]
    );
    let set_fee = rule(&suggestion.file, "call-set-fee");
    assert_eq!(
        set_fee.function.as_deref(),
        Some("function setFee(uint256 newFee)")
    );
    let description = set_fee.description.as_deref().unwrap();
    assert!(description.contains("`onlyOwner`"), "{description}");
    assert!(description.contains("`fee`"), "{description}");
    assert_eq!(
        rule(&suggestion.file, "event-ownership-transferred")
            .event
            .as_deref(),
        Some("event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)")
    );
    assert!(
        suggestion.file.monitors[0].contracts[0].address
            == "0x0000000000000000000000000000000000000000"
    );
    assert!(
        !text.contains("\nwhen = "),
        "conditions are left to the reviewer"
    );
    insta::assert_snapshot!("ownable_vault", text);
}

#[test]
fn access_control_token_watches_roles_mint_and_supply() {
    let suggestion = suggest_from("RoleToken.sol", &mainnet()).unwrap();
    let text = loaded(&suggestion);
    assert_eq!(
        rules(&suggestion.file),
        [
            row(
                "RoleToken",
                "event-role-admin-changed",
                RuleKind::Event,
                "critical"
            ),
            row(
                "RoleToken",
                "event-role-granted",
                RuleKind::Event,
                "critical"
            ),
            row(
                "RoleToken",
                "event-role-revoked",
                RuleKind::Event,
                "critical"
            ),
            row("RoleToken", "call-mint", RuleKind::Call, "high"),
            row("RoleToken", "call-set-cap", RuleKind::Call, "high"),
            row("RoleToken", "supply-change", RuleKind::SupplyChange, "high"),
        ]
    );
    let mint = rule(&suggestion.file, "call-mint");
    assert!(
        mint.description
            .as_deref()
            .unwrap()
            .contains("`onlyRole(MINTER_ROLE)`"),
        "{mint:?}"
    );
    insta::assert_snapshot!("role_token", text);
}

#[test]
fn proxies_watch_their_slots_and_upgrade_events() {
    let suggestion = suggest_from("Upgradeable.sol", &mainnet()).unwrap();
    let text = loaded(&suggestion);
    assert_eq!(
        rules(&suggestion.file),
        [
            row(
                "AdminProxy",
                "event-admin-changed",
                RuleKind::Event,
                "critical"
            ),
            row("AdminProxy", "event-upgraded", RuleKind::Event, "critical"),
            row(
                "AdminProxy",
                "slot-eip1967-admin",
                RuleKind::SlotChange,
                "critical"
            ),
            row(
                "AdminProxy",
                "slot-eip1967-implementation",
                RuleKind::SlotChange,
                "critical"
            ),
            row("UUPSCounter", "call-initialize", RuleKind::Call, "critical"),
            row("UUPSCounter", "event-upgraded", RuleKind::Event, "critical"),
            row(
                "UUPSCounter",
                "slot-eip1967-implementation",
                RuleKind::SlotChange,
                "critical"
            ),
        ]
    );
    assert_eq!(
        rule(&suggestion.file, "slot-eip1967-admin").slot.as_deref(),
        Some("0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103")
    );
    // The check of the inherited `upgradeToAndCall` is in the override of the contract.
    let uups = &suggestion.file.monitors[1];
    let upgraded = uups
        .rules
        .iter()
        .find(|r| r.name == "event-upgraded")
        .unwrap();
    assert!(
        upgraded
            .description
            .as_deref()
            .unwrap()
            .contains("`upgradeToAndCall` (`_authorizeUpgrade` → `onlyOwner`)"),
        "{upgraded:?}"
    );
    insta::assert_snapshot!("upgradeable", text);
}

#[test]
fn nothing_privileged_gives_no_monitor() {
    let suggestion = suggest_from("Counter.sol", &mainnet()).unwrap();
    assert!(suggestion.file.monitors.is_empty());
    assert_eq!(suggestion.notes.len(), 1, "{:?}", suggestion.notes);
    assert!(suggestion.notes[0].contains("`Counter`: nothing to watch"));
    let text = loaded(&suggestion);
    insta::assert_snapshot!("counter", text);
}

#[test]
fn the_address_chain_and_proxy_go_into_the_monitor() {
    let address: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
        .parse()
        .unwrap();
    let request = Request {
        contracts: vec!["UUPSCounter".into()],
        address: Some(address),
        chain_id: 31337,
        rpc: vec!["http://127.0.0.1:8545".into()],
        proxy: Some(ProxyKind::Eip1967 {
            admin: Some(Address::repeat_byte(7)),
        }),
    };
    let suggestion = suggest_from("Upgradeable.sol", &request).unwrap();
    loaded(&suggestion);
    let monitor = &suggestion.file.monitors[0];
    assert_eq!(monitor.chain_id, 31337);
    assert_eq!(monitor.rpc, ["http://127.0.0.1:8545"]);
    assert_eq!(
        monitor.contracts[0].address,
        "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    );
    // The admin slot comes from the chain: the implementation's source does not use it.
    let names: Vec<&str> = monitor.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "call-initialize",
            "event-upgraded",
            "slot-eip1967-admin",
            "slot-eip1967-implementation"
        ]
    );
}

#[test]
fn requests_are_checked() {
    assert_eq!(
        suggest_from(
            "RoleToken.sol",
            &Request {
                contracts: vec!["Nope".into()],
                ..mainnet()
            }
        ),
        Err(SuggestError::UnknownContract {
            name: "Nope".into(),
            known: vec!["ERC20".into(), "RoleToken".into()],
        })
    );
    let error = suggest_from(
        "RoleToken.sol",
        &Request {
            contracts: vec!["AccessControl".into()],
            ..mainnet()
        },
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`AccessControl` is an abstract contract: it is never deployed on its own"
    );
    let error = suggest_from(
        "Upgradeable.sol",
        &Request {
            address: Some(Address::repeat_byte(1)),
            ..mainnet()
        },
    )
    .unwrap_err();
    assert!(
        matches!(error, SuggestError::AddressForSeveral { .. }),
        "{error}"
    );
    // A base named explicitly is covered on its own.
    let suggestion = suggest_from(
        "RoleToken.sol",
        &Request {
            contracts: vec!["ERC20".into()],
            ..mainnet()
        },
    )
    .unwrap();
    assert!(suggestion.file.monitors.is_empty(), "{:?}", suggestion.file);
}
