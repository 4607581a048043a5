//! One analysis: a snapshot of what to analyse (a whole project, some files with what they
//! import, or an unsaved buffer) and of the open documents' texts, run off the message
//! loop; out come the diagnostics of each file to publish, ready to send.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity,
    Location as LspLocation, NumberOrString, Range, Url,
};
use project::{DiagnosticLevel, LoadOptions, Project, ProjectError, SourceFile};
use report::ReportFinding;

use super::document::{Encoding, Language, LineMap};
use super::settings::ClientSettings;
use super::workspace::GraphFile;
use crate::analysis;
use crate::config::{self, ConfigFile};

/// The name diagnostics carry as their source.
pub(crate) const SOURCE: &str = "web3audit";

/// What one analysis loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Everything `scan ROOT` loads, for a project root.
    Project(PathBuf),
    /// These files (canonical paths) as explicit inputs, with every file they import.
    Files(Vec<PathBuf>),
    /// A buffer that has no file (`untitled:`), alone, from memory.
    Memory(Url),
}

/// An open document as the analysis sees it.
#[derive(Clone, Debug)]
pub(crate) struct OpenText {
    pub(crate) uri: Url,
    /// Canonical path, for documents that are files.
    pub(crate) path: Option<PathBuf>,
    pub(crate) language: Language,
    pub(crate) text: Arc<str>,
    pub(crate) version: i32,
}

/// An analysis to run.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: u64,
    pub(crate) scope: Scope,
    /// Every open document: their texts replace the files on disk.
    pub(crate) open: Vec<OpenText>,
    /// For [`Scope::Files`]: whether the project analysis reports each input's findings
    /// (an input it did not load is reported, as `scan FILE` reports it).
    pub(crate) reported: BTreeMap<PathBuf, bool>,
    pub(crate) settings: ClientSettings,
    pub(crate) encoding: Encoding,
}

/// A finding where the editor shows it, for hover and code actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FindingAt {
    pub(crate) range: Range,
    pub(crate) detector: String,
    pub(crate) message: String,
}

/// The diagnostics of one file.
#[derive(Clone, Debug)]
pub(crate) struct FileDiagnostics {
    pub(crate) uri: Url,
    /// Canonical path, for files.
    pub(crate) path: Option<PathBuf>,
    /// The version of the open document that was analysed; `None` when read from disk.
    pub(crate) version: Option<i32>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) findings: Vec<FindingAt>,
}

/// What an analysis produced.
#[derive(Debug)]
pub(crate) struct JobOutput {
    pub(crate) id: u64,
    pub(crate) scope: Scope,
    pub(crate) files: Vec<FileDiagnostics>,
    /// Every file loaded (canonical path), its imports and reporting.
    pub(crate) graph: Vec<(PathBuf, GraphFile)>,
    /// The configuration file used, and why it was ignored if it was.
    pub(crate) config: Option<(PathBuf, Option<String>)>,
    /// Why nothing could be analysed (no source file, a panic).
    pub(crate) error: Option<String>,
    pub(crate) millis: u128,
}

