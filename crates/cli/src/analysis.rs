//! The analysis pipeline shared by `scan` and the audit service: a loaded project in,
//! a report out.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;
use detectors::{FileContext, ProjectContext, Selection, Severity, VyperContext, VyperModule};
use project::{DiagnosticKind, DiagnosticLevel, Project, RustPackage};
use report::{InputDiagnostic, Report, ScanStats, SourceView, ToolInfo};

/// What to run and what to keep.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnalysisOptions {
    pub(crate) selection: Selection,
    pub(crate) min_severity: Option<Severity>,
    /// Overrides the version the pragmas admit (`--solc-version`).
    pub(crate) solc_version: Option<syntax::Version>,
    /// Severity per detector id, replacing the detector's (`[severity]` of the
    /// configuration file). Applies to findings and to the rules in the report.
    pub(crate) severity: BTreeMap<String, Severity>,
}

/// The tool as reports name it.
pub(crate) fn tool_info() -> ToolInfo {
    ToolInfo::new("web3audit", env!("CARGO_PKG_VERSION"))
}

/// Every loaded file as the report crate sees it.
pub(crate) fn source_views(project: &Project) -> Vec<SourceView<'_>> {
    project
        .files
        .iter()
        .map(|f| SourceView {
            id: f.id,
            path: &f.display_path,
            text: &f.text,
            line_index: &f.line_index,
        })
        .collect()
}

/// Runs the selected detectors over the reported files of `project` and builds the report.
pub(crate) fn analyze(
    project: &Project,
    options: &AnalysisOptions,
    started: Instant,
) -> Result<Report> {
    let model = build_model(project, options.solc_version);
    analyze_model(project, &model, options, started)
}

