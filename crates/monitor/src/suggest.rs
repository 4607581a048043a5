//! Monitors derived from analysis: rules for what the analyzer knows about a contract.
