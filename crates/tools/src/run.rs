//! Running the selected analyzers over a loaded project, each in its own sandboxed
//! processes, in parallel with each other; every failure becomes a note of its run.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use project::{Project, SourceFile};
use report::{Report, ToolRun};
use syntax::Version;

use crate::config::{ToolSettings, ToolsConfig};
use crate::finding::{ParseError, ToolFinding};
use crate::normalize::{Normalized, normalize};
use crate::sandbox::{self, Exit, Invocation, Network, Outcome};
use crate::tool::{ToolKind, parse_version};
use crate::{aderyn, merge, mythril, slither};

/// What one tool's run produced: its record for the report and its findings.
#[derive(Debug)]
pub struct ToolResult {
    pub tool: ToolKind,
    pub run: ToolRun,
    pub normalized: Normalized,
}

/// Where a tool's executable is, or why it cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Located {
    Found(PathBuf),
    /// Not configured and not on `PATH`.
    Missing,
    /// Configured, but the path is no executable file.
    BadPath(PathBuf),
}

/// Finds `tool`: the configured path, else its command on `PATH`.
pub fn locate(tool: ToolKind, settings: &ToolSettings) -> Located {
    match &settings.path {
        Some(path) if sandbox::is_executable(path) => Located::Found(path.clone()),
        Some(path) => match path
            .to_str()
            .filter(|p| !p.contains('/'))
            .and_then(sandbox::find_on_path)
        {
            Some(found) => Located::Found(found),
            None => Located::BadPath(path.clone()),
        },
        None => sandbox::find_on_path(tool.executable()).map_or(Located::Missing, Located::Found),
    }
}

/// The version `program` reports, or a note saying why there is none.
pub fn version_of(tool: ToolKind, program: &Path) -> Result<String, String> {
    let dir =
        tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let limits = sandbox::Limits {
        timeout: Duration::from_secs(60),
        memory_bytes: 2 << 30,
        output_bytes: 1 << 20,
    };
    let invocation = Invocation::new(program, dir.path()).args(tool.version_args().iter().copied());
    let outcome = sandbox::run(&invocation, &limits).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&outcome.stdout);
    match (outcome.exit, parse_version(&text)) {
        (Exit::Code(0), Some(version)) => Ok(version),
        (exit, _) => Err(format!(
            "`{} {}` {}",
            program.display(),
            tool.version_args().join(" "),
            describe_failure(exit, &outcome, &limits)
        )),
    }
}

/// Runs each of `tools` over the reported files of `project` (in parallel, one thread
/// per tool) and returns their results in the order of `tools`. Never fails: a tool
/// that is missing, hangs, crashes or prints something else than its report yields a
/// run whose status and notes say so.
pub fn run_tools(project: &Project, tools: &[ToolKind], config: &ToolsConfig) -> Vec<ToolResult> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = tools
            .iter()
            .map(|&tool| scope.spawn(move || run_tool(project, tool, config.get(tool))))
            .collect();
        handles
            .into_iter()
            .zip(tools)
            .map(|(h, &tool)| {
                h.join().unwrap_or_else(|_| ToolResult {
                    tool,
                    run: run_record(
                        tool,
                        None,
                        "failed",
                        vec!["the adapter panicked".to_owned()],
                    ),
                    normalized: Normalized::default(),
                })
            })
            .collect()
    })
}

/// Merges `results` into `report` and records the runs in `report.tools`.
pub fn apply(report: &mut Report, results: Vec<ToolResult>) {
    let mut runs = Vec::with_capacity(results.len());
    let mut merging = Vec::with_capacity(results.len());
    for result in results {
        let mut run = result.run;
        run.findings = result.normalized.findings.len();
        runs.push(run);
        merging.push((result.tool, result.normalized));
    }
    let merged = merge::merge(report, merging);
    for (run, merged) in runs.iter_mut().zip(merged) {
        run.merged = merged;
    }
    report.tools = runs;
}

fn run_record(
    tool: ToolKind,
    version: Option<String>,
    status: &str,
    notes: Vec<String>,
) -> ToolRun {
    ToolRun {
        name: tool.name().to_owned(),
        version,
        status: status.to_owned(),
        findings: 0,
        merged: 0,
        duration_ms: 0,
        notes,
    }
}

