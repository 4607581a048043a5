//! The verified source of a deployed implementation: fetched from a Sourcify-compatible
//! server or an Etherscan-compatible API, checked against the deployed code without
//! compiling, and run through the same source pipeline as `scan PATH`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use alloy_primitives::Address;
use project::{LoadOptions, Project};
use report::Report;
use verified::{Match, Provider, ProviderMatch, SourceBundle, SourcesConfig};

use crate::analysis::{self, AnalysisOptions};

/// Chain ids of local development nodes (Anvil, Hardhat, Ganache): no public provider
/// has their contracts.
const DEVELOPMENT_CHAINS: [u64; 2] = [31337, 1337];

/// What became of the verified source.
#[derive(Debug)]
pub(crate) enum SourceStatus {
    /// Fetched, checked and analyzed.
    Analyzed(Box<SourceAnalysis>),
    /// Every provider asked answered that the contract is not verified.
    NotVerified { providers: Vec<Provider> },
    /// Not asked for, and why.
    NotFetched { reason: String },
    /// A provider failed and none had the contract: the error, never "not verified".
    Failed { error: String },
}

/// The analysis of a verified source.
#[derive(Debug)]
pub(crate) struct SourceAnalysis {
    pub(crate) provider: Provider,
    pub(crate) provider_match: ProviderMatch,
    pub(crate) contract_name: Option<String>,
    pub(crate) compiler_version: Option<String>,
    /// The compile-free check of the sources against the deployed code.
    pub(crate) check: Match,
    /// The source scan's report, or why it could not be made.
    pub(crate) report: Result<Report, String>,
    /// The sources by path, for the simulation (function signatures).
    pub(crate) sources: BTreeMap<String, String>,
}

impl SourceStatus {
    /// One sentence for the report.
    pub(crate) fn describe(&self) -> String {
        match self {
            SourceStatus::Analyzed(analysis) => {
                let mut text = format!(
                    "verified on the {} ({})",
                    analysis.provider,
                    match analysis.provider_match {
                        ProviderMatch::Exact => "exact match",
                        ProviderMatch::Partial => "partial match",
                        ProviderMatch::Verified => "verified",
                    }
                );
                if let Some(name) = &analysis.contract_name {
                    text.push_str(&format!(", contract {name}"));
                }
                if let Some(version) = &analysis.compiler_version {
                    text.push_str(&format!(", compiler {version}"));
                }
                text
            }
            SourceStatus::NotVerified { providers } => {
                let names: Vec<String> = providers.iter().map(ToString::to_string).collect();
                format!(
                    "not verified ({} answered that it has no source): the bytecode was analyzed",
                    names.join(" and ")
                )
            }
            SourceStatus::NotFetched { reason } => {
                format!("not fetched: {reason}; the bytecode was analyzed")
            }
            SourceStatus::Failed { error } => {
                format!("could not be fetched ({error}): the bytecode was analyzed")
            }
        }
    }

    pub(crate) fn analysis(&self) -> Option<&SourceAnalysis> {
        match self {
            SourceStatus::Analyzed(analysis) => Some(analysis),
            _ => None,
        }
    }
}

/// Verified sources kept between scans, keyed by the chain, the address and the metadata
/// hash the deployed code embeds (so a redeployed or upgraded contract is a new key). Only
/// sources found are kept: "not verified" may change.
pub(crate) trait SourceCache: Send + Sync {
    fn get(&self, chain_id: u64, address: Address, metadata_hash: &str) -> Option<SourceBundle>;
    fn put(&self, chain_id: u64, address: Address, metadata_hash: &str, bundle: &SourceBundle);
}

