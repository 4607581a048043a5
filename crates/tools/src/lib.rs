//! Other analyzers in the same audit: Slither, Aderyn and Mythril run as sandboxed child
//! processes, their JSON output parsed into our finding model and merged with ours.
//!
//! - [`sandbox`]: one process group per run, a timeout, a memory limit, a private
//!   working directory, a reduced environment, capped output and no network where the
//!   machine allows it;
//! - [`slither`], [`aderyn`], [`mythril`]: each tool's JSON output → [`ToolFinding`]s;
//! - [`mapping`]: the tools' rules → our categories, severities and SWC ids (data:
//!   `mapping.toml`, documented in `docs/tools.md`);
//! - [`normalize`]: findings placed in our files and lines, fingerprinted like ours,
//!   filtered by our inline suppressions;
//! - [`merge`]: one finding per issue, with `found_by` naming every analyzer;
//! - [`run`]: the orchestration a scan calls; [`doctor`]: what this machine can run.
//!
//! This crate does IO (processes, temporary files); the analysis crates do not.

pub mod aderyn;
pub mod config;
pub mod doctor;
mod finding;
pub mod mapping;
pub mod merge;
pub mod mythril;
pub mod normalize;
pub mod run;
pub mod sandbox;
pub mod slither;
mod sys;
mod tool;

pub use config::{ToolSettings, ToolsConfig};
pub use finding::{ParseError, ToolFinding, ToolLabel, ToolLocation};
pub use run::{ToolResult, apply, run_tools};
pub use tool::{ToolKind, UnknownTool, parse_version};
