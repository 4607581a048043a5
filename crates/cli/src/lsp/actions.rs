//! What the editor asks about findings: hover (the detector's documentation), code
//! actions (a suppression comment, the documentation) and the command that opens the
//! documentation.

use std::collections::HashMap;

use detectors::registry;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Command, Diagnostic, Hover, HoverContents,
    MarkupContent, MarkupKind, NumberOrString, Position, Range, TextEdit, Url, WorkspaceEdit,
};

use super::document::{Document, LineMap};
use super::job::{FindingAt, SOURCE};

/// The command that opens a detector's documentation; its one argument is the id.
pub(crate) const OPEN_DOCUMENTATION: &str = "web3audit.openDocumentation";

/// The reason placeholder a suppression comment is inserted with.
pub(crate) const REASON_PLACEHOLDER: &str = "<reason>";

fn contains(range: &Range, position: Position) -> bool {
    range.start <= position && position <= range.end
}

/// Whether the line spans of `a` and `b` meet.
fn lines_meet(a: &Range, b: &Range) -> bool {
    a.start.line <= b.end.line && b.start.line <= a.end.line
}

/// The documentation of every finding at `position`, with the finding's message.
pub(crate) fn hover(findings: &[FindingAt], position: Position) -> Option<Hover> {
    let here: Vec<&FindingAt> = findings
        .iter()
        .filter(|f| contains(&f.range, position))
        .collect();
    let first = here.first()?;
    let mut range = first.range;
    let mut sections = Vec::new();
    for finding in &here {
        let Some(detector) = registry::find(&finding.detector) else {
            continue;
        };
        if finding.range.start >= range.start && finding.range.end <= range.end {
            range = finding.range;
        }
        sections.push(format!(
            "**{}** (`{}`)\n\n{}",
            finding.message,
            finding.detector,
            crate::catalog::explain_text(detector.meta())
        ));
    }
    if sections.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: Some(range),
    })
}

/// For each finding on the lines of `range`: insert a suppression comment above the
/// finding's first line (indented like it), and open the detector's documentation.
pub(crate) fn code_actions(
    uri: &Url,
    document: &Document,
    findings: &[FindingAt],
    range: Range,
    diagnostics: &[Diagnostic],
) -> Vec<CodeActionOrCommand> {
    let lines = LineMap::new(&document.text);
    let mut seen: Vec<(&str, u32)> = Vec::new();
    let mut suppressions = Vec::new();
    let mut docs = Vec::new();
    let mut documented: Vec<&str> = Vec::new();
    for finding in findings.iter().filter(|f| lines_meet(&f.range, &range)) {
        let line = finding.range.start.line;
        if seen.contains(&(finding.detector.as_str(), line)) {
            continue;
        }
        seen.push((finding.detector.as_str(), line));
        let indent = lines.indentation(&document.text, line);
        let comment = format!(
            "{indent}{} web3audit-disable-next-line {} -- {REASON_PLACEHOLDER}\n",
            document.language.comment_prefix(),
            finding.detector
        );
        let at = Position::new(line, 0);
        let matching: Vec<Diagnostic> = diagnostics
            .iter()
            .filter(|d| {
                d.source.as_deref() == Some(SOURCE)
                    && d.code == Some(NumberOrString::String(finding.detector.clone()))
                    && d.range.start.line == line
            })
            .cloned()
            .collect();
        suppressions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!(
                "Suppress `{}` on this line (web3audit-disable-next-line)",
                finding.detector
            ),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: (!matching.is_empty()).then_some(matching),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(
                    uri.clone(),
                    vec![TextEdit::new(Range::new(at, at), comment)],
                )])),
                ..WorkspaceEdit::default()
            }),
            ..CodeAction::default()
        }));
        if !documented.contains(&finding.detector.as_str()) {
            documented.push(finding.detector.as_str());
            let title = format!("Open the documentation of `{}`", finding.detector);
            docs.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: title.clone(),
                command: Some(Command {
                    title,
                    command: OPEN_DOCUMENTATION.to_owned(),
                    arguments: Some(vec![serde_json::Value::String(finding.detector.clone())]),
                }),
                ..CodeAction::default()
            }));
        }
    }
    suppressions.extend(docs);
    suppressions
}

