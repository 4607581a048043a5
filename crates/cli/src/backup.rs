//! `web3audit backup` (create, `list`, `cleanup`, `verify`, `checksums`) and
//! `web3audit restore`: the backup file and the commands. The database side, one snapshot
//! read and one restoring transaction on either backend, is `store::backup`.
//!
//! A backup file is an uncompressed tar of individually gzip-compressed components and a
//! manifest, so that a damaged byte falls inside one named component:
//! - `tables/NAME.jsonl.gz`: one JSON object per row (column name → value, in the form of
//!   `store::backup::Value::to_json`), rows in primary-key order;
//! - `config.json.gz`: the resolved settings, secrets redacted unless the backup was made
//!   with `--include-secrets` (then also the secret key and the full database URL);
//! - `manifest.json`: format, tool and schema versions, source backend, creation time, and
//!   per component the SHA-256 and size of the stored bytes, the uncompressed size and,
//!   for a table, its columns, row count and content checksum;
//! - `manifest.sha256`: the SHA-256 of `manifest.json`.
//!
//! Invariants: a backup is written to `FILE.partial` and renamed when complete; a restore
//! checks the manifest and every component (checksums, sizes, rows, content checksums)
//! before it opens the target.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::StoreError;
use store::backup::{Backend, ContentChecksum, RowSink, RowSource, TableSummary, Value};

use crate::service::{ConfigArgs, runtime, settings};

/// The `format` of every manifest.
const FORMAT: &str = "web3audit-backup";
/// Raised when a reader of older files could misread a newer one.
const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const MANIFEST_SUM: &str = "manifest.sha256";
const CONFIG_COMPONENT: &str = "config.json.gz";
/// The largest manifest read (it lists components, never rows).
const MANIFEST_LIMIT: u64 = 16 * 1024 * 1024;
const FILE_PREFIX: &str = "web3audit-backup-";

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct BackupArgs {
    #[command(subcommand)]
    command: Option<BackupCommand>,
    #[command(flatten)]
    create: CreateArgs,
}

#[derive(Debug, clap::Args)]
struct CreateArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// File to write; an existing directory gets a timestamped name inside. Default: a
    /// timestamped file in `backups/` of the data directory.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also store the secret key (of tokens and audit-trail MACs) and the unredacted
    /// database URL; keep such a file as safe as the key itself.
    #[arg(long)]
    include_secrets: bool,
}

#[derive(Debug, clap::Subcommand)]
enum BackupCommand {
    /// List the backups of a directory, newest first.
    List(ListArgs),
    /// Delete all but the newest N backups of a directory.
    Cleanup(CleanupArgs),
    /// Check a backup: manifest, every component's checksum, row counts and content
    /// checksums; exit 1 naming the first damaged component.
    Verify(VerifyArgs),
    /// Row counts and content checksums of the live database, from one snapshot.
    Checksums(ChecksumsArgs),
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Directory of the backups; default `backups/` in the data directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct CleanupArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// How many of the newest backups to keep (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    keep: u64,
    /// Directory of the backups; default `backups/` in the data directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The backup file.
    file: PathBuf,
    /// Print the manifest as JSON once verified.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ChecksumsArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RestoreArgs {
    /// The backup file.
    file: PathBuf,
    /// Database to restore into; default the configured one. It is migrated first and
    /// must be empty unless --force.
    #[arg(long, value_name = "URL", alias = "database-url")]
    target: Option<String>,
    /// Empty a target that holds rows before restoring (in the same transaction).
    #[arg(long)]
    force: bool,
    /// Configuration file (for the target's secret key and data directory).
    #[arg(long, env = "WEB3AUDIT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: String,
    format_version: u32,
    tool_version: String,
    /// Comparable across backends (`store::backup::schema_version`).
    schema_version: i64,
    /// Applied migration versions of the source.
    migrations: Vec<i64>,
    source_backend: Backend,
    /// RFC 3339, UTC.
    created_at: String,
    created_at_ms: i64,
    includes_secrets: bool,
    components: Vec<Component>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Component {
    name: String,
    /// SHA-256 of the stored (compressed) bytes, hex.
    sha256: String,
    stored_bytes: u64,
    uncompressed_bytes: u64,
    /// For a table component: the table, its columns, rows and content checksum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    table: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    columns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_checksum: Option<String>,
}

impl Component {
    fn table_summary(&self) -> Option<TableSummary> {
        Some(TableSummary {
            name: self.table.clone()?,
            columns: self.columns.clone()?,
            rows: self.rows?,
            checksum: self.content_checksum.clone()?,
        })
    }
}

impl Manifest {
    fn tables(&self) -> Vec<TableSummary> {
        self.components
            .iter()
            .filter_map(Component::table_summary)
            .collect()
    }

