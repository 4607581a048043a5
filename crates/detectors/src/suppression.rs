//! Inline suppressions: comments that hide findings. Parsing is pure: it reads the
//! source text and the comments the parser found, nothing else.
//!
//! Our own forms, each naming detector ids separated by commas and/or whitespace (no
//! ids, or `all`, means every detector), with an optional free-text reason after `--`:
//!
//! ```text
//! // web3audit-disable-next-line tx-origin-auth -- the owner is a multisig
//! require(tx.origin == owner);
//! require(tx.origin == owner); // web3audit-disable-line tx-origin-auth
//! // web3audit-disable-start tx-origin-auth
//! ...
//! // web3audit-disable-end tx-origin-auth
//! // web3audit-disable-file floating-pragma
//! ```
//!
//! Block comments (`/* web3audit-disable-line ... */`) work as well. Slither's
//! (`slither-disable-next-line`, `slither-disable-start`, `slither-disable-end`) and
//! Aderyn's (`aderyn-ignore`, `aderyn-ignore-next-line`, with ids in parentheses)
//! comments are honoured too: their ids apply when they equal one of ours or are one
//! of the [`FOREIGN_ALIASES`]; other ids belong to the other tool and are ignored.
//!
//! Only our own comments are checked: an unknown id, a suppression that hid nothing
//! (when the detector it names ran) and an end without a start are reported by the
//! `unused-suppression` detector (see [`Suppressions::problems`]).

use syntax::{Comment, CommentKind, Span};

use crate::registry;

/// The tool whose syntax a suppression comment uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Web3audit,
    Slither,
    Aderyn,
}

/// Which lines a suppression comment covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectiveKind {
    /// The next line that holds code (lines holding only comments are skipped, so
    /// several tools' comments can be stacked above one line).
    NextLine,
    /// The line the comment starts on.
    Line,
    /// From this line to the matching end (or the end of the file).
    Start,
    /// Closes the ranges opened by a start for the same ids.
    End,
    /// The whole file.
    File,
}

/// A detector id as written in a suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectiveId {
    pub name: String,
    pub span: Span,
}

/// One suppression comment, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub tool: Tool,
    pub kind: DirectiveKind,
    /// The ids named; empty means every detector (`all` is dropped and means the same).
    pub ids: Vec<DirectiveId>,
    /// The whole comment.
    pub span: Span,
}

/// A comment that starts like one of our suppressions but is none of them
/// (`// web3audit-disable-nextline ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidDirective {
    /// The word that was not recognised, as written.
    pub word: String,
    pub span: Span,
}

/// Ids of other tools that mean one of our detectors. Ids equal to ours need no entry.
pub const FOREIGN_ALIASES: &[(Tool, &str, &str)] = &[
    (Tool::Aderyn, "tx-origin-used-for-auth", "tx-origin-auth"),
    (
        Tool::Aderyn,
        "unspecific-solidity-pragma",
        "floating-pragma",
    ),
    (
        Tool::Slither,
        "deprecated-standards",
        "deprecated-construct",
    ),
    (Tool::Slither, "tx-origin", "tx-origin-auth"),
];

const FORMS: &[(&str, Tool, DirectiveKind)] = &[
    (
        "web3audit-disable-next-line",
        Tool::Web3audit,
        DirectiveKind::NextLine,
    ),
    (
        "web3audit-disable-line",
        Tool::Web3audit,
        DirectiveKind::Line,
    ),
    (
        "web3audit-disable-start",
        Tool::Web3audit,
        DirectiveKind::Start,
    ),
    ("web3audit-disable-end", Tool::Web3audit, DirectiveKind::End),
    (
        "web3audit-disable-file",
        Tool::Web3audit,
        DirectiveKind::File,
    ),
    (
        "slither-disable-next-line",
        Tool::Slither,
        DirectiveKind::NextLine,
    ),
    ("slither-disable-start", Tool::Slither, DirectiveKind::Start),
    ("slither-disable-end", Tool::Slither, DirectiveKind::End),
    (
        "aderyn-ignore-next-line",
        Tool::Aderyn,
        DirectiveKind::NextLine,
    ),
    ("aderyn-ignore", Tool::Aderyn, DirectiveKind::Line),
];

/// The prefix that marks a comment as meant for us.
const OWN_PREFIX: &str = "web3audit-disable";

