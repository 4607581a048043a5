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
}
