//! Which analyzers this machine can run, for `web3audit doctor`.

use serde::Serialize;

use crate::config::ToolsConfig;
use crate::run::{Located, compilers, locate, version_of};
use crate::sandbox::{Network, network_isolation};
use crate::tool::ToolKind;

/// One analyzer's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ToolStatus {
    pub tool: String,
    /// `ok`, `missing` (optional: the scan runs without it) or `broken` (configured or
    /// found, but it does not answer `--version`).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What is wrong, or how to install it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The machine as the tool runs see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checkup {
    pub tools: Vec<ToolStatus>,
    /// `solc-X.Y.Z` commands on `PATH`.
    pub compilers: Vec<String>,
    /// `enforced` or `not enforced`.
    pub network_isolation: String,
    /// `ok`, `degraded` (something optional is missing) or `broken`.
    pub status: String,
}

impl Checkup {
    /// 0 ok, 1 degraded, 2 broken (as `web3audit health`).
    pub fn exit_code(&self) -> u8 {
        match self.status.as_str() {
            "ok" => 0,
            "degraded" => 1,
            _ => 2,
        }
    }
}

/// Looks for each analyzer and asks it its version.
pub fn check(config: &ToolsConfig) -> Checkup {
    let tools: Vec<ToolStatus> = ToolKind::ALL
        .iter()
        .map(|&tool| {
            let settings = config.get(tool);
            let status = |status: &str, path: Option<String>, version, detail| ToolStatus {
                tool: tool.name().to_owned(),
                status: status.to_owned(),
                path,
                version,
                detail,
            };
            match locate(tool, settings) {
                Located::Missing => status(
                    "missing",
                    None,
                    None,
                    Some(format!(
                        "`{}` not on PATH; {}",
                        tool.executable(),
                        tool.install_hint()
                    )),
                ),
                Located::BadPath(path) => status(
                    "broken",
                    Some(path.display().to_string()),
                    None,
                    Some(format!(
                        "[tools.{}] path is not an executable file",
                        tool.name()
                    )),
                ),
                Located::Found(path) => match version_of(tool, &path) {
                    Ok(version) => {
                        status("ok", Some(path.display().to_string()), Some(version), None)
                    }
                    Err(note) => {
                        status("broken", Some(path.display().to_string()), None, Some(note))
                    }
                },
            }
        })
        .collect();
    let status = if tools.iter().any(|t| t.status == "broken") {
        "broken"
    } else if tools.iter().any(|t| t.status == "missing") {
        "degraded"
    } else {
        "ok"
    };
    Checkup {
        tools,
        compilers: compilers(),
        network_isolation: match network_isolation() {
            Network::Isolated => "enforced",
            Network::NotEnforced => "not enforced",
        }
        .to_owned(),
        status: status.to_owned(),
    }
}

/// The checkup as text, one line per analyzer.
pub fn render(checkup: &Checkup) -> String {
    let mut out = String::new();
    for t in &checkup.tools {
        let mut line = format!("{:<8} {:<8}", t.tool, t.status);
        if let Some(version) = &t.version {
            line.push_str(&format!(" {version}"));
        }
        if let Some(path) = &t.path {
            line.push_str(&format!(" ({path})"));
        }
        if let Some(detail) = &t.detail {
            line.push_str(&format!(" - {detail}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "solc     {}\n",
        if checkup.compilers.is_empty() {
            "no solc-X.Y.Z on PATH".to_owned()
        } else {
            checkup.compilers.join(", ")
        }
    ));
    out.push_str(&format!(
        "network isolation: {}\n",
        checkup.network_isolation
    ));
    out.push_str(&format!("status: {}\n", checkup.status));
    out
}