/// Parses one comment: `None` when it is no suppression at all.
pub fn parse_comment(
    source: &str,
    comment: &Comment,
) -> Option<Result<Directive, InvalidDirective>> {
    let delimiter = match comment.kind {
        CommentKind::Hash => 1,
        CommentKind::Line | CommentKind::Block => 2,
        CommentKind::DocLine | CommentKind::DocBlock => 3,
    };
    let body = comment.body(source);
    let body_lo = comment.span.lo as usize + delimiter;
    let trimmed = body.trim_start();
    let word_lo = body_lo + (body.len() - trimmed.len());
    let word_len = trimmed
        .find(|c: char| c.is_whitespace() || c == '(' || c == ',' || c == ':')
        .unwrap_or(trimmed.len());
    let word = &trimmed[..word_len];
    let Some(&(_, tool, kind)) = FORMS.iter().find(|(form, _, _)| *form == word) else {
        return word.starts_with(OWN_PREFIX).then(|| {
            Err(InvalidDirective {
                word: word.to_owned(),
                span: span(word_lo, word_lo + word_len),
            })
        });
    };
    let mut rest_lo = word_lo + word_len;
    let mut rest = &trimmed[word_len..];
    if let Some(after_colon) = rest.strip_prefix(':') {
        rest = after_colon;
        rest_lo += 1;
    }
    let ids = match tool {
        Tool::Aderyn => aderyn_ids(rest, rest_lo),
        Tool::Web3audit | Tool::Slither => listed_ids(rest, rest_lo),
    };
    Some(Ok(Directive {
        tool,
        kind,
        ids,
        span: comment.span,
    }))
}

/// Every suppression comment of a file, in source order.
pub fn directives(source: &str, comments: &[Comment]) -> Vec<Result<Directive, InvalidDirective>> {
    comments
        .iter()
        .filter_map(|c| parse_comment(source, c))
        .collect()
}

/// Ids separated by commas and/or whitespace, up to the end or to a reason after `--`
/// (or after a further `//`).
fn listed_ids(rest: &str, rest_lo: usize) -> Vec<DirectiveId> {
    let mut ids = Vec::new();
    let mut offset = 0;
    for token in rest.split_inclusive(|c: char| c.is_whitespace() || c == ',') {
        let lo = offset;
        offset += token.len();
        let name = token.trim_end_matches(|c: char| c.is_whitespace() || c == ',');
        if name.is_empty() {
            continue;
        }
        if name.starts_with("--") || name.starts_with("//") {
            break;
        }
        ids.push(DirectiveId {
            name: name.to_owned(),
            span: span(rest_lo + lo, rest_lo + lo + name.len()),
        });
    }
    if ids.iter().any(|id| id.name == "all") {
        ids.clear();
    }
    ids
}

/// Aderyn's `(id, id)` right after the keyword; without parentheses, every detector.
fn aderyn_ids(rest: &str, rest_lo: usize) -> Vec<DirectiveId> {
    let Some(inner) = rest.strip_prefix('(') else {
        return Vec::new();
    };
    let inner = inner.find(')').map_or(inner, |end| &inner[..end]);
    listed_ids(inner, rest_lo + 1)
}

fn span(lo: usize, hi: usize) -> Span {
    Span::new(
        u32::try_from(lo).unwrap_or(u32::MAX),
        u32::try_from(hi).unwrap_or(u32::MAX),
    )
}

/// What a suppression hides: one of our detectors, or all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    All,
    Detector(&'static str),
}

/// One id of one suppression comment, resolved to lines.
#[derive(Clone, Debug)]
struct Entry {
    target: Target,
    /// 1-based, inclusive.
    first_line: u32,
    last_line: u32,
    /// Where to report it: the id as written, or the comment when it names no id.
    at: Span,
    kind: DirectiveKind,
    /// Our own comments are checked; other tools' are only honoured.
    checked: bool,
    used: bool,
}

/// A problem with a suppression comment, to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub span: Span,
    pub message: String,
}

/// The suppressions of one file, resolved to line ranges.
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    line_starts: Vec<u32>,
    entries: Vec<Entry>,
    /// Unknown ids, unknown forms and unmatched ends: problems whatever ran.
    invalid: Vec<Problem>,
}

