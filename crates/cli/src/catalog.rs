//! `web3audit detectors` and `web3audit explain`: the registry for people.

use std::fmt::Write as _;
use std::process::ExitCode;

use detectors::{DetectorMeta, registry};

#[derive(Debug, clap::Args)]
pub(crate) struct DetectorsArgs {
    /// Print the full catalog as Markdown (this is `docs/detectors.md`).
    #[arg(long, conflicts_with = "json")]
    markdown: bool,

    /// Print the catalog as JSON: one object per detector with its metadata.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// The detector id, e.g. `tx-origin-auth`.
    id: String,
}

pub(crate) fn list(args: &DetectorsArgs) -> ExitCode {
    let out = if args.markdown {
        catalog_markdown()
    } else if args.json {
        catalog_json()
    } else {
        catalog_table()
    };
    print!("{out}");
    ExitCode::SUCCESS
}

pub(crate) fn explain(args: &ExplainArgs) -> ExitCode {
    let bytecode = evm::detector(&args.id);
    match (registry::find(&args.id), bytecode) {
        (Some(detector), _) => {
            print!("{}", explain_text(detector.meta()));
            ExitCode::SUCCESS
        }
        (None, Some(info)) => {
            print!(
                "# {} ({})\n\n{}\n{}\n",
                info.title,
                info.id,
                bytecode_facts(info),
                info.description
            );
            ExitCode::SUCCESS
        }
        (None, None) => {
            eprintln!(
                "error: unknown detector `{}` (see `web3audit detectors`)",
                args.id
            );
            ExitCode::from(2)
        }
    }
}

