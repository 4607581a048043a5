//! `web3audit lsp`: a language server over standard input and output.
//!
//! The message loop (this file) never analyses: it keeps the open documents, answers
//! hover and code-action requests from the last results, and starts analyses on their
//! own threads ([`job`]). Analyses are debounced after changes, at most one runs at a
//! time for a given file, and a result computed from an older version of a document is
//! dropped. A change re-analyses the changed file and the reported or open files that
//! import it ([`workspace`]); the first document of a project triggers the analysis of
//! the whole project.

mod actions;
mod document;
mod job;
mod settings;
mod workspace;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, after, never, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionParams, CodeActionProviderCapability, ConfigurationItem, ConfigurationParams,
    Diagnostic, DiagnosticSeverity, DidChangeConfigurationParams, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    ExecuteCommandOptions, ExecuteCommandParams, HoverParams, HoverProviderCapability,
    InitializeParams, LogMessageParams, MessageType, PositionEncodingKind,
    PublishDiagnosticsParams, Range, ServerCapabilities, ShowDocumentParams, ShowMessageParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Url,
};
use project::Project;
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::document::{Document, Encoding, Language};
use self::job::{FileDiagnostics, FindingAt, Job, JobOutput, OpenText, Scope};
use self::settings::ClientSettings;
use self::workspace::KnownProject;

#[derive(Debug, clap::Args)]
pub(crate) struct LspArgs {
    /// Accepted for editors that pass it: the server always speaks over standard input
    /// and output.
    #[arg(long)]
    #[allow(
        dead_code,
        reason = "accepted and ignored: stdio is the only transport"
    )]
    stdio: bool,
}

/// Runs the server until the client sends `exit`: exit code 0 after a `shutdown`
/// request, 1 otherwise (as the protocol asks).
pub(crate) fn run(_args: &LspArgs) -> ExitCode {
    let (connection, io_threads) = Connection::stdio();
    let result = serve(&connection);
    drop(connection);
    let joined = io_threads.join();
    match (result, joined) {
        (Ok(true), Ok(())) => ExitCode::SUCCESS,
        (Ok(_), _) => ExitCode::from(1),
        (Err(error), _) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// Whether the client asked for a shutdown before `exit`.
fn serve(connection: &Connection) -> anyhow::Result<bool> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let mut server = Server::new(connection, &params);
    let capabilities = ServerCapabilities {
        position_encoding: Some(match server.encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![actions::OPEN_DOCUMENTATION.to_owned()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    };
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": capabilities,
            "serverInfo": { "name": "web3audit", "version": env!("CARGO_PKG_VERSION") },
        }),
    )?;
    let (settings, warnings) = params
        .initialization_options
        .as_ref()
        .map(ClientSettings::from_json)
        .unwrap_or_default();
    server.settings = settings;
    server.warn(&warnings);
    // `initialize_finish` received the `initialized` notification.
    server.initialized();
    server.run()
}

/// What a pending analysis is for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Target {
    /// The whole project at this root.
    Project(PathBuf),
    /// One file (canonical path) and what its change affects.
    File(PathBuf),
    /// A buffer without a file.
    Memory(Url),
}

struct Server<'c> {
    connection: &'c Connection,
    encoding: Encoding,
    settings: ClientSettings,
    /// The client answers `workspace/configuration`.
    pull_configuration: bool,
    /// The client opens documents for `window/showDocument`.
    show_document: bool,
    /// The workspace folders, as given.
    folders: Vec<PathBuf>,
    documents: HashMap<Url, Document>,
    /// The canonical path of each open document that is a file.
    paths: HashMap<Url, PathBuf>,
    projects: Vec<KnownProject>,
    /// The findings last published for each file, for hover and code actions.
    findings: HashMap<Url, Vec<FindingAt>>,
    /// The files diagnostics were published for (non-empty), with their paths.
    published: HashMap<Url, Option<PathBuf>>,
    /// Configuration files with a published error.
    config_errors: Vec<PathBuf>,
    /// Analyses to start, and when (changes wait for the debounce delay).
    pending: BTreeMap<Target, Instant>,
    running: HashMap<u64, Scope>,
    next_job: u64,
    next_request: u64,
    configuration_request: Option<RequestId>,
    results: (Sender<JobOutput>, Receiver<JobOutput>),
    shutdown: bool,
}

