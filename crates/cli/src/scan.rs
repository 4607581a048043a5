//! `web3audit scan`: load, analyse, render, gate.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use detectors::{Selection, Severity};
use project::{LoadOptions, Project};
use report::{Baseline, HtmlOptions, PdfOptions, Report, SarifOptions, TextOptions};

use crate::address;
use crate::analysis::{self, AnalysisOptions};
use crate::config::{self, ConfigFile};
use crate::dump::DumpKind;

/// Output formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    Sarif,
    Markdown,
    /// GitLab's Code Quality report (`artifacts:reports:codequality`); paths are given
    /// from the current directory, the repository root in a CI job.
    CodeQuality,
    /// One self-contained page (inline CSS and SVG, no script).
    Html,
    /// Written in-process; binary, so best with `--output`.
    Pdf,
}

/// When to colour text output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ScanArgs {
    /// Files, folders, or Foundry / Hardhat / Truffle projects to scan (with the Rust
    /// sources of the Solana programs and Cargo workspaces in them); or one deployed
    /// contract's address (`0x` and 40 hex digits) with `--rpc-url` or `--chain`.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// JSON-RPC endpoint for an address scan (repeatable: the next one is used when one
    /// fails). Replaces the URLs of `--chain`'s table, keeping its limits.
    #[arg(long, value_name = "URL")]
    rpc_url: Vec<String>,

    /// The chain of an address scan: a `[chains.NAME]` table of the configuration file
    /// (endpoints, expected chain id, timeout, retries, request budget).
    #[arg(long, value_name = "NAME")]
    chain: Option<String>,

    /// The block an address scan reads at (default: the latest).
    #[arg(long, value_name = "N")]
    block: Option<u64>,

    /// Address scan: do not fetch the verified source (`[sources]` of the configuration
    /// file); describe the deployed code only.
    #[arg(long)]
    bytecode_only: bool,

    /// Address scan: do not try access-control findings by simulation.
    #[arg(long)]
    no_simulation: bool,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Exit with 1 when a reported finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,

    /// Read the configuration from FILE instead of the `web3audit.toml` found in the
    /// first PATH's folder or the nearest ancestor that has one.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,

    /// Ignore every `web3audit.toml`.
    #[arg(long)]
    no_config: bool,

    /// Report only findings whose fingerprint is not in this baseline (written by
    /// `--write-baseline`); `--fail-on` then gates on the new findings only.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Write the fingerprints of every finding of this scan to FILE, as a baseline.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,

    /// Hide findings below this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    min_severity: Option<Severity>,

    /// Run only these detectors (comma-separated ids).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    detectors: Vec<String>,

    /// Do not run these detectors (comma-separated ids).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    exclude_detectors: Vec<String>,

    /// Report findings in files matching this glob, even if excluded by default (repeatable).
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,

    /// Do not report findings in files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,

    /// Extra import remapping `PREFIX=TARGET` (repeatable).
    #[arg(long, value_name = "PREFIX=TARGET")]
    remap: Vec<String>,

    /// Worker threads for parsing and analysis (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,

    /// Colour text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,

    /// Assume this compiler version (e.g. `0.8.19`) for every file instead of the lowest
    /// one its pragma admits: it decides checked arithmetic, constructors by name, ...
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_version)]
    solc_version: Option<syntax::Version>,

    /// Also run these other analyzers (comma-separated: slither, aderyn, mythril) and
    /// merge their findings with ours; `[tools.NAME]` of the configuration file sets
    /// their paths and limits. A tool that is missing or fails is a note in the report,
    /// never a failed scan.
    #[arg(long = "with", value_name = "TOOLS", value_delimiter = ',', value_parser = parse_tool)]
    with_tools: Vec<tools::ToolKind>,

    /// Print a view of the semantic model instead of findings: control-flow graphs or
    /// the call graph (Graphviz DOT), or the symbols (text).
    #[arg(long, value_enum, value_name = "VIEW")]
    dump: Option<DumpKind>,
}

