//! Test detectors and sources shared by the integration tests. The findings are made by
//! hand: these tests do not depend on any real detector.

#![allow(dead_code, unreachable_pub)]

use detectors::{Confidence, DetectorMeta, FileId, Finding, Severity};
use report::{Report, SourceView, ToolInfo};
use syntax::{LineIndex, Span};

pub static REENTRANCY: DetectorMeta = DetectorMeta {
    id: "reentrancy-eth",
    title: "Reentrancy through an ETH transfer",
    severity: Severity::High,
    confidence: Confidence::Medium,
    swc: Some("SWC-107"),
    category: "reentrancy",
    description: "State is written after an external call that sends ETH",
    recommendation: "Write state before the call (checks-effects-interactions) or use a reentrancy guard",
    references: &["https://swcregistry.io/docs/SWC-107"],
    doc: "## What it detects\n\nAn external call that sends ETH, followed by a write to state.\n\n\
          ## Why it matters\n\nThe callee can re-enter before the state is updated.\n\n\
          ## Recommendation\n\nUpdate state before calling out.\n",
};

pub static TX_ORIGIN: DetectorMeta = DetectorMeta {
    id: "tx-origin-auth",
    title: "Authorization through `tx.origin`",
    severity: Severity::Critical,
    confidence: Confidence::High,
    swc: Some("SWC-115"),
    category: "access_control",
    description: "`tx.origin` is used to authorize a caller",
    recommendation: "Use `msg.sender`",
    references: &[],
    doc: "",
};

pub static UNCHECKED_SEND: DetectorMeta = DetectorMeta {
    id: "unchecked-send",
    title: "Unchecked `send` return value",
    severity: Severity::Low,
    confidence: Confidence::Low,
    swc: Some("SWC-104"),
    category: "unchecked_low_level_calls",
    description: "The boolean returned by `send` is ignored",
    recommendation: "Check the return value or use `transfer`",
    references: &[
        "https://swcregistry.io/docs/SWC-104",
        "https://docs.soliditylang.org/",
    ],
    doc: "",
};

pub static PRAGMA: DetectorMeta = DetectorMeta {
    id: "floating-pragma",
    title: "Floating pragma",
    severity: Severity::Informational,
    confidence: Confidence::High,
    swc: None,
    category: "other",
    description: "The compiler version is not pinned",
    recommendation: "Pin the compiler version",
    references: &[],
    doc: "",
};

pub static MEDIUM: DetectorMeta = DetectorMeta {
    id: "block-timestamp",
    title: "Dependence on `block.timestamp`",
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    swc: Some("SWC-116"),
    category: "time_manipulation",
    description: "A decision depends on `block.timestamp`",
    recommendation: "Do not use the timestamp for randomness or tight deadlines",
    references: &[],
    doc: "",
};

pub const ALL_RULES: [&DetectorMeta; 5] =
    [&TX_ORIGIN, &REENTRANCY, &UNCHECKED_SEND, &PRAGMA, &MEDIUM];

pub const BANK: &str = "\
pragma solidity ^0.8.0;

contract Bank {
    mapping(address => uint256) balances;
    address owner;

    function withdraw(uint256 amount) external {
        require(balances[msg.sender] >= amount);
        (bool ok, ) = msg.sender.call{value: amount}(\"\");
        require(ok);
        balances[msg.sender] -= amount;
    }

    function kill() external {
        require(tx.origin == owner);
        selfdestruct(payable(owner));
    }
}
";

pub const TOKEN: &str = "\
pragma solidity 0.8.20;

contract Token {
    function pay(address payable a, address payable b) external {
        a.send(1);
        b.send(1);
        if (block.timestamp > 100) { a.send(1); }
    }
}
";

/// The span of the `n`-th (from 0) occurrence of `needle` in `text`.
pub fn span_of(text: &str, needle: &str, n: usize) -> Span {
    let (lo, _) = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("`{needle}` #{n} not in text"));
    Span::new(lo as u32, (lo + needle.len()) as u32)
}

/// Owned sources with their line indices, to borrow [`SourceView`]s from.
pub struct Sources {
    files: Vec<(FileId, String, String, LineIndex)>,
}

impl Sources {
    pub fn new(files: &[(&str, &str)]) -> Self {
        let files = files
            .iter()
            .enumerate()
            .map(|(i, (path, text))| {
                (
                    FileId(i as u32),
                    (*path).to_owned(),
                    (*text).to_owned(),
                    LineIndex::new(text),
                )
            })
            .collect();
        Self { files }
    }

    pub fn views(&self) -> Vec<SourceView<'_>> {
        self.files
            .iter()
            .map(|(id, path, text, line_index)| SourceView {
                id: *id,
                path,
                text,
                line_index,
            })
            .collect()
    }

    pub fn text(&self, id: FileId) -> &str {
        &self.files[id.0 as usize].2
    }
}

pub fn tool() -> ToolInfo {
    ToolInfo::new("web3audit", "0.1.0").with_information_uri("https://example.com/web3audit")
}

/// The two test files, `src/Bank.sol` (file 0) and `src/Token.sol` (file 1).
pub fn bank_and_token() -> Sources {
    Sources::new(&[("src/Bank.sol", BANK), ("src/Token.sol", TOKEN)])
}

/// Findings over [`bank_and_token`], deliberately out of order.
pub fn sample_findings() -> Vec<Finding> {
    let bank = FileId(0);
    let token = FileId(1);
    vec![
        Finding::new(
            &UNCHECKED_SEND,
            token,
            span_of(TOKEN, "b.send(1)", 0),
            "return value of `send` is ignored",
        )
        .with_context(Some("Token"), Some("pay")),
        Finding::new(
            &TX_ORIGIN,
            bank,
            span_of(BANK, "tx.origin == owner", 0),
            "authorization through `tx.origin`",
        )
        .with_context(Some("Bank"), Some("kill")),
        Finding::new(
            &REENTRANCY,
            bank,
            span_of(BANK, "msg.sender.call{value: amount}(\"\")", 0),
            "external call before `balances` is written",
        )
        .with_context(Some("Bank"), Some("withdraw"))
        .with_secondary(
            bank,
            span_of(BANK, "balances[msg.sender] -= amount", 0),
            "state written after the call",
        )
        .with_secondary(
            token,
            span_of(TOKEN, "contract Token", 0),
            "a contract that could re-enter",
        ),
        Finding::new(
            &UNCHECKED_SEND,
            token,
            span_of(TOKEN, "a.send(1)", 0),
            "return value of `send` is ignored",
        )
        .with_context(Some("Token"), Some("pay")),
        Finding::new(
            &PRAGMA,
            bank,
            span_of(BANK, "pragma solidity ^0.8.0;", 0),
            "compiler version `^0.8.0` is not pinned",
        ),
        Finding::new(
            &MEDIUM,
            token,
            span_of(TOKEN, "block.timestamp > 100", 0),
            "branch on `block.timestamp`",
        )
        .with_context(Some("Token"), Some("pay")),
        Finding::new(
            &UNCHECKED_SEND,
            token,
            span_of(TOKEN, "a.send(1)", 1),
            "return value of `send` is ignored",
        )
        .with_context(Some("Token"), Some("pay")),
    ]
}

pub fn sample_report(sources: &Sources) -> Report {
    Report::build(&sources.views(), sample_findings(), &ALL_RULES, tool()).expect("all files known")
}
