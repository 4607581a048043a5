//! Turning a submission (a JSON sources map, a zip or a tar.gz) into checked sources, or
//! a deployed contract (address and chain) into a checked target.
//! Archive safety: no absolute paths, no `..`, no links or special files, only allowed
//! extensions, caps on the number of files and on the unpacked size (read, not declared,
//! so that a zip bomb stops at the cap).

use std::collections::BTreeMap;
use std::io::Read;

use crate::error::ApiError;

/// Unpacked sources and their total size in bytes.
pub(crate) type Unpacked = (BTreeMap<String, String>, u64);

/// Limits a submission must respect.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub allowed_extensions: Vec<String>,
    pub max_files: usize,
    pub max_unpacked_bytes: u64,
}

fn too_many_files(limit: usize) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "too-many-files",
        "Too many files",
        format!("the submission has more than {limit} files"),
    )
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "unpacked-too-large",
        "Unpacked sources too large",
        format!("the sources unpack to more than {limit} bytes"),
    )
}

/// Checks one path: relative, no `..`, no backslashes or drive letters, allowed extension.
pub(crate) fn check_path(path: &str, limits: &Limits) -> Result<(), ApiError> {
    let unsafe_path = |why: &str| {
        ApiError::unprocessable(
            "unsafe-path",
            "Unsafe file path",
            format!("path `{}` is rejected: {why}", path.escape_debug()),
        )
    };
    if path.is_empty() || path.len() > 512 {
        return Err(unsafe_path("empty or longer than 512 bytes"));
    }
    if path.starts_with('/') || path.starts_with('\\') || path.as_bytes().get(1) == Some(&b':') {
        return Err(unsafe_path("absolute paths are not allowed"));
    }
    if path.contains('\\') || path.chars().any(char::is_control) {
        return Err(unsafe_path(
            "backslashes and control characters are not allowed",
        ));
    }
    if path.split('/').any(|part| part == "..") {
        return Err(unsafe_path("`..` components are not allowed"));
    }
    if path.split('/').any(|part| part.is_empty() || part == ".") {
        return Err(unsafe_path("empty or `.` components are not allowed"));
    }
    let lower = path.to_ascii_lowercase();
    if !limits
        .allowed_extensions
        .iter()
        .any(|ext| lower.ends_with(&ext.to_ascii_lowercase()))
    {
        return Err(ApiError::unprocessable(
            "file-type-not-allowed",
            "File type not allowed",
            format!(
                "`{}` does not end in one of {}",
                path.escape_debug(),
                limits.allowed_extensions.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Checks a sources map given as JSON.
pub(crate) fn check_sources(
    sources: &BTreeMap<String, String>,
    limits: &Limits,
) -> Result<u64, ApiError> {
    if sources.is_empty() {
        return Err(ApiError::unprocessable(
            "empty-submission",
            "No sources",
            "`sources` must name at least one file",
        ));
    }
    if sources.len() > limits.max_files {
        return Err(too_many_files(limits.max_files));
    }
    let mut total = 0u64;
    for (path, text) in sources {
        check_path(path, limits)?;
        total += text.len() as u64;
    }
    if total > limits.max_unpacked_bytes {
        return Err(too_large(limits.max_unpacked_bytes));
    }
    Ok(total)
}

struct Collector<'a> {
    limits: &'a Limits,
    sources: BTreeMap<String, String>,
    total: u64,
}

impl Collector<'_> {
    fn add(&mut self, path: String, reader: &mut dyn Read) -> Result<(), ApiError> {
        check_path(&path, self.limits)?;
        if self.sources.len() >= self.limits.max_files {
            return Err(too_many_files(self.limits.max_files));
        }
        let remaining = self.limits.max_unpacked_bytes - self.total;
        let mut bytes = Vec::new();
        reader
            .take(remaining + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                ApiError::unprocessable(
                    "invalid-archive",
                    "Invalid archive",
                    format!("cannot read `{path}`: {e}"),
                )
            })?;
        if bytes.len() as u64 > remaining {
            return Err(too_large(self.limits.max_unpacked_bytes));
        }
        self.total += bytes.len() as u64;
        let text = String::from_utf8(bytes).map_err(|_| {
            ApiError::unprocessable(
                "invalid-utf8",
                "Invalid UTF-8",
                format!("`{path}` is not valid UTF-8 text"),
            )
        })?;
        if self.sources.insert(path.clone(), text).is_some() {
            return Err(ApiError::unprocessable(
                "duplicate-path",
                "Duplicate path",
                format!("`{path}` appears twice"),
            ));
        }
        Ok(())
    }

    fn finish(self) -> Result<Unpacked, ApiError> {
        if self.sources.is_empty() {
            return Err(ApiError::unprocessable(
                "empty-submission",
                "No sources",
                "the archive contains no source files",
            ));
        }
        Ok((self.sources, self.total))
    }
}

fn invalid_archive(detail: impl Into<String>) -> ApiError {
    ApiError::unprocessable("invalid-archive", "Invalid archive", detail)
}

fn link_rejected(path: &str) -> ApiError {
    ApiError::unprocessable(
        "unsafe-archive-entry",
        "Unsafe archive entry",
        format!(
            "`{}` is a link or special file; only regular files are accepted",
            path.escape_debug()
        ),
    )
}

/// Unpacks a zip archive.
pub(crate) fn unpack_zip(body: &[u8], limits: &Limits) -> Result<Unpacked, ApiError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body))
        .map_err(|e| invalid_archive(format!("not a zip archive: {e}")))?;
    let mut collector = Collector {
        limits,
        sources: BTreeMap::new(),
        total: 0,
    };
    if archive.len() > limits.max_files.saturating_mul(4).max(64) {
        return Err(too_many_files(limits.max_files));
    }
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|e| invalid_archive(format!("entry {index}: {e}")))?;
        let name = String::from_utf8(file.name_raw().to_vec())
            .map_err(|_| invalid_archive(format!("entry {index} has a name that is not UTF-8")))?;
        if file.is_dir() {
            check_dir(&name)?;
            continue;
        }
        let is_link = file
            .unix_mode()
            .is_some_and(|mode| mode & 0o170000 == 0o120000);
        if is_link || !file.is_file() {
            return Err(link_rejected(&name));
        }
        collector.add(name, &mut file)?;
    }
    collector.finish()
}