    fn total_rows(&self) -> u64 {
        self.components.iter().filter_map(|c| c.rows).sum()
    }
}

/// `config.json.gz`.
#[derive(Debug, Serialize, Deserialize)]
struct ConfigComponent {
    settings: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,
}

pub(crate) fn run_backup(args: BackupArgs) -> ExitCode {
    let result = match args.command {
        None => create(&args.create),
        Some(BackupCommand::List(args)) => list(&args),
        Some(BackupCommand::Cleanup(args)) => cleanup(&args),
        Some(BackupCommand::Verify(args)) => verify(&args),
        Some(BackupCommand::Checksums(args)) => checksums(&args),
    };
    finish(result)
}

pub(crate) fn run_restore(args: RestoreArgs) -> ExitCode {
    finish(restore(&args))
}

fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if !error.is::<AlreadyReported>() {
                eprintln!("error: {error:#}");
            }
            ExitCode::from(1)
        }
    }
}

/// An error whose message was printed where it happened.
#[derive(Debug)]
struct AlreadyReported;

impl std::fmt::Display for AlreadyReported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reported")
    }
}

impl std::error::Error for AlreadyReported {}

fn resolve(config: &ConfigArgs) -> anyhow::Result<server::Settings> {
    // `settings` prints the precise problem.
    settings(config, None).map_err(|_| anyhow::Error::new(AlreadyReported))
}

