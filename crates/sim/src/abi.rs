//! Just enough of the ABI to call a function named by its Solidity signature with
//! arguments chosen for an attack: parsing `name(type,…)`, choosing values per type, and
//! encoding them.

use alloy_primitives::{Address, U256};

use crate::revert::selector;

/// A parameter type of a function signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbiType {
    Address,
    Bool,
    /// `uintN`, with N in bits.
    Uint(u16),
    /// `intN`, with N in bits.
    Int(u16),
    /// `bytesN`.
    FixedBytes(u8),
    Bytes,
    String,
    /// `T[]`.
    Array(Box<AbiType>),
    /// `T[k]`.
    FixedArray(Box<AbiType>, usize),
    /// `(T1,T2,…)`.
    Tuple(Vec<AbiType>),
}

/// A function signature: `transferOwnership(address)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub params: Vec<AbiType>,
}

/// Why a signature could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signature {signature:?}: {message}")]
pub struct SignatureError {
    pub signature: String,
    pub message: String,
}

/// Fixed arrays larger than this are refused: the calldata would be absurd.
const MAX_FIXED_ARRAY: usize = 64;
/// Tuples and arrays nested deeper than this are refused.
const MAX_NESTING: usize = 16;

impl Signature {
    /// Parses `name(type,…)`. Written as in source is accepted too: a leading
    /// `function`, parameter names, `payable` and data locations are dropped
    /// (`function withdraw(uint256 amount, address payable to)`).
    pub fn parse(text: &str) -> Result<Signature, SignatureError> {
        let error = |message: &str| SignatureError {
            signature: text.to_string(),
            message: message.to_string(),
        };
        let compact = strip_names(text);
        let open = compact
            .find('(')
            .ok_or_else(|| error("no parameter list"))?;
        let name = &compact[..open];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            || name.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(error("the function name is not an identifier"));
        }
        let rest = &compact[open..];
        let (params, used) = parse_tuple(rest, 0).map_err(|m| error(&m))?;
        if used != rest.len() {
            return Err(error("text after the parameter list"));
        }
        Ok(Signature {
            name: name.to_string(),
            params,
        })
    }

    /// The canonical text (`uint` written `uint256`), whose hash gives the selector.
    pub fn canonical(&self) -> String {
        let params: Vec<String> = self.params.iter().map(AbiType::canonical).collect();
        format!("{}({})", self.name, params.join(","))
    }

    pub fn selector(&self) -> [u8; 4] {
        selector(&self.canonical())
    }
}

/// The signature without what the source adds to types: every piece between `(`, `,`
/// and `)` keeps only its first word (the type); after a `)` inside the parameter list
/// only an array suffix is kept (`(uint a, bool b)[] memory xs`); before the list only
/// the last word (the name after `function`). Whitespace goes.
fn strip_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut after_close = false;
    let mut piece = String::new();
    let flush = |piece: &mut String, out: &mut String, depth: usize, after_close: bool| {
        let words: Vec<&str> = piece.split_whitespace().collect();
        let kept = if depth == 0 {
            if after_close {
                // After the parameter list: kept as is, so that it is reported.
                words.concat()
            } else {
                words.last().map(|w| w.to_string()).unwrap_or_default()
            }
        } else if after_close {
            words
                .first()
                .filter(|w| w.starts_with('['))
                .map(|w| w.to_string())
                .unwrap_or_default()
        } else {
            words.first().map(|w| w.to_string()).unwrap_or_default()
        };
        out.push_str(&kept);
        piece.clear();
    };
    for c in text.chars() {
        match c {
            '(' | ')' | ',' => {
                flush(&mut piece, &mut out, depth, after_close);
                out.push(c);
                match c {
                    '(' => {
                        depth += 1;
                        after_close = false;
                    }
                    ')' => {
                        depth = depth.saturating_sub(1);
                        after_close = true;
                    }
                    _ => after_close = false,
                }
            }
            _ => piece.push(c),
        }
    }
    flush(&mut piece, &mut out, depth, after_close);
    out
}

/// Parses `(T,…)` at the start of `text`; returns the types and the bytes consumed.
fn parse_tuple(text: &str, depth: usize) -> Result<(Vec<AbiType>, usize), String> {
    if depth > MAX_NESTING {
        return Err("nested too deeply".into());
    }
    if !text.starts_with('(') {
        return Err("expected '('".into());
    }
    let mut at = 1;
    let mut types = Vec::new();
    if text[at..].starts_with(')') {
        return Ok((types, at + 1));
    }
    loop {
        let (ty, used) = parse_type(&text[at..], depth + 1)?;
        types.push(ty);
        at += used;
        match text[at..].chars().next() {
            Some(',') => at += 1,
            Some(')') => return Ok((types, at + 1)),
            _ => return Err("expected ',' or ')' after a parameter type".into()),
        }
    }
}

