//! Shared test support: the fixture project, our own analysis of it, fake tools.
#![allow(dead_code, unreachable_pub)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use detectors::{FileContext, ProjectContext};
use project::{LoadOptions, Project};
use report::{Report, SourceView, ToolInfo};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixture contracts, loaded as a scan loads them.
pub fn fixture_project() -> Project {
    Project::load(&[fixtures().join("contracts")], &LoadOptions::default()).unwrap()
}

/// Every detector of ours over the reported files, as `scan` runs them.
pub fn our_report(project: &Project) -> Report {
    let inputs: Vec<semantics::SourceInput<'_>> = project
        .files
        .iter()
        .map(|f| semantics::SourceInput {
            file: f.id,
            parse: &f.parse,
            imports: &f.imports,
        })
        .collect();
    let model = semantics::Model::build_with(&inputs, &semantics::BuildOptions::default());
    let shared = ProjectContext::new(&model);
    let contexts: Vec<FileContext<'_>> = project
        .reported_files()
        .map(|f| FileContext {
            file: f.id,
            text: &f.text,
            parse: &f.parse,
            project: &shared,
        })
        .collect();
    let all: Vec<_> = detectors::registry::all().collect();
    let findings = detectors::run(&contexts, &all);
    let metas: Vec<_> = all.iter().map(|d| d.meta()).collect();
    let views: Vec<SourceView<'_>> = project
        .files
        .iter()
        .map(|f| SourceView {
            id: f.id,
            path: &f.display_path,
            text: &f.text,
            line_index: &f.line_index,
        })
        .collect();
    Report::build(&views, findings, &metas, ToolInfo::new("web3audit", "test")).unwrap()
}

/// Writes an executable shell script `name` into `dir` that prints `version` for
/// `--version` (or `version`) and otherwise runs `body`.
pub fn fake_tool(dir: &Path, name: &str, version: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ncase \"$1\" in --version|version) echo '{version}'; exit 0;; esac\n{body}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A fake Slither that prints the recorded report of the file it is given.
pub fn recorded_slither(dir: &Path) -> PathBuf {
    let recorded = fixtures().join("recorded/slither");
    fake_tool(
        dir,
        "slither",
        "0.11.6",
        &format!(
            "cat \"{}/$(basename \"$1\" .sol).json\"",
            recorded.display()
        ),
    )
}