impl<'c> Server<'c> {
    fn new(connection: &'c Connection, params: &InitializeParams) -> Self {
        let capabilities = &params.capabilities;
        let utf8 = capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_ref())
            .is_some_and(|kinds| kinds.contains(&PositionEncodingKind::UTF8));
        #[allow(deprecated)] // `root_uri` is what clients without workspace folders send.
        let folders = match &params.workspace_folders {
            Some(folders) => folders
                .iter()
                .filter_map(|f| f.uri.to_file_path().ok())
                .collect(),
            None => params
                .root_uri
                .iter()
                .filter_map(|uri| uri.to_file_path().ok())
                .collect(),
        };
        Self {
            connection,
            encoding: if utf8 {
                Encoding::Utf8
            } else {
                Encoding::Utf16
            },
            settings: ClientSettings::default(),
            pull_configuration: capabilities
                .workspace
                .as_ref()
                .and_then(|w| w.configuration)
                .unwrap_or(false),
            show_document: capabilities
                .window
                .as_ref()
                .and_then(|w| w.show_document.as_ref())
                .is_some_and(|s| s.support),
            folders,
            documents: HashMap::new(),
            paths: HashMap::new(),
            projects: Vec::new(),
            findings: HashMap::new(),
            published: HashMap::new(),
            config_errors: Vec::new(),
            pending: BTreeMap::new(),
            running: HashMap::new(),
            next_job: 0,
            next_request: 0,
            configuration_request: None,
            results: crossbeam_channel::unbounded(),
            shutdown: false,
        }
    }

    fn run(&mut self) -> anyhow::Result<bool> {
        let messages = self.connection.receiver.clone();
        let results = self.results.1.clone();
        loop {
            let timer = match self.next_due() {
                Some(due) => after(due.saturating_duration_since(Instant::now())),
                None => never(),
            };
            select! {
                recv(messages) -> message => match message {
                    Ok(message) => {
                        if let Some(shutdown) = self.handle(message)? {
                            return Ok(shutdown);
                        }
                    }
                    // The client went away without `exit`.
                    Err(_) => return Ok(false),
                },
                recv(results) -> output => {
                    if let Ok(output) = output {
                        self.finished(output);
                    }
                }
                recv(timer) -> _ => {}
            }
            self.start_due();
        }
    }

    /// Handles one message; `Some(shutdown)` when it was `exit`.
    fn handle(&mut self, message: Message) -> anyhow::Result<Option<bool>> {
        match message {
            Message::Request(request) => self.request(request)?,
            Message::Response(response) => self.response(response),
            Message::Notification(notification) => {
                if notification.method == "exit" {
                    return Ok(Some(self.shutdown));
                }
                self.notification(notification);
            }
        }
        Ok(None)
    }

    fn request(&mut self, request: Request) -> anyhow::Result<()> {
        if self.shutdown {
            return self.reply_error(request.id, ErrorCode::InvalidRequest, "shutting down");
        }
        let id = request.id.clone();
        match request.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                self.reply(id, ())
            }
            "textDocument/hover" => {
                let Some(params) = self.params::<HoverParams>(&request)? else {
                    return Ok(());
                };
                let at = params.text_document_position_params;
                let hover = self
                    .findings
                    .get(&at.text_document.uri)
                    .and_then(|findings| actions::hover(findings, at.position));
                self.reply(id, hover)
            }
            "textDocument/codeAction" => {
                let Some(params) = self.params::<CodeActionParams>(&request)? else {
                    return Ok(());
                };
                let uri = &params.text_document.uri;
                let found = match (self.documents.get(uri), self.findings.get(uri)) {
                    (Some(document), Some(findings)) => actions::code_actions(
                        uri,
                        document,
                        findings,
                        params.range,
                        &params.context.diagnostics,
                    ),
                    _ => Vec::new(),
                };
                self.reply(id, found)
            }
            "workspace/executeCommand" => {
                let Some(params) = self.params::<ExecuteCommandParams>(&request)? else {
                    return Ok(());
                };
                let detector = params
                    .arguments
                    .first()
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned);
                match (params.command.as_str(), detector) {
                    (actions::OPEN_DOCUMENTATION, Some(detector)) => {
                        self.open_documentation(&detector);
                        self.reply(id, ())
                    }
                    _ => self.reply_error(
                        id,
                        ErrorCode::InvalidParams,
                        &format!(
                            "unknown command `{}` (the server runs `{}` with a detector id)",
                            params.command,
                            actions::OPEN_DOCUMENTATION
                        ),
                    ),
                }
            }
            other => self.reply_error(
                id,
                ErrorCode::MethodNotFound,
                &format!("`{other}` is not supported"),
            ),
        }
    }

    /// The parameters of `request`, or `None` after replying that they are invalid.
    fn params<P: DeserializeOwned>(&self, request: &Request) -> anyhow::Result<Option<P>> {
        match serde_json::from_value(request.params.clone()) {
            Ok(params) => Ok(Some(params)),
            Err(error) => {
                self.reply_error(
                    request.id.clone(),
                    ErrorCode::InvalidParams,
                    &format!("invalid parameters: {error}"),
                )?;
                Ok(None)
            }
        }
    }

    fn response(&mut self, response: Response) {
        if self.configuration_request.as_ref() != Some(&response.id) {
            return;
        }
        self.configuration_request = None;
        let section = response
            .response_result
            .as_ref()
            .ok()
            .and_then(|result| result.as_array())
            .and_then(|items| items.first())
            .cloned()
            .unwrap_or_default();
        let (settings, warnings) = ClientSettings::from_json(&section);
        self.apply_settings(settings, &warnings);
    }

    fn notification(&mut self, notification: Notification) {
        fn extract<P: DeserializeOwned>(notification: Notification) -> Option<P> {
            serde_json::from_value(notification.params).ok()
        }
        match notification.method.as_str() {
            "textDocument/didOpen" => {
                if let Some(params) = extract::<DidOpenTextDocumentParams>(notification) {
                    self.did_open(params);
                }
            }
            "textDocument/didChange" => {
                if let Some(params) = extract::<DidChangeTextDocumentParams>(notification) {
                    self.did_change(params);
                }
            }
            "textDocument/didSave" => {
                if let Some(params) = extract::<DidSaveTextDocumentParams>(notification)
                    && let Some(target) = self.target_of(&params.text_document.uri)
                {
                    self.pending.insert(target, Instant::now());
                }
            }
            "textDocument/didClose" => {
                if let Some(params) = extract::<DidCloseTextDocumentParams>(notification) {
                    self.did_close(&params.text_document.uri);
                }
            }
            "workspace/didChangeConfiguration" => {
                if let Some(params) = extract::<DidChangeConfigurationParams>(notification) {
                    self.did_change_configuration(&params.settings);
                }
            }
            _ => {}
        }
    }

    /// Starts the analysis of the projects the workspace folders belong to, and asks the
    /// client for its settings.
    fn initialized(&mut self) {
        for folder in self.folders.clone() {
            if let Some((root, _)) = Project::detect_root(&folder) {
                self.know_project(&root);
                self.pending.insert(Target::Project(root), Instant::now());
            }
        }
        self.request_configuration();
    }

    fn request_configuration(&mut self) {
        if !self.pull_configuration {
            return;
        }
        let id = self.send_request(
            "workspace/configuration",
            ConfigurationParams {
                items: vec![ConfigurationItem {
                    scope_uri: None,
                    section: Some("web3audit".to_owned()),
                }],
            },
        );
        self.configuration_request = Some(id);
    }

    fn did_change_configuration(&mut self, value: &serde_json::Value) {
        if value.get("web3audit").is_none() && self.pull_configuration {
            self.request_configuration();
            return;
        }
        let (settings, warnings) = ClientSettings::from_json(value);
        self.apply_settings(settings, &warnings);
    }

    /// New settings re-analyse every known project and every open document.
    fn apply_settings(&mut self, settings: ClientSettings, warnings: &[String]) {
        self.warn(warnings);
        if settings == self.settings {
            return;
        }
        self.settings = settings;
        let now = Instant::now();
        for project in &self.projects {
            self.pending
                .insert(Target::Project(project.root.clone()), now);
        }
        let uris: Vec<Url> = self.documents.keys().cloned().collect();
        for uri in uris {
            let outside = self
                .paths
                .get(&uri)
                .is_none_or(|path| !self.projects.iter().any(|p| p.contains(path)));
            if outside && let Some(target) = self.target_of(&uri) {
                self.pending.insert(target, now);
            }
        }
    }

    fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let path = (item.uri.scheme() == "file")
            .then(|| item.uri.to_file_path().ok())
            .flatten();
        let language = path
            .as_deref()
            .and_then(Language::of_path)
            .or_else(|| Language::of_language_id(&item.language_id));
        let Some(language) = language else {
            return;
        };
        if let Some(path) = path {
            let canonical = std::fs::canonicalize(&path).unwrap_or(path);
            self.paths.insert(item.uri.clone(), canonical);
        }
        self.documents.insert(
            item.uri.clone(),
            Document {
                text: item.text.into(),
                version: item.version,
                language,
            },
        );
        if let Some(target) = self.target_of(&item.uri) {
            self.pending.insert(target, Instant::now());
        }
    }

    fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some(document) = self.documents.get_mut(&uri) else {
            return;
        };
        document.apply(
            params.content_changes,
            params.text_document.version,
            self.encoding,
        );
        if let Some(target) = self.target_of(&uri) {
            self.pending
                .insert(target, Instant::now() + self.settings.debounce());
        }
    }

    /// A closed file of a project is analysed again from disk, with its importers (its
    /// unsaved changes are gone); the diagnostics of any other closed document are
    /// cleared.
    fn did_close(&mut self, uri: &Url) {
        self.documents.remove(uri);
        self.pending.remove(&Target::Memory(uri.clone()));
        let path = self.paths.remove(uri);
        let in_project = path
            .as_deref()
            .is_some_and(|path| self.projects.iter().any(|p| p.reported(path).is_some()));
        match path {
            Some(path) if in_project => {
                self.pending.insert(Target::File(path), Instant::now());
            }
            path => {
                if let Some(path) = path {
                    self.pending.remove(&Target::File(path));
                }
                self.findings.remove(uri);
                self.published.remove(uri);
                self.publish(uri.clone(), Vec::new(), None);
            }
        }
    }

    fn target_of(&self, uri: &Url) -> Option<Target> {
        match self.paths.get(uri) {
            Some(path) => Some(Target::File(path.clone())),
            None => self
                .documents
                .contains_key(uri)
                .then(|| Target::Memory(uri.clone())),
        }
    }

    fn know_project(&mut self, root: &Path) {
        if !self.projects.iter().any(|p| p.root == root) {
            self.projects.push(KnownProject::new(root.to_path_buf()));
        }
    }

    fn is_open(&self, path: &Path) -> bool {
        self.paths.values().any(|p| p == path)
    }

    /// Whether an analysis that covers `target` is running (the target then waits).
    fn is_busy(&self, target: &Target) -> bool {
        self.running.values().any(|scope| match (target, scope) {
            (Target::Project(root), Scope::Project(running)) => root == running,
            (Target::Project(root), Scope::Files(paths)) => {
                paths.iter().any(|p| p.starts_with(root))
            }
            (Target::File(path), Scope::Project(root)) => path.starts_with(root),
            (Target::File(path), Scope::Files(paths)) => paths.contains(path),
            (Target::Memory(uri), Scope::Memory(running)) => uri == running,
            _ => false,
        })
    }

    /// When the next pending analysis that can start is due.
    fn next_due(&self) -> Option<Instant> {
        self.pending
            .iter()
            .filter(|(target, _)| !self.is_busy(target))
            .map(|(_, &due)| due)
            .min()
    }

    fn start_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Target> = self
            .pending
            .iter()
            .filter(|&(target, &due)| due <= now && !self.is_busy(target))
            .map(|(target, _)| target.clone())
            .collect();
        for target in due {
            // An analysis started in this loop may cover it.
            if !self.is_busy(&target) {
                self.pending.remove(&target);
                self.start(target);
            }
        }
    }

    fn start(&mut self, target: Target) {
        match target {
            Target::Project(root) => self.spawn(Scope::Project(root), BTreeMap::new()),
            Target::Memory(uri) => {
                if self.documents.contains_key(&uri) {
                    self.spawn(Scope::Memory(uri), BTreeMap::new());
                }
            }
            Target::File(path) => {
                if let Some(project) = self.projects.iter().find(|p| p.contains(&path)) {
                    if !project.loaded {
                        // The project's first analysis covers it; it was busy or failed.
                        let root = project.root.clone();
                        self.pending.insert(Target::Project(root), Instant::now());
                        return;
                    }
                    let affected =
                        project.affected(&path, |p, reported| reported || self.is_open(p));
                    let reported = affected
                        .iter()
                        .filter_map(|p| Some((p.clone(), project.reported(p)?)))
                        .collect();
                    self.spawn(Scope::Files(affected), reported);
                } else if let Some((root, _)) = Project::detect_root(&path) {
                    self.know_project(&root);
                    self.spawn(Scope::Project(root), BTreeMap::new());
                } else {
                    // Outside any project: the file alone, with what it imports.
                    self.spawn(Scope::Files(vec![path]), BTreeMap::new());
                }
            }
        }
    }

    fn spawn(&mut self, scope: Scope, reported: BTreeMap<PathBuf, bool>) {
        let id = self.next_job;
        self.next_job += 1;
        let open = self
            .documents
            .iter()
            .map(|(uri, document)| OpenText {
                uri: uri.clone(),
                path: self.paths.get(uri).cloned(),
                language: document.language,
                text: document.text.clone(),
                version: document.version,
            })
            .collect();
        let job = Job {
            id,
            scope: scope.clone(),
            open,
            reported,
            settings: self.settings.clone(),
            encoding: self.encoding,
        };
        let results = self.results.0.clone();
        // Each analysis has its own worker threads: one on a 5 MB file cannot hold up the
        // parallel parts of another (the global pool would queue them behind it).
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let spawned = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("web3audit-lsp-{id}-{i}"))
            .build()
            .map_err(|error| error.to_string())
            .and_then(|pool| {
                std::thread::Builder::new()
                    .name(format!("web3audit-lsp-analysis-{id}"))
                    .spawn(move || {
                        let _ = results.send(pool.install(|| job.run()));
                    })
                    .map_err(|error| error.to_string())
            });
        match spawned {
            Ok(_) => {
                self.running.insert(id, scope);
            }
            Err(error) => self.log(
                MessageType::ERROR,
                format!("cannot start an analysis thread: {error}"),
            ),
        }
    }

    fn finished(&mut self, output: JobOutput) {
        self.running.remove(&output.id);
        let what = match &output.scope {
            Scope::Project(root) => format!("project {}", root.display()),
            Scope::Files(paths) => format!("{} file(s)", paths.len()),
            Scope::Memory(uri) => uri.to_string(),
        };
        match &output.error {
            Some(error) => self.log(MessageType::WARNING, format!("{what}: {error}")),
            None => self.log(
                MessageType::LOG,
                format!("analysed {what} in {} ms", output.millis),
            ),
        }
        if let Some((path, error)) = &output.config {
            self.config_diagnostics(path, error.as_deref());
        }
        match &output.scope {
            Scope::Project(root) => {
                if let Some(project) = self.projects.iter_mut().find(|p| &p.root == root) {
                    project.replace(output.graph);
                }
                self.clear_not_published(root, &output.files);
                // Open files the project analysis did not load (a library file nothing
                // imports) are analysed on their own.
                let published: Vec<&Url> = output.files.iter().map(|f| &f.uri).collect();
                let now = Instant::now();
                for (uri, path) in &self.paths {
                    if path.starts_with(root) && !published.contains(&uri) {
                        self.pending.insert(Target::File(path.clone()), now);
                    }
                }
            }
            Scope::Files(paths) => {
                if let Some(first) = paths.first()
                    && let Some(project) = self.projects.iter_mut().find(|p| p.contains(first))
                {
                    project.update(output.graph);
                }
            }
            Scope::Memory(_) => {}
        }
        for file in output.files {
            self.publish_analysed(file, matches!(output.scope, Scope::Project(_)));
        }
    }

    /// Publishes one file's diagnostics unless the document changed since (a newer
    /// analysis is due).
    fn publish_analysed(&mut self, file: FileDiagnostics, whole_project: bool) {
        let current = self.documents.get(&file.uri).map(|d| d.version);
        if current.is_some() && current != file.version {
            return;
        }
        if whole_project && let Some(path) = &file.path {
            // The project's analysis saw this very text: a pending analysis of the file
            // alone would find the same.
            self.pending.remove(&Target::File(path.clone()));
        }
        if file.diagnostics.is_empty() {
            self.published.remove(&file.uri);
        } else {
            self.published.insert(file.uri.clone(), file.path.clone());
        }
        self.findings.insert(file.uri.clone(), file.findings);
        self.publish(file.uri, file.diagnostics, file.version);
    }

    /// After a whole-project analysis: files under `root` that had diagnostics and were
    /// not published now (no longer reported, deleted) are cleared, unless open.
    fn clear_not_published(&mut self, root: &Path, files: &[FileDiagnostics]) {
        let stale: Vec<Url> = self
            .published
            .iter()
            .filter(|(uri, path)| {
                path.as_deref().is_some_and(|p| p.starts_with(root))
                    && !self.documents.contains_key(*uri)
                    && !files.iter().any(|f| &f.uri == *uri)
            })
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in stale {
            self.published.remove(&uri);
            self.findings.remove(&uri);
            self.publish(uri, Vec::new(), None);
        }
    }

    /// An unreadable or invalid `web3audit.toml` is an error on its first line (the
    /// defaults apply meanwhile); cleared once it is fixed.
    fn config_diagnostics(&mut self, path: &Path, error: Option<&str>) {
        let Ok(uri) = Url::from_file_path(path) else {
            return;
        };
        let known = self.config_errors.iter().any(|p| p == path);
        match error {
            Some(message) => {
                if !known {
                    self.config_errors.push(path.to_path_buf());
                }
                let diagnostic = Diagnostic {
                    range: Range::default(),
                    severity: Some(DiagnosticSeverity::ERROR),
                    source: Some(job::SOURCE.to_owned()),
                    message: format!("{message}; the defaults apply"),
                    ..Diagnostic::default()
                };
                self.publish(uri, vec![diagnostic], None);
            }
            None if known => {
                self.config_errors.retain(|p| p != path);
                self.publish(uri, Vec::new(), None);
            }
            None => {}
        }
    }

    fn open_documentation(&mut self, detector: &str) {
        let Some(uri) =
            actions::documentation_uri(detector, self.settings.documentation_url.as_deref())
        else {
            self.show(
                MessageType::WARNING,
                format!("no documentation for `{detector}` (see `web3audit detectors`)"),
            );
            return;
        };
        if self.show_document {
            let external = uri.scheme() != "file";
            self.send_request(
                "window/showDocument",
                ShowDocumentParams {
                    uri,
                    external: Some(external),
                    take_focus: Some(true),
                    selection: None,
                },
            );
        } else {
            self.show(
                MessageType::INFO,
                format!("The documentation of `{detector}`: {uri}"),
            );
        }
    }

    fn publish(&self, uri: Url, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
        self.notify(
            "textDocument/publishDiagnostics",
            PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            },
        );
    }

    fn warn(&self, warnings: &[String]) {
        for warning in warnings {
            self.show(MessageType::WARNING, warning.clone());
        }
    }

    fn show(&self, typ: MessageType, message: String) {
        self.notify("window/showMessage", ShowMessageParams { typ, message });
    }

    fn log(&self, typ: MessageType, message: String) {
        self.notify("window/logMessage", LogMessageParams { typ, message });
    }

    fn notify(&self, method: &str, params: impl Serialize) {
        let notification = Notification::new(method.to_owned(), params);
        // A closed connection ends the loop at its next receive.
        let _ = self.connection.sender.send(notification.into());
    }

    fn send_request(&mut self, method: &str, params: impl Serialize) -> RequestId {
        self.next_request += 1;
        let id = RequestId::from(format!("web3audit-{}", self.next_request));
        let request = Request::new(id.clone(), method.to_owned(), params);
        let _ = self.connection.sender.send(request.into());
        id
    }

    fn reply(&self, id: RequestId, result: impl Serialize) -> anyhow::Result<()> {
        self.connection
            .sender
            .send(Response::new_ok(id, result).into())?;
        Ok(())
    }

    fn reply_error(&self, id: RequestId, code: ErrorCode, message: &str) -> anyhow::Result<()> {
        self.connection
            .sender
            .send(Response::new_err(id, code as i32, message.to_owned()).into())?;
        Ok(())
    }
}