fn run_tool(project: &Project, tool: ToolKind, settings: &ToolSettings) -> ToolResult {
    let started = Instant::now();
    let unavailable = |note: String| ToolResult {
        tool,
        run: run_record(tool, None, "unavailable", vec![note]),
        normalized: Normalized::default(),
    };
    let program = match locate(tool, settings) {
        Located::Found(path) => path,
        Located::Missing => {
            return unavailable(format!(
                "`{}` is not on PATH ({}); set [tools.{}] path to use another location",
                tool.executable(),
                tool.install_hint(),
                tool.name()
            ));
        }
        Located::BadPath(path) => {
            return unavailable(format!(
                "[tools.{}] path `{}` is not an executable file",
                tool.name(),
                path.display()
            ));
        }
    };
    let mut notes = Vec::new();
    let version = match version_of(tool, &program) {
        Ok(v) => Some(v),
        Err(note) => {
            notes.push(format!("version unknown: {note}"));
            None
        }
    };
    let workspace = match Workspace::create(project) {
        Ok(w) => w,
        Err(e) => {
            notes.push(format!("cannot prepare its working directory: {e}"));
            let mut run = run_record(tool, version, "failed", notes);
            run.duration_ms = millis(started.elapsed());
            return ToolResult {
                tool,
                run,
                normalized: Normalized::default(),
            };
        }
    };
    if sandbox::network_isolation() == Network::NotEnforced {
        notes.push(
            "network isolation is not enforced on this machine (no private network namespace)"
                .to_owned(),
        );
    }
    let limits = settings.limits();
    let mut findings: Vec<ToolFinding> = Vec::new();
    let mut attempts = 0usize;
    let mut failures = 0usize;
    for job in jobs(tool, project, &workspace, settings) {
        attempts += 1;
        let outcome = match sandbox::run(&job.invocation.clone_with_program(&program), &limits) {
            Ok(outcome) => outcome,
            Err(e) => {
                failures += 1;
                notes.push(format!("{}: {e}", job.label));
                continue;
            }
        };
        match read_report(tool, &job, &outcome, &limits) {
            Ok((mut parsed, unplaced)) => {
                if unplaced > 0 {
                    notes.push(format!(
                        "{}: {unplaced} issue(s) without a source line were left out",
                        job.label
                    ));
                }
                parsed.retain(|f| settings.keeps(&f.rule));
                findings.append(&mut parsed);
            }
            Err(note) => {
                failures += 1;
                notes.push(format!("{}: {note}", job.label));
            }
        }
    }
    let normalized = normalize(project, workspace.root(), findings);
    if normalized.outside > 0 && !normalized.unknown_paths.is_empty() {
        notes.push(format!(
            "{} finding(s) in files that are not part of the project (e.g. `{}`) were left out",
            normalized.outside,
            normalized.unknown_paths.join("`, `")
        ));
    }
    if normalized.suppressed > 0 {
        notes.push(format!(
            "{} finding(s) hidden by inline suppressions",
            normalized.suppressed
        ));
    }
    let status = match (attempts, failures) {
        (0, _) => "ok",
        (_, 0) => "ok",
        (a, f) if f < a => "partial",
        _ => "failed",
    };
    let mut run = run_record(tool, version, status, notes);
    run.duration_ms = millis(started.elapsed());
    ToolResult {
        tool,
        run,
        normalized,
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One process to run and where its report comes out.
struct Job {
    /// What the notes call it: the file, or `the project`.
    label: String,
    invocation: Invocation,
    /// The report file the tool writes, when it does not print it on stdout.
    report_file: Option<PathBuf>,
}

impl Invocation {
    fn clone_with_program(&self, program: &Path) -> Invocation {
        let mut invocation = self.clone();
        invocation.program = program.to_path_buf();
        invocation
    }
}

/// The processes `tool` runs over the project: Slither and Mythril once per reported
/// Solidity or Vyper file (in the workspace, where every loaded file is), Aderyn once over
/// the root.
fn jobs(
    tool: ToolKind,
    project: &Project,
    workspace: &Workspace,
    settings: &ToolSettings,
) -> Vec<Job> {
    let dir = workspace.root();
    // Rust sources of Solana programs are ours alone: none of these tools reads them.
    let files: Vec<&SourceFile> = project
        .reported_files()
        .filter(|f| !f.rust && workspace.has(&f.display_path))
        .collect();
    match tool {
        ToolKind::Slither => files
            .into_iter()
            .map(|file| {
                let mut invocation = Invocation::new(tool.executable(), dir)
                    .arg(&file.display_path)
                    .args(["--json", "-"]);
                if let Some(solc) = solc_for(file, settings.solc.as_deref()) {
                    invocation = invocation.arg("--solc").arg(solc.command);
                    invocation = invocation.env("SOLC_VERSION", solc.version);
                }
                if !settings.detectors.is_empty() {
                    invocation = invocation.arg("--detect").arg(settings.detectors.join(","));
                }
                if !settings.exclude_detectors.is_empty() {
                    invocation = invocation
                        .arg("--exclude")
                        .arg(settings.exclude_detectors.join(","));
                }
                Job {
                    label: format!("`{}`", file.display_path),
                    invocation: invocation.args(settings.args.iter()),
                    report_file: None,
                }
            })
            .collect(),
        ToolKind::Mythril => files
            .into_iter()
            .map(|file| {
                let execution = settings
                    .timeout
                    .saturating_sub(Duration::from_secs(10))
                    .max(Duration::from_secs(5));
                let mut invocation = Invocation::new(tool.executable(), dir)
                    .args(["analyze"])
                    .arg(&file.display_path)
                    .args(["-o", "json", "--execution-timeout"])
                    .arg(execution.as_secs().to_string());
                if let Some(solc) = solc_for(file, settings.solc.as_deref()) {
                    invocation = invocation.env("SOLC_VERSION", solc.version);
                }
                Job {
                    label: format!("`{}`", file.display_path),
                    invocation: invocation.args(settings.args.iter()),
                    report_file: None,
                }
            })
            .collect(),
        ToolKind::Aderyn => {
            if files.is_empty() {
                return Vec::new();
            }
            let report = dir.join(ADERYN_REPORT);
            let mut invocation = Invocation::new(tool.executable(), dir)
                .arg(".")
                .arg("--output")
                .arg(&report);
            if let Some(version) = files
                .first()
                .and_then(|f| solc_for(f, settings.solc.as_deref()))
            {
                invocation = invocation.env("SOLC_VERSION", version.version);
            }
            vec![Job {
                label: "the project".to_owned(),
                invocation: invocation.args(settings.args.iter()),
                report_file: Some(report),
            }]
        }
    }
}

/// The report Aderyn writes in the workspace (a name no project file has: loaded
/// files are `.sol`).
const ADERYN_REPORT: &str = "web3audit-aderyn-report.json";

/// A job's report, parsed; or the note that says precisely why there is none.
fn read_report(
    tool: ToolKind,
    job: &Job,
    outcome: &Outcome,
    limits: &sandbox::Limits,
) -> Result<(Vec<ToolFinding>, usize), String> {
    match outcome.exit {
        Exit::TimedOut | Exit::OutputLimit | Exit::Signal(_) => {
            return Err(describe_failure(outcome.exit, outcome, limits));
        }
        Exit::Code(_) => {}
    }
    let text = match &job.report_file {
        Some(path) => match std::fs::metadata(path) {
            Ok(meta) if meta.len() > limits.output_bytes as u64 => {
                return Err(format!(
                    "its report file is larger than the output limit of {} MiB",
                    limits.output_bytes >> 20
                ));
            }
            Ok(_) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read its report file: {e}"))?,
            Err(_) => {
                return Err(format!(
                    "{} and wrote no report{}",
                    exit_words(outcome.exit),
                    stderr_suffix(outcome)
                ));
            }
        },
        None => String::from_utf8_lossy(&outcome.stdout).into_owned(),
    };
    if text.trim().is_empty() {
        return Err(format!(
            "{} and printed no report{}",
            exit_words(outcome.exit),
            stderr_suffix(outcome)
        ));
    }
    let parsed = match tool {
        ToolKind::Slither => slither::parse(&text).map(|f| (f, 0)),
        ToolKind::Aderyn => aderyn::parse(&text).map(|f| (f, 0)),
        ToolKind::Mythril => mythril::parse(&text),
    };
    parsed.map_err(|e| match e {
        ParseError::ToolError(message) => format!(
            "{} reported an error: {}",
            tool.name(),
            one_line(&message, 400)
        ),
        other => format!(
            "{} ({}); its output starts with `{}`{}",
            other,
            exit_words(outcome.exit),
            one_line(&text, 80),
            stderr_suffix(outcome)
        ),
    })
}

fn exit_words(exit: Exit) -> String {
    match exit {
        Exit::Code(code) => format!("exited with code {code}"),
        Exit::Signal(signal) => format!("was killed by signal {signal}"),
        Exit::TimedOut => "timed out".to_owned(),
        Exit::OutputLimit => "went past the output limit".to_owned(),
    }
}

/// The sentence for a run that did not end normally.
fn describe_failure(exit: Exit, outcome: &Outcome, limits: &sandbox::Limits) -> String {
    match exit {
        Exit::TimedOut => format!(
            "timed out after {} s; its process group was killed",
            limits.timeout.as_secs_f64()
        ),
        Exit::OutputLimit => format!(
            "printed more than the output limit of {} bytes; it was stopped and its output ignored",
            limits.output_bytes
        ),
        Exit::Signal(signal) => format!(
            "crashed (killed by signal {signal}{}){}",
            if signal == libc::SIGSEGV || signal == libc::SIGKILL || signal == libc::SIGABRT {
                ", perhaps at the memory limit"
            } else {
                ""
            },
            stderr_suffix(outcome)
        ),
        Exit::Code(code) => format!("exited with code {code}{}", stderr_suffix(outcome)),
    }
}

fn stderr_suffix(outcome: &Outcome) -> String {
    let tail = outcome.stderr_tail(3);
    if tail.is_empty() {
        String::new()
    } else {
        format!("; stderr: {}", one_line(&tail, 300))
    }
}

/// `text` on one line, at most `max` characters, control characters replaced.
fn one_line(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out.trim().to_owned()
}

/// A private temporary directory holding a copy of every loaded file under its display
/// path (and the project's compiler configuration files), removed when dropped.
struct Workspace {
    dir: tempfile::TempDir,
    files: std::collections::HashSet<String>,
}

impl Workspace {
    fn create(project: &Project) -> std::io::Result<Workspace> {
        let dir = tempfile::Builder::new()
            .prefix("web3audit-tool-")
            .tempdir()?;
        let mut files = std::collections::HashSet::new();
        for file in &project.files {
            let Some(relative) = safe_relative(&file.display_path) else {
                continue;
            };
            let target = dir.path().join(relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&target, file.text.as_bytes())?;
            files.insert(file.display_path.clone());
        }
        for name in ["foundry.toml", "remappings.txt"] {
            let source = project.root.join(name);
            if source.is_file() {
                let _ = std::fs::copy(&source, dir.path().join(name));
            }
        }
        Ok(Workspace { dir, files })
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn has(&self, display_path: &str) -> bool {
        self.files.contains(display_path)
    }
}

/// `display_path` as a path inside the workspace: relative, no `..`, no root, no
/// `<standard>/` stand-ins.
fn safe_relative(display_path: &str) -> Option<&Path> {
    let path = Path::new(display_path);
    (!display_path.starts_with('<')
        && !display_path.is_empty()
        && path.components().all(|c| matches!(c, Component::Normal(_))))
    .then_some(path)
}

/// The compiler a file is analysed with.
struct Solc {
    /// What Slither's `--solc` gets.
    command: OsString,
    /// What the shim's `SOLC_VERSION` gets.
    version: String,
}

/// The configured compiler, else the newest `solc-X.Y.Z` on `PATH` that every
/// `pragma solidity` of `file` admits.
fn solc_for(file: &SourceFile, configured: Option<&str>) -> Option<Solc> {
    if let Some(configured) = configured {
        let version = configured
            .rsplit(['-', '/'])
            .next()
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(configured)
            .to_owned();
        return Some(Solc {
            command: configured.into(),
            version,
        });
    }
    let reqs: Vec<&syntax::VersionReq> = file.parse.version_reqs().collect();
    installed_compilers()
        .iter()
        .rev()
        .find(|(version, _)| reqs.iter().all(|r| r.matches(*version)))
        .map(|(version, path)| Solc {
            command: path.clone().into_os_string(),
            version: format!("{}.{}.{}", version.major, version.minor, version.patch),
        })
}

/// Every `solc-X.Y.Z` command on `PATH`, sorted by version (the first directory wins).
fn installed_compilers() -> &'static [(Version, PathBuf)] {
    static FOUND: OnceLock<Vec<(Version, PathBuf)>> = OnceLock::new();
    FOUND.get_or_init(|| {
        let mut found: Vec<(Version, PathBuf)> = Vec::new();
        let Some(path) = std::env::var_os("PATH") else {
            return found;
        };
        for dir in std::env::split_paths(&path) {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(version) = name
                    .to_str()
                    .and_then(|n| n.strip_prefix("solc-"))
                    .and_then(parse_triple)
                else {
                    continue;
                };
                if !found.iter().any(|(v, _)| *v == version)
                    && sandbox::is_executable(&entry.path())
                {
                    found.push((version, entry.path()));
                }
            }
        }
        found.sort();
        found
    })
}

fn parse_triple(text: &str) -> Option<Version> {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    parts
        .next()
        .is_none()
        .then_some(Version::new(major, minor, patch))
}

/// The compilers `doctor` lists.
pub fn compilers() -> Vec<String> {
    installed_compilers()
        .iter()
        .map(|(v, _)| format!("{}.{}.{}", v.major, v.minor, v.patch))
        .collect()
}
