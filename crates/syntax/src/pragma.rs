//! Solidity version requirements (`pragma solidity ...`) as semver ranges.
//!
//! The accepted language follows npm/solc semver ranges: comparators
//! `= < <= > >= ^ ~`, partial versions (`0.8`, `0.8.x`, `0.8.*`), hyphen ranges
//! (`0.4.0 - 0.5.0`), space-separated intersections and `||` unions.

use std::fmt;

/// A full `major.minor.patch` version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version.
    pub patch: u32,
}

impl Version {
    /// `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    fn next_patch(self) -> Version {
        Version::new(self.major, self.minor, self.patch.saturating_add(1))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A half-open interval `[lo, hi)` of versions; `hi == None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionRange {
    /// The lowest admitted version (inclusive).
    pub lo: Version,
    /// The first version no longer admitted, if bounded.
    pub hi: Option<Version>,
}

impl VersionRange {
    const ALL: VersionRange = VersionRange {
        lo: Version::new(0, 0, 0),
        hi: None,
    };

    /// True when no version is admitted.
    pub fn is_empty(&self) -> bool {
        self.hi.is_some_and(|hi| hi <= self.lo)
    }

    /// True when `v` is admitted.
    pub fn contains(&self, v: Version) -> bool {
        self.lo <= v && self.hi.is_none_or(|hi| v < hi)
    }

    fn intersect(self, other: VersionRange) -> VersionRange {
        let hi = match (self.hi, other.hi) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        VersionRange {
            lo: self.lo.max(other.lo),
            hi,
        }
    }

    /// True when exactly one version is admitted.
    fn is_single(&self) -> bool {
        self.hi == Some(self.lo.next_patch())
    }
}

/// A parsed version requirement: a union of intervals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionReq {
    /// The non-empty intervals of the union, in source order.
    pub ranges: Vec<VersionRange>,
}

impl VersionReq {
    /// Parses a requirement such as `^0.8.0`, `>=0.6.0 <0.8.0`, `0.4.24 || ^0.5`.
    /// Returns `None` for text that is not a version requirement.
    pub fn parse(text: &str) -> Option<VersionReq> {
        let mut ranges = Vec::new();
        for alternative in text.split("||") {
            let range = parse_intersection(alternative)?;
            if !range.is_empty() {
                ranges.push(range);
            }
        }
        Some(VersionReq { ranges })
    }

    /// The lowest version the requirement admits; `None` when it admits none.
    pub fn lowest(&self) -> Option<Version> {
        self.ranges.iter().map(|r| r.lo).min()
    }

    /// True when more than one version is admitted (a "floating" pragma).
    pub fn is_floating(&self) -> bool {
        match self.ranges.as_slice() {
            [] => false,
            [first, rest @ ..] => {
                !first.is_single() || rest.iter().any(|r| !r.is_single() || r.lo != first.lo)
            }
        }
    }

    /// True when `v` is admitted.
    pub fn matches(&self, v: Version) -> bool {
        self.ranges.iter().any(|r| r.contains(v))
    }
}

/// A version with possibly missing (or wildcard) components.
#[derive(Clone, Copy, Debug)]
struct Partial {
    major: Option<u32>,
    minor: Option<u32>,
    patch: Option<u32>,
}

impl Partial {
    fn floor(self) -> Version {
        Version::new(
            self.major.unwrap_or(0),
            self.minor.unwrap_or(0),
            self.patch.unwrap_or(0),
        )
    }

    /// The first version after everything this partial version names.
    fn ceil(self) -> Option<Version> {
        match (self.major, self.minor, self.patch) {
            (None, _, _) => None,
            (Some(ma), None, _) => Some(Version::new(ma.checked_add(1)?, 0, 0)),
            (Some(ma), Some(mi), None) => Some(Version::new(ma, mi.checked_add(1)?, 0)),
            (Some(ma), Some(mi), Some(p)) => Some(Version::new(ma, mi, p.checked_add(1)?)),
        }
    }
}

fn parse_partial(s: &str) -> Option<Partial> {
    let s = s.trim().trim_matches('"').trim_start_matches(['v', 'V']);
    if s.is_empty() {
        return None;
    }
    let mut parts = [None; 3];
    let mut wildcard = false;
    for (i, comp) in s.split('.').enumerate() {
        let comp = comp.trim();
        if i >= 3 {
            return None;
        }
        if matches!(comp, "x" | "X" | "*") {
            wildcard = true;
            continue;
        }
        if wildcard || comp.is_empty() || !comp.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts[i] = Some(comp.parse().ok()?);
    }
    Some(Partial {
        major: parts[0],
        minor: parts[1],
        patch: parts[2],
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Caret,
    Tilde,
}

fn comparator_range(op: Op, p: Partial) -> Option<VersionRange> {
    let lo = p.floor();
    Some(match op {
        Op::Eq => VersionRange { lo, hi: p.ceil() },
        Op::Ge => VersionRange { lo, hi: None },
        Op::Lt => VersionRange {
            lo: Version::new(0, 0, 0),
            hi: Some(lo),
        },
        Op::Le => VersionRange {
            lo: Version::new(0, 0, 0),
            hi: p.ceil(),
        },
        Op::Gt => match p.ceil() {
            Some(c) => VersionRange { lo: c, hi: None },
            None => VersionRange {
                lo: Version::new(u32::MAX, 0, 0),
                hi: Some(Version::new(0, 0, 0)),
            },
        },
        Op::Tilde => {
            let hi = match (p.major, p.minor) {
                (Some(ma), Some(mi)) => Some(Version::new(ma, mi.checked_add(1)?, 0)),
                (Some(ma), None) => Some(Version::new(ma.checked_add(1)?, 0, 0)),
                _ => None,
            };
            VersionRange { lo, hi }
        }
        Op::Caret => {
            let hi = match (p.major, p.minor, p.patch) {
                (None, _, _) => None,
                (Some(ma), _, _) if ma > 0 => Some(Version::new(ma.checked_add(1)?, 0, 0)),
                (Some(0), None, _) => Some(Version::new(1, 0, 0)),
                (Some(0), Some(mi), _) if mi > 0 => Some(Version::new(0, mi.checked_add(1)?, 0)),
                (Some(0), Some(0), None) => Some(Version::new(0, 1, 0)),
                (Some(_), Some(_), Some(pa)) => Some(Version::new(0, 0, pa.checked_add(1)?)),
                _ => None,
            };
            VersionRange { lo, hi }
        }
    })
}

/// Splits `>= 0.6.0 <0.8.0` into `[">=0.6.0", "<0.8.0"]`, gluing operators to
/// the version that follows them.
fn tokens(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending_op = String::new();
    for raw in s.split_whitespace() {
        let op_len = raw.bytes().take_while(|b| b"<>=^~".contains(b)).count();
        if op_len == raw.len() && raw != "-" {
            pending_op.push_str(raw);
            continue;
        }
        let mut tok = std::mem::take(&mut pending_op);
        tok.push_str(raw);
        out.push(tok);
    }
    if !pending_op.is_empty() {
        out.push(pending_op);
    }
    out
}

fn parse_intersection(s: &str) -> Option<VersionRange> {
    let toks = tokens(s);
    if toks.is_empty() {
        return None;
    }
    let mut range = VersionRange::ALL;
    let mut i = 0;
    while i < toks.len() {
        let tok = toks[i].as_str();
        // Hyphen range `a - b`.
        if toks.get(i + 1).map(String::as_str) == Some("-") {
            let a = parse_partial(tok)?;
            let b = parse_partial(toks.get(i + 2)?)?;
            range = range.intersect(VersionRange {
                lo: a.floor(),
                hi: b.ceil(),
            });
            i += 3;
            continue;
        }
        let (op, rest) = if let Some(r) = tok.strip_prefix(">=") {
            (Op::Ge, r)
        } else if let Some(r) = tok.strip_prefix("<=") {
            (Op::Le, r)
        } else if let Some(r) = tok.strip_prefix('>') {
            (Op::Gt, r)
        } else if let Some(r) = tok.strip_prefix('<') {
            (Op::Lt, r)
        } else if let Some(r) = tok.strip_prefix('^') {
            (Op::Caret, r)
        } else if let Some(r) = tok.strip_prefix('~') {
            (Op::Tilde, r.trim_start_matches('>'))
        } else if let Some(r) = tok.strip_prefix('=') {
            (Op::Eq, r)
        } else {
            (Op::Eq, tok)
        };
        let p = parse_partial(rest)?;
        range = range.intersect(comparator_range(op, p)?);
        i += 1;
    }
    Some(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowest(s: &str) -> Option<String> {
        VersionReq::parse(s)
            .and_then(|r| r.lowest())
            .map(|v| v.to_string())
    }

    fn floating(s: &str) -> bool {
        VersionReq::parse(s).expect("parses").is_floating()
    }

    #[test]
    fn lowest_admitted_version() {
        assert_eq!(lowest("^0.4.24").as_deref(), Some("0.4.24"));
        assert_eq!(lowest(">=0.6.0 <0.8.0").as_deref(), Some("0.6.0"));
        assert_eq!(lowest(">= 0.6.0 < 0.8.0").as_deref(), Some("0.6.0"));
        assert_eq!(lowest("0.8.19").as_deref(), Some("0.8.19"));
        assert_eq!(lowest("=0.8.19").as_deref(), Some("0.8.19"));
        assert_eq!(lowest("~0.5").as_deref(), Some("0.5.0"));
        assert_eq!(lowest("^0.5.0 || ^0.4.11").as_deref(), Some("0.4.11"));
        assert_eq!(lowest("0.8.x").as_deref(), Some("0.8.0"));
        assert_eq!(lowest("0.8.*").as_deref(), Some("0.8.0"));
        assert_eq!(lowest("^0.8.x").as_deref(), Some("0.8.0"));
        assert_eq!(lowest(">0.4.23").as_deref(), Some("0.4.24"));
        assert_eq!(lowest(">0.4").as_deref(), Some("0.5.0"));
        assert_eq!(lowest("<0.5.0").as_deref(), Some("0.0.0"));
        assert_eq!(lowest("0.4.0 - 0.5.2").as_deref(), Some("0.4.0"));
        assert_eq!(lowest("\"0.4.24\"").as_deref(), Some("0.4.24"));
        // Empty intersection admits nothing.
        assert_eq!(lowest(">=0.8.0 <0.7.0"), None);
        assert_eq!(VersionReq::parse("abc"), None);
        assert_eq!(VersionReq::parse(""), None);
        assert_eq!(VersionReq::parse("1.2.3.4"), None);
    }

    #[test]
    fn floating_or_pinned() {
        assert!(floating("^0.4.24"));
        assert!(floating(">=0.6.0 <0.8.0"));
        assert!(floating("~0.5"));
        assert!(floating("0.8"));
        assert!(floating(">=0.8.0"));
        assert!(floating("0.8.19 || 0.8.20"));
        assert!(!floating("0.8.19"));
        assert!(!floating("=0.8.19"));
        assert!(!floating(">=0.8.19 <=0.8.19"));
        assert!(!floating(">=0.8.19 <0.8.20"));
        assert!(!floating("0.8.19 || =0.8.19"));
        assert!(!floating("0.4.0 - 0.4.0"));
    }

    #[test]
    fn caret_and_tilde_bounds() {
        let r = VersionReq::parse("^0.4.24").expect("parses");
        assert!(r.matches(Version::new(0, 4, 26)));
        assert!(!r.matches(Version::new(0, 5, 0)));
        let r = VersionReq::parse("^1.2.3").expect("parses");
        assert!(r.matches(Version::new(1, 9, 0)));
        assert!(!r.matches(Version::new(2, 0, 0)));
        let r = VersionReq::parse("~0.5.2").expect("parses");
        assert!(r.matches(Version::new(0, 5, 9)));
        assert!(!r.matches(Version::new(0, 6, 0)));
        assert!(!r.matches(Version::new(0, 5, 1)));
        let r = VersionReq::parse("<=0.5").expect("parses");
        assert!(r.matches(Version::new(0, 5, 17)));
        assert!(!r.matches(Version::new(0, 6, 0)));
    }
}
