/// A 1-based line and column. The column counts Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Maps byte offsets of one text to lines and columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the first character of every line.
    line_starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        Self {
            line_starts,
            len: text.len() as u32,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 0-based index of the line holding `offset` (clamped to the text).
    fn line_of(&self, offset: u32) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Line and column of `offset`, counting columns in characters of `text`.
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let end = (offset.min(self.len) as usize).max(start);
        let col = text
            .get(start..end)
            .map_or(end - start, |s| s.chars().count());
        LineCol {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }

    /// Byte range of the 1-based `line`, without its line terminator.
    pub fn line_span(&self, text: &str, line: u32) -> Option<crate::Span> {
        let i = (line as usize).checked_sub(1)?;
        let lo = *self.line_starts.get(i)?;
        let mut hi = self.line_starts.get(i + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        while hi > lo && matches!(bytes.get(hi as usize - 1), Some(b'\n' | b'\r')) {
            hi -= 1;
        }
        Some(crate::Span::new(lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_to_lines_and_columns() {
        let text = "ab\ncdé\r\n\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, col: 1 });
        assert_eq!(index.line_col(text, 3), LineCol { line: 2, col: 1 });
        // `é` is two bytes: the `\r` after it is the 4th character of line 2.
        assert_eq!(index.line_col(text, 7), LineCol { line: 2, col: 4 });
        assert_eq!(index.line_col(text, 10), LineCol { line: 4, col: 1 });
        assert_eq!(index.line_col(text, 99), LineCol { line: 4, col: 2 });
        assert_eq!(index.line_span(text, 2).map(|s| s.text(text)), Some("cdé"));
        assert_eq!(index.line_span(text, 5), None);
    }
}