/// Where the documentation of detector `id` is: `base#id` when the client set a
/// documentation URL, else a Markdown file of the detector's documentation written to
/// the temporary folder. `None` for an unknown id or an unwritable file.
pub(crate) fn documentation_uri(id: &str, base: Option<&str>) -> Option<Url> {
    let detector = registry::find(id)?;
    if let Some(base) = base {
        return Url::parse(&format!("{base}#{id}")).ok();
    }
    let dir = std::env::temp_dir().join("web3audit-lsp");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!("{id}.md"));
    std::fs::write(&path, crate::catalog::explain_text(detector.meta())).ok()?;
    Url::from_file_path(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::document::Language;

    fn finding(line: u32, id: &str) -> FindingAt {
        FindingAt {
            range: Range::new(Position::new(line, 8), Position::new(line, 30)),
            detector: id.to_owned(),
            message: "use of `tx.origin` for authorization".to_owned(),
        }
    }

    #[test]
    fn hover_shows_the_explanation_of_the_finding_under_the_cursor() {
        let findings = [finding(3, "tx-origin-auth")];
        let hover = hover(&findings, Position::new(3, 10)).unwrap();
        let HoverContents::Markup(markup) = hover.contents else {
            panic!("markdown expected");
        };
        assert!(
            markup.value.contains("(tx-origin-auth)"),
            "{}",
            markup.value
        );
        assert!(markup.value.contains("use of `tx.origin`"));
        assert!(super::hover(&findings, Position::new(3, 2)).is_none());
        assert!(super::hover(&findings, Position::new(4, 10)).is_none());
    }

    #[test]
    fn suppression_keeps_the_indentation_and_uses_the_language_comment() {
        let uri = Url::parse("file:///p/src/A.sol").unwrap();
        for (language, prefix) in [(Language::Solidity, "//"), (Language::Vyper, "#")] {
            let document = Document {
                text: "a\nb\nc\n        require(tx.origin == owner);\n".into(),
                version: 1,
                language,
            };
            let actions = code_actions(
                &uri,
                &document,
                &[finding(3, "tx-origin-auth")],
                Range::new(Position::new(3, 0), Position::new(3, 0)),
                &[],
            );
            assert_eq!(actions.len(), 2);
            let CodeActionOrCommand::CodeAction(suppress) = &actions[0] else {
                panic!("a code action expected");
            };
            let edits = &suppress.edit.as_ref().unwrap().changes.as_ref().unwrap()[&uri];
            assert_eq!(edits[0].range.start, Position::new(3, 0));
            assert_eq!(
                edits[0].new_text,
                format!(
                    "        {prefix} web3audit-disable-next-line tx-origin-auth -- <reason>\n"
                )
            );
            let CodeActionOrCommand::CodeAction(docs) = &actions[1] else {
                panic!("a code action expected");
            };
            assert_eq!(docs.command.as_ref().unwrap().command, OPEN_DOCUMENTATION);
        }
        let none = code_actions(
            &uri,
            &Document {
                text: "".into(),
                version: 1,
                language: Language::Solidity,
            },
            &[finding(3, "tx-origin-auth")],
            Range::new(Position::new(5, 0), Position::new(6, 0)),
            &[],
        );
        assert!(none.is_empty());
    }

    #[test]
    fn documentation_goes_to_the_url_or_to_a_written_file() {
        let uri =
            documentation_uri("tx-origin-auth", Some("https://docs.example/detectors")).unwrap();
        assert_eq!(
            uri.as_str(),
            "https://docs.example/detectors#tx-origin-auth"
        );
        let file = documentation_uri("tx-origin-auth", None).unwrap();
        let text = std::fs::read_to_string(file.to_file_path().unwrap()).unwrap();
        assert!(text.contains("(tx-origin-auth)"));
        assert!(documentation_uri("nope", None).is_none());
    }
}