fn parse_version(s: &str) -> Result<syntax::Version, String> {
    let parts: Vec<Option<u32>> = s.split('.').map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [Some(major), Some(minor), Some(patch)] => Ok(syntax::Version::new(*major, *minor, *patch)),
        _ => Err(format!("`{s}` is not a version like 0.8.19")),
    }
}

fn parse_tool(s: &str) -> Result<tools::ToolKind, String> {
    s.parse().map_err(|e: tools::UnknownTool| e.to_string())
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not one of critical, high, medium, low, informational"))
}

/// The scan's settings: defaults < configuration file < flags, resolved once.
#[derive(Debug)]
struct ScanSettings {
    selection: Selection,
    fail_on: Option<Severity>,
    min_severity: Option<Severity>,
    include: Vec<String>,
    exclude: Vec<String>,
    severity: BTreeMap<String, Severity>,
}

impl ScanSettings {
    /// `--fail-on` and `--min-severity` replace the file's values; `--include` and
    /// `--exclude` add to its globs; `--detectors` replaces its `enable` list and runs
    /// the ids it names even when the file disables them; `--exclude-detectors` adds to
    /// its `disable` list.
    fn resolve(args: &ScanArgs, file: ConfigFile) -> Self {
        let ids = |list: Vec<config::DetectorId>| -> Vec<String> {
            list.into_iter().map(|id| id.0).collect()
        };
        let only = if args.detectors.is_empty() {
            ids(file.detectors.enable)
        } else {
            args.detectors.clone()
        };
        let mut exclude_detectors: Vec<String> = ids(file.detectors.disable)
            .into_iter()
            .filter(|id| !args.detectors.contains(id))
            .collect();
        exclude_detectors.extend(args.exclude_detectors.iter().cloned());
        Self {
            selection: Selection {
                only,
                exclude: exclude_detectors,
            },
            fail_on: args.fail_on.or(file.fail_on.map(|l| l.0)),
            min_severity: args.min_severity.or(file.min_severity.map(|l| l.0)),
            include: file
                .include
                .into_iter()
                .chain(args.include.iter().cloned())
                .collect(),
            exclude: file
                .exclude
                .into_iter()
                .chain(args.exclude.iter().cloned())
                .collect(),
            severity: file
                .severity
                .into_iter()
                .map(|(id, level)| (id.0, level.0))
                .collect(),
        }
    }
}

/// The configuration file a scan uses, read and checked: `--config`, else the nearest
/// `web3audit.toml`, unless `--no-config`.
fn config_file(args: &ScanArgs) -> Result<ConfigFile> {
    if args.no_config {
        return Ok(ConfigFile::default());
    }
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => args.paths.first().and_then(|p| config::discover(p)),
    };
    match path {
        Some(path) => ConfigFile::load(&path),
        None => Ok(ConfigFile::default()),
    }
}

fn read_baseline(path: &Path) -> Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the baseline {}", path.display()))?;
    Baseline::from_json(&text).with_context(|| format!("invalid baseline {}", path.display()))
}

