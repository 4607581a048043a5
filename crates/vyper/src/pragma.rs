//! Vyper pragmas (they are comments) and compiler version requirements.
//!
//! Recognised forms: `# @version ^0.3.7` (0.2/0.3), `#pragma version 0.4.0` and
//! `# pragma version >=0.3.10` (0.3.10+), `# pragma nonreentrancy on|off`,
//! `# pragma evm-version shanghai`, `# pragma optimize gas|codesize|none`.
//! Version requirements use the compiler's PEP 440 / npm-like operators:
//! bare or `==` (exact), `^`, `~`, `~=`, `>`, `>=`, `<`, `<=`, `!=`, joined by
//! commas or spaces; versions may carry a pre-release (`0.1.0b17`, `0.5.0a4`,
//! `0.4.0rc6`).

use std::cmp::Ordering;
use std::fmt;

use crate::Span;
use crate::lexer::Comment;

/// A compiler version such as `0.3.10` or `0.1.0b17`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// A pre-release tag and number: `("b", 17)` for `0.1.0b17`, `("rc", 6)`.
    pub pre: Option<(String, u32)>,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
            pre: None,
        }
    }

    /// Parses `0.3.10`, `0.4`, `0.1.0b17`, `0.1.0-beta.17`, `v0.2.8`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches('v');
        let numeric_end = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (numbers, rest) = text.split_at(numeric_end);
        let numbers = numbers.trim_end_matches('.');
        let mut parts = numbers.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        if parts.next().is_some() {
            return None;
        }
        let pre = if rest.is_empty() {
            None
        } else {
            let rest = rest.trim_start_matches(['-', '.']);
            let tag_end = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let (tag, num) = rest.split_at(tag_end);
            let tag = match tag {
                "a" | "alpha" => "a",
                "b" | "beta" => "b",
                "rc" | "c" => "rc",
                "dev" => "dev",
                _ => return None,
            };
            let num = num.trim_start_matches('.');
            let num = if num.is_empty() { 0 } else { num.parse().ok()? };
            Some((tag.to_string(), num))
        };
        Some(Self {
            major,
            minor,
            patch,
            pre,
        })
    }

    fn release(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }

    fn pre_rank(&self) -> (u8, u32) {
        match &self.pre {
            None => (4, 0),
            Some((tag, n)) => (
                match tag.as_str() {
                    "dev" => 0,
                    "a" => 1,
                    "b" => 2,
                    _ => 3,
                },
                *n,
            ),
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.release()
            .cmp(&other.release())
            .then_with(|| self.pre_rank().cmp(&other.pre_rank()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some((tag, n)) = &self.pre {
            write!(f, "{tag}{n}")?;
        }
        Ok(())
    }
}

/// A comparison in a version requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VersionOp {
    /// bare, `=` or `==`
    Exact,
    /// `!=`
    NotEq,
    /// `^0.3.7`: same minor for 0.x (`>=0.3.7, <0.4.0`), same major otherwise.
    Caret,
    /// `~0.3.7`: `>=0.3.7, <0.4.0`.
    Tilde,
    /// `~=0.3.7` (PEP 440): `>=0.3.7, ==0.3.*`; `~=0.3`: `>=0.3, ==0.*`.
    Compatible,
    Gt,
    Ge,
    Lt,
    Le,
}

/// One `op version` of a requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionConstraint {
    pub op: VersionOp,
    pub version: Version,
    /// How many release components were written (`0.3` is 2), for `~=`.
    pub components: u8,
}

impl VersionConstraint {
    pub fn matches(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.op {
            VersionOp::Exact => v == c,
            VersionOp::NotEq => v != c,
            VersionOp::Gt => v > c,
            VersionOp::Ge => v >= c,
            VersionOp::Lt => v < c,
            VersionOp::Le => v <= c,
            VersionOp::Caret => {
                v >= c
                    && if c.major == 0 {
                        v.major == 0 && v.minor == c.minor
                    } else {
                        v.major == c.major
                    }
            }
            VersionOp::Tilde => v >= c && v.major == c.major && v.minor == c.minor,
            VersionOp::Compatible => {
                v >= c
                    && if self.components >= 3 {
                        v.major == c.major && v.minor == c.minor
                    } else {
                        v.major == c.major
                    }
            }
        }
    }

    /// The smallest version this constraint admits, if it has a lower bound.
    fn lower_bound(&self) -> Option<Version> {
        match self.op {
            VersionOp::Exact
            | VersionOp::Ge
            | VersionOp::Caret
            | VersionOp::Tilde
            | VersionOp::Compatible => Some(self.version.clone()),
            VersionOp::Gt => {
                let c = &self.version;
                Some(if c.pre.is_some() {
                    Version::new(c.major, c.minor, c.patch)
                } else {
                    Version::new(c.major, c.minor, c.patch + 1)
                })
            }
            VersionOp::Lt | VersionOp::Le | VersionOp::NotEq => None,
        }
    }
}

/// A version requirement: every constraint must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionReq {
    pub constraints: Vec<VersionConstraint>,
}