fn catalog_json() -> String {
    let items: Vec<serde_json::Value> = registry::metas()
        .map(|m| {
            serde_json::json!({
                "id": m.id,
                "title": m.title,
                "severity": m.severity.as_str(),
                "confidence": m.confidence.as_str(),
                "category": m.category,
                "swc": m.swc,
                "languages": languages(m),
                "description": m.description,
                "recommendation": m.recommendation,
                "references": m.references,
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).unwrap_or_default();
    out.push('\n');
    out
}

fn catalog_table() -> String {
    let metas: Vec<&DetectorMeta> = registry::metas().collect();
    let width = metas.iter().map(|m| m.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for m in &metas {
        let _ = writeln!(
            out,
            "{:<width$}  {:<13}  {:<6}  {:<16}  {}",
            m.id,
            m.severity.as_str(),
            m.confidence.as_str(),
            m.category,
            m.title
        );
    }
    let bytecode = evm::detectors();
    let _ = writeln!(
        out,
        "\nBytecode detectors (scan 0xADDRESS of a contract without verified source):"
    );
    let width = bytecode.iter().map(|d| d.id.len()).max().unwrap_or(0);
    for d in bytecode {
        let _ = writeln!(
            out,
            "{:<width$}  {:<13}  {}",
            d.id,
            d.severity.as_str(),
            d.title
        );
    }
    let _ = writeln!(
        out,
        "\n{} source detectors and {} bytecode detectors; `web3audit explain ID` prints one's documentation",
        metas.len(),
        bytecode.len()
    );
    out
}

/// The header block of a bytecode detector.
fn bytecode_facts(info: &evm::DetectorInfo) -> String {
    format!(
        "- Severity: {}\n- Applies to: the runtime code of a deployed contract whose verified \
         source is not available (`web3audit scan 0xADDRESS`); findings name the function's \
         selector and the program counter\n",
        info.severity.as_str()
    )
}

/// The source languages a detector analyses.
fn languages(m: &DetectorMeta) -> Vec<&'static str> {
    let Some(d) = registry::find(m.id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if d.supports_solidity() {
        out.push("Solidity");
    }
    if d.supports_vyper() {
        out.push("Vyper");
    }
    if d.supports_solana() {
        out.push("Rust (Solana)");
    }
    out
}

/// The header block shared by `explain` and the Markdown catalog.
fn facts(m: &DetectorMeta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "- Languages: {}", languages(m).join(", "));
    let _ = writeln!(out, "- Severity: {}", m.severity);
    let _ = writeln!(out, "- Confidence: {}", m.confidence);
    let _ = writeln!(out, "- Category: {}", m.category);
    if let Some(swc) = m.swc {
        let _ = writeln!(out, "- SWC: {swc}");
    }
    out
}

fn references(m: &DetectorMeta) -> String {
    let mut out = String::new();
    if !m.references.is_empty() {
        out.push_str("\n## References\n");
        for r in m.references {
            let _ = writeln!(out, "- <{r}>");
        }
    }
    out
}

pub(crate) fn explain_text(m: &DetectorMeta) -> String {
    format!(
        "# {} ({})\n\n{}\n{}\n{}",
        m.title,
        m.id,
        facts(m),
        detectors::doc_markdown(m.doc).trim_end(),
        references(m)
    )
}

/// `docs/detectors.md`: generated from the registry; CI checks it is current.
fn catalog_markdown() -> String {
    let mut out = String::from(
        "# Detectors\n\n<!-- Generated by `web3audit detectors --markdown`; do not edit. -->\n\n\
         Severity and confidence are calibrated on real code: on the triage set of verified \
         mainnet contracts (`bench/triage/`), at least 80% of the high findings and 60% of the \
         medium ones are right, and a detector whose findings were mostly wrong there reports \
         at low severity (its text gives the measured figure). A detector may report a finding \
         below its default severity when the finding's shape is one that is rarely exploitable \
         (its text says when). Confidence, where measured, follows the detector's precision \
         on the triage set: `high` at least 80%, `medium` at least 50%, `low` less; detectors \
         the corpus gives too few findings to measure keep the confidence their fixtures and \
         benchmarks suggest (`docs/benchmarks.md`, section Precision).\n\n\
         Detectors that exist in both languages analyse Vyper modules (`.vy`) too, under the \
         same id: the *Languages* line of each says which. The `solana-*` detectors analyse \
         the Rust sources of Solana programs (Anchor and native Cargo packages; \
         `crates/solana`), one package at a time.\n\n\
         | id | title | severity | confidence | category | SWC | languages |\n|---|---|---|---|---|---|---|\n",
    );
    for m in registry::metas() {
        let _ = writeln!(
            out,
            "| [`{id}`](#{id}) | {} | {} | {} | {} | {} | {} |",
            m.title,
            m.severity,
            m.confidence,
            m.category,
            m.swc.unwrap_or(""),
            languages(m).join(", "),
            id = m.id
        );
    }
    for m in registry::metas() {
        let doc = detectors::doc_markdown(m.doc).replace("\n## ", "\n#### ");
        let doc = doc
            .strip_prefix("## ")
            .map_or(doc.clone(), |rest| format!("#### {rest}"));
        let refs = references(m).replace("\n## ", "\n#### ");
        let _ = write!(
            out,
            "\n## {id}\n\n**{}**\n\n{}\n{}{}",
            m.title,
            facts(m),
            doc.trim_end(),
            refs,
            id = m.id
        );
        out.push('\n');
    }
    out.push_str(
        "\n# Bytecode detectors\n\n\
         An address scan (`web3audit scan 0xADDRESS`) of a contract whose verified source is not \
         available analyzes its runtime code (`crates/evm`) with these detectors. Their access-\
         control findings are tried by simulation against the chain's state \
         (`docs/configuration.md`).\n\n| id | title | severity |\n|---|---|---|\n",
    );
    for info in evm::detectors() {
        let _ = writeln!(
            out,
            "| [`{id}`](#{id}) | {} | {} |",
            info.title,
            info.severity.as_str(),
            id = info.id
        );
    }
    for info in evm::detectors() {
        let _ = write!(
            out,
            "\n## {id}\n\n**{}**\n\n{}\n{}\n",
            info.title,
            bytecode_facts(info),
            info.description,
            id = info.id
        );
    }
    out
}
