//! The blocks a monitor processes, as read from a node: header, transactions with their
//! receipts, and logs; parsed from JSON-RPC answers (`eth_getBlockByNumber` with full
//! transactions or their hashes, `eth_getBlockReceipts`, `eth_getTransactionByHash`).

use std::collections::HashMap;

use alloy_primitives::{Address, B256, Bytes, U256};
use serde_json::Value as Json;

/// One block with everything rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub number: u64,
    pub hash: B256,
    pub parent_hash: B256,
    pub timestamp: u64,
    pub transactions: Vec<Transaction>,
}

/// A transaction and its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub hash: B256,
    pub index: u64,
    pub from: Address,
    /// `None` for a contract creation.
    pub to: Option<Address>,
    pub input: Bytes,
    pub value: U256,
    /// The price paid per gas (the receipt's effective gas price).
    pub gas_price: U256,
    pub success: bool,
    pub gas_used: u64,
    /// The contract a creation made.
    pub created: Option<Address>,
    pub logs: Vec<Log>,
    /// The calls and creations the transaction made from contracts (not the transaction
    /// itself), in execution order; read from the node's traces, only for monitors with
    /// rules on internal calls (empty otherwise).
    pub internal: Vec<InternalCall>,
}

/// A message call or creation made by a contract during a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalCall {
    pub kind: CallKind,
    /// The contract that made it (`msg.sender` of the call).
    pub from: Address,
    /// The called address; for a creation, the contract created (`None` when it failed).
    pub to: Option<Address>,
    /// Calldata; for a creation, the init code.
    pub input: Bytes,
    pub value: U256,
    /// Neither this call nor one of the calls it was made in reverted.
    pub success: bool,
    /// How deep in the transaction: 1 for a call made by the called contract itself.
    pub depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Call,
    StaticCall,
    DelegateCall,
    CallCode,
    Create,
}

impl CallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Call => "call",
            CallKind::StaticCall => "staticcall",
            CallKind::DelegateCall => "delegatecall",
            CallKind::CallCode => "callcode",
            CallKind::Create => "create",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// Position in the block.
    pub index: u64,
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
}

impl Transaction {
    /// The 4-byte selector of the call, if the input has one.
    pub fn selector(&self) -> Option<[u8; 4]> {
        self.input.get(..4).map(|s| [s[0], s[1], s[2], s[3]])
    }
}

/// Builds a [`Block`] from `eth_getBlockByNumber(n, true)` and `eth_getBlockReceipts(n)`.
/// The receipts must be those of the block (same hash) and one per transaction.
pub fn parse_block(block: &Json, receipts: &Json) -> Result<Block, String> {
    parse_block_with(block, receipts, &HashMap::new())
}