pub(crate) fn run(args: ScanArgs) -> ExitCode {
    match address_target(&args) {
        Ok(Some(address)) => {
            return match scan_address(&args, address) {
                Ok(failed) => ExitCode::from(u8::from(failed)),
                Err(err) => {
                    eprintln!("error: {err:#}");
                    ExitCode::from(2)
                }
            };
        }
        Ok(None) => {}
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    }
    match scan(&args) {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some((report, fail_on))) => {
            let failed = fail_on
                .is_some_and(|threshold| report.findings.iter().any(|f| f.severity >= threshold));
            ExitCode::from(u8::from(failed))
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// The address an address scan reads: the one argument when it is `0x` and 40 hex digits
/// and no such file exists. The chain flags without an address are an error.
fn address_target(args: &ScanArgs) -> Result<Option<alloy_primitives::Address>> {
    let addresses: Vec<_> = args
        .paths
        .iter()
        .filter(|path| !path.exists())
        .filter_map(|path| path.to_str().and_then(address::parse_address))
        .collect();
    match (addresses.as_slice(), args.paths.len()) {
        ([address], 1) => Ok(Some(*address)),
        ([], _) => {
            if !args.rpc_url.is_empty()
                || args.chain.is_some()
                || args.block.is_some()
                || args.bytecode_only
                || args.no_simulation
            {
                bail!(
                    "--rpc-url, --chain, --block, --bytecode-only and --no-simulation apply to the scan of a contract address (0x…)"
                );
            }
            Ok(None)
        }
        _ => bail!("scan one contract address at a time, without paths"),
    }
}

/// `scan 0xADDRESS`: the proxy chain, implementation and upgrade control of a deployed
/// contract; whether a finding reaches `--fail-on`.
fn scan_address(args: &ScanArgs, target: alloy_primitives::Address) -> Result<bool> {
    if args.dump.is_some()
        || args.baseline.is_some()
        || args.write_baseline.is_some()
        || !args.with_tools.is_empty()
    {
        bail!("--dump, --baseline, --write-baseline and --with apply to source scans only");
    }
    let mut file = if args.no_config {
        ConfigFile::default()
    } else {
        match args
            .config
            .clone()
            .or_else(|| config::discover(Path::new(".")))
        {
            Some(path) => ConfigFile::load(&path)?,
            None => ConfigFile::default(),
        }
    };
    let client = address::client_config(
        &address::Endpoints {
            rpc_urls: &args.rpc_url,
            chain: args.chain.as_deref(),
        },
        &file,
    )?;
    let sources = file.sources.take().unwrap_or_default();
    let settings = ScanSettings::resolve(args, file);
    if let [first, ..] = settings.selection.unknown_ids().as_slice() {
        bail!("unknown detector `{first}` (see `web3audit detectors`)");
    }
    let fail_on = settings.fail_on;
    let options = address::ScanOptions {
        block: args.block,
        sources: (!args.bytecode_only).then_some(sources),
        analysis: AnalysisOptions {
            selection: settings.selection,
            min_severity: settings.min_severity,
            solc_version: args.solc_version,
            severity: settings.severity,
        },
        simulate: !args.no_simulation,
        source_cache: None,
    };
    let scan = address::scan_with(client, target, &options)?;
    let rendered = match args.format {
        Format::Text => address::render_text(&scan),
        Format::Json => address::render_json(&scan),
        other => bail!(
            "an address scan writes text or json, not {}",
            format!("{other:?}").to_lowercase()
        ),
    };
    write_output(args.output.as_deref(), rendered.as_bytes())?;
    Ok(fail_on.is_some_and(|threshold| {
        address::severities(&scan)
            .into_iter()
            .any(|severity| severity >= threshold)
    }))
}

/// Runs the scan and returns the report with the `--fail-on` threshold that applies;
/// `None` when `--dump` printed a view of the model instead of a report.
fn scan(args: &ScanArgs) -> Result<Option<(Report, Option<Severity>)>> {
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global()
            .context("cannot start the worker threads")?;
    }
    let mut file = config_file(args)?;
    let tools_config = std::mem::take(&mut file.tools);
    let settings = ScanSettings::resolve(args, file);
    if let [first, ..] = settings.selection.unknown_ids().as_slice() {
        bail!("unknown detector `{first}` (see `web3audit detectors`)");
    }
    let baseline = args.baseline.as_deref().map(read_baseline).transpose()?;

    let started = Instant::now();
    let load = LoadOptions {
        include: settings.include.clone(),
        exclude: settings.exclude.clone(),
        remappings: args.remap.clone(),
        solana: true,
        ..LoadOptions::default()
    };
    let project = Project::load(&args.paths, &load)?;
    if let Some(kind) = args.dump {
        let text = crate::dump::dump(&project, kind, args.solc_version);
        write_output(args.output.as_deref(), text.as_bytes())?;
        return Ok(None);
    }
    let options = AnalysisOptions {
        selection: settings.selection,
        min_severity: settings.min_severity,
        solc_version: args.solc_version,
        severity: settings.severity,
    };
    let mut report =
        analysis::analyze_with_tools(&project, &options, started, &args.with_tools, &tools_config)?;
    if let Some(path) = &args.write_baseline {
        std::fs::write(path, Baseline::from_report(&report).to_json())
            .with_context(|| format!("cannot write the baseline {}", path.display()))?;
    }
    if let Some(baseline) = &baseline {
        report.apply_baseline(baseline);
    }

    let rendered: Vec<u8> = match args.format {
        Format::Text => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    args.output.is_none()
                        && std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none()
                }
            };
            let views = analysis::source_views(&project);
            let mut text = String::new();
            for line in analysis::diagnostic_lines(&report, 20) {
                text.push_str(&line);
                text.push('\n');
            }
            if !report.diagnostics.is_empty() {
                text.push('\n');
            }
            text.push_str(&report::render_text(
                &report,
                &views,
                &TextOptions { color },
            ));
            text.into_bytes()
        }
        Format::Json => report::render_json(&report).into_bytes(),
        Format::Sarif => {
            let root =
                std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
            report::render_sarif(
                &report,
                &SarifOptions::with_src_root_dir(&root.to_string_lossy()),
            )
            .into_bytes()
        }
        Format::Markdown => report::render_markdown(&report).into_bytes(),
        Format::CodeQuality => {
            let root =
                std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
            let prefix = std::env::current_dir()
                .and_then(std::fs::canonicalize)
                .ok()
                .and_then(|cwd| root.strip_prefix(cwd).ok().map(Path::to_path_buf))
                .unwrap_or_default();
            report::render_code_quality(&report, &prefix.to_string_lossy().replace('\\', "/"))
                .into_bytes()
        }
        Format::Html => report::render_html(&report, &page_options(&project, &report)).into_bytes(),
        Format::Pdf => report::render_pdf(
            &report,
            &PdfOptions {
                content: page_options(&project, &report),
                ..PdfOptions::default()
            },
        ),
    };

    write_output(args.output.as_deref(), &rendered)?;
    if args.output.is_some() && args.format != Format::Text {
        for line in analysis::diagnostic_lines(&report, 20) {
            eprintln!("{line}");
        }
        for tool in &report.tools {
            eprintln!("{}", report::tool_line(tool));
        }
        eprintln!("{}", report::summary_line(&report).trim_end());
    }
    Ok(Some((report, settings.fail_on)))
}