/// Parses one type (with any array suffixes) at the start of `text`.
fn parse_type(text: &str, depth: usize) -> Result<(AbiType, usize), String> {
    if depth > MAX_NESTING {
        return Err("nested too deeply".into());
    }
    let (mut ty, mut at) = if text.starts_with('(') {
        let (inner, used) = parse_tuple(text, depth + 1)?;
        (AbiType::Tuple(inner), used)
    } else {
        let end = text
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(text.len());
        (elementary(&text[..end])?, end)
    };
    let mut suffixes = 0;
    while text[at..].starts_with('[') {
        suffixes += 1;
        if depth + suffixes > MAX_NESTING {
            return Err("nested too deeply".into());
        }
        let close = text[at..]
            .find(']')
            .ok_or_else(|| "unclosed '['".to_string())?;
        let size = &text[at + 1..at + close];
        ty = if size.is_empty() {
            AbiType::Array(Box::new(ty))
        } else {
            let length: usize = size
                .parse()
                .map_err(|_| format!("array size {size:?} is not a number"))?;
            if length == 0 || length > MAX_FIXED_ARRAY {
                return Err(format!(
                    "fixed array size {length} outside 1..={MAX_FIXED_ARRAY}"
                ));
            }
            AbiType::FixedArray(Box::new(ty), length)
        };
        at += close + 1;
    }
    Ok((ty, at))
}

fn elementary(name: &str) -> Result<AbiType, String> {
    let bits = |digits: &str, default: u16| -> Result<u16, String> {
        if digits.is_empty() {
            return Ok(default);
        }
        match digits.parse::<u16>() {
            Ok(n) if n % 8 == 0 && (8..=256).contains(&n) => Ok(n),
            _ => Err(format!("{name} is not a valid integer type")),
        }
    };
    Ok(match name {
        "address" => AbiType::Address,
        "bool" => AbiType::Bool,
        "bytes" => AbiType::Bytes,
        "string" => AbiType::String,
        "function" => AbiType::FixedBytes(24),
        _ if name.starts_with("uint") => AbiType::Uint(bits(&name[4..], 256)?),
        _ if name.starts_with("int") => AbiType::Int(bits(&name[3..], 256)?),
        _ if name.starts_with("bytes") => match name[5..].parse::<u8>() {
            Ok(n) if (1..=32).contains(&n) => AbiType::FixedBytes(n),
            _ => return Err(format!("{name} is not a valid bytesN type")),
        },
        "" => return Err("missing parameter type".into()),
        _ => return Err(format!("unknown type {name:?}")),
    })
}

impl AbiType {
    fn canonical(&self) -> String {
        match self {
            AbiType::Address => "address".into(),
            AbiType::Bool => "bool".into(),
            AbiType::Uint(bits) => format!("uint{bits}"),
            AbiType::Int(bits) => format!("int{bits}"),
            AbiType::FixedBytes(24) => "function".into(),
            AbiType::FixedBytes(n) => format!("bytes{n}"),
            AbiType::Bytes => "bytes".into(),
            AbiType::String => "string".into(),
            AbiType::Array(inner) => format!("{}[]", inner.canonical()),
            AbiType::FixedArray(inner, n) => format!("{}[{n}]", inner.canonical()),
            AbiType::Tuple(items) => {
                let items: Vec<String> = items.iter().map(AbiType::canonical).collect();
                format!("({})", items.join(","))
            }
        }
    }

    fn has_amount(&self) -> bool {
        match self {
            AbiType::Uint(_) | AbiType::Int(_) => true,
            AbiType::Array(inner) | AbiType::FixedArray(inner, _) => inner.has_amount(),
            AbiType::Tuple(items) => items.iter().any(AbiType::has_amount),
            _ => false,
        }
    }
}

/// Which number an attempt puts in integer parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Amount {
    /// The target contract's ether balance (a withdrawal of everything).
    ContractBalance,
    /// One.
    Small,
    /// The largest value of the type.
    Max,
}

impl Amount {
    pub(crate) const ALL: [Amount; 3] = [Amount::ContractBalance, Amount::Small, Amount::Max];

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Amount::ContractBalance => "the contract's balance",
            Amount::Small => "1",
            Amount::Max => "the type's maximum",
        }
    }
}