fn default_dir(settings: &server::Settings) -> PathBuf {
    settings.data_dir().join("backups")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------
// Writing

/// Counts and hashes the bytes written through it.
struct Measured<W> {
    inner: W,
    bytes: u64,
    hasher: Sha256,
}

impl<W: Write> Write for Measured<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A component being written: its tar header is rewritten with the size at the end.
struct OpenComponent {
    name: String,
    header_at: u64,
    encoder: GzEncoder<Measured<BufWriter<File>>>,
    uncompressed: u64,
}

/// A stored component, as the manifest records it.
struct Written {
    sha256: String,
    stored_bytes: u64,
    uncompressed_bytes: u64,
}

/// Writes the tar, one compressed component at a time, straight to the file.
struct ArchiveWriter {
    out: Option<BufWriter<File>>,
    open: Option<OpenComponent>,
    mtime: u64,
}

fn tar_header(name: &str, size: u64, mtime: u64) -> std::io::Result<tar::Header> {
    let mut header = tar::Header::new_ustar();
    header.set_path(name)?;
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    Ok(header)
}

fn pad(out: &mut impl Write, size: u64) -> std::io::Result<()> {
    let rest = (512 - size % 512) % 512;
    out.write_all(&vec![0u8; rest as usize])
}

fn not_open() -> std::io::Error {
    std::io::Error::other("no component is open")
}

impl ArchiveWriter {
    fn create(path: &Path, mtime: u64) -> std::io::Result<Self> {
        Ok(ArchiveWriter {
            out: Some(BufWriter::new(File::create(path)?)),
            open: None,
            mtime,
        })
    }

    fn begin(&mut self, name: &str) -> std::io::Result<()> {
        let mut out = self.out.take().ok_or_else(not_open)?;
        let header_at = out.stream_position()?;
        out.write_all(&[0u8; 512])?;
        let measured = Measured {
            inner: out,
            bytes: 0,
            hasher: Sha256::new(),
        };
        self.open = Some(OpenComponent {
            name: name.to_string(),
            header_at,
            encoder: GzEncoder::new(measured, Compression::default()),
            uncompressed: 0,
        });
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let open = self.open.as_mut().ok_or_else(not_open)?;
        open.encoder.write_all(bytes)?;
        open.uncompressed += bytes.len() as u64;
        Ok(())
    }

    fn end(&mut self) -> std::io::Result<Written> {
        let open = self.open.take().ok_or_else(not_open)?;
        let measured = open.encoder.finish()?;
        let mut out = measured.inner;
        pad(&mut out, measured.bytes)?;
        let end = out.stream_position()?;
        out.seek(SeekFrom::Start(open.header_at))?;
        out.write_all(tar_header(&open.name, measured.bytes, self.mtime)?.as_bytes())?;
        out.seek(SeekFrom::Start(end))?;
        self.out = Some(out);
        Ok(Written {
            sha256: hex::encode(measured.hasher.finalize()),
            stored_bytes: measured.bytes,
            uncompressed_bytes: open.uncompressed,
        })
    }

    /// A component stored as it is (the manifest and its checksum).
    fn append_plain(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let out = self.out.as_mut().ok_or_else(not_open)?;
        out.write_all(tar_header(name, bytes.len() as u64, self.mtime)?.as_bytes())?;
        out.write_all(bytes)?;
        pad(out, bytes.len() as u64)
    }

    fn close(mut self) -> std::io::Result<()> {
        let mut out = self.out.take().ok_or_else(not_open)?;
        out.write_all(&[0u8; 1024])?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

/// Receives the export: one component per table.
struct ArchiveSink {
    writer: ArchiveWriter,
    columns: Vec<String>,
    line: Vec<u8>,
    components: Vec<Component>,
}

fn write_error(error: std::io::Error) -> StoreError {
    StoreError::Backup(format!("cannot write the backup: {error}"))
}

fn table_component(table: &str) -> String {
    format!("tables/{table}.jsonl.gz")
}

impl RowSink for ArchiveSink {
    fn begin_table(&mut self, table: &str, columns: &[String]) -> store::Result<()> {
        self.columns = columns.to_vec();
        self.writer
            .begin(&table_component(table))
            .map_err(write_error)
    }

    fn row(&mut self, values: &[Value]) -> store::Result<()> {
        let mut object = serde_json::Map::new();
        for (column, value) in self.columns.iter().zip(values) {
            object.insert(column.clone(), value.to_json()?);
        }
        self.line.clear();
        serde_json::to_writer(&mut self.line, &object)?;
        self.line.push(b'\n');
        self.writer.write(&self.line).map_err(write_error)
    }

    fn end_table(&mut self, summary: &TableSummary) -> store::Result<()> {
        let written = self.writer.end().map_err(write_error)?;
        self.components.push(Component {
            name: table_component(&summary.name),
            sha256: written.sha256,
            stored_bytes: written.stored_bytes,
            uncompressed_bytes: written.uncompressed_bytes,
            table: Some(summary.name.clone()),
            columns: Some(summary.columns.clone()),
            rows: Some(summary.rows),
            content_checksum: Some(summary.checksum.clone()),
        });
        Ok(())
    }
}

/// The settings as stored in a backup: secrets redacted unless asked for.
fn config_component(
    settings: &server::Settings,
    secret: Option<&server::Secret>,
) -> anyhow::Result<ConfigComponent> {
    let mut value = serde_json::to_value(settings)?;
    if let Some(object) = value.as_object_mut() {
        let url = match secret {
            Some(_) => settings.database_url.clone(),
            None => store::redact_url(&settings.database_url),
        };
        object.insert("database_url".into(), url.into());
        object.insert(
            "secret_key".into(),
            secret.map_or("<redacted>", |_| "<in secret_key>").into(),
        );
    }
    Ok(ConfigComponent {
        settings: value,
        secret_key: secret.map(|s| s.expose().to_string()),
    })
}

fn create(args: &CreateArgs) -> anyhow::Result<()> {
    let settings = resolve(&args.config)?;
    let secret = if args.include_secrets {
        let (secret, _) = server::resolve_secret(&settings, false)
            .context("--include-secrets: cannot read the secret key")?;
        Some(secret)
    } else {
        None
    };
    let created_at_ms = server::timestamp::now_ms();
    let created_at = server::timestamp::rfc3339(created_at_ms);
    let default_name = format!("{FILE_PREFIX}{}.tar", created_at.replace(':', "-"));
    let path = match &args.out {
        Some(out) if out.is_dir() => out.join(default_name),
        Some(out) => out.clone(),
        None => default_dir(&settings).join(default_name),
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let result = write_backup(&settings, secret.as_ref(), &partial, created_at_ms);
    let manifest = match result {
        Ok(manifest) => manifest,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, &path)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), path.display()))?;
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "backup written: {} ({}, schema {}, {}, {} rows in {} tables{})",
        path.display(),
        human_size(size),
        manifest.schema_version,
        manifest.source_backend,
        manifest.total_rows(),
        manifest.tables().len(),
        if manifest.includes_secrets {
            ", secrets included"
        } else {
            ""
        }
    );
    record_backup(&settings, &path, &manifest, size, created_at_ms);
    Ok(())
}