/// What the HTML and PDF reports of a scan show beyond the report: the excerpts. A
/// command-line scan has no triage, and its report says so.
fn page_options(project: &Project, report: &Report) -> HtmlOptions {
    let views = analysis::source_views(project);
    let inputs: Vec<String> = project
        .files
        .iter()
        .filter(|f| f.reported)
        .take(3)
        .map(|f| f.display_path.clone())
        .collect();
    let mut facts = Vec::new();
    if !inputs.is_empty() {
        let more = report.stats.files_reported.saturating_sub(inputs.len());
        let mut files = inputs.join(", ");
        if more > 0 {
            files.push_str(&format!(" and {more} more"));
        }
        facts.push(("files".to_owned(), files));
    }
    HtmlOptions {
        title: None,
        facts,
        excerpts: report::excerpts(report, &views),
        triage: None,
        suggestions: BTreeMap::new(),
    }
}

/// Writes `text` to `path`, or to standard output (ending with a newline) without one.
pub(crate) fn write_output(path: Option<&Path>, text: &[u8]) -> Result<()> {
    match path {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text)
                .context("cannot write to standard output")?;
            if !text.ends_with(b"\n") && !text.starts_with(b"%PDF") {
                stdout
                    .write_all(b"\n")
                    .context("cannot write to standard output")?;
            }
            stdout.flush().context("cannot write to standard output")
        }
    }
}