impl Suppressions {
    /// Resolves the suppression comments of `source` (whose comments are `comments`, in
    /// source order) to line ranges.
    pub fn new(source: &str, comments: &[Comment]) -> Self {
        let parsed = directives(source, comments);
        if parsed.is_empty() {
            return Self::default();
        }
        let lines = Lines::new(source, comments);
        let mut out = Suppressions::default();
        // Open ranges: (target, index of the entry opened by a start).
        let mut open: Vec<(Target, usize)> = Vec::new();
        for directive in parsed {
            let directive = match directive {
                Ok(d) => d,
                Err(invalid) => {
                    out.invalid.push(Problem {
                        span: invalid.span,
                        message: format!(
                            "unknown suppression comment `{}`: use `web3audit-disable-next-line`, \
                             `-line`, `-start`, `-end` or `-file`",
                            invalid.word
                        ),
                    });
                    continue;
                }
            };
            let own = directive.tool == Tool::Web3audit;
            let targets = out.targets(&directive);
            let first = lines.line_of(directive.span.lo);
            let last = lines.line_of(directive.span.hi.saturating_sub(1).max(directive.span.lo));
            let (first_line, last_line) = match directive.kind {
                DirectiveKind::NextLine => {
                    let target = lines.next_code_line(last);
                    (target, target)
                }
                DirectiveKind::Line => (first, first),
                DirectiveKind::Start => (first, u32::MAX),
                DirectiveKind::File => (1, u32::MAX),
                DirectiveKind::End => {
                    for (target, at) in targets {
                        match open.iter().rposition(|(t, _)| *t == target) {
                            Some(i) => {
                                let (_, entry) = open.remove(i);
                                out.entries[entry].last_line = last;
                            }
                            None if own => out.invalid.push(Problem {
                                span: at,
                                message: match target {
                                    Target::All => "`web3audit-disable-end` without a matching \
                                                    `web3audit-disable-start`"
                                        .to_owned(),
                                    Target::Detector(id) => format!(
                                        "`web3audit-disable-end {id}` without a matching \
                                         `web3audit-disable-start {id}`"
                                    ),
                                },
                            }),
                            None => {}
                        }
                    }
                    continue;
                }
            };
            for (target, at) in targets {
                if directive.kind == DirectiveKind::Start {
                    open.push((target, out.entries.len()));
                }
                out.entries.push(Entry {
                    target,
                    first_line,
                    last_line,
                    at,
                    kind: directive.kind,
                    checked: own,
                    used: false,
                });
            }
        }
        out.line_starts = lines.starts;
        out
    }

    /// What `directive` hides, each with where to report it. Unknown ids of our own
    /// comments are recorded as problems; unknown ids of other tools are theirs.
    fn targets(&mut self, directive: &Directive) -> Vec<(Target, Span)> {
        if directive.ids.is_empty() {
            return vec![(Target::All, directive.span)];
        }
        let mut out = Vec::new();
        for id in &directive.ids {
            match resolve(directive.tool, &id.name) {
                Some(ours) => out.push((Target::Detector(ours), id.span)),
                None if directive.tool == Tool::Web3audit => self.invalid.push(Problem {
                    span: id.span,
                    message: format!(
                        "suppression names unknown detector `{}` (see `web3audit detectors`)",
                        id.name
                    ),
                }),
                None => {}
            }
        }
        out
    }

    /// True when the file has no suppression comment at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.invalid.is_empty()
    }

    /// Whether a finding of `detector` starting at byte `offset` is hidden; every
    /// suppression that hides it counts as used. Findings of
    /// [`UNUSED_SUPPRESSION`](crate::rules::unused_suppression::ID) are hidden only by
    /// suppressions that name it, never by "every detector" ones.
    pub fn suppresses(&mut self, detector: &str, offset: u32) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let line = line_of(&self.line_starts, offset);
        let meta_rule = detector == crate::rules::unused_suppression::ID;
        let mut hidden = false;
        for entry in &mut self.entries {
            let matches = match entry.target {
                Target::All => !meta_rule,
                Target::Detector(id) => id == detector,
            };
            if matches && entry.first_line <= line && line <= entry.last_line {
                entry.used = true;
                hidden = true;
            }
        }
        hidden
    }

    /// What to report about our own suppression comments: unknown ids and forms,
    /// unmatched ends, and suppressions that hid nothing. A suppression of one detector
    /// is checked only when `ran(id)`; one of every detector only when `all_ran`.
    /// Suppressions of `unused-suppression` itself are never reported as unused.
    pub fn problems(&self, ran: impl Fn(&str) -> bool, all_ran: bool) -> Vec<Problem> {
        let mut out = self.invalid.clone();
        for entry in &self.entries {
            if !entry.checked || entry.used {
                continue;
            }
            let (check, what) = match entry.target {
                Target::All => (all_ran, "no finding".to_owned()),
                Target::Detector(id) => (
                    ran(id) && id != crate::rules::unused_suppression::ID,
                    format!("no `{id}` finding"),
                ),
            };
            if !check {
                continue;
            }
            let scope = match entry.kind {
                DirectiveKind::NextLine => "on the next line",
                DirectiveKind::Line => "on this line",
                DirectiveKind::Start | DirectiveKind::End => "in this range",
                DirectiveKind::File => "in this file",
            };
            out.push(Problem {
                span: entry.at,
                message: format!("unused suppression: {what} {scope}"),
            });
        }
        out.sort_by_key(|p| p.span);
        out
    }
}