/// Builds a [`Block`] from `eth_getBlockByNumber(n, full)` and `eth_getBlockReceipts(n)`.
/// A transaction given as an object is read in full. One given as its hash is read from
/// its receipt, with the calldata and value of its object in `full` (from
/// `eth_getTransactionByHash`) when there, and otherwise with empty calldata and a zero
/// value (see [`crate::eval::Details`]).
pub fn parse_block_with(
    block: &Json,
    receipts: &Json,
    full: &HashMap<B256, Json>,
) -> Result<Block, String> {
    let number = quantity(block, "number")?;
    let hash = word(block, "hash")?;
    let parent_hash = word(block, "parentHash")?;
    let timestamp = quantity(block, "timestamp")?;
    let txs = block
        .get("transactions")
        .and_then(Json::as_array)
        .ok_or("block without a transactions array")?;
    let receipts = receipts
        .as_array()
        .ok_or("receipts are not an array (does the node support eth_getBlockReceipts?)")?;
    if receipts.len() != txs.len() {
        return Err(format!(
            "block {number} has {} transactions but {} receipts",
            txs.len(),
            receipts.len()
        ));
    }
    let mut transactions = Vec::with_capacity(txs.len());
    for (tx, receipt) in txs.iter().zip(receipts) {
        let (tx_hash, object) = match tx {
            Json::Object(_) => (word(tx, "hash")?, Some(tx)),
            Json::String(_) => {
                let tx_hash = parse_word(tx)?;
                (tx_hash, full.get(&tx_hash))
            }
            _ => {
                return Err(format!(
                    "block {number}: a transaction is neither an object nor a hash"
                ));
            }
        };
        if let Some(object) = object {
            if word(object, "hash")? != tx_hash {
                return Err(format!(
                    "block {number}: the transaction read for {tx_hash} is another one"
                ));
            }
            if let Some(tx_block) = object.get("blockHash").filter(|v| !v.is_null())
                && parse_word(tx_block)? != hash
            {
                return Err(format!(
                    "block {number}: transaction {tx_hash} was read from another block (the chain moved while reading)"
                ));
            }
        }
        if word(receipt, "transactionHash")? != tx_hash {
            return Err(format!(
                "block {number}: receipt out of order for transaction {tx_hash}"
            ));
        }
        if let Some(receipt_block) = receipt.get("blockHash").filter(|v| !v.is_null())
            && parse_word(receipt_block)? != hash
        {
            return Err(format!(
                "block {number}: receipts belong to another block (the chain moved while reading)"
            ));
        }
        let logs = receipt
            .get("logs")
            .and_then(Json::as_array)
            .ok_or("receipt without logs")?
            .iter()
            .map(parse_log)
            .collect::<Result<Vec<_>, _>>()?;
        let gas_price = match (
            receipt.get("effectiveGasPrice").filter(|v| !v.is_null()),
            object,
        ) {
            (Some(price), _) => parse_u256(price)?,
            (None, Some(object)) => u256(object, "gasPrice")?,
            (None, None) => {
                return Err(format!(
                    "block {number}: the receipt of {tx_hash} has no `effectiveGasPrice`"
                ));
            }
        };
        let (index, from, to, input, value) = match object {
            Some(tx) => (
                quantity(tx, "transactionIndex")?,
                address(tx, "from")?,
                optional_address(tx, "to")?,
                data(tx, "input")?,
                u256(tx, "value")?,
            ),
            None => (
                quantity(receipt, "transactionIndex")?,
                address(receipt, "from")?,
                optional_address(receipt, "to")?,
                Bytes::new(),
                U256::ZERO,
            ),
        };
        transactions.push(Transaction {
            hash: tx_hash,
            index,
            from,
            to,
            input,
            value,
            gas_price,
            success: quantity(receipt, "status")? == 1,
            gas_used: quantity(receipt, "gasUsed")?,
            created: optional_address(receipt, "contractAddress")?,
            logs,
            internal: Vec::new(),
        });
    }
    Ok(Block {
        number,
        hash,
        parent_hash,
        timestamp,
        transactions,
    })
}