impl Job {
    /// Runs the analysis; a panic inside becomes [`JobOutput::error`].
    pub(crate) fn run(self) -> JobOutput {
        let (id, scope) = (self.id, self.scope.clone());
        let started = Instant::now();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.analyse(started)))
            .unwrap_or_else(|panic| {
                let reason = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                JobOutput {
                    id,
                    scope,
                    files: Vec::new(),
                    graph: Vec::new(),
                    config: None,
                    error: Some(format!("the analysis failed: {reason}")),
                    millis: started.elapsed().as_millis(),
                }
            })
    }

    fn analyse(self, started: Instant) -> JobOutput {
        let config_path = match &self.scope {
            Scope::Project(root) => config::discover(root),
            Scope::Files(paths) => paths.first().and_then(|p| config::discover(p)),
            Scope::Memory(_) => None,
        };
        let (file, config_error) = match &config_path {
            Some(path) => match ConfigFile::load(path) {
                Ok(file) => (file, None),
                Err(error) => (ConfigFile::default(), Some(format!("{error:#}"))),
            },
            None => (ConfigFile::default(), None),
        };
        let (mut load, options) = self.settings.resolve(file);
        let mut output = JobOutput {
            id: self.id,
            scope: self.scope.clone(),
            files: Vec::new(),
            graph: Vec::new(),
            config: config_path.map(|path| (path, config_error)),
            error: None,
            millis: 0,
        };
        let loaded = self.load(&mut load);
        let project = match loaded {
            Ok(project) => project,
            Err(error) => {
                // Nothing to analyse: the inputs have no diagnostics.
                output.error = Some(error.to_string());
                output.files = self.inputs_without_diagnostics();
                output.millis = started.elapsed().as_millis();
                return output;
            }
        };
        let model = analysis::build_model(&project, None);
        let report = match analysis::analyze_model(&project, &model, &options, started) {
            Ok(report) => report,
            Err(error) => {
                output.error = Some(format!("the analysis failed: {error:#}"));
                output.millis = started.elapsed().as_millis();
                return output;
            }
        };

        let open_by_path: HashMap<&Path, &OpenText> = self
            .open
            .iter()
            .filter_map(|doc| doc.path.as_deref().map(|path| (path, doc)))
            .collect();
        let mut findings: HashMap<&str, Vec<&ReportFinding>> = HashMap::new();
        for finding in &report.findings {
            findings
                .entry(finding.location.file.as_str())
                .or_default()
                .push(finding);
        }
        let semantic: Vec<(syntax::FileId, &semantics::SemanticDiagnostic)> =
            model.diagnostics().iter().map(|d| (d.file, d)).collect();
        let context = Context {
            project: &project,
            open: &open_by_path,
            buffers: &self.open,
            encoding: self.encoding,
            documentation_url: self.settings.documentation_url.as_deref(),
            lines: RefCell::new(HashMap::new()),
        };

        for file in self.published_files(&project, &open_by_path) {
            let show_findings = match &self.scope {
                Scope::Project(_) => file.reported,
                Scope::Files(_) => self.reported.get(&file.path).copied().unwrap_or(true),
                Scope::Memory(_) => true,
            };
            let file_findings = if show_findings {
                findings
                    .get(file.display_path.as_str())
                    .map_or(&[][..], Vec::as_slice)
            } else {
                &[]
            };
            let semantic_here = semantic
                .iter()
                .filter(|(id, _)| *id == file.id)
                .map(|(_, d)| *d);
            let mut diagnostics =
                context.file_diagnostics(file, file_findings, semantic_here, &self.scope);
            if !show_findings && diagnostics.version.is_none() {
                // Neither reported nor open (a library file closed after an edit): shown
                // nothing, as `scan` shows nothing of it.
                diagnostics.diagnostics.clear();
            }
            output.files.push(diagnostics);
        }
        if !matches!(self.scope, Scope::Memory(_)) {
            output.graph = graph(&project);
        }
        output.millis = started.elapsed().as_millis();
        output
    }

    fn load(&self, load: &mut LoadOptions) -> Result<Project, ProjectError> {
        match &self.scope {
            Scope::Memory(uri) => {
                let Some(doc) = self.open.iter().find(|doc| &doc.uri == uri) else {
                    return Err(ProjectError::NoSolidityFiles(Vec::new()));
                };
                let name = format!("{}.{}", memory_name(uri), doc.language.extension());
                Ok(Project::from_sources(
                    BTreeMap::from([(name, String::from(&*doc.text))]),
                    load,
                ))
            }
            Scope::Project(root) => {
                load.overlay = self.overlay();
                Project::load(std::slice::from_ref(root), load)
            }
            Scope::Files(paths) => {
                load.overlay = self.overlay();
                Project::load(paths, load)
            }
        }
    }

    /// The open documents that are files, as the loader's overlay.
    fn overlay(&self) -> BTreeMap<PathBuf, Arc<str>> {
        self.open
            .iter()
            .filter_map(|doc| Some((doc.path.clone()?, Arc::clone(&doc.text))))
            .collect()
    }

    /// The loaded files whose diagnostics this analysis publishes: every reported or open
    /// file of a project, the inputs of a file analysis, the buffer of a memory one.
    fn published_files<'p>(
        &self,
        project: &'p Project,
        open: &HashMap<&Path, &OpenText>,
    ) -> Vec<&'p SourceFile> {
        let loaded = project
            .files
            .iter()
            .filter(|f| !f.display_path.starts_with(project::STANDARD_PREFIX));
        match &self.scope {
            Scope::Project(root) => loaded
                .filter(|f| {
                    f.path.starts_with(root) && (f.reported || open.contains_key(f.path.as_path()))
                })
                .collect(),
            Scope::Files(paths) => loaded.filter(|f| paths.contains(&f.path)).collect(),
            Scope::Memory(_) => loaded.collect(),
        }
    }

    /// Empty diagnostics for the inputs of an analysis that loaded nothing.
    fn inputs_without_diagnostics(&self) -> Vec<FileDiagnostics> {
        let empty = |uri: Url, path: Option<PathBuf>| FileDiagnostics {
            version: self
                .open
                .iter()
                .find(|doc| doc.uri == uri)
                .map(|doc| doc.version),
            uri,
            path,
            diagnostics: Vec::new(),
            findings: Vec::new(),
        };
        match &self.scope {
            Scope::Project(_) => Vec::new(),
            Scope::Memory(uri) => vec![empty(uri.clone(), None)],
            Scope::Files(paths) => paths
                .iter()
                .filter_map(|path| {
                    let uri = self
                        .open
                        .iter()
                        .find(|doc| doc.path.as_ref() == Some(path))
                        .map(|doc| doc.uri.clone())
                        .or_else(|| Url::from_file_path(path).ok())?;
                    Some(empty(uri, Some(path.clone())))
                })
                .collect(),
        }
    }
}