/// Our detector that `id` of `tool` means, if any.
fn resolve(tool: Tool, id: &str) -> Option<&'static str> {
    if let Some(detector) = registry::find(id) {
        return Some(detector.meta().id);
    }
    FOREIGN_ALIASES
        .iter()
        .find(|(t, theirs, _)| *t == tool && *theirs == id)
        .and_then(|(_, _, ours)| registry::find(ours))
        .map(|d| d.meta().id)
}

/// The 1-based line of `offset`.
fn line_of(starts: &[u32], offset: u32) -> u32 {
    u32::try_from(starts.partition_point(|&s| s <= offset)).unwrap_or(u32::MAX)
}

/// Line structure of one file: where lines start, and which hold only comments.
struct Lines<'a> {
    source: &'a str,
    comments: &'a [Comment],
    starts: Vec<u32>,
}

impl<'a> Lines<'a> {
    fn new(source: &'a str, comments: &'a [Comment]) -> Self {
        let mut starts = vec![0];
        starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        Self {
            source,
            comments,
            starts,
        }
    }

    fn line_of(&self, offset: u32) -> u32 {
        line_of(&self.starts, offset)
    }

    /// The first line after `line` that holds something other than comments (a blank
    /// line counts: a suppression above a blank line hides nothing).
    fn next_code_line(&self, line: u32) -> u32 {
        let mut next = line.saturating_add(1);
        while self.comment_only(next) {
            next += 1;
        }
        next
    }

