//! Open documents: the text the editor holds (saved or not), its version and language,
//! the edits the editor sends, and positions in the encoding agreed at initialization.

use std::path::Path;
use std::sync::Arc;

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// The language of a document, from its file extension (or, for a buffer without a
/// file, the language id the editor gives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Language {
    Solidity,
    Vyper,
}

impl Language {
    /// `.sol` is Solidity, `.vy` and `.vyi` are Vyper; other files are not analysed.
    pub(crate) fn of_path(path: &Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "sol" => Some(Language::Solidity),
            "vy" | "vyi" => Some(Language::Vyper),
            _ => None,
        }
    }

    /// The language of an editor's language id (`solidity`, `vyper`).
    pub(crate) fn of_language_id(id: &str) -> Option<Language> {
        match id {
            "solidity" => Some(Language::Solidity),
            "vyper" => Some(Language::Vyper),
            _ => None,
        }
    }

    /// What starts a line comment, and so a suppression comment.
    pub(crate) fn comment_prefix(self) -> &'static str {
        match self {
            Language::Solidity => "//",
            Language::Vyper => "#",
        }
    }

    /// The extension an in-memory source of this language is named with.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Language::Solidity => "sol",
            Language::Vyper => "vy",
        }
    }
}

/// How `Position::character` counts: UTF-16 code units (the protocol's default) or
/// bytes, when the client offers UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16,
}

/// The byte offset of every line start of one text, to convert between byte offsets and
/// positions. Lines end at `\n`; a `\r` before it is not part of the line's positions.
#[derive(Clone, Debug)]
pub(crate) struct LineMap {
    starts: Vec<usize>,
}

impl LineMap {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { starts }
    }

    /// The position of byte `offset` (clamped to the text, moved back to a character
    /// boundary).
    pub(crate) fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let prefix = &text[self.starts[line]..offset];
        let character = match encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        Position::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(character).unwrap_or(u32::MAX),
        )
    }

    /// The range of bytes `lo..hi`.
    pub(crate) fn range(&self, text: &str, lo: usize, hi: usize, encoding: Encoding) -> Range {
        Range::new(
            self.position(text, lo, encoding),
            self.position(text, hi.max(lo), encoding),
        )
    }

    /// The byte offset of `position`; a line past the end is the end of the text, a
    /// character past the end of its line is the end of the line.
    pub(crate) fn offset(&self, text: &str, position: Position, encoding: Encoding) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(text.len(), |&next| next - 1);
        let line = text[start..end]
            .strip_suffix('\r')
            .unwrap_or(&text[start..end]);
        let wanted = position.character as usize;
        let mut units = 0;
        for (at, c) in line.char_indices() {
            if units >= wanted {
                return start + at;
            }
            units += match encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        start + line.len()
    }

    /// The leading spaces and tabs of line `line` of `text`.
    pub(crate) fn indentation<'t>(&self, text: &'t str, line: u32) -> &'t str {
        let Some(&start) = self.starts.get(line as usize) else {
            return "";
        };
        let rest = &text[start..];
        let width = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        &rest[..width]
    }
}

/// A document the editor has open.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    pub(crate) text: Arc<str>,
    pub(crate) version: i32,
    pub(crate) language: Language,
}

impl Document {
    /// Applies the editor's changes in order: a change with a range replaces that range,
    /// one without replaces the whole text.
    pub(crate) fn apply(
        &mut self,
        changes: Vec<TextDocumentContentChangeEvent>,
        version: i32,
        encoding: Encoding,
    ) {
        let mut text = String::from(&*self.text);
        for change in changes {
            match change.range {
                Some(range) => {
                    let lines = LineMap::new(&text);
                    let lo = lines.offset(&text, range.start, encoding);
                    let hi = lines.offset(&text, range.end, encoding).max(lo);
                    text.replace_range(lo..hi, &change.text);
                }
                None => text = change.text,
            }
        }
        self.text = text.into();
        self.version = version;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((l0, c0), (l1, c1))| {
                Range::new(Position::new(l0, c0), Position::new(l1, c1))
            }),
            range_length: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "a\n\u{e9}\u{1f600}x\r\nlast";
        let lines = LineMap::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(
            lines.position(text, x, Encoding::Utf16),
            Position::new(1, 3)
        );
        assert_eq!(lines.position(text, x, Encoding::Utf8), Position::new(1, 6));
        assert_eq!(lines.offset(text, Position::new(1, 3), Encoding::Utf16), x);
        assert_eq!(lines.offset(text, Position::new(1, 6), Encoding::Utf8), x);
        // Past the end of a line (before `\r\n`), past the last line.
        assert_eq!(
            lines.offset(text, Position::new(1, 99), Encoding::Utf16),
            x + 1
        );
        assert_eq!(
            lines.offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        assert_eq!(
            lines.position(text, text.len(), Encoding::Utf16),
            Position::new(2, 4)
        );
    }

    #[test]
    fn edits_apply_in_order() {
        let mut doc = Document {
            text: "contract A {\n    uint x;\n}\n".into(),
            version: 1,
            language: Language::Solidity,
        };
        doc.apply(
            vec![
                change(Some(((1, 9), (1, 10))), "y"),
                change(Some(((1, 4), (1, 4))), "    "),
                change(Some(((3, 0), (3, 0))), "// end\n"),
            ],
            2,
            Encoding::Utf16,
        );
        assert_eq!(&*doc.text, "contract A {\n        uint y;\n}\n// end\n");
        assert_eq!(doc.version, 2);
        doc.apply(vec![change(None, "x")], 3, Encoding::Utf16);
        assert_eq!(&*doc.text, "x");
        let lines = LineMap::new("  \tfoo\nbar");
        assert_eq!(lines.indentation("  \tfoo\nbar", 0), "  \t");
        assert_eq!(lines.indentation("  \tfoo\nbar", 1), "");
    }

    #[test]
    fn the_language_comes_from_the_extension() {
        assert_eq!(
            Language::of_path(Path::new("a/B.sol")),
            Some(Language::Solidity)
        );
        assert_eq!(Language::of_path(Path::new("b.vy")), Some(Language::Vyper));
        assert_eq!(Language::of_path(Path::new("c.txt")), None);
        assert_eq!(Language::Vyper.comment_prefix(), "#");
        assert_eq!(Language::Solidity.comment_prefix(), "//");
    }
}