/// Records the backup in the service's audit trail (`backup.created`, no tenant), after
/// the snapshot, so that compliance packs show it; the backup itself stands without it. A
/// service whose secret key cannot be read here gets a warning instead.
fn record_backup(
    settings: &server::Settings,
    path: &Path,
    manifest: &Manifest,
    size: u64,
    created_at_ms: i64,
) {
    let signer = match server::resolve_secret(settings, false) {
        Ok((secret, _)) => store::trail::Signer::new(secret.expose().as_bytes()),
        Err(error) => {
            eprintln!("warning: the backup is not recorded in the audit trail: {error}");
            return;
        }
    };
    let event = store::NewAuditEvent {
        ts: server::timestamp::now_ms(),
        tenant_id: None,
        actor: "cli:backup".into(),
        action: "backup.created".into(),
        target: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        outcome: "success".into(),
        detail: serde_json::json!({
            "snapshot_at": server::timestamp::rfc3339(created_at_ms),
            "schema": manifest.schema_version,
            "backend": manifest.source_backend,
            "rows": manifest.total_rows(),
            "tables": manifest.tables().len(),
            "bytes": size,
            "secrets_included": manifest.includes_secrets,
        }),
    };
    let recorded = runtime().block_on(async {
        let store = store::connect(&settings.database_url).await?;
        store.append_audit_event(&event, &signer).await
    });
    if let Err(error) = recorded {
        eprintln!("warning: the backup is not recorded in the audit trail: {error}");
    }
}

fn write_backup(
    settings: &server::Settings,
    secret: Option<&server::Secret>,
    path: &Path,
    created_at_ms: i64,
) -> anyhow::Result<Manifest> {
    let backend = Backend::of_url(&settings.database_url)
        .ok_or_else(|| anyhow!("unknown database URL scheme"))?;
    let mtime = u64::try_from(created_at_ms / 1000).unwrap_or(0);
    let writer = ArchiveWriter::create(path, mtime)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut sink = ArchiveSink {
        writer,
        columns: Vec::new(),
        line: Vec::new(),
        components: Vec::new(),
    };
    let snapshot = runtime().block_on(async {
        let store = store::connect(&settings.database_url).await?;
        store.backup_export(&mut sink).await
    })?;
    debug_assert_eq!(snapshot.backend, backend);

    let config = serde_json::to_vec_pretty(&config_component(settings, secret)?)?;
    let mut writer = sink.writer;
    writer.begin(CONFIG_COMPONENT)?;
    writer.write(&config)?;
    let written = writer.end()?;
    let mut components = sink.components;
    components.push(Component {
        name: CONFIG_COMPONENT.into(),
        sha256: written.sha256,
        stored_bytes: written.stored_bytes,
        uncompressed_bytes: written.uncompressed_bytes,
        table: None,
        columns: None,
        rows: None,
        content_checksum: None,
    });
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: snapshot.schema_version,
        migrations: snapshot.migrations,
        source_backend: snapshot.backend,
        created_at: server::timestamp::rfc3339(created_at_ms),
        created_at_ms,
        includes_secrets: secret.is_some(),
        components,
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    writer.append_plain(MANIFEST, &manifest_bytes)?;
    writer.append_plain(
        MANIFEST_SUM,
        format!("{}  {MANIFEST}\n", sha256_hex(&manifest_bytes)).as_bytes(),
    )?;
    writer.close()?;
    Ok(manifest)
}

// ---------------------------------------------------------------------------------------
// Reading and verifying

/// Where an entry's bytes are in the file.
#[derive(Debug, Clone)]
struct StoredEntry {
    offset: u64,
    size: u64,
    sha256: String,
}

/// A backup whose manifest and component checksums were checked.
#[derive(Debug)]
struct CheckedBackup {
    path: PathBuf,
    manifest: Manifest,
    entries: BTreeMap<String, StoredEntry>,
}

/// The entries of a backup file, hashed, with the bytes of the small ones.
struct Index {
    entries: BTreeMap<String, StoredEntry>,
    /// `manifest.json` and `manifest.sha256`.
    small: BTreeMap<String, Vec<u8>>,
}