    /// Whether `line` (1-based) has comments and nothing else but whitespace.
    fn comment_only(&self, line: u32) -> bool {
        let Some(&lo) = self.starts.get(line as usize - 1) else {
            return false;
        };
        let hi = self
            .starts
            .get(line as usize)
            .map_or(self.source.len(), |&s| s as usize - 1);
        let bytes = self.source.as_bytes();
        let mut pos = lo as usize;
        let mut i = self.comments.partition_point(|c| c.span.hi as usize <= pos);
        let mut any = false;
        loop {
            while pos < hi && bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            if pos >= hi {
                return any;
            }
            match self.comments.get(i) {
                Some(c) if c.span.lo as usize <= pos => {
                    any = true;
                    pos = pos.max(c.span.hi as usize);
                    i += 1;
                }
                _ => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(src: &str) -> Vec<Result<Directive, InvalidDirective>> {
        directives(src, syntax::parse(src).comments())
    }

    fn ids(d: &Directive, src: &str) -> Vec<String> {
        d.ids
            .iter()
            .map(|id| {
                assert_eq!(id.span.text(src), id.name, "id spans point at the id");
                id.name.clone()
            })
            .collect()
    }

    fn one(src: &str) -> Directive {
        let mut all = parse_all(src);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0).expect("a valid directive")
    }

    #[test]
    fn parses_every_own_form() {
        for (text, kind) in [
            (
                "// web3audit-disable-next-line a-b",
                DirectiveKind::NextLine,
            ),
            ("// web3audit-disable-line a-b", DirectiveKind::Line),
            ("// web3audit-disable-start a-b", DirectiveKind::Start),
            ("// web3audit-disable-end a-b", DirectiveKind::End),
            ("// web3audit-disable-file a-b", DirectiveKind::File),
        ] {
            let d = one(text);
            assert_eq!((d.tool, d.kind), (Tool::Web3audit, kind), "{text}");
            assert_eq!(ids(&d, text), ["a-b"], "{text}");
        }
    }

    #[test]
    fn ids_are_separated_by_commas_and_whitespace() {
        let src = "x; //   web3audit-disable-line  a,b , c\td  -- because: x, y";
        assert_eq!(ids(&one(src), src), ["a", "b", "c", "d"]);
        let src = "// web3audit-disable-next-line a // expect: b";
        assert_eq!(ids(&one(src), src), ["a"]);
        let src = "// web3audit-disable-next-line: a";
        assert_eq!(ids(&one(src), src), ["a"]);
    }

    #[test]
    fn no_ids_or_all_means_every_detector() {
        assert!(one("// web3audit-disable-next-line").ids.is_empty());
        assert!(one("// web3audit-disable-next-line   ").ids.is_empty());
        assert!(one("// web3audit-disable-line -- reason").ids.is_empty());
        assert!(one("// web3audit-disable-file all").ids.is_empty());
        assert!(one("// slither-disable-next-line all").ids.is_empty());
        assert!(one("// aderyn-ignore-next-line").ids.is_empty());
    }

    #[test]
    fn block_and_doc_comments_and_crlf() {
        let src = "/* web3audit-disable-next-line a, b */";
        assert_eq!(ids(&one(src), src), ["a", "b"]);
        let src = "/*\n * web3audit-disable-file a\n */";
        // The keyword must open the comment: a leading `*` line is not one.
        assert!(parse_all(src).is_empty());
        let src = "/* web3audit-disable-file\n   a,\n   b */";
        assert_eq!(ids(&one(src), src), ["a", "b"]);
        let src = "/// web3audit-disable-next-line a\r\nx;\r\n";
        assert_eq!(ids(&one(src), src), ["a"]);
        let src = "x; // web3audit-disable-line a, b\r\ny;\r\n";
        assert_eq!(ids(&one(src), src), ["a", "b"]);
    }

    #[test]
    fn other_tools_forms() {
        let src = "// slither-disable-next-line reentrancy-eth,tx-origin";
        let d = one(src);
        assert_eq!((d.tool, d.kind), (Tool::Slither, DirectiveKind::NextLine));
        assert_eq!(ids(&d, src), ["reentrancy-eth", "tx-origin"]);
        let d = one("// slither-disable-start x");
        assert_eq!((d.tool, d.kind), (Tool::Slither, DirectiveKind::Start));
        let d = one("// slither-disable-end x");
        assert_eq!((d.tool, d.kind), (Tool::Slither, DirectiveKind::End));
        let src = "// aderyn-ignore-next-line(centralization-risk, unspecific-solidity-pragma)";
        let d = one(src);
        assert_eq!((d.tool, d.kind), (Tool::Aderyn, DirectiveKind::NextLine));
        assert_eq!(
            ids(&d, src),
            ["centralization-risk", "unspecific-solidity-pragma"]
        );
        let src = "x; // aderyn-ignore(tx-origin-used-for-auth)";
        let d = one(src);
        assert_eq!((d.tool, d.kind), (Tool::Aderyn, DirectiveKind::Line));
        assert_eq!(ids(&d, src), ["tx-origin-used-for-auth"]);
        assert!(one("x; // aderyn-ignore").ids.is_empty());
    }

    #[test]
    fn other_comments_are_not_directives() {
        assert!(parse_all("// a web3audit-disable-line x").is_empty());
        assert!(parse_all("// slither-disable-everything").is_empty());
        assert!(parse_all("string s = \"// web3audit-disable-line x\";").is_empty());
        assert_eq!(
            parse_all("// web3audit-disable-nextline x"),
            vec![Err(InvalidDirective {
                word: "web3audit-disable-nextline".to_owned(),
                span: Span::new(3, 29),
            })]
        );
    }

    fn suppressions(src: &str) -> Suppressions {
        Suppressions::new(src, syntax::parse(src).comments())
    }

    /// Byte offset of the first `needle` on 1-based `line`.
    fn at(src: &str, line: usize, needle: &str) -> u32 {
        let start: usize = src.split_inclusive('\n').take(line - 1).map(str::len).sum();
        let line_text = src.split_inclusive('\n').nth(line - 1).unwrap();
        (start + line_text.find(needle).unwrap()) as u32
    }

    const TX: &str = "tx-origin-auth";

    #[test]
    fn scopes_of_each_form() {
        let src = "\
contract C {
    // web3audit-disable-next-line tx-origin-auth
    // slither-disable-next-line other-tool-id
    f1();
    f2(); // web3audit-disable-line tx-origin-auth
    f3();
    /* web3audit-disable-start tx-origin-auth */
    f4();
    // web3audit-disable-end tx-origin-auth
    f5();
}
";
        let mut s = suppressions(src);
        assert!(s.suppresses(TX, at(src, 4, "f1")), "next code line");
        assert!(s.suppresses(TX, at(src, 5, "f2")), "same line");
        assert!(!s.suppresses(TX, at(src, 6, "f3")));
        assert!(s.suppresses(TX, at(src, 8, "f4")), "inside the range");
        assert!(!s.suppresses(TX, at(src, 10, "f5")), "after the range");
        assert!(!s.suppresses("floating-pragma", at(src, 4, "f1")));
        assert!(s.problems(|_| true, true).is_empty());
    }

    #[test]
    fn file_level_and_all() {
        let src = "// web3audit-disable-file\nf1();\n// web3audit-disable-file floating-pragma\n";
        let mut s = suppressions(src);
        assert!(s.suppresses(TX, at(src, 2, "f1")));
        assert!(s.suppresses("floating-pragma", at(src, 2, "f1")));
        assert!(
            !s.suppresses(crate::rules::unused_suppression::ID, 0),
            "only named suppressions hide unused-suppression findings"
        );
        assert!(s.problems(|_| true, true).is_empty());
    }

    #[test]
    fn foreign_ids_map_to_ours_or_are_ignored() {
        let src = "\
// slither-disable-next-line tx-origin
f1();
// aderyn-ignore-next-line(tx-origin-used-for-auth)
f2();
f3(); // aderyn-ignore
// slither-disable-next-line naming-convention
f4();
// slither-disable-start all
f5();
// slither-disable-end all
";
        let mut s = suppressions(src);
        assert!(s.suppresses(TX, at(src, 2, "f1")));
        assert!(s.suppresses(TX, at(src, 4, "f2")));
        assert!(s.suppresses(TX, at(src, 5, "f3")));
        assert!(!s.suppresses(TX, at(src, 7, "f4")));
        assert!(s.suppresses(TX, at(src, 9, "f5")));
        // Other tools' comments are never reported, used or not.
        let s = suppressions(src);
        assert!(s.problems(|_| true, true).is_empty());
    }

    #[test]
    fn unknown_ids_unused_suppressions_and_unmatched_ends_are_problems() {
        let src = "\
// web3audit-disable-next-line tx-origin-auth, no-such-detector
f1();
f2(); // web3audit-disable-line tx-origin-auth
// web3audit-disable-end tx-origin-auth
// web3audit-disable-next-line
f3();
";
        let s = suppressions(src);
        let messages = |ran: &dyn Fn(&str) -> bool, all| -> Vec<String> {
            s.problems(ran, all)
                .into_iter()
                .map(|p| format!("{}: {}", p.span.text(src), p.message))
                .collect()
        };
        assert_eq!(
            messages(&|_| true, true),
            [
                "tx-origin-auth: unused suppression: no `tx-origin-auth` finding on the next line",
                "no-such-detector: suppression names unknown detector `no-such-detector` (see `web3audit detectors`)",
                "tx-origin-auth: unused suppression: no `tx-origin-auth` finding on this line",
                "tx-origin-auth: `web3audit-disable-end tx-origin-auth` without a matching `web3audit-disable-start tx-origin-auth`",
                "// web3audit-disable-next-line: unused suppression: no finding on the next line",
            ]
        );
        // Not run: not known to be unused. Unknown ids and unmatched ends stay.
        assert_eq!(messages(&|_| false, false).len(), 2);
    }

    #[test]
    fn next_line_skips_comment_lines_but_not_blank_ones() {
        let src = "\
// web3audit-disable-next-line tx-origin-auth
/**
 * @notice docs
 */
f1();
// web3audit-disable-next-line tx-origin-auth

f2();
";
        let mut s = suppressions(src);
        assert!(s.suppresses(TX, at(src, 5, "f1")));
        assert!(!s.suppresses(TX, at(src, 8, "f2")));
        assert_eq!(s.problems(|_| true, true).len(), 1);
    }

    #[test]
    fn an_unclosed_start_runs_to_the_end_and_nested_ranges_close_in_order() {
        let src = "\
// web3audit-disable-start tx-origin-auth
// web3audit-disable-start
f1();
// web3audit-disable-end
f2();
";
        let mut s = suppressions(src);
        assert!(s.suppresses("floating-pragma", at(src, 3, "f1")));
        assert!(!s.suppresses("floating-pragma", at(src, 5, "f2")));
        assert!(s.suppresses(TX, at(src, 5, "f2")));
    }

    #[test]
    fn no_comments_means_nothing_to_do() {
        let s = suppressions("contract C { function f() public {} }");
        assert!(s.is_empty());
    }
}