/// [`analyze`], with the other analyzers of `with` running at the same time over the
/// same files (the whole takes as long as the slowest) and their findings merged in; the
/// `min_severity` of `options` applies to the merged findings too.
pub(crate) fn analyze_with_tools(
    project: &Project,
    options: &AnalysisOptions,
    started: Instant,
    with: &[tools::ToolKind],
    config: &tools::ToolsConfig,
) -> Result<Report> {
    if with.is_empty() {
        return analyze(project, options, started);
    }
    let (report, results) = std::thread::scope(|scope| {
        let tools = scope.spawn(|| tools::run_tools(project, with, config));
        let report = analyze(project, options, started);
        let results = tools.join().unwrap_or_default();
        (report, results)
    });
    let mut report = report?;
    tools::apply(&mut report, results);
    if let Some(min) = options.min_severity {
        report.findings.retain(|f| f.severity >= min);
        report.resort();
    }
    report.stats.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// [`analyze`] over a model the caller built (with [`build_model`]) and may use again.
pub(crate) fn analyze_model(
    project: &Project,
    model: &semantics::Model<'_>,
    options: &AnalysisOptions,
    started: Instant,
) -> Result<Report> {
    let detectors = options.selection.detectors();
    let shared = ProjectContext::new(model);
    let contexts: Vec<FileContext<'_>> = project
        .reported_files()
        .filter(|f| f.vyper.is_none() && !f.rust)
        .map(|f| FileContext {
            file: f.id,
            text: &f.text,
            parse: &f.parse,
            project: &shared,
        })
        .collect();
    let mut findings = detectors::run(&contexts, &detectors);
    // Vyper modules: the same detectors (those with a Vyper form act), one module each.
    let vyper_files: Vec<(&project::SourceFile, &vyper::Parse, VyperModule)> = project
        .reported_files()
        .filter_map(|f| {
            let parse = f.vyper.as_ref()?;
            Some((f, parse, VyperModule::new(parse, &f.text)))
        })
        .collect();
    let vyper_contexts: Vec<VyperContext<'_>> = vyper_files
        .iter()
        .map(|(f, parse, module)| VyperContext {
            file: f.id,
            name: module_name(&f.display_path),
            text: &f.text,
            parse,
            module,
        })
        .collect();
    findings.extend(detectors::run_vyper(&vyper_contexts, &detectors));
    // Solana programs: the selected Solana rules, one Cargo package at a time.
    let solana = analyze_solana(project, &detectors);
    findings.extend(solana.findings);
    for finding in &mut findings {
        if let Some(&severity) = options.severity.get(finding.detector.id) {
            finding.severity = severity;
        }
    }
    if let Some(min) = options.min_severity {
        findings.retain(|f| f.severity >= min);
    }
    let metas: Vec<_> = detectors.iter().map(|d| d.meta()).collect();
    let views = source_views(project);
    let mut report = Report::build(&views, findings, &metas, tool_info())?;
    for rule in &mut report.rules {
        if let Some(&severity) = options.severity.get(&rule.id) {
            rule.severity = severity;
        }
    }
    report.diagnostics = input_diagnostics(project, model);
    if !solana.diagnostics.is_empty() {
        report.diagnostics.extend(solana.diagnostics);
        report
            .diagnostics
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    }
    report.stats = ScanStats {
        files_loaded: project.files.len(),
        files_reported: contexts.len() + vyper_contexts.len() + solana.files_reported,
        bytes: project.files.iter().map(|f| f.text.len() as u64).sum(),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    Ok(report)
}

/// What the Solana front-end found in the Rust packages of a project.
#[derive(Default)]
struct SolanaResults {
    findings: Vec<detectors::Finding>,
    /// The front-end's diagnostics (files it could not parse, input it refused).
    diagnostics: Vec<InputDiagnostic>,
    /// Reported Rust files.
    files_reported: usize,
}

/// Runs the Solana front-end over every Rust package of `project` (in parallel) and keeps
/// the findings of the selected rules in reported files, as findings of the registry's
/// Solana detectors; the suppression comments of each reported file apply.
fn analyze_solana(
    project: &Project,
    detectors: &[&'static dyn detectors::Detector],
) -> SolanaResults {
    use rayon::prelude::*;
    if project.rust_packages.is_empty() {
        return SolanaResults::default();
    }
    let empty = solana::Workspace::new();
    let analyze = |package: &RustPackage, workspace: &solana::Workspace| {
        let files: Vec<(String, String)> = package
            .files
            .iter()
            .map(|&id| {
                let file = project.file(id);
                (file.display_path.clone(), file.text.to_string())
            })
            .collect();
        let analysis = solana::analyze_package_in(
            &files,
            solana::Options {
                overflow_checks: package.overflow_checks,
            },
            workspace,
        );
        // The analysis is plain data: the parsed files of this thread are gone.
        solana::release_span_memory();
        analysis
    };
    let mut analyses: Vec<solana::Analysis> = project
        .rust_packages
        .par_iter()
        .map(|package| analyze(package, &empty))
        .collect();
    // The packages of one Cargo workspace may call each other's programs: a package of a
    // workspace with more than one program is analysed again knowing the others, so that
    // CPIs into them are resolved to the callee's instruction and its signer requirements.
    let mut workspaces: BTreeMap<&str, (solana::Workspace, usize)> = BTreeMap::new();
    for (package, analysis) in project.rust_packages.iter().zip(&analyses) {
        if let Some(root) = package.workspace.as_deref() {
            let (workspace, programs) = workspaces.entry(root).or_default();
            workspace.add(package.name.as_deref(), &analysis.programs);
            *programs += analysis.programs.len();
        }
    }
    let shared = |package: &RustPackage| {
        let (workspace, programs) = workspaces.get(package.workspace.as_deref()?)?;
        (*programs > 1).then_some(workspace)
    };
    let again: Vec<(usize, solana::Analysis)> = project
        .rust_packages
        .par_iter()
        .enumerate()
        .filter_map(|(i, package)| Some((i, analyze(package, shared(package)?))))
        .collect();
    for (i, analysis) in again {
        analyses[i] = analysis;
    }
    let selected = |id: &str| detectors.iter().any(|d| d.meta().id == id);
    let mut out = SolanaResults::default();
    let mut by_file: BTreeMap<syntax::FileId, Vec<detectors::Finding>> = BTreeMap::new();
    for (package, analysis) in project.rust_packages.iter().zip(analyses) {
        let id_of = |path: &str| {
            package
                .files
                .iter()
                .copied()
                .find(|&id| project.file(id).display_path == path)
        };
        for f in analysis.findings {
            let Some(id) = id_of(&f.file) else { continue };
            let Some(meta) = detectors::solana_finding_meta(f.rule_id) else {
                continue;
            };
            if !project.file(id).reported || !selected(f.rule_id) {
                continue;
            }
            let len = project.file(id).text.len();
            let lo = u32::try_from(f.start.min(len)).unwrap_or(u32::MAX);
            let hi = u32::try_from(f.end.clamp(f.start.min(len), len)).unwrap_or(u32::MAX);
            let mut finding =
                detectors::Finding::new(meta, id, syntax::Span::new(lo, hi), f.message)
                    .with_context(package.name.as_deref(), f.instruction.as_deref());
            finding.severity = detectors::solana_severity(f.severity);
            finding.confidence = detectors::solana_confidence(f.confidence);
            by_file.entry(id).or_default().push(finding);
        }
        for d in analysis.diagnostics {
            let file = id_of(&d.location.file).map(|id| project.file(id));
            out.diagnostics.push(InputDiagnostic {
                kind: "syntax".to_owned(),
                level: match d.level {
                    solana::DiagnosticLevel::Error => "error",
                    solana::DiagnosticLevel::Warning => "warning",
                }
                .to_owned(),
                file: Some(file.map_or(d.location.file.clone(), |f| f.display_path.clone())),
                line: (d.location.line > 0).then_some(d.location.line),
                column: (d.location.column > 0).then_some(d.location.column),
                message: d.message,
            });
        }
    }
    for package in &project.rust_packages {
        for &id in &package.files {
            let file = project.file(id);
            if !file.reported {
                continue;
            }
            out.files_reported += 1;
            let found = by_file.remove(&id).unwrap_or_default();
            out.findings.extend(detectors::apply_rust_suppressions(
                id, &file.text, found, detectors,
            ));
        }
    }
    out
}

/// The contract name of a Vyper module: its file name without the extension.
fn module_name(display_path: &str) -> &str {
    let file = display_path.rsplit('/').next().unwrap_or(display_path);
    file.strip_suffix(".vy").unwrap_or(file)
}

/// The semantic model of every loaded file.
pub(crate) fn build_model(
    project: &Project,
    version: Option<syntax::Version>,
) -> semantics::Model<'_> {
    let inputs: Vec<semantics::SourceInput<'_>> = project
        .files
        .iter()
        .map(|f| semantics::SourceInput {
            file: f.id,
            parse: &f.parse,
            imports: &f.imports,
        })
        .collect();
    semantics::Model::build_with(&inputs, &semantics::BuildOptions { version })
}

/// Syntax errors of every loaded file, the loader's diagnostics and the semantic
/// model's (e.g. an impossible inheritance hierarchy), sorted.
fn input_diagnostics(project: &Project, model: &semantics::Model<'_>) -> Vec<InputDiagnostic> {
    let mut out = Vec::new();
    for d in model.diagnostics() {
        let file = project.file(d.file);
        let at = file.line_index.line_col(&file.text, d.span.lo);
        out.push(InputDiagnostic {
            kind: "semantic".to_owned(),
            level: "warning".to_owned(),
            file: Some(file.display_path.clone()),
            line: Some(at.line),
            column: Some(at.col),
            message: d.message.clone(),
        });
    }
    for file in &project.files {
        for d in file.vyper.iter().flat_map(|p| p.diagnostics()) {
            let at = file.line_index.line_col(&file.text, d.span.lo);
            out.push(InputDiagnostic {
                kind: "syntax".to_owned(),
                level: if d.is_error() { "error" } else { "warning" }.to_owned(),
                file: Some(file.display_path.clone()),
                line: Some(at.line),
                column: Some(at.col),
                message: d.message.clone(),
            });
        }
        for d in file.parse.diagnostics() {
            let at = file.line_index.line_col(&file.text, d.span.lo);
            out.push(InputDiagnostic {
                kind: "syntax".to_owned(),
                level: "error".to_owned(),
                file: Some(file.display_path.clone()),
                line: Some(at.line),
                column: Some(at.col),
                message: d.message.clone(),
            });
        }
    }
    for d in &project.diagnostics {
        let file = d.file.map(|id| project.file(id));
        let at = file
            .zip(d.span)
            .map(|(f, span)| f.line_index.line_col(&f.text, span.lo));
        out.push(InputDiagnostic {
            kind: match d.kind {
                DiagnosticKind::UnresolvedImport => "unresolved-import",
                DiagnosticKind::Io => "io",
                DiagnosticKind::InvalidUtf8 => "invalid-utf8",
                DiagnosticKind::TooLarge => "too-large",
                DiagnosticKind::Config => "config",
            }
            .to_owned(),
            level: match d.severity {
                DiagnosticLevel::Error => "error",
                DiagnosticLevel::Warning => "warning",
            }
            .to_owned(),
            file: file
                .map(|f| f.display_path.clone())
                .or_else(|| d.path.clone()),
            line: at.map(|a| a.line),
            column: at.map(|a| a.col),
            message: d.message.clone(),
        });
    }
    out.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    out
}

/// Up to `limit` one-line descriptions of the report's input diagnostics, then a count of the rest.
pub(crate) fn diagnostic_lines(report: &Report, limit: usize) -> Vec<String> {
    let mut lines: Vec<String> = report
        .diagnostics
        .iter()
        .take(limit)
        .map(|d| {
            let at = match (&d.file, d.line, d.column) {
                (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
                (Some(f), _, _) => format!("{f}: "),
                _ => String::new(),
            };
            format!("{}[{}]: {at}{}", d.level, d.kind, d.message)
        })
        .collect();
    if report.diagnostics.len() > limit {
        lines.push(format!(
            "... and {} more input diagnostics",
            report.diagnostics.len() - limit
        ));
    }
    lines
}

/// The analyzer behind `web3audit serve`: the same pipeline as `scan`, over in-memory
/// sources, and the address scan over the `[chains.NAME]` tables of `scan_config`, its
/// reads at a concrete block cached in `cache` when given.
#[cfg(feature = "service")]
pub(crate) fn service_analyzer(
    scan_config: crate::config::ConfigFile,
    cache: Option<crate::chain_cache::ChainReadCache>,
) -> std::sync::Arc<dyn server::Analyzer> {
    std::sync::Arc::new(PipelineAnalyzer {
        scan_config,
        cache,
        heads: crate::chain_cache::ChainHeads::default(),
        tool_checks: std::sync::Mutex::new(None),
    })
}

#[cfg(feature = "service")]
struct PipelineAnalyzer {
    /// The scan configuration; its `[chains.NAME]` tables are the chains whose deployed
    /// contracts the service can audit.
    scan_config: crate::config::ConfigFile,
    cache: Option<crate::chain_cache::ChainReadCache>,
    /// Chain ids and latest blocks seen, by chain name.
    heads: crate::chain_cache::ChainHeads,
    /// The last checkup of the other analyzers, and when it was made.
    tool_checks: std::sync::Mutex<Option<(Instant, tools::doctor::Checkup)>>,
}

/// How long a checkup of the other analyzers is reused.
#[cfg(feature = "service")]
const TOOL_CHECK_TTL: std::time::Duration = std::time::Duration::from_secs(60);

#[cfg(feature = "service")]
impl server::Analyzer for PipelineAnalyzer {
    fn version(&self) -> String {
        // The detector set is part of the identity: a cached result from another set is stale.
        let ids: Vec<&str> = detectors::registry::metas().map(|m| m.id).collect();
        format!(
            "web3audit {} [{}]",
            env!("CARGO_PKG_VERSION"),
            ids.join(",")
        )
    }

    fn analyze(
        &self,
        request: &server::AnalysisRequest,
    ) -> Result<server::AnalysisOutput, server::AnalysisError> {
        if let Some(target) = &request.target {
            return self.analyze_deployed(target, request);
        }
        let started = Instant::now();
        let selection = Selection {
            only: request.include_detectors.clone(),
            exclude: request.exclude_detectors.clone(),
        };
        if let [first, ..] = selection.unknown_ids().as_slice() {
            return Err(server::AnalysisError::new(format!(
                "unknown detector `{first}`"
            )));
        }
        let min_severity = min_severity_of(request)?;
        let with = request
            .tools
            .iter()
            .map(|name| name.parse::<tools::ToolKind>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| server::AnalysisError::new(e.to_string()))?;
        let project = Project::from_sources(
            request.sources.clone(),
            // Solana programs too: the `.rs` files of packages whose `Cargo.toml` is
            // among the sources.
            &project::LoadOptions {
                solana: true,
                ..project::LoadOptions::default()
            },
        );
        let report = analyze_with_tools(
            &project,
            &AnalysisOptions {
                selection,
                min_severity,
                solc_version: None,
                severity: BTreeMap::new(),
            },
            started,
            &with,
            &self.scan_config.tools,
        )
        .map_err(|e| server::AnalysisError::new(format!("analysis failed: {e}")))?;

        let findings = report
            .findings
            .iter()
            .map(|f| server::AnalyzedFinding {
                detector: f.rule_id.clone(),
                title: f.title.clone(),
                severity: f.severity.as_str().to_owned(),
                confidence: f.confidence.as_str().to_owned(),
                file: f.location.file.clone(),
                start_line: f.location.start_line,
                end_line: f.location.end_line,
                message: f.message.clone(),
                fingerprint: f.fingerprint.clone(),
                category: Some(f.category.clone()),
                swc: f.swc.clone(),
                // The same kind of finding on the same code, wherever it is: what a
                // triage decision is recalled by ("previously dismissed").
                shape: Some(report::fingerprint::content_hash(
                    &f.rule_id,
                    None,
                    None,
                    &f.location.snippet,
                )),
            })
            .collect();
        // The report in its stored form (the rules that ran without a finding by id):
        // the service renders SARIF and Markdown from it when they are asked for, rather
        // than every audit writing three copies of the rules' documentation.
        let reports = [
            ("json".to_owned(), report::to_stored_json(&report)),
            // The code around each finding, so that the service can render HTML and PDF
            // reports (with the triage it keeps) without the analyzer.
            (
                report::EXCERPTS_KEY.to_owned(),
                serde_json::to_string(&report::excerpts(&report, &source_views(&project)))
                    .map_err(|e| server::AnalysisError::new(format!("excerpts: {e}")))?,
            ),
        ]
        .into_iter()
        .collect();
        Ok(server::AnalysisOutput { findings, reports })
    }

    fn external_tools(&self, names: &[String]) -> Vec<server::ExternalToolStatus> {
        self.tool_checkup()
            .tools
            .into_iter()
            .filter(|t| names.contains(&t.tool))
            .map(|t| server::ExternalToolStatus {
                name: t.tool,
                status: t.status,
                version: t.version,
                detail: t.detail,
            })
            .collect()
    }
}

#[cfg(feature = "service")]
impl PipelineAnalyzer {
    /// `web3audit doctor`'s checkup, at most [`TOOL_CHECK_TTL`] old: health probes ask
    /// often, and starting each tool to read its version takes a while.
    fn tool_checkup(&self) -> tools::doctor::Checkup {
        let mut cached = self
            .tool_checks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*cached {
            Some((at, checkup)) if at.elapsed() < TOOL_CHECK_TTL => checkup.clone(),
            _ => {
                let checkup = tools::doctor::check(&self.scan_config.tools);
                *cached = Some((Instant::now(), checkup.clone()));
                checkup
            }
        }
    }

    /// An address scan of a deployed contract, through the client of its chain's table.
    fn analyze_deployed(
        &self,
        target: &server::AddressTarget,
        request: &server::AnalysisRequest,
    ) -> Result<server::AnalysisOutput, server::AnalysisError> {
        let address = crate::address::parse_address(&target.address).ok_or_else(|| {
            server::AnalysisError::new(format!("`{}` is not an address", target.address))
        })?;
        let endpoints = crate::address::Endpoints {
            rpc_urls: &[],
            chain: Some(&target.chain),
        };
        let config = crate::address::client_config(&endpoints, &self.scan_config)
            .map_err(|e| server::AnalysisError::new(format!("{e:#}")))?;
        let min_severity = min_severity_of(request)?;
        let options = crate::address::ScanOptions {
            block: target.block,
            sources: Some(self.scan_config.sources.clone().unwrap_or_default()),
            analysis: AnalysisOptions {
                selection: Selection {
                    only: request.include_detectors.clone(),
                    exclude: request.exclude_detectors.clone(),
                },
                min_severity,
                solc_version: None,
                severity: BTreeMap::new(),
            },
            simulate: true,
            source_cache: self.cache.clone().map(|cache| {
                std::sync::Arc::new(cache) as std::sync::Arc<dyn crate::address::SourceCache>
            }),
        };
        let scan = match &self.cache {
            Some(cache) => {
                let client = chain::RpcClient::new(config)
                    .map_err(|e| server::AnalysisError::new(e.to_string()))?;
                let reader = crate::chain_cache::CachedReader::new(
                    client,
                    cache.clone(),
                    self.heads.get(&target.chain),
                    target.block,
                );
                let scan = crate::address::inspect_with(&reader, address, &options);
                self.heads.record(&target.chain, reader.head());
                scan
            }
            None => crate::address::scan_with(config, address, &options),
        }
        .map_err(|e| server::AnalysisError::new(format!("{e:#}")))?;
        deployed_output(&scan, &target.chain, request)
    }
}

/// The findings and reports of an address scan, as the service stores them: `json` is the
/// report of `scan 0xADDRESS -f json`, `markdown` a short summary.
#[cfg(feature = "service")]
fn deployed_output(
    scan: &crate::address::AddressScan,
    chain: &str,
    request: &server::AnalysisRequest,
) -> Result<server::AnalysisOutput, server::AnalysisError> {
    let min_severity = min_severity_of(request)?;
    let address = scan.resolution.address.to_string();
    let findings = scan
        .findings
        .iter()
        .filter(|finding| {
            (request.include_detectors.is_empty()
                || request.include_detectors.contains(&finding.id))
                && !request.exclude_detectors.contains(&finding.id)
                && min_severity.is_none_or(|min| finding.severity >= min)
        })
        .map(|finding| deployed_finding(scan.chain_id, &address, finding))
        .collect();
    let reports = [
        ("json".to_owned(), crate::address::render_json(scan)),
        ("markdown".to_owned(), deployed_markdown(scan, chain)),
    ]
    .into_iter()
    .collect();
    Ok(server::AnalysisOutput { findings, reports })
}

/// One finding of an address scan as the service stores it: a source finding at its file
/// and line, the others at the scanned address (line 0). The simulation's verdict ends the
/// message, and a confirmed finding has high confidence.
#[cfg(feature = "service")]
fn deployed_finding(
    chain_id: u64,
    address: &str,
    finding: &crate::address::DeployedFinding,
) -> server::AnalyzedFinding {
    use crate::address::Place;
    let source_meta = detectors::registry::find(&finding.id).map(|d| d.meta());
    let bytecode_info = evm::detector(&finding.id);
    let title = source_meta
        .map(|meta| meta.title.to_owned())
        .or_else(|| bytecode_info.map(|info| info.title.to_owned()))
        .unwrap_or_else(|| title_of(&finding.id));
    let (file, line) = match &finding.place {
        Place::Source { file, line, .. } => (file.clone(), *line),
        _ => (address.to_owned(), 0),
    };
    let confidence = match (&finding.simulation, &finding.place, source_meta) {
        (Some(crate::address::Simulation::Confirmed { .. }), _, _) => "high",
        (_, Place::Source { .. }, Some(meta)) => meta.confidence.as_str(),
        (_, Place::Bytecode { .. }, _) => "medium",
        // Read from the chain, not inferred.
        _ => "high",
    };
    let mut message = finding.message.clone();
    match &finding.place {
        Place::Source { .. } => {}
        Place::Addresses(_) => message.push_str(&format!(" ({})", finding.place_text())),
        // The message names the function and the program counter already.
        Place::Bytecode { address, .. } => {
            message.push_str(&format!(" (runtime code of {address})"));
        }
    }
    if let Some(simulation) = &finding.simulation {
        message.push_str(&format!(
            " [simulation: {}: {}]",
            simulation.status(),
            simulation.detail()
        ));
    }
    server::AnalyzedFinding {
        detector: finding.id.clone(),
        title,
        severity: finding.severity.as_str().to_owned(),
        confidence: confidence.to_owned(),
        file,
        start_line: line,
        end_line: line,
        message,
        fingerprint: deployed_fingerprint(
            chain_id,
            address,
            &finding.id,
            &format!("{}\n{}", finding.place_text(), finding.message),
        ),
        category: source_meta.map(|meta| meta.category.to_owned()),
        swc: source_meta.and_then(|meta| meta.swc.map(str::to_owned)),
        shape: None,
    }
}

/// The request's minimum severity, read from its name.
#[cfg(feature = "service")]
fn min_severity_of(
    request: &server::AnalysisRequest,
) -> Result<Option<Severity>, server::AnalysisError> {
    request
        .min_severity
        .as_deref()
        .map(str::parse::<Severity>)
        .transpose()
        .map_err(|e| server::AnalysisError::new(e.to_string()))
}

/// `upgradeable-by-eoa` → `Upgradeable by eoa`.
#[cfg(feature = "service")]
fn title_of(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A finding of a deployed contract is the same finding whatever block it was read at:
/// SHA-256 of the chain id, the address (lower case), the finding id and the message.
#[cfg(feature = "service")]
fn deployed_fingerprint(chain_id: u64, address: &str, id: &str, message: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in [
        chain_id.to_string().as_str(),
        &address.to_ascii_lowercase(),
        id,
        message,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

/// The Markdown report of an address scan: the target, the proxy chain, then the findings.
#[cfg(feature = "service")]
fn deployed_markdown(scan: &crate::address::AddressScan, chain: &str) -> String {
    use std::fmt::Write as _;
    let resolution = &scan.resolution;
    let mut out = String::from("# Deployed contract audit\n\n");
    let _ = writeln!(out, "- address: `{}`", resolution.address);
    let _ = writeln!(out, "- chain: {chain} (chain id {})", scan.chain_id);
    let _ = writeln!(out, "- block: {}", scan.block);
    for hop in &resolution.hops {
        let _ = writeln!(
            out,
            "- proxy: `{}` ({}) → `{}`",
            hop.proxy, hop.kind, hop.target
        );
    }
    let _ = writeln!(out, "- implementation: `{}`", resolution.implementation);
    let _ = writeln!(out, "- source: {}", scan.source.describe());
    for control in &scan.controls {
        let _ = writeln!(out, "- upgrade control: {control}");
    }
    out.push_str("\n## Findings\n\n");
    if scan.findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str("| Severity | Finding | Message |\n|---|---|---|\n");
    for finding in &scan.findings {
        let mut message = format!("{} ({})", finding.message, finding.place_text());
        if let Some(simulation) = &finding.simulation {
            message.push_str(&format!(
                "; simulation {}: {}",
                simulation.status(),
                simulation.detail()
            ));
        }
        let message = message.replace('|', "\\|").replace('\n', " ");
        let _ = writeln!(
            out,
            "| {} | `{}` | {message} |",
            finding.severity, finding.id
        );
    }
    out
}

#[cfg(all(test, feature = "service"))]
mod tests {
    use super::*;

    #[test]
    fn deployed_findings_are_titled_and_fingerprinted_without_the_block() {
        assert_eq!(title_of("upgradeable-by-eoa"), "Upgradeable by eoa");
        assert_eq!(title_of(""), "");
        let address = "0x000000000000000000000000000000000000bEEF";
        let fingerprint = deployed_fingerprint(1, address, "upgradeable-by-eoa", "message");
        assert_eq!(fingerprint.len(), 64);
        // The case of the address does not matter; the chain, the id and the message do.
        assert_eq!(
            fingerprint,
            deployed_fingerprint(
                1,
                &address.to_ascii_lowercase(),
                "upgradeable-by-eoa",
                "message"
            )
        );
        for other in [
            deployed_fingerprint(10, address, "upgradeable-by-eoa", "message"),
            deployed_fingerprint(1, address, "upgradeable-by-multisig", "message"),
            deployed_fingerprint(1, address, "upgradeable-by-eoa", "other message"),
        ] {
            assert_ne!(fingerprint, other);
        }
    }
}