/// Adds to the transactions of `block` their internal calls and creations, and to those
/// read from their receipts alone their calldata and value, from the
/// block's traces as `trace_block` gives them (Parity style: a flat list in execution
/// order, each with the position of its transaction and its `traceAddress`, the path of
/// call indexes from the transaction's own call). Every transaction must have its own
/// trace (an empty `traceAddress`) and every trace a transaction of the block: traces of
/// another block, or of part of it, are refused.
pub fn attach_traces(block: &mut Block, traces: &Json) -> Result<(), String> {
    let number = block.number;
    let traces = traces
        .as_array()
        .ok_or_else(|| format!("block {number}: the traces are not an array"))?;
    let mut own = vec![false; block.transactions.len()];
    // Trace addresses (with the transaction's position) of the calls that reverted.
    let mut failed: std::collections::HashSet<(usize, Vec<u64>)> = Default::default();
    for trace in traces {
        let kind = trace.get("type").and_then(Json::as_str).unwrap_or("");
        if kind == "reward" {
            continue;
        }
        let position = quantity_or_number(trace, "transactionPosition")
            .map_err(|e| format!("block {number}: trace: {e}"))?;
        let position = usize::try_from(position).unwrap_or(usize::MAX);
        let tx = block.transactions.get_mut(position).ok_or_else(|| {
            format!("block {number}: a trace names transaction {position}, which the block does not have")
        })?;
        if let Some(hash) = trace.get("transactionHash").filter(|v| !v.is_null())
            && parse_word(hash)? != tx.hash
        {
            return Err(format!(
                "block {number}: the trace of transaction {position} is of another transaction (the chain moved while reading)"
            ));
        }
        if let Some(hash) = trace.get("blockHash").filter(|v| !v.is_null())
            && parse_word(hash)? != block.hash
        {
            return Err(format!(
                "block {number}: traces of another block (the chain moved while reading)"
            ));
        }
        let path = trace
            .get("traceAddress")
            .and_then(Json::as_array)
            .ok_or_else(|| format!("block {number}: a trace without `traceAddress`"))?
            .iter()
            .map(|step| {
                step.as_u64()
                    .ok_or_else(|| format!("block {number}: `traceAddress` holds {step}"))
            })
            .collect::<Result<Vec<u64>, _>>()?;
        // A transaction's own call failed when its receipt says so (the receipt is the
        // authority: Anvil marks some successful calls to precompiles as out of gas).
        let reverted = if path.is_empty() {
            !tx.success
        } else {
            trace.get("error").is_some_and(|e| !e.is_null())
        };
        let inside_failed =
            (0..path.len()).any(|depth| failed.contains(&(position, path[..depth].to_vec())));
        if reverted {
            failed.insert((position, path.clone()));
        }
        if path.is_empty() {
            own[position] = true;
            // A transaction read from its receipt alone has no calldata and value yet: its
            // own call's are the same.
            if tx.input.is_empty() && tx.value.is_zero() {
                let action = trace
                    .get("action")
                    .ok_or_else(|| format!("block {number}: a trace without `action`"))?;
                tx.input = match kind {
                    "create" => data(action, "init")?,
                    _ => data(action, "input")?,
                };
                tx.value = optional_u256(action, "value")?;
            }
            continue;
        }
        let action = trace
            .get("action")
            .ok_or_else(|| format!("block {number}: a trace without `action`"))?;
        let call = match kind {
            "call" => {
                let call_type = action
                    .get("callType")
                    .and_then(Json::as_str)
                    .unwrap_or("call");
                let kind = match call_type {
                    "staticcall" => CallKind::StaticCall,
                    "delegatecall" => CallKind::DelegateCall,
                    "callcode" => CallKind::CallCode,
                    _ => CallKind::Call,
                };
                InternalCall {
                    kind,
                    from: address(action, "from")?,
                    to: Some(address(action, "to")?),
                    input: data(action, "input")?,
                    value: optional_u256(action, "value")?,
                    success: !reverted && !inside_failed,
                    depth: path.len(),
                }
            }
            "create" => {
                let created = match trace.get("result").filter(|r| !r.is_null()) {
                    Some(result) if !reverted => optional_address(result, "address")?,
                    _ => None,
                };
                InternalCall {
                    kind: CallKind::Create,
                    from: address(action, "from")?,
                    to: created,
                    input: data(action, "init").unwrap_or_default(),
                    value: optional_u256(action, "value")?,
                    success: !reverted && !inside_failed,
                    depth: path.len(),
                }
            }
            // Self-destructs and anything newer: not calls.
            _ => continue,
        };
        tx.internal.push(call);
    }
    if let Some(position) = own.iter().position(|seen| !seen) {
        return Err(format!(
            "block {number}: the traces lack transaction {position} (traces of part of the block)"
        ));
    }
    Ok(())
}

/// Whether a block's receipts carry everything a transaction read from its receipt alone
/// needs (`from` and `effectiveGasPrice`: nodes before London may lack the latter).
pub fn receipts_suffice(receipts: &Json) -> bool {
    receipts.as_array().is_some_and(|receipts| {
        receipts.iter().all(|r| {
            r.get("from").is_some_and(Json::is_string)
                && r.get("effectiveGasPrice").is_some_and(Json::is_string)
        })
    })
}

fn parse_log(log: &Json) -> Result<Log, String> {
    let topics = log
        .get("topics")
        .and_then(Json::as_array)
        .ok_or("log without topics")?
        .iter()
        .map(parse_word)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Log {
        index: quantity(log, "logIndex")?,
        address: address(log, "address")?,
        topics,
        data: data(log, "data")?,
    })
}

