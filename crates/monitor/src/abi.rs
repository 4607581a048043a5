//! Contract interfaces for monitors: functions by selector and events by topic, read from
//! a JSON ABI or from human-readable signatures, and the decoding of calldata and logs into
//! condition values ([`crate::lang::Value`]) and JSON (alert details).

use std::collections::BTreeMap;

use alloy_dyn_abi::{DynSolType, DynSolValue, EventExt, JsonAbiExt, Specifier};
use alloy_json_abi::{Event, Function, JsonAbi};
use alloy_primitives::{B256, Selector};
use serde_json::{Value as Json, json};

use crate::lang::{Type, Value};

/// The functions and events of one contract.
#[derive(Debug, Clone, Default)]
pub struct Interface {
    functions: BTreeMap<Selector, Function>,
    events: BTreeMap<B256, Event>,
}

impl Interface {
    /// Reads a JSON ABI: a bare array, or an object with an `abi` key (a compiler
    /// artifact).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: Json =
            serde_json::from_str(text).map_err(|e| format!("the ABI is not JSON: {e}"))?;
        let abi = match value {
            Json::Array(_) => value,
            Json::Object(mut object) => object
                .remove("abi")
                .ok_or("the ABI is neither an array nor an object with an `abi` key")?,
            _ => return Err("the ABI is neither an array nor an object with an `abi` key".into()),
        };
        let abi: JsonAbi =
            serde_json::from_value(abi).map_err(|e| format!("the ABI is not valid: {e}"))?;
        let mut interface = Interface::default();
        for function in abi.functions() {
            interface
                .functions
                .insert(function.selector(), function.clone());
        }
        for event in abi.events() {
            if !event.anonymous {
                interface.events.insert(event.selector(), event.clone());
            }
        }
        Ok(interface)
    }

    /// Adds one human-readable signature: `function name(type name, …)` or
    /// `event Name(type indexed name, …)`.
    pub fn add_signature(&mut self, text: &str) -> Result<(), String> {
        let text = text.trim();
        if text.starts_with("event ") {
            let event = parse_event(text)?;
            self.events.insert(event.selector(), event);
        } else if text.starts_with("function ") {
            let function = parse_function(text)?;
            self.functions.insert(function.selector(), function);
        } else {
            return Err(format!(
                "`{text}`: a signature starts with `function ` or `event `"
            ));
        }
        Ok(())
    }

    /// The function `spec` names: a signature (parsed, and preferred from the ABI when the
    /// ABI has one with the same selector, for its parameter names) or a bare name the ABI
    /// defines exactly once.
    pub fn function(&self, spec: &str) -> Result<Function, String> {
        let spec = spec.trim();
        if spec.contains('(') {
            let parsed = parse_function(spec)?;
            return Ok(match self.functions.get(&parsed.selector()) {
                Some(known) if parsed.inputs.iter().all(|p| p.name.is_empty()) => known.clone(),
                _ => parsed,
            });
        }
        let matches: Vec<&Function> = self.functions.values().filter(|f| f.name == spec).collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!(
                "no function `{spec}` in the contract's interface; write its signature, like `{spec}(address,uint256)`"
            )),
            several => Err(format!(
                "`{spec}` is overloaded ({}); write the signature",
                several
                    .iter()
                    .map(|f| f.signature())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The event `spec` names, like [`Interface::function`].
    pub fn event(&self, spec: &str) -> Result<Event, String> {
        let spec = spec.trim();
        if spec.contains('(') {
            let parsed = parse_event(spec)?;
            let indexed =
                |event: &Event| event.inputs.iter().map(|p| p.indexed).collect::<Vec<_>>();
            let bare = parsed
                .inputs
                .iter()
                .all(|p| p.name.is_empty() && !p.indexed);
            return match self.events.get(&parsed.selector()) {
                // Types only (`Transfer(address,address,uint256)`): the ABI's event.
                Some(known) if bare => Ok(known.clone()),
                // Same topic, other layout: no log of the contract would decode.
                Some(known) if indexed(known) != indexed(&parsed) => Err(format!(
                    "`{spec}` does not match the contract's interface, which has `{}`: the indexed parameters differ",
                    known.full_signature()
                )),
                Some(known) if parsed.inputs.iter().all(|p| p.name.is_empty()) => Ok(known.clone()),
                _ => Ok(parsed),
            };
        }
        if let Some(event) = well_known_event(spec) {
            let known = self.events.get(&event.selector());
            return Ok(known.cloned().unwrap_or(event));
        }
        let matches: Vec<&Event> = self.events.values().filter(|e| e.name == spec).collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!(
                "no event `{spec}` in the contract's interface; write its signature, like `{spec}(address indexed from, uint256 value)`"
            )),
            several => Err(format!(
                "`{spec}` is overloaded ({}); write the signature",
                several
                    .iter()
                    .map(|e| e.signature())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// The privileged events every monitor knows by name, with OpenZeppelin's signatures.
pub const WELL_KNOWN_EVENTS: [&str; 8] = [
    "event OwnershipTransferred(address indexed previousOwner, address indexed newOwner)",
    "event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
    "event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
    "event Upgraded(address indexed implementation)",
    "event AdminChanged(address previousAdmin, address newAdmin)",
    "event BeaconUpgraded(address indexed beacon)",
    "event Paused(address account)",
    "event Unpaused(address account)",
];

fn well_known_event(name: &str) -> Option<Event> {
    WELL_KNOWN_EVENTS.iter().find_map(|signature| {
        let event = parse_event(signature).ok()?;
        (event.name == name).then_some(event)
    })
}

/// Parses `function name(type name, …)` (the `function` keyword may be left out).
pub fn parse_function(text: &str) -> Result<Function, String> {
    let text = text.trim();
    let full = if text.starts_with("function ") {
        text.to_string()
    } else {
        format!("function {text}")
    };
    Function::parse(&full).map_err(|e| format!("`{text}` is not a function signature: {e}"))
}

/// Parses `event Name(type indexed name, …)` (the `event` keyword may be left out).
pub fn parse_event(text: &str) -> Result<Event, String> {
    let text = text.trim();
    let full = if text.starts_with("event ") {
        text.to_string()
    } else {
        format!("event {text}")
    };
    Event::parse(&full).map_err(|e| format!("`{text}` is not an event signature: {e}"))
}

/// The condition type of a parameter; `None` for types conditions cannot use (arrays,
/// tuples, functions).
pub fn param_type(param: &impl Specifier<DynSolType>) -> Option<Type> {
    dyn_type(&param.resolve().ok()?)
}

/// The condition type of an indexed event parameter: dynamic types are stored as their
/// hash, a `bytes32`.
pub fn indexed_param_type(param: &impl Specifier<DynSolType>) -> Option<Type> {
    let ty = param.resolve().ok()?;
    if ty.is_dynamic() {
        return Some(Type::Bytes(Some(32)));
    }
    dyn_type(&ty)
}

fn dyn_type(ty: &DynSolType) -> Option<Type> {
    Some(match ty {
        DynSolType::Bool => Type::Bool,
        DynSolType::Int(bits) => Type::Int(*bits),
        DynSolType::Uint(bits) => Type::Uint(*bits),
        DynSolType::Address => Type::Address,
        DynSolType::FixedBytes(size) => Type::Bytes(Some(*size)),
        DynSolType::Bytes => Type::Bytes(None),
        DynSolType::String => Type::String,
        _ => return None,
    })
}

/// The condition value of a decoded value; `None` for values conditions cannot use.
pub fn to_value(value: &DynSolValue) -> Option<Value> {
    Some(match value {
        DynSolValue::Bool(b) => Value::Bool(*b),
        DynSolValue::Int(i, _) => Value::Int(*i),
        DynSolValue::Uint(u, _) => Value::Uint(*u),
        DynSolValue::Address(a) => Value::Address(*a),
        DynSolValue::FixedBytes(word, size) => Value::Bytes(word[..*size].to_vec()),
        DynSolValue::Bytes(bytes) => Value::Bytes(bytes.clone()),
        DynSolValue::String(s) => Value::String(s.clone()),
        _ => return None,
    })
}

/// A decoded value as JSON for alert details: numbers as decimal strings, bytes as hex.
pub fn to_json(value: &DynSolValue) -> Json {
    match value {
        DynSolValue::Bool(b) => json!(b),
        DynSolValue::Int(i, _) => json!(i.to_string()),
        DynSolValue::Uint(u, _) => json!(u.to_string()),
        DynSolValue::Address(a) => json!(a.to_checksum(None)),
        DynSolValue::Function(f) => json!(f.to_string()),
        DynSolValue::FixedBytes(word, size) => json!(format!("0x{}", hex(&word[..*size]))),
        DynSolValue::Bytes(bytes) => json!(format!("0x{}", hex(bytes))),
        DynSolValue::String(s) => json!(s),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            Json::Array(items.iter().map(to_json).collect())
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Decodes the arguments of `function` from calldata (selector included).
pub fn decode_call(function: &Function, calldata: &[u8]) -> Option<Vec<DynSolValue>> {
    let args = calldata.get(4..)?;
    function.abi_decode_input(args).ok()
}

/// Decodes a log of `event` into its parameters in declaration order.
pub fn decode_log(event: &Event, topics: &[B256], data: &[u8]) -> Option<Vec<DynSolValue>> {
    let decoded = event.decode_log_parts(topics.iter().copied(), data).ok()?;
    let mut indexed = decoded.indexed.into_iter();
    let mut body = decoded.body.into_iter();
    event
        .inputs
        .iter()
        .map(|param| {
            if param.indexed {
                indexed.next()
            } else {
                body.next()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, U256};

    #[test]
    fn functions_by_name_and_signature() {
        let abi = r#"[{"type":"function","name":"transferOwnership","inputs":[{"name":"newOwner","type":"address"}],"outputs":[],"stateMutability":"nonpayable"}]"#;
        let interface = Interface::from_json(abi).unwrap();
        let by_name = interface.function("transferOwnership").unwrap();
        assert_eq!(by_name.inputs[0].name, "newOwner");
        // A signature without names takes the ABI's names.
        let by_signature = interface.function("transferOwnership(address)").unwrap();
        assert_eq!(by_signature.inputs[0].name, "newOwner");
        assert!(interface.function("renounceOwnership").is_err());
        let artifact = format!(r#"{{"abi": {abi}, "bytecode": "0x"}}"#);
        assert!(Interface::from_json(&artifact).is_ok());
        assert!(Interface::from_json("{}").is_err());
    }

    #[test]
    fn well_known_events_need_no_abi() {
        let interface = Interface::default();
        let event = interface.event("OwnershipTransferred").unwrap();
        assert_eq!(event.inputs[1].name, "newOwner");
        assert!(interface.event("Nope").is_err());
    }

    #[test]
    fn decodes_calls_and_logs() {
        let function = parse_function("transfer(address to, uint256 amount)").unwrap();
        let to = Address::repeat_byte(0x11);
        let mut calldata = function.selector().to_vec();
        calldata.extend_from_slice(&[0u8; 12]);
        calldata.extend_from_slice(to.as_slice());
        calldata.extend_from_slice(&U256::from(5).to_be_bytes::<32>());
        let args = decode_call(&function, &calldata).unwrap();
        assert_eq!(to_value(&args[0]), Some(Value::Address(to)));
        assert_eq!(to_value(&args[1]), Some(Value::Uint(U256::from(5))));
        assert!(decode_call(&function, &calldata[..10]).is_none());

        let event =
            parse_event("Transfer(address indexed from, address indexed to, uint256 value)")
                .unwrap();
        let topics = [
            event.selector(),
            B256::left_padding_from(Address::ZERO.as_slice()),
            B256::left_padding_from(to.as_slice()),
        ];
        let values = decode_log(&event, &topics, &U256::from(7).to_be_bytes::<32>()).unwrap();
        assert_eq!(to_value(&values[1]), Some(Value::Address(to)));
        assert_eq!(to_value(&values[2]), Some(Value::Uint(U256::from(7))));
        assert!(decode_log(&event, &topics[..2], &[]).is_none());
    }
}