/// Fetches, checks and analyzes the verified source of `implementation`, whose deployed
/// runtime code is `code`. `None` sources: the scan was asked not to fetch. With a
/// `cache`, sources found before for the same code are not fetched again.
pub(crate) fn analyze_verified(
    sources: Option<&SourcesConfig>,
    cache: Option<&dyn SourceCache>,
    chain_id: u64,
    implementation: Address,
    code: &[u8],
    options: &AnalysisOptions,
) -> SourceStatus {
    let Some(config) = sources else {
        return SourceStatus::NotFetched {
            reason: "bytecode only was asked for".into(),
        };
    };
    if *config == SourcesConfig::default() && DEVELOPMENT_CHAINS.contains(&chain_id) {
        return SourceStatus::NotFetched {
            reason: format!(
                "chain {chain_id} is a local development chain, unknown to the public providers \
                 (a [sources] table in the configuration names a server that knows it)"
            ),
        };
    }
    let providers = asked_providers(config);
    if providers.is_empty() {
        return SourceStatus::NotFetched {
            reason: "no provider is configured ([sources] has neither a Sourcify URL nor an \
                     explorer with a key)"
                .into(),
        };
    }
    // The cache needs the metadata hash: code built without one is always fetched.
    let metadata_hash = verified::parse_tail(code)
        .ok()
        .and_then(|tail| tail.hash)
        .map(|hash| hash.to_string());
    let cached = cache
        .zip(metadata_hash.as_deref())
        .and_then(|(cache, hash)| cache.get(chain_id, implementation, hash));
    if let Some(bundle) = cached {
        return SourceStatus::Analyzed(Box::new(analyze_bundle(bundle, code, options)));
    }
    match verified::fetch(config, chain_id, implementation) {
        Ok(Some(bundle)) => {
            if let Some((cache, hash)) = cache.zip(metadata_hash.as_deref()) {
                cache.put(chain_id, implementation, hash, &bundle);
            }
            SourceStatus::Analyzed(Box::new(analyze_bundle(bundle, code, options)))
        }
        Ok(None) => SourceStatus::NotVerified { providers },
        Err(error) => SourceStatus::Failed {
            error: error.to_string(),
        },
    }
}

/// The providers [`verified::fetch`] asks with `config`, in its order.
fn asked_providers(config: &SourcesConfig) -> Vec<Provider> {
    let mut providers = Vec::new();
    if !config.sourcify_url.is_empty() {
        providers.push(Provider::Sourcify);
    }
    if !config.etherscan_url.is_empty() && config.resolved_etherscan_key().is_some() {
        providers.push(Provider::Etherscan);
    }
    providers
}

/// Checks the bundle against the code and runs the source pipeline over it.
pub(crate) fn analyze_bundle(
    bundle: SourceBundle,
    code: &[u8],
    options: &AnalysisOptions,
) -> SourceAnalysis {
    let started = Instant::now();
    let check = verified::check(code, &bundle);
    let sources = bundle.project_sources();
    let project = Project::from_sources(sources.clone(), &LoadOptions::default());
    // Report::build fails only on an internal inconsistency: the scan keeps the chain
    // facts and says the source analysis failed.
    let model = analysis::build_model(&project, options.solc_version);
    let report = analysis::analyze_model(&project, &model, options, started)
        .map(|mut report| {
            if let Some(name) = &bundle.contract_name {
                let deployed = deployed_contracts(&model, name);
                if !deployed.is_empty() {
                    report.findings.retain(|finding| {
                        finding
                            .contract
                            .as_ref()
                            .is_none_or(|contract| deployed.contains(contract.as_str()))
                    });
                    report.summary =
                        report::Summary::of(report.findings.iter().map(|finding| finding.severity));
                }
            }
            report
        })
        .map_err(|error| format!("the source analysis failed: {error:#}"));
    SourceAnalysis {
        provider: bundle.provider,
        provider_match: bundle.match_status,
        contract_name: bundle.contract_name,
        compiler_version: bundle.compiler_version,
        check,
        report,
        sources,
    }
}

/// The names of the contracts whose code the deployed contract `name` holds: `name`, its
/// bases, and the libraries of the sources. Empty when no contract has that name.
fn deployed_contracts(model: &semantics::Model<'_>, name: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for id in model.contracts_named(name) {
        for &base in model.linearization(id) {
            names.insert(model.contract(base).name.to_string());
        }
    }
    if !names.is_empty() {
        for (_, info) in model.contracts() {
            if info.kind == syntax::ast::ContractKind::Library {
                names.insert(info.name.to_string());
            }
        }
    }
    names
}

