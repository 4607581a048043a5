//! solc import remappings: `[context:]prefix=target`.

use std::fmt;
use std::str::FromStr;

/// One import remapping, as solc and Foundry understand it.
///
/// An import path starting with `prefix`, written in a file whose source unit
/// name (its path relative to the project root) starts with `context`, has
/// `prefix` replaced by `target`. A relative `target` is relative to the
/// project root.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Remapping {
    /// Applies only to imports in files whose path starts with this; empty for all files.
    pub context: String,
    pub prefix: String,
    pub target: String,
}

/// Why a remapping string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemappingError {
    #[error("remapping `{0}` has no `=`")]
    MissingEquals(String),
    #[error("remapping `{0}` has an empty prefix")]
    EmptyPrefix(String),
}

impl FromStr for Remapping {
    type Err = RemappingError;

    /// Parses `prefix=target` or `context:prefix=target`. As Foundry does, a
    /// target gets a trailing `/` when its prefix has one.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (left, target) = text
            .split_once('=')
            .ok_or_else(|| RemappingError::MissingEquals(text.to_owned()))?;
        let (context, prefix) = match left.split_once(':') {
            Some((context, prefix)) => (context.trim(), prefix.trim()),
            None => ("", left.trim()),
        };
        if prefix.is_empty() {
            return Err(RemappingError::EmptyPrefix(text.to_owned()));
        }
        let mut target = target.trim().to_owned();
        if prefix.ends_with('/') && !target.is_empty() && !target.ends_with('/') {
            target.push('/');
        }
        Ok(Remapping {
            context: context.to_owned(),
            prefix: prefix.to_owned(),
            target,
        })
    }
}

impl fmt::Display for Remapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.context.is_empty() {
            write!(f, "{}:", self.context)?;
        }
        write!(f, "{}={}", self.prefix, self.target)
    }
}

impl Remapping {
    /// Whether this remapping applies to `import` written in the file `importer`
    /// (its source unit name).
    pub fn applies(&self, importer: &str, import: &str) -> bool {
        importer.starts_with(&self.context) && import.starts_with(&self.prefix)
    }

    /// `import` with the prefix replaced by the target. Call only when [`applies`](Self::applies).
    pub fn apply(&self, import: &str) -> String {
        format!("{}{}", self.target, &import[self.prefix.len()..])
    }
}

/// All remappings of a project, in priority order (earlier wins a tie).
#[derive(Clone, Debug, Default)]
pub(crate) struct Remappings {
    entries: Vec<Remapping>,
}

impl Remappings {
    /// Adds a remapping with a lower priority than the ones already present;
    /// exact duplicates are dropped.
    pub(crate) fn push(&mut self, remapping: Remapping) {
        if !self.entries.contains(&remapping) {
            self.entries.push(remapping);
        }
    }

    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Remapping> {
        self.entries.iter()
    }

    /// The remappings that apply to `import` in `importer`, best first: solc
    /// picks the longest context, then the longest prefix; among equals the
    /// one given first wins. The rest are fallbacks, tried when the best
    /// one names a file that does not exist.
    pub(crate) fn matching(&self, importer: &str, import: &str) -> Vec<&Remapping> {
        let mut matches: Vec<(usize, &Remapping)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, r)| r.applies(importer, import))
            .collect();
        matches.sort_by(|(ia, a), (ib, b)| {
            b.context
                .len()
                .cmp(&a.context.len())
                .then(b.prefix.len().cmp(&a.prefix.len()))
                .then(ia.cmp(ib))
        });
        matches.into_iter().map(|(_, r)| r).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remap(s: &str) -> Remapping {
        s.parse().unwrap()
    }

    #[test]
    fn parses_forms() {
        assert_eq!(
            remap("forge-std/=lib/forge-std/src/"),
            Remapping {
                context: String::new(),
                prefix: "forge-std/".into(),
                target: "lib/forge-std/src/".into()
            }
        );
        let r = remap(" src/legacy:@oz/=lib/oz-v3 ");
        assert_eq!(
            (r.context.as_str(), r.prefix.as_str()),
            ("src/legacy", "@oz/")
        );
        assert_eq!(
            r.target, "lib/oz-v3/",
            "a target gets the prefix's trailing slash"
        );
        assert_eq!(r.to_string(), "src/legacy:@oz/=lib/oz-v3/");
        assert_eq!(
            "nothing".parse::<Remapping>(),
            Err(RemappingError::MissingEquals("nothing".into()))
        );
        assert_eq!(
            "=x".parse::<Remapping>(),
            Err(RemappingError::EmptyPrefix("=x".into()))
        );
    }

    #[test]
    fn longest_context_then_longest_prefix_then_first_wins() {
        let mut set = Remappings::default();
        for r in [
            "@oz/=a/",
            "@oz/token/=b/",
            "src/old:@oz/=c/",
            "@oz/=d/",
            "@oz/=a/",
        ] {
            set.push(remap(r));
        }
        let targets = |importer: &str, import: &str| -> Vec<String> {
            set.matching(importer, import)
                .into_iter()
                .map(|r| r.target.clone())
                .collect()
        };
        assert_eq!(targets("src/A.sol", "@oz/token/T.sol"), ["b/", "a/", "d/"]);
        assert_eq!(
            targets("src/old/A.sol", "@oz/token/T.sol"),
            ["c/", "b/", "a/", "d/"]
        );
        assert_eq!(targets("src/A.sol", "@oz/x.sol"), ["a/", "d/"]);
        assert!(targets("src/A.sol", "other/x.sol").is_empty());
        assert_eq!(remap("@oz/token/=b/").apply("@oz/token/T.sol"), "b/T.sol");
    }
}