fn field<'a>(object: &'a Json, name: &str) -> Result<&'a Json, String> {
    object
        .get(name)
        .filter(|v| !v.is_null())
        .ok_or_else(|| format!("missing `{name}`"))
}

fn text(value: &Json) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a hex string, got {value}"))
}

fn quantity(object: &Json, name: &str) -> Result<u64, String> {
    let value = text(field(object, name)?)?;
    let digits = value
        .strip_prefix("0x")
        .ok_or_else(|| format!("`{name}` is not hex: {value}"))?;
    u64::from_str_radix(digits, 16).map_err(|e| format!("`{name}` = {value}: {e}"))
}

/// A position given as a JSON number (as traces give it) or a hex quantity.
fn quantity_or_number(object: &Json, name: &str) -> Result<u64, String> {
    match field(object, name)? {
        Json::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("`{name}` = {n} is not a position")),
        _ => quantity(object, name),
    }
}

fn optional_u256(object: &Json, name: &str) -> Result<U256, String> {
    match object.get(name).filter(|v| !v.is_null()) {
        None => Ok(U256::ZERO),
        Some(value) => parse_u256(value).map_err(|e| format!("`{name}`: {e}")),
    }
}

fn parse_u256(value: &Json) -> Result<U256, String> {
    let value = text(value)?;
    value
        .parse::<U256>()
        .map_err(|e| format!("{value} is not a quantity: {e}"))
}

fn u256(object: &Json, name: &str) -> Result<U256, String> {
    parse_u256(field(object, name)?).map_err(|e| format!("`{name}`: {e}"))
}

fn parse_word(value: &Json) -> Result<B256, String> {
    let value = text(value)?;
    value
        .parse::<B256>()
        .map_err(|e| format!("{value} is not a 32-byte word: {e}"))
}

fn word(object: &Json, name: &str) -> Result<B256, String> {
    parse_word(field(object, name)?).map_err(|e| format!("`{name}`: {e}"))
}

fn address(object: &Json, name: &str) -> Result<Address, String> {
    let value = text(field(object, name)?)?;
    value
        .parse::<Address>()
        .map_err(|e| format!("`{name}` = {value}: {e}"))
}

fn optional_address(object: &Json, name: &str) -> Result<Option<Address>, String> {
    match object.get(name).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(_) => address(object, name).map(Some),
    }
}