fn check_dir(name: &str) -> Result<(), ApiError> {
    let trimmed = name.trim_end_matches('/');
    if trimmed.starts_with('/') || trimmed.split('/').any(|p| p == "..") || trimmed.contains('\\') {
        return Err(ApiError::unprocessable(
            "unsafe-path",
            "Unsafe file path",
            format!(
                "path `{}` is rejected: absolute paths and `..` are not allowed",
                name.escape_debug()
            ),
        ));
    }
    Ok(())
}

/// Unpacks a gzip-compressed tar archive.
pub(crate) fn unpack_tar_gz(body: &[u8], limits: &Limits) -> Result<Unpacked, ApiError> {
    let decoder = flate2::read::GzDecoder::new(body);
    let mut archive = tar::Archive::new(decoder);
    let mut collector = Collector {
        limits,
        sources: BTreeMap::new(),
        total: 0,
    };
    let entries = archive
        .entries()
        .map_err(|e| invalid_archive(format!("not a tar.gz archive: {e}")))?;
    let mut seen = 0usize;
    for entry in entries {
        let mut entry = entry.map_err(|e| invalid_archive(format!("not a tar.gz archive: {e}")))?;
        seen += 1;
        if seen > limits.max_files.saturating_mul(4).max(64) {
            return Err(too_many_files(limits.max_files));
        }
        let name = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| invalid_archive("an entry has a name that is not UTF-8"))?;
        let name = name.strip_prefix("./").map(str::to_string).unwrap_or(name);
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                check_dir(&name)?;
                continue;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            _ => return Err(link_rejected(&name)),
        }
        collector.add(name, &mut entry)?;
    }
    collector.finish()
}

/// A submission with `sources` and a deployed contract (`address`, `chain`, `block`).
pub(crate) fn both_targets() -> ApiError {
    ApiError::unprocessable(
        "conflicting-targets",
        "Sources and address together",
        "submit either `sources` or a deployed contract (`address` and `chain`, optionally `block`), not both",
    )
}

/// A submission with neither `sources` nor `address`.
pub(crate) fn no_target() -> ApiError {
    ApiError::unprocessable(
        "missing-target",
        "Nothing to audit",
        "submit `sources` (a map of path to text) or the `address` and `chain` of a deployed contract",
    )
}

/// Checks a deployed contract: `0x` and 40 hex digits, a chain the service knows, a
/// block number that fits the databases. The address is kept in lower case.
pub(crate) fn check_target(
    address: &str,
    chain: Option<&str>,
    block: Option<u64>,
    known_chains: &[String],
) -> Result<store::AuditTarget, ApiError> {
    let digits = address
        .strip_prefix("0x")
        .or_else(|| address.strip_prefix("0X"));
    if !digits.is_some_and(|d| d.len() == 40 && d.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(ApiError::unprocessable(
            "invalid-address",
            "Invalid address",
            format!(
                "`{}` is not an address: expected `0x` and 40 hexadecimal digits",
                address.chars().take(100).collect::<String>().escape_debug()
            ),
        ));
    }
    let Some(chain) = chain else {
        return Err(ApiError::unprocessable(
            "missing-chain",
            "Chain missing",
            "an `address` needs the `chain` it is deployed on",
        ));
    };
    if !known_chains.iter().any(|known| known == chain) {
        let detail = if known_chains.is_empty() {
            format!(
                "chain `{}` is unknown: this service has no chains configured, so it cannot audit deployed contracts",
                chain.escape_debug()
            )
        } else {
            format!(
                "chain `{}` is unknown: this service reads {}",
                chain.escape_debug(),
                known_chains
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(ApiError::unprocessable(
            "unknown-chain",
            "Unknown chain",
            detail,
        ));
    }
    if let Some(block) = block
        && i64::try_from(block).is_err()
    {
        return Err(ApiError::unprocessable(
            "invalid-block",
            "Invalid block",
            format!("block {block} is larger than {}", i64::MAX),
        ));
    }
    Ok(store::AuditTarget {
        chain: chain.to_owned(),
        address: format!("0x{}", address[2..].to_ascii_lowercase()),
        block,
    })
}