/// Hashes every entry; keeps the manifest's bytes.
fn index(path: &Path) -> anyhow::Result<Index> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    let mut entries = BTreeMap::new();
    let mut small = BTreeMap::new();
    let mut last = String::from("the start of the file");
    let damaged = |last: &str, error: std::io::Error| {
        anyhow!(
            "{} is damaged or not a backup: the archive cannot be read after {last}: {error}",
            path.display()
        )
    };
    for entry in archive.entries().map_err(|e| damaged(&last, e))? {
        let mut entry = entry.map_err(|e| damaged(&last, e))?;
        let name = entry
            .path()
            .map_err(|e| damaged(&last, e))?
            .to_string_lossy()
            .into_owned();
        let offset = entry.raw_file_position();
        let size = entry.size();
        let mut hasher = Sha256::new();
        if name == MANIFEST || name == MANIFEST_SUM {
            let mut bytes = Vec::new();
            (&mut entry)
                .take(MANIFEST_LIMIT)
                .read_to_end(&mut bytes)
                .map_err(|e| damaged(&last, e))?;
            hasher.update(&bytes);
            small.insert(name.clone(), bytes);
        } else {
            std::io::copy(&mut entry, &mut HashWriter(&mut hasher))
                .map_err(|e| damaged(&last, e))?;
        }
        if entries.contains_key(&name) {
            bail!("{} holds the entry `{name}` twice", path.display());
        }
        entries.insert(
            name.clone(),
            StoredEntry {
                offset,
                size,
                sha256: hex::encode(hasher.finalize()),
            },
        );
        last = format!("`{name}`");
    }
    Ok(Index { entries, small })
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The manifest, after checking it against `manifest.sha256`.
fn read_manifest(path: &Path, small: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<Manifest> {
    let bytes = small.get(MANIFEST).ok_or_else(|| {
        anyhow!(
            "{} has no {MANIFEST}: not a web3audit backup, or cut short",
            path.display()
        )
    })?;
    let recorded = small
        .get(MANIFEST_SUM)
        .ok_or_else(|| anyhow!("{} has no {MANIFEST_SUM}: cut short", path.display()))?;
    let recorded = String::from_utf8_lossy(recorded);
    let recorded = recorded.split_whitespace().next().unwrap_or("");
    if recorded != sha256_hex(bytes) {
        bail!(
            "component `{MANIFEST}` is damaged: its SHA-256 {} does not match {MANIFEST_SUM} ({recorded})",
            sha256_hex(bytes)
        );
    }
    let manifest: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| anyhow!("component `{MANIFEST}` cannot be read: {e}"))?;
    if manifest.format != FORMAT {
        bail!(
            "{} is not a web3audit backup (format `{}`)",
            path.display(),
            manifest.format
        );
    }
    if manifest.format_version > FORMAT_VERSION {
        bail!(
            "{} has format version {}; this web3audit reads up to {FORMAT_VERSION}: use a newer one",
            path.display(),
            manifest.format_version
        );
    }
    Ok(manifest)
}

/// Checks the manifest and every component's stored checksum and size.
fn check(path: &Path) -> anyhow::Result<CheckedBackup> {
    let Index { entries, small } = index(path)?;
    let manifest = read_manifest(path, &small)?;
    let mut listed = BTreeSet::new();
    for component in &manifest.components {
        let entry = entries.get(&component.name).ok_or_else(|| {
            anyhow!(
                "component `{}` is missing from {}",
                component.name,
                path.display()
            )
        })?;
        if entry.sha256 != component.sha256 || entry.size != component.stored_bytes {
            bail!(
                "component `{}` is damaged: SHA-256 {} ({} bytes) where the manifest records {} ({} bytes)",
                component.name,
                entry.sha256,
                entry.size,
                component.sha256,
                component.stored_bytes
            );
        }
        listed.insert(component.name.as_str());
    }
    if let Some(extra) = entries
        .keys()
        .find(|name| !listed.contains(name.as_str()) && *name != MANIFEST && *name != MANIFEST_SUM)
    {
        bail!(
            "{} holds `{extra}`, which the manifest does not list",
            path.display()
        );
    }
    Ok(CheckedBackup {
        path: path.to_path_buf(),
        manifest,
        entries,
    })
}

