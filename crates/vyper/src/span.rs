/// A byte range `lo..hi` into one source text. Compact: line and column are
/// computed only when rendering, through [`crate::LineIndex`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub lo: u32,
    pub hi: u32,
}

impl Span {
    pub const fn new(lo: u32, hi: u32) -> Self {
        Self { lo, hi }
    }

    pub const fn len(self) -> u32 {
        self.hi - self.lo
    }

    pub const fn is_empty(self) -> bool {
        self.hi == self.lo
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.lo.min(other.lo), self.hi.max(other.hi))
    }

    pub const fn contains(self, offset: u32) -> bool {
        self.lo <= offset && offset < self.hi
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.lo as usize..self.hi as usize
    }

    /// The text this span covers, or `""` when it does not fall on char boundaries.
    pub fn text(self, source: &str) -> &str {
        source.get(self.range()).unwrap_or("")
    }
}