impl VersionReq {
    /// Parses `^0.3.7`, `0.4.0`, `>=0.3.0,<0.4.0`, `~=0.5.0a4`, `>0.3.10`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut constraints = Vec::new();
        for part in text
            .split([',', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (op, rest) = [
                ("~=", VersionOp::Compatible),
                ("==", VersionOp::Exact),
                ("!=", VersionOp::NotEq),
                (">=", VersionOp::Ge),
                ("<=", VersionOp::Le),
                ("=", VersionOp::Exact),
                (">", VersionOp::Gt),
                ("<", VersionOp::Lt),
                ("^", VersionOp::Caret),
                ("~", VersionOp::Tilde),
            ]
            .iter()
            .find_map(|(p, op)| part.strip_prefix(p).map(|rest| (*op, rest)))
            .unwrap_or((VersionOp::Exact, part));
            let rest = rest.trim();
            let components = rest
                .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next()
                .map_or(0, |n| n.trim_end_matches('.').split('.').count() as u8);
            let version = Version::parse(rest)?;
            constraints.push(VersionConstraint {
                op,
                version,
                components,
            });
        }
        if constraints.is_empty() {
            return None;
        }
        Some(Self { constraints })
    }

    pub fn matches(&self, v: &Version) -> bool {
        self.constraints.iter().all(|c| c.matches(v))
    }

    /// The lowest version admitted (the highest lower bound, if it satisfies
    /// every constraint); `None` without a lower bound or when unsatisfiable.
    pub fn lowest(&self) -> Option<Version> {
        let low = self
            .constraints
            .iter()
            .filter_map(VersionConstraint::lower_bound)
            .max()?;
        self.matches(&low).then_some(low)
    }

    /// True when more than one version is admitted.
    pub fn is_floating(&self) -> bool {
        !(self.constraints.len() == 1 && self.constraints[0].op == VersionOp::Exact)
    }
}

/// One pragma comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pragma {
    pub kind: PragmaKind,
    /// The whole comment.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PragmaKind {
    /// `# @version X` (`legacy` true) or `# pragma version X`.
    Version {
        /// The requirement as written.
        text: String,
        /// `None` when it could not be parsed (a diagnostic says so).
        req: Option<VersionReq>,
        legacy: bool,
    },
    /// `# pragma nonreentrancy on|off` (0.4.2+: every external function locked by default).
    NonReentrancy { on: bool },
    /// `# pragma evm-version shanghai`.
    EvmVersion(String),
    /// `# pragma optimize gas|codesize|none`.
    Optimize(String),
    /// Any other `# pragma name value`.
    Other { name: String, value: String },
}

/// Reads a pragma from a comment, if it is one; `Err` carries a message for a
/// malformed pragma.
pub(crate) fn from_comment(comment: &Comment, source: &str) -> Option<Result<Pragma, String>> {
    let body = comment.body(source).trim();
    let span = comment.span;
    let make = |kind| Some(Ok(Pragma { kind, span }));
    if let Some(rest) = body.strip_prefix("@version") {
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return None;
        }
        return version(rest.trim(), true, span);
    }
    let rest = body.strip_prefix("pragma")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim();
    let (name, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let value = value.trim();
    match name {
        "version" => version(value, false, span),
        "nonreentrancy" => match value {
            "on" => make(PragmaKind::NonReentrancy { on: true }),
            "off" => make(PragmaKind::NonReentrancy { on: false }),
            _ => Some(Err(format!(
                "expected `on` or `off` after `pragma nonreentrancy`, found `{value}`"
            ))),
        },
        "evm-version" => make(PragmaKind::EvmVersion(value.to_string())),
        "optimize" => make(PragmaKind::Optimize(value.to_string())),
        _ => make(PragmaKind::Other {
            name: name.to_string(),
            value: value.to_string(),
        }),
    }
}

fn version(text: &str, legacy: bool, span: Span) -> Option<Result<Pragma, String>> {
    let req = VersionReq::parse(text);
    if req.is_none() {
        return Some(Err(format!("cannot read the version requirement `{text}`")));
    }
    Some(Ok(Pragma {
        kind: PragmaKind::Version {
            text: text.to_string(),
            req,
            legacy,
        },
        span,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect(s)
    }

    #[test]
    fn versions_order_with_pre_releases() {
        assert!(v("0.1.0b17") < v("0.1.0"));
        assert!(v("0.1.0b16") < v("0.1.0b17"));
        assert!(v("0.5.0a4") < v("0.5.0rc1"));
        assert!(v("0.3.10") > v("0.3.9"));
        assert_eq!(v("0.1.0-beta.17"), v("0.1.0b17"));
        assert_eq!(v("0.4"), v("0.4.0"));
    }

    #[test]
    fn requirements() {
        let r = |s: &str| VersionReq::parse(s).expect(s);
        assert!(r("^0.3.7").matches(&v("0.3.9")));
        assert!(!r("^0.3.7").matches(&v("0.4.0")));
        assert!(r("~=0.5.0a4").matches(&v("0.5.0")));
        assert!(!r("~=0.5.0a4").matches(&v("0.6.0")));
        assert!(r(">=0.3.0,<0.4.0").matches(&v("0.3.10")));
        assert_eq!(r(">0.3.10").lowest(), Some(v("0.3.11")));
        assert_eq!(r("0.2.15").lowest(), Some(v("0.2.15")));
        assert_eq!(r("<0.4").lowest(), None);
        assert!(!r("0.2.16").is_floating());
        assert!(r("^0.2.0").is_floating());
    }
}