/// Checks the manifest, every checksum and every component's contents: uncompressed
/// size, rows and content checksums.
fn verify_file(path: &Path) -> anyhow::Result<CheckedBackup> {
    let backup = check(path)?;
    for component in &backup.manifest.components {
        let fail =
            |message: String| anyhow!("component `{}` is damaged: {message}", component.name);
        let mut reader = backup.component_reader(&component.name)?;
        let mut read = 0u64;
        match component.table_summary() {
            Some(table) => {
                let mut checksum = ContentChecksum::new(&table.columns);
                let mut line = String::new();
                loop {
                    line.clear();
                    let n = reader
                        .read_line(&mut line)
                        .map_err(|e| fail(e.to_string()))?;
                    if n == 0 {
                        break;
                    }
                    read += n as u64;
                    let row = parse_row(&line, &table.columns)
                        .map_err(|e| fail(format!("row {}: {e}", checksum.rows() + 1)))?;
                    checksum.add_row(&row);
                }
                let rows = checksum.rows();
                let sum = checksum.finish();
                if rows != table.rows || sum != table.checksum {
                    return Err(fail(format!(
                        "{rows} rows with content checksum {sum}, the manifest records {} rows with {}",
                        table.rows, table.checksum
                    )));
                }
            }
            None => {
                let mut bytes = Vec::new();
                reader
                    .read_to_end(&mut bytes)
                    .map_err(|e| fail(e.to_string()))?;
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .map_err(|e| fail(e.to_string()))?;
                read = bytes.len() as u64;
            }
        }
        if read != component.uncompressed_bytes {
            return Err(fail(format!(
                "{read} bytes uncompressed, the manifest records {}",
                component.uncompressed_bytes
            )));
        }
    }
    Ok(backup)
}

type ComponentReader = BufReader<GzDecoder<std::io::Take<File>>>;

impl CheckedBackup {
    fn component_reader(&self, name: &str) -> anyhow::Result<ComponentReader> {
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| anyhow!("component `{name}` is missing"))?;
        let mut file = File::open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        file.seek(SeekFrom::Start(entry.offset))?;
        Ok(BufReader::new(GzDecoder::new(file.take(entry.size))))
    }

    fn config(&self) -> anyhow::Result<ConfigComponent> {
        let reader = self.component_reader(CONFIG_COMPONENT)?;
        serde_json::from_reader(reader)
            .map_err(|e| anyhow!("component `{CONFIG_COMPONENT}` cannot be read: {e}"))
    }
}

/// One JSON line of a table component: exactly the given columns.
fn parse_row(line: &str, columns: &[String]) -> Result<Vec<Value>, String> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).map_err(|e| e.to_string())?;
    if object.len() != columns.len() {
        return Err(format!(
            "{} values for {} columns",
            object.len(),
            columns.len()
        ));
    }
    columns
        .iter()
        .map(|column| {
            let value = object
                .get(column)
                .ok_or_else(|| format!("no value for column `{column}`"))?;
            Value::from_json(value).map_err(|e| format!("column `{column}`: {e}"))
        })
        .collect()
}

/// Gives the restore the rows of a checked backup.
struct ArchiveSource<'a> {
    backup: &'a CheckedBackup,
    open: Option<(String, Vec<String>, ComponentReader)>,
    line: String,
}

fn read_error(component: &str, message: impl std::fmt::Display) -> StoreError {
    StoreError::Backup(format!("component `{component}` cannot be read: {message}"))
}

impl RowSource for ArchiveSource<'_> {
    fn open_table(&mut self, table: &TableSummary) -> store::Result<()> {
        let name = table_component(&table.name);
        let reader = self
            .backup
            .component_reader(&name)
            .map_err(|e| read_error(&name, e))?;
        self.open = Some((name, table.columns.clone(), reader));
        Ok(())
    }

    fn next_row(&mut self) -> store::Result<Option<Vec<Value>>> {
        let Some((name, columns, reader)) = self.open.as_mut() else {
            return Err(StoreError::Backup("no table is open".into()));
        };
        self.line.clear();
        if reader
            .read_line(&mut self.line)
            .map_err(|e| read_error(name, e))?
            == 0
        {
            return Ok(None);
        }
        parse_row(&self.line, columns)
            .map(Some)
            .map_err(|e| read_error(name, e))
    }
}

// ---------------------------------------------------------------------------------------
// Commands

fn verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let backup = verify_file(&args.file)?;
    let manifest = &backup.manifest;
    if args.json {
        println!("{}", serde_json::to_string_pretty(manifest)?);
        return Ok(());
    }
    println!(
        "{}: intact (created {}, schema {}, {}, web3audit {}{})",
        args.file.display(),
        manifest.created_at,
        manifest.schema_version,
        manifest.source_backend,
        manifest.tool_version,
        if manifest.includes_secrets {
            ", secrets included"
        } else {
            ""
        }
    );
    print_tables(&manifest.tables());
    Ok(())
}

fn print_tables(tables: &[TableSummary]) {
    let width = tables.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for table in tables {
        println!(
            "  {:width$}  {:>9} rows  {}",
            table.name, table.rows, table.checksum
        );
    }
}