/// The name an unsaved buffer is analysed under: the last segment of its URI.
fn memory_name(uri: &Url) -> String {
    let last = uri.path().rsplit('/').next().unwrap_or_default();
    let stem = last.split('.').next().unwrap_or_default();
    let clean: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if clean.is_empty() {
        "untitled".to_owned()
    } else {
        clean
    }
}

/// Every loaded file with its imports, for the server's import graph.
fn graph(project: &Project) -> Vec<(PathBuf, GraphFile)> {
    let is_stub = |f: &SourceFile| f.display_path.starts_with(project::STANDARD_PREFIX);
    project
        .files
        .iter()
        .filter(|f| !is_stub(f))
        .map(|f| {
            let imports = f
                .imports
                .iter()
                .flatten()
                .map(|&id| project.file(id))
                .filter(|target| !is_stub(target))
                .map(|target| target.path.clone())
                .collect();
            (
                f.path.clone(),
                GraphFile {
                    imports,
                    reported: f.reported,
                },
            )
        })
        .collect()
}

/// What converting one file's diagnostics needs.
struct Context<'a> {
    project: &'a Project,
    /// The open documents that are files, by path.
    open: &'a HashMap<&'a Path, &'a OpenText>,
    /// Every open document.
    buffers: &'a [OpenText],
    encoding: Encoding,
    documentation_url: Option<&'a str>,
    /// The line starts of each file that needed them, computed once.
    lines: RefCell<HashMap<syntax::FileId, Rc<LineMap>>>,
}