/// The values an attempt uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Choices {
    /// The unprivileged caller: every address parameter.
    pub attacker: Address,
    /// The target's balance, for [`Amount::ContractBalance`].
    pub(crate) balance: U256,
    pub(crate) amount: Amount,
}

/// An encoded argument value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Word([u8; 32]),
    /// `bytes` / `string` content.
    Dynamic(Vec<u8>),
    /// `T[]`.
    Array(Vec<Value>),
    /// `T[k]` or a tuple: encoded in place unless an element is dynamic.
    Sequence(Vec<Value>),
}

impl Value {
    fn is_dynamic(&self) -> bool {
        match self {
            Value::Word(_) => false,
            Value::Dynamic(_) | Value::Array(_) => true,
            Value::Sequence(items) => items.iter().any(Value::is_dynamic),
        }
    }

    /// The size of the value's head in the enclosing sequence.
    fn head_size(&self) -> usize {
        match self {
            Value::Sequence(items) if !self.is_dynamic() => {
                items.iter().map(Value::head_size).sum()
            }
            _ => 32,
        }
    }
}

fn choose(ty: &AbiType, choices: &Choices) -> Value {
    let number = |bits: u16, signed: bool| -> [u8; 32] {
        let max = if signed {
            (U256::from(1) << (bits as usize - 1)) - U256::from(1)
        } else if bits == 256 {
            U256::MAX
        } else {
            (U256::from(1) << bits as usize) - U256::from(1)
        };
        let value = match choices.amount {
            Amount::ContractBalance => choices.balance.min(max),
            Amount::Small => U256::from(1),
            Amount::Max => max,
        };
        value.to_be_bytes()
    };
    match ty {
        AbiType::Address => Value::Word(address_word(choices.attacker)),
        AbiType::Bool => Value::Word(U256::from(1).to_be_bytes()),
        AbiType::Uint(bits) => Value::Word(number(*bits, false)),
        AbiType::Int(bits) => Value::Word(number(*bits, true)),
        AbiType::FixedBytes(_) => Value::Word([0; 32]),
        AbiType::Bytes | AbiType::String => Value::Dynamic(Vec::new()),
        AbiType::Array(inner) => Value::Array(vec![choose(inner, choices)]),
        AbiType::FixedArray(inner, length) => {
            Value::Sequence((0..*length).map(|_| choose(inner, choices)).collect())
        }
        AbiType::Tuple(items) => {
            Value::Sequence(items.iter().map(|item| choose(item, choices)).collect())
        }
    }
}

pub(crate) fn address_word(address: Address) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[12..].copy_from_slice(address.as_slice());
    word
}

fn encode_sequence(items: &[Value], out: &mut Vec<u8>) {
    let head_size: usize = items.iter().map(Value::head_size).sum();
    let mut tail = Vec::new();
    for item in items {
        if item.is_dynamic() {
            let offset = U256::from(head_size + tail.len());
            out.extend_from_slice(&offset.to_be_bytes::<32>());
            encode_value(item, &mut tail);
        } else {
            encode_value(item, out);
        }
    }
    out.extend_from_slice(&tail);
}

fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Word(word) => out.extend_from_slice(word),
        Value::Dynamic(bytes) => {
            out.extend_from_slice(&U256::from(bytes.len()).to_be_bytes::<32>());
            let start = out.len();
            out.extend_from_slice(bytes);
            out.resize(start + bytes.len().div_ceil(32) * 32, 0);
        }
        Value::Array(items) => {
            out.extend_from_slice(&U256::from(items.len()).to_be_bytes::<32>());
            encode_sequence(items, out);
        }
        Value::Sequence(items) => encode_sequence(items, out),
    }
}

/// The calldata of one call to `signature` with the values of `choices`.
pub(crate) fn encode_call(signature: &Signature, choices: &Choices) -> Vec<u8> {
    let values: Vec<Value> = signature
        .params
        .iter()
        .map(|ty| choose(ty, choices))
        .collect();
    let mut out = signature.selector().to_vec();
    encode_sequence(&values, &mut out);
    out
}

/// The amount choices worth trying: all three when a parameter is a number, one otherwise.
pub(crate) fn amounts_for(signature: &Signature) -> &'static [Amount] {
    if signature.params.iter().any(AbiType::has_amount) {
        &Amount::ALL
    } else {
        &Amount::ALL[1..2]
    }
}

/// A calldata shape tried for a bare selector, whose arguments are unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Empty,
    Caller,
    Amount(Amount),
    CallerThenAmount(Amount),
    AmountThenCaller(Amount),
}