fn checksums(args: &ChecksumsArgs) -> anyhow::Result<()> {
    let settings = resolve(&args.config)?;
    let snapshot = runtime().block_on(async {
        let store = store::connect(&settings.database_url).await?;
        store.backup_checksums().await
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&snapshot)?);
    } else {
        println!(
            "{} (schema {}, {})",
            store::redact_url(&settings.database_url),
            snapshot.schema_version,
            snapshot.backend
        );
        print_tables(&snapshot.tables);
    }
    Ok(())
}

/// A backup file of a directory, by its manifest (component checksums not checked).
#[derive(Debug, Serialize)]
struct Listed {
    file: PathBuf,
    bytes: u64,
    #[serde(flatten)]
    state: ListedState,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ListedState {
    Readable {
        created_at: String,
        #[serde(skip)]
        created_at_ms: i64,
        schema_version: i64,
        backend: Backend,
        tables: usize,
        rows: u64,
        includes_secrets: bool,
    },
    Unreadable {
        error: String,
    },
}

fn scan_dir(dir: &Path) -> anyhow::Result<Vec<Listed>> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(anyhow!("cannot read {}: {e}", dir.display())),
    };
    let mut listed = Vec::new();
    for entry in read {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("tar") || !path.is_file() {
            continue;
        }
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        let state = match index(&path).and_then(|index| read_manifest(&path, &index.small)) {
            Ok(m) => ListedState::Readable {
                created_at: m.created_at.clone(),
                created_at_ms: m.created_at_ms,
                schema_version: m.schema_version,
                backend: m.source_backend,
                tables: m.tables().len(),
                rows: m.total_rows(),
                includes_secrets: m.includes_secrets,
            },
            Err(error) => ListedState::Unreadable {
                error: format!("{error:#}"),
            },
        };
        listed.push(Listed {
            file: path,
            bytes,
            state,
        });
    }
    // Newest first; unreadable files last.
    listed.sort_by(|a, b| {
        let key = |l: &Listed| match l.state {
            ListedState::Readable { created_at_ms, .. } => Some(created_at_ms),
            ListedState::Unreadable { .. } => None,
        };
        key(b).cmp(&key(a)).then_with(|| b.file.cmp(&a.file))
    });
    Ok(listed)
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

fn list(args: &ListArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => default_dir(&resolve(&args.config)?),
    };
    let listed = scan_dir(&dir)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(());
    }
    if listed.is_empty() {
        println!("no backups in {}", dir.display());
        return Ok(());
    }
    println!(
        "{:<48}  {:<24}  {:>10}  {:>6}  {:<8}  {:>9}",
        "FILE", "CREATED", "SIZE", "SCHEMA", "BACKEND", "ROWS"
    );
    for item in &listed {
        let name = item
            .file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match &item.state {
            ListedState::Readable {
                created_at,
                schema_version,
                backend,
                rows,
                ..
            } => println!(
                "{name:<48}  {created_at:<24}  {:>10}  {schema_version:>6}  {:<8}  {rows:>9}",
                human_size(item.bytes),
                backend.name()
            ),
            ListedState::Unreadable { error } => println!("{name:<48}  unreadable: {error}"),
        }
    }
    Ok(())
}

fn cleanup(args: &CleanupArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => default_dir(&resolve(&args.config)?),
    };
    let backups: Vec<Listed> = scan_dir(&dir)?
        .into_iter()
        .filter(|l| matches!(l.state, ListedState::Readable { .. }))
        .collect();
    let keep = usize::try_from(args.keep).unwrap_or(usize::MAX);
    let mut removed = 0;
    for old in backups.iter().skip(keep) {
        std::fs::remove_file(&old.file)
            .with_context(|| format!("cannot remove {}", old.file.display()))?;
        println!("removed {}", old.file.display());
        removed += 1;
    }
    println!(
        "kept {} backups in {}, removed {removed}",
        backups.len() - removed,
        dir.display()
    );
    Ok(())
}

fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    // Everything about the file is checked before the target is opened.
    let backup = verify_file(&args.file)?;
    let manifest = &backup.manifest;
    let config = ConfigArgs {
        config: args.config.clone(),
        database_url: args.target.clone(),
    };
    let settings = resolve(&config)?;
    let target = settings.database_url.clone();
    let backend = Backend::of_url(&target).ok_or_else(|| anyhow!("unknown database URL scheme"))?;
    let supported = backend.latest_schema_version();
    if manifest.schema_version > supported {
        bail!(
            "the backup has schema version {}, newer than this web3audit's {supported} ({}): restore it with web3audit {} or later",
            manifest.schema_version,
            env!("CARGO_PKG_VERSION"),
            manifest.tool_version
        );
    }

    // The key that verifies the audit trail: the target's own, else the backup's.
    let target_key = server::resolve_secret(&settings, false)
        .ok()
        .map(|(s, _)| s);
    let backup_key = if manifest.includes_secrets {
        backup.config()?.secret_key
    } else {
        None
    };
    let trail_rows = manifest
        .tables()
        .iter()
        .find(|t| t.name == "audit_log")
        .map_or(0, |t| t.rows);
    if let (Some(target_key), Some(backup_key)) = (&target_key, &backup_key)
        && trail_rows > 0
        && target_key.expose() != backup_key
    {
        bail!(
            "the target's secret key differs from the one the backup was made with, so its audit trail would not verify: configure the backup's key (secret_key in its config.json.gz) for the target"
        );
    }
    let key = target_key
        .as_ref()
        .map(|k| k.expose().to_string())
        .or_else(|| backup_key.clone());
    if key.is_none() && trail_rows > 0 {
        bail!(
            "no secret key to verify the audit trail with: set WEB3AUDIT_SECRET_KEY (or secret_key) to the key of the backed-up service, copy its secret.key beside the target SQLite database, or restore a backup made with --include-secrets"
        );
    }
    let signer = key
        .as_deref()
        .map(|k| store::trail::Signer::new(k.as_bytes()));
    let tables = manifest.tables();
    let request = store::backup::RestoreRequest {
        schema_version: manifest.schema_version,
        tables: &tables,
        force: args.force,
        signer: signer.as_ref(),
    };
    let mut source = ArchiveSource {
        backup: &backup,
        open: None,
        line: String::new(),
    };
    let outcome = runtime()
        .block_on(async {
            let store = store::connect(&target).await?;
            store.backup_restore(&request, &mut source).await
        })
        .map_err(|error| match error {
            StoreError::NotEmpty { .. } => anyhow!(
                "{error}; nothing was restored (pass --force to empty it and restore in one transaction)"
            ),
            other => anyhow!(other),
        })?;

    println!(
        "restored {} into {} (schema {}, from {} schema {})",
        args.file.display(),
        store::redact_url(&target),
        outcome.schema_version,
        manifest.source_backend,
        manifest.schema_version
    );
    if !outcome.cleared.is_empty() {
        println!("emptied first: {}", outcome.cleared.join(", "));
    }
    print_tables(&outcome.tables);
    println!(
        "row counts and content checksums equal the backup's for {} tables",
        outcome.tables.len()
    );
    if let Some(trail) = &outcome.trail {
        println!("audit trail verified: {} entries", trail.entries);
    }
    // The restore itself goes into the restored trail, after the checks: compliance
    // packs list it. Every other table stays exactly the backup's.
    if let Some(signer) = &signer {
        let event = store::NewAuditEvent {
            ts: server::timestamp::now_ms(),
            tenant_id: None,
            actor: "cli:restore".into(),
            action: "restore.completed".into(),
            target: args
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            outcome: "success".into(),
            detail: serde_json::json!({
                "backup_created_at": server::timestamp::rfc3339(manifest.created_at_ms),
                "schema": manifest.schema_version,
                "from_backend": manifest.source_backend,
                "rows": manifest.total_rows(),
                "tables": outcome.tables.len(),
                "forced": args.force,
            }),
        };
        let recorded = runtime().block_on(async {
            let store = store::connect(&target).await?;
            store.append_audit_event(&event, signer).await
        });
        match recorded {
            Ok(entry) => println!("recorded in the audit trail as entry {}", entry.seq),
            Err(error) => {
                eprintln!("warning: the restore is not recorded in the audit trail: {error}")
            }
        }
    }
    if target_key.is_none()
        && let Some(key) = &backup_key
    {
        adopt_backup_key(&settings, key)?;
    }
    Ok(())
}

/// The target had no secret key: keep the backup's, where the service looks for it.
fn adopt_backup_key(settings: &server::Settings, key: &str) -> anyhow::Result<()> {
    if backend_is_sqlite(settings) {
        let dir = settings.data_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("secret.key");
        write_private(&path, key).with_context(|| format!("cannot write {}", path.display()))?;
        println!("secret key of the backup saved to {}", path.display());
    } else {
        println!(
            "note: set WEB3AUDIT_SECRET_KEY on every node to the secret_key of the backup's config.json.gz"
        );
    }
    Ok(())
}

fn backend_is_sqlite(settings: &server::Settings) -> bool {
    Backend::of_url(&settings.database_url) == Some(Backend::Sqlite)
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}