/// The parameter list of function `name` declared at or before `line` (1-based) in
/// `text`, as written (`address newOwner, uint256 amount`), with what follows the list up
/// to the body (`external onlyOwner returns (bool)`). `None` when no declaration is found.
pub(crate) fn function_header(text: &str, name: &str, line: u32) -> Option<(String, String)> {
    let limit: usize = text
        .split_inclusive('\n')
        .take(line as usize)
        .map(str::len)
        .sum();
    let needle = format!("function {name}");
    let mut found = None;
    let mut from = 0;
    while let Some(offset) = text[from..].find(&needle) {
        let start = from + offset;
        if start > limit {
            break;
        }
        let after = &text[start + needle.len()..];
        let trimmed = after.trim_start();
        if trimmed.starts_with('(') {
            found = Some(start + needle.len() + (after.len() - trimmed.len()));
        }
        from = start + needle.len();
    }
    let open = found?;
    let mut depth = 0usize;
    for (index, ch) in text[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    let params = text[open + 1..open + index].trim().to_string();
                    let rest = &text[open + index + 1..];
                    let end = rest.find(['{', ';']).unwrap_or(rest.len());
                    return Some((params, rest[..end].trim().to_string()));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A cache in memory that counts its hits.
    #[derive(Default)]
    struct MemoryCache {
        entries: Mutex<BTreeMap<(u64, Address, String), SourceBundle>>,
        hits: Mutex<usize>,
    }

    impl SourceCache for MemoryCache {
        fn get(&self, chain_id: u64, address: Address, hash: &str) -> Option<SourceBundle> {
            let found = self
                .entries
                .lock()
                .unwrap()
                .get(&(chain_id, address, hash.to_string()))
                .cloned();
            *self.hits.lock().unwrap() += usize::from(found.is_some());
            found
        }

        fn put(&self, chain_id: u64, address: Address, hash: &str, bundle: &SourceBundle) {
            self.entries
                .lock()
                .unwrap()
                .insert((chain_id, address, hash.to_string()), bundle.clone());
        }
    }

    /// The deployed code and the metadata of the `OpenOwnership` fixture of the simulation
    /// tests.
    fn fixture() -> (Vec<u8>, String, String) {
        let all: serde_json::Value =
            serde_json::from_str(include_str!("../../../sim/tests/fixtures/fixtures.json"))
                .unwrap();
        let contract = &all["contracts"]["Ownership.sol:OpenOwnership"];
        let code =
            alloy_primitives::hex::decode(contract["deployed_bytecode"].as_str().unwrap()).unwrap();
        let metadata = contract["metadata"].as_str().unwrap().to_string();
        let source = include_str!("../../../sim/tests/fixtures/Ownership.sol").to_string();
        (code, metadata, source)
    }

    #[test]
    fn sources_found_before_for_the_same_code_are_not_fetched_again() {
        let (code, metadata, source) = fixture();
        let address = Address::repeat_byte(0x42);
        let hash = verified::parse_tail(&code)
            .unwrap()
            .hash
            .unwrap()
            .to_string();
        // Nothing answers there: a fetch fails.
        let config = SourcesConfig {
            sourcify_url: "http://127.0.0.1:1".into(),
            etherscan_url: String::new(),
            timeout_secs: 2,
            ..SourcesConfig::default()
        };
        let cache = MemoryCache::default();
        let options = AnalysisOptions::default();
        let status = analyze_verified(Some(&config), Some(&cache), 1, address, &code, &options);
        assert!(matches!(status, SourceStatus::Failed { .. }), "{status:?}");
        cache.put(
            1,
            address,
            &hash,
            &SourceBundle {
                files: vec![("Ownership.sol".into(), source)],
                contract_name: Some("OpenOwnership".into()),
                compiler_version: None,
                metadata: Some(metadata),
                metadata_form: verified::MetadataForm::Original,
                remappings: Vec::new(),
                provider: Provider::Sourcify,
                match_status: ProviderMatch::Exact,
            },
        );
        let status = analyze_verified(Some(&config), Some(&cache), 1, address, &code, &options);
        let analysis = status.analysis().expect("answered from the cache");
        assert!(analysis.check.is_exact(), "{}", analysis.check);
        assert_eq!(*cache.hits.lock().unwrap(), 1);
        // Another chain is another key.
        let status = analyze_verified(Some(&config), Some(&cache), 5, address, &code, &options);
        assert!(matches!(status, SourceStatus::Failed { .. }), "{status:?}");
    }

    #[test]
    fn finds_the_header_of_the_enclosing_function() {
        let text = "contract A {\n  function set(uint a) public {}\n  function setOwner(address payable who,\n    uint256 x) external onlyOwner returns (bool) {\n    owner = who;\n  }\n}\n";
        assert_eq!(
            function_header(text, "setOwner", 5),
            Some((
                "address payable who,\n    uint256 x".into(),
                "external onlyOwner returns (bool)".into()
            ))
        );
        assert_eq!(
            function_header(text, "set", 2),
            Some(("uint a".into(), "public".into()))
        );
        assert_eq!(function_header(text, "setOwner", 1), None);
        assert_eq!(function_header(text, "missing", 7), None);
        assert_eq!(function_header("function f(", "f", 1), None);
    }
}