impl Shape {
    pub(crate) const ALL: [Shape; 9] = [
        Shape::Empty,
        Shape::Caller,
        Shape::Amount(Amount::ContractBalance),
        Shape::Amount(Amount::Small),
        Shape::CallerThenAmount(Amount::ContractBalance),
        Shape::CallerThenAmount(Amount::Small),
        Shape::AmountThenCaller(Amount::ContractBalance),
        Shape::Amount(Amount::Max),
        Shape::CallerThenAmount(Amount::Max),
    ];

    pub(crate) fn describe(self) -> String {
        match self {
            Shape::Empty => "no arguments".into(),
            Shape::Caller => "one word: the caller's address".into(),
            Shape::Amount(amount) => format!("one word: {}", amount.describe()),
            Shape::CallerThenAmount(amount) => {
                format!("two words: the caller's address, {}", amount.describe())
            }
            Shape::AmountThenCaller(amount) => {
                format!("two words: {}, the caller's address", amount.describe())
            }
        }
    }

    /// The selector followed by the shape's words.
    pub(crate) fn encode(self, selector: [u8; 4], attacker: Address, balance: U256) -> Vec<u8> {
        let amount = |amount: Amount| -> [u8; 32] {
            match amount {
                Amount::ContractBalance => balance.to_be_bytes(),
                Amount::Small => U256::from(1).to_be_bytes(),
                Amount::Max => U256::MAX.to_be_bytes(),
            }
        };
        let caller = address_word(attacker);
        let words: Vec<[u8; 32]> = match self {
            Shape::Empty => vec![],
            Shape::Caller => vec![caller],
            Shape::Amount(a) => vec![amount(a)],
            Shape::CallerThenAmount(a) => vec![caller, amount(a)],
            Shape::AmountThenCaller(a) => vec![amount(a), caller],
        };
        let mut out = selector.to_vec();
        for word in words {
            out.extend_from_slice(&word);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(amount: Amount) -> Choices {
        Choices {
            attacker: Address::repeat_byte(0xaa),
            balance: U256::from(1_500u64),
            amount,
        }
    }

    fn words(data: &[u8]) -> Vec<String> {
        data[4..]
            .chunks(32)
            .map(alloy_primitives::hex::encode)
            .collect()
    }

    #[test]
    fn signatures_parse_and_canonicalise() {
        let signature = Signature::parse("transferOwnership( address )").unwrap();
        assert_eq!(signature.name, "transferOwnership");
        assert_eq!(signature.params, vec![AbiType::Address]);
        assert_eq!(signature.selector(), [0xf2, 0xfd, 0xe3, 0x8b]);
        let signature = Signature::parse("f(uint,int8[2],(bool,bytes)[],string)").unwrap();
        assert_eq!(
            signature.canonical(),
            "f(uint256,int8[2],(bool,bytes)[],string)"
        );
        assert_eq!(Signature::parse("withdraw()").unwrap().params, vec![]);
    }

    #[test]
    fn signatures_written_as_in_source_are_accepted() {
        let canonical = |text: &str| Signature::parse(text).unwrap().canonical();
        assert_eq!(
            canonical("function withdraw(uint256 amount, address payable to)"),
            "withdraw(uint256,address)"
        );
        assert_eq!(
            canonical("f((uint a, bool b)[] memory xs, bytes calldata data, string memory)"),
            "f((uint256,bool)[],bytes,string)"
        );
        assert_eq!(canonical("g((address who) memory p)"), "g((address))");
        assert_eq!(canonical("h(uint[2] storage s)"), "h(uint256[2])");
    }

    #[test]
    fn bad_signatures_are_precise_errors() {
        let message = |text: &str| Signature::parse(text).unwrap_err().message;
        assert_eq!(message("withdraw"), "no parameter list");
        assert_eq!(message("f(uint7)"), "uint7 is not a valid integer type");
        assert_eq!(message("f(bytes33)"), "bytes33 is not a valid bytesN type");
        assert_eq!(message("f(address,)"), "missing parameter type");
        assert_eq!(
            message("f(address"),
            "expected ',' or ')' after a parameter type"
        );
        assert_eq!(message("f(uint[0])"), "fixed array size 0 outside 1..=64");
        assert_eq!(message("f(uint)x"), "text after the parameter list");
        assert_eq!(message("1f()"), "the function name is not an identifier");
        assert_eq!(message("f(foo)"), "unknown type \"foo\"");
        let deep = format!("f({}uint{})", "(".repeat(40), ")".repeat(40));
        assert_eq!(message(&deep), "nested too deeply");
        assert_eq!(
            message(&format!("f(uint{})", "[]".repeat(40))),
            "nested too deeply"
        );
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "(",
            ")",
            "f(",
            "f)",
            "f((",
            "f(uint[",
            "f(uint[]",
            "f(uint[x])",
            "f(uint[99999999999999999999])",
            "f(é)",
            "fé(uint)",
            "f(uint,é)",
            "f(uint[é])",
            "f(()",
            "f(())",
            "f(,)",
            "f(uint))",
            "f(bytes0)",
            "f(uint264)",
            "f(int0)",
            "f(bytes٣)",
            "\u{0}(\u{0})",
        ] {
            let _ = Signature::parse(text);
        }
        // An empty tuple is a valid type.
        assert_eq!(
            Signature::parse("f(())").unwrap().params,
            vec![AbiType::Tuple(vec![])]
        );
    }

    #[test]
    fn address_parameters_get_the_attacker_and_numbers_follow_the_choice() {
        let signature = Signature::parse("withdraw(address,uint256)").unwrap();
        let attacker = format!("{}{}", "00".repeat(12), "aa".repeat(20));
        let balance = encode_call(&signature, &choices(Amount::ContractBalance));
        assert_eq!(&balance[..4], &signature.selector());
        assert_eq!(
            words(&balance),
            vec![attacker.clone(), format!("{:064x}", 1_500)]
        );
        let small = encode_call(&signature, &choices(Amount::Small));
        assert_eq!(words(&small)[1], format!("{:064x}", 1));
        let max = encode_call(&signature, &choices(Amount::Max));
        assert_eq!(words(&max)[1], "f".repeat(64));
        // Smaller types get their own maximum; signed ones the positive maximum.
        let narrow = Signature::parse("f(uint8,int16)").unwrap();
        let max = encode_call(&narrow, &choices(Amount::Max));
        assert_eq!(
            words(&max),
            vec![format!("{:064x}", 255), format!("{:064x}", 32767)]
        );
        // The balance is clamped to the type.
        let clamped = encode_call(
            &Signature::parse("f(uint8)").unwrap(),
            &choices(Amount::ContractBalance),
        );
        assert_eq!(words(&clamped), vec![format!("{:064x}", 255)]);
    }

    #[test]
    fn dynamic_and_fixed_arrays_are_encoded_with_offsets() {
        // bool true, then an empty `bytes` (offset 0x40), then its zero length.
        let signature = Signature::parse("f(bool,bytes)").unwrap();
        let data = encode_call(&signature, &choices(Amount::Small));
        assert_eq!(
            words(&data),
            vec![
                format!("{:064x}", 1),
                format!("{:064x}", 0x40),
                format!("{:064x}", 0)
            ]
        );
        // A fixed array of addresses is in place; a dynamic array holds one element.
        let signature = Signature::parse("f(address[2],uint256[])").unwrap();
        let data = encode_call(&signature, &choices(Amount::Small));
        let attacker = format!("{}{}", "00".repeat(12), "aa".repeat(20));
        assert_eq!(
            words(&data),
            vec![
                attacker.clone(),
                attacker,
                format!("{:064x}", 0x60),
                format!("{:064x}", 1),
                format!("{:064x}", 1),
            ]
        );
        // A string inside a fixed array makes the array dynamic: offset, then two offsets.
        let signature = Signature::parse("f(string[2])").unwrap();
        let data = encode_call(&signature, &choices(Amount::Small));
        assert_eq!(
            words(&data),
            vec![
                format!("{:064x}", 0x20),
                format!("{:064x}", 0x40),
                format!("{:064x}", 0x60),
                format!("{:064x}", 0),
                format!("{:064x}", 0),
            ]
        );
    }

    #[test]
    fn amounts_are_tried_only_when_a_parameter_is_a_number() {
        let no_numbers = Signature::parse("transferOwnership(address)").unwrap();
        assert_eq!(amounts_for(&no_numbers), &[Amount::Small]);
        let numbers = Signature::parse("g((address,uint8)[])").unwrap();
        assert_eq!(amounts_for(&numbers).len(), 3);
    }

    #[test]
    fn selector_shapes_put_words_after_the_selector() {
        let attacker = Address::repeat_byte(0xaa);
        let data = Shape::CallerThenAmount(Amount::ContractBalance).encode(
            [1, 2, 3, 4],
            attacker,
            U256::from(7),
        );
        assert_eq!(&data[..4], &[1, 2, 3, 4]);
        assert_eq!(
            words(&data),
            vec![
                format!("{}{}", "00".repeat(12), "aa".repeat(20)),
                format!("{:064x}", 7)
            ]
        );
        assert_eq!(
            Shape::Empty
                .encode([1, 2, 3, 4], attacker, U256::ZERO)
                .len(),
            4
        );
    }
}
