//! Confirmation by simulation: an access-control finding on a deployed contract is tried
//! as an unprivileged caller in an in-process EVM over the chain's state at the scanned
//! block. Nothing is sent to the chain.

use alloy_primitives::Address;
use chain::StateReader;
use sim::{Effect, Probe, Verdict};

/// What the simulation of one finding showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Simulation {
    /// The call had the effect the finding predicts.
    Confirmed {
        /// What changed (`storage slot 0 ... now holds the caller`).
        evidence: String,
        /// The call that did it, in words.
        call: String,
    },
    /// No call tried had the effect; `reason` says what happened instead.
    NotReproduced { reason: String },
    /// The finding could not be turned into a call, or the simulation failed.
    NotRun { reason: String },
}

impl Simulation {
    /// `confirmed`, `not reproduced`, `not run`.
    pub(crate) fn status(&self) -> &'static str {
        match self {
            Simulation::Confirmed { .. } => "confirmed",
            Simulation::NotReproduced { .. } => "not reproduced",
            Simulation::NotRun { .. } => "not run",
        }
    }

    /// The sentence after the status.
    pub(crate) fn detail(&self) -> String {
        match self {
            Simulation::Confirmed { evidence, call } => format!("{evidence} (by {call})"),
            Simulation::NotReproduced { reason } | Simulation::NotRun { reason } => reason.clone(),
        }
    }
}

/// The effect that confirms a finding of detector `id`, for the detectors whose claim is
/// "anyone can do this"; `None` for the others.
pub(crate) fn effect_of(id: &str) -> Option<Effect> {
    match id {
        "unprotected-initializer" | "unprotected-state-write" | "misnamed-constructor" => {
            Some(Effect::PrivilegedWrite { slot: None })
        }
        "arbitrary-send-eth" | "bytecode-unguarded-ether-transfer" => Some(Effect::EtherOut),
        "unprotected-selfdestruct" | "bytecode-unguarded-selfdestruct" => {
            Some(Effect::CodeDestroyed)
        }
        _ => None,
    }
}

/// The probe of a source finding in function `name` whose declaration reads
/// `function name(params) attributes`.
pub(crate) fn source_probe(
    name: &str,
    params: &str,
    attributes: &str,
    effect: Effect,
) -> Result<Probe, String> {
    let words: Vec<&str> = attributes
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .collect();
    if words.iter().any(|w| *w == "internal" || *w == "private") {
        return Err(format!(
            "`{name}` is internal: the finding is reached through another function, which the \
             simulation does not pick"
        ));
    }
    // Source-style parameter lists are accepted by the probe's signature parser (names,
    // data locations and `payable` are dropped there).
    let signature = format!(
        "{name}({})",
        params.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    sim::Signature::parse(&signature)
        .map_err(|error| format!("the parameters of `{name}` cannot be chosen: {error}"))?;
    Ok(Probe::signature(signature, effect))
}

/// Runs `probe` against `target` at `block`.
pub(crate) fn simulate(
    reader: &dyn StateReader,
    block: u64,
    target: Address,
    probe: Probe,
) -> Simulation {
    match sim::confirm(reader, block, target, probe) {
        Ok(Verdict::Confirmed {
            evidence, attempt, ..
        }) => Simulation::Confirmed {
            evidence,
            call: format!("{} from {}", attempt.description, attempt.caller),
        },
        Ok(Verdict::NotReproduced { reason, .. }) => Simulation::NotReproduced { reason },
        Err(error) => Simulation::NotRun {
            reason: format!("the simulation failed: {error}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_come_from_public_declarations_only() {
        let effect = Effect::EtherOut;
        let probe = source_probe("withdraw", "uint256 amount", "external", effect).unwrap();
        assert_eq!(
            probe,
            Probe::signature("withdraw(uint256 amount)", Effect::EtherOut)
        );
        let error = source_probe("_pay", "address to", "internal", effect).unwrap_err();
        assert!(error.contains("`_pay` is internal"), "{error}");
        let error = source_probe("set", "Config memory c", "public", effect).unwrap_err();
        assert!(error.contains("cannot be chosen"), "{error}");
        assert_eq!(effect_of("tx-origin-auth"), None);
        assert_eq!(
            effect_of("unprotected-selfdestruct"),
            Some(Effect::CodeDestroyed)
        );
    }
}