impl Context<'_> {
    fn lines(&self, file: &SourceFile) -> Rc<LineMap> {
        Rc::clone(
            self.lines
                .borrow_mut()
                .entry(file.id)
                .or_insert_with(|| Rc::new(LineMap::new(&file.text))),
        )
    }

    fn uri_of(&self, file: &SourceFile, scope: &Scope) -> Option<Url> {
        if let Scope::Memory(uri) = scope {
            return Some(uri.clone());
        }
        match self.open.get(file.path.as_path()) {
            Some(doc) => Some(doc.uri.clone()),
            None => Url::from_file_path(&file.path).ok(),
        }
    }

    fn file_diagnostics<'s>(
        &self,
        file: &SourceFile,
        findings: &[&ReportFinding],
        semantic: impl Iterator<Item = &'s semantics::SemanticDiagnostic>,
        scope: &Scope,
    ) -> FileDiagnostics {
        let lines = self.lines(file);
        let range =
            |lo: u32, hi: u32| lines.range(&file.text, lo as usize, hi as usize, self.encoding);
        let mut diagnostics = Vec::new();
        for d in file.parse.diagnostics() {
            diagnostics.push(plain(
                range(d.span.lo, d.span.hi),
                DiagnosticSeverity::ERROR,
                "syntax-error",
                &d.message,
            ));
        }
        for d in self
            .project
            .diagnostics
            .iter()
            .filter(|d| d.file == Some(file.id))
        {
            let at = d.span.map_or(range(0, 0), |span| range(span.lo, span.hi));
            let severity = match d.severity {
                DiagnosticLevel::Error => DiagnosticSeverity::ERROR,
                DiagnosticLevel::Warning => DiagnosticSeverity::WARNING,
            };
            let code = match d.kind {
                project::DiagnosticKind::UnresolvedImport => "unresolved-import",
                project::DiagnosticKind::Io => "io",
                project::DiagnosticKind::InvalidUtf8 => "invalid-utf8",
                project::DiagnosticKind::TooLarge => "too-large",
                project::DiagnosticKind::Config => "config",
            };
            diagnostics.push(plain(at, severity, code, &d.message));
        }
        for d in semantic {
            diagnostics.push(plain(
                range(d.span.lo, d.span.hi),
                DiagnosticSeverity::WARNING,
                "semantic",
                &d.message,
            ));
        }
        let mut at = Vec::with_capacity(findings.len());
        for finding in findings {
            let finding_range = range(finding.location.byte_start, finding.location.byte_end);
            at.push(FindingAt {
                range: finding_range,
                detector: finding.rule_id.clone(),
                message: finding.message.clone(),
            });
            diagnostics.push(Diagnostic {
                range: finding_range,
                severity: Some(severity_of(finding.severity)),
                code: Some(NumberOrString::String(finding.rule_id.clone())),
                code_description: self
                    .documentation_url
                    .and_then(|base| Url::parse(&format!("{base}#{}", finding.rule_id)).ok())
                    .map(|href| CodeDescription { href }),
                source: Some(SOURCE.to_owned()),
                message: finding.message.clone(),
                related_information: self.related(finding, scope),
                tags: None,
                data: None,
            });
        }
        FileDiagnostics {
            uri: self
                .uri_of(file, scope)
                .unwrap_or_else(|| Url::parse("untitled:unknown").expect("a valid URI")),
            path: (!matches!(scope, Scope::Memory(_))).then(|| file.path.clone()),
            version: match scope {
                Scope::Memory(uri) => self
                    .buffers
                    .iter()
                    .find(|doc| &doc.uri == uri)
                    .map(|doc| doc.version),
                _ => self.open.get(file.path.as_path()).map(|doc| doc.version),
            },
            diagnostics,
            findings: at,
        }
    }

    /// The secondary locations of a finding ("external call here").
    fn related(
        &self,
        finding: &ReportFinding,
        scope: &Scope,
    ) -> Option<Vec<DiagnosticRelatedInformation>> {
        let related: Vec<_> = finding
            .secondary
            .iter()
            .filter_map(|secondary| {
                let file = self
                    .project
                    .file_by_display_path(&secondary.location.file)?;
                let lines = self.lines(file);
                Some(DiagnosticRelatedInformation {
                    location: LspLocation {
                        uri: self.uri_of(file, scope)?,
                        range: lines.range(
                            &file.text,
                            secondary.location.byte_start as usize,
                            secondary.location.byte_end as usize,
                            self.encoding,
                        ),
                    },
                    message: secondary.message.clone(),
                })
            })
            .collect();
        (!related.is_empty()).then_some(related)
    }
}

fn plain(range: Range, severity: DiagnosticSeverity, code: &str, message: &str) -> Diagnostic {
    Diagnostic {
        range,
        severity: Some(severity),
        code: Some(NumberOrString::String(code.to_owned())),
        source: Some(SOURCE.to_owned()),
        message: message.to_owned(),
        ..Diagnostic::default()
    }
}

/// Critical and high findings are errors, medium ones warnings, low ones information,
/// informational ones hints.
fn severity_of(severity: detectors::Severity) -> DiagnosticSeverity {
    match severity {
        detectors::Severity::Critical | detectors::Severity::High => DiagnosticSeverity::ERROR,
        detectors::Severity::Medium => DiagnosticSeverity::WARNING,
        detectors::Severity::Low => DiagnosticSeverity::INFORMATION,
        detectors::Severity::Informational => DiagnosticSeverity::HINT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_names_come_from_the_uri() {
        let name = |uri: &str| memory_name(&Url::parse(uri).unwrap());
        assert_eq!(name("untitled:Untitled-1"), "Untitled-1");
        assert_eq!(name("untitled:"), "untitled");
        assert_eq!(name("untitled:/a/b/Token.sol"), "Token");
    }
}