fn data(object: &Json, name: &str) -> Result<Bytes, String> {
    let value = text(field(object, name)?)?;
    value
        .parse::<Bytes>()
        .map_err(|e| format!("`{name}` is not hex data: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hash(byte: u8) -> String {
        format!("0x{}", format!("{byte:02x}").repeat(32))
    }

    #[test]
    fn parses_a_block_with_receipts() {
        let block = json!({
            "number": "0x10", "hash": hash(1), "parentHash": hash(2), "timestamp": "0x5",
            "transactions": [{
                "hash": hash(3), "transactionIndex": "0x0",
                "from": "0x1111111111111111111111111111111111111111",
                "to": null, "input": "0x6000", "value": "0x0", "gasPrice": "0x3b9aca00"
            }]
        });
        let receipts = json!([{
            "transactionHash": hash(3), "blockHash": hash(1), "status": "0x1",
            "gasUsed": "0x5208", "effectiveGasPrice": "0x2",
            "contractAddress": "0x2222222222222222222222222222222222222222",
            "logs": [{"logIndex": "0x0", "address": "0x2222222222222222222222222222222222222222",
                      "topics": [hash(4)], "data": "0x"}]
        }]);
        let parsed = parse_block(&block, &receipts).unwrap();
        assert_eq!(parsed.number, 16);
        let tx = &parsed.transactions[0];
        assert_eq!(tx.to, None);
        assert_eq!(tx.gas_price, U256::from(2));
        assert!(tx.created.is_some());
        assert_eq!(tx.logs.len(), 1);

        let mut other = receipts.clone();
        other[0]["blockHash"] = json!(hash(9));
        assert!(
            parse_block(&block, &other)
                .unwrap_err()
                .contains("another block")
        );
        assert!(
            parse_block(&block, &json!([]))
                .unwrap_err()
                .contains("1 transactions but 0")
        );
    }

    #[test]
    fn traces_add_internal_calls_with_the_failures_of_their_parents() {
        let a = "0x1111111111111111111111111111111111111111";
        let b = "0x2222222222222222222222222222222222222222";
        let c = "0x3333333333333333333333333333333333333333";
        let block = json!({
            "number": "0x10", "hash": hash(1), "parentHash": hash(2), "timestamp": "0x5",
            "transactions": [hash(3)]
        });
        let receipts = json!([{
            "transactionHash": hash(3), "transactionIndex": "0x0", "from": a, "to": b,
            "status": "0x1", "gasUsed": "0x5208", "effectiveGasPrice": "0x2", "logs": []
        }]);
        let mut parsed = parse_block(&block, &receipts).unwrap();
        let call = |path: serde_json::Value, from: &str, to: &str, error: bool| {
            let mut trace = json!({
                "type": "call", "transactionPosition": 0, "transactionHash": hash(3),
                "blockHash": hash(1), "traceAddress": path,
                "action": {"callType": "call", "from": from, "to": to, "input": "0xabcdef01",
                           "value": "0x5"}
            });
            if error {
                trace["error"] = json!("Reverted");
            }
            trace
        };
        let traces = json!([
            call(json!([]), a, b, false),
            call(json!([0]), b, c, true),
            call(json!([0, 0]), c, a, false),
            {"type": "create", "transactionPosition": 0, "traceAddress": [1],
             "action": {"from": b, "init": "0x00", "value": "0x0"},
             "result": {"address": c}},
        ]);
        assert!(parsed.transactions[0].input.is_empty());
        attach_traces(&mut parsed, &traces).unwrap();
        // Read from its receipt alone: calldata and value from its own call's trace.
        assert_eq!(
            parsed.transactions[0].input.as_ref(),
            [0xab, 0xcd, 0xef, 0x01]
        );
        assert_eq!(parsed.transactions[0].value, U256::from(5));
        let internal = &parsed.transactions[0].internal;
        assert_eq!(internal.len(), 3);
        assert_eq!(internal[0].kind, CallKind::Call);
        assert_eq!(internal[0].to, Some(c.parse().unwrap()));
        assert_eq!(internal[0].value, U256::from(5));
        assert!(!internal[0].success);
        // Its own call succeeded, but inside one that reverted.
        assert!(!internal[1].success);
        assert_eq!(internal[1].depth, 2);
        assert_eq!(internal[2].kind, CallKind::Create);
        assert!(internal[2].success);

        // A transaction that reverted (its receipt says so): every call in it reverted,
        // whatever its own trace says.
        let mut reverted = receipts.clone();
        reverted[0]["status"] = json!("0x0");
        let mut failed_tx = parse_block(&block, &reverted).unwrap();
        let calls = json!([call(json!([]), a, b, false), call(json!([0]), b, c, false)]);
        attach_traces(&mut failed_tx, &calls).unwrap();
        assert!(!failed_tx.transactions[0].internal[0].success);

        // Traces of another block, of part of the block, or of no known shape.
        let mut other = parse_block(&block, &receipts).unwrap();
        let mut elsewhere = traces.clone();
        elsewhere[0]["blockHash"] = json!(hash(9));
        assert!(
            attach_traces(&mut other, &elsewhere)
                .unwrap_err()
                .contains("another block")
        );
        let mut other = parse_block(&block, &receipts).unwrap();
        assert!(
            attach_traces(&mut other, &json!([]))
                .unwrap_err()
                .contains("lack transaction 0")
        );
        let mut other = parse_block(&block, &receipts).unwrap();
        let mut beyond = traces.clone();
        beyond[1]["transactionPosition"] = json!(7);
        assert!(
            attach_traces(&mut other, &beyond)
                .unwrap_err()
                .contains("transaction 7")
        );
        let mut other = parse_block(&block, &receipts).unwrap();
        assert!(attach_traces(&mut other, &json!({"error": 1})).is_err());
        let mut broken = traces.clone();
        broken[1]["traceAddress"] = json!(["x"]);
        assert!(attach_traces(&mut other, &broken).is_err());
    }
}
