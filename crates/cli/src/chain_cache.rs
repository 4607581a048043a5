//! Reads of deployed contracts through the store: [`CachedReader`] answers a read at a
//! concrete block from the store's cache of chain reads when it was made before, and
//! records it otherwise. State at a mined block never changes, so the service's audits of
//! a deployed contract read each value from the chain once, whichever process reads it.
//!
//! The latest block number is the one read that is never cached; but an audit pinned to a
//! block needs it only to check that the block exists, which a head seen before proves
//! ([`ChainHeads`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, B256, Bytes, U256};
use chain::{ChainError, StateReader};
use store::{ChainReadKey, ChainReadKind, Store};

/// What a process learned of each chain (by name): its chain id and the highest block
/// number it saw as the latest.
#[derive(Debug, Default)]
pub(crate) struct ChainHeads(Mutex<BTreeMap<String, ChainHead>>);

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ChainHead {
    pub(crate) chain_id: Option<u64>,
    pub(crate) latest: Option<u64>,
}

impl ChainHeads {
    pub(crate) fn get(&self, chain: &str) -> ChainHead {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(chain)
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn record(&self, chain: &str, head: ChainHead) {
        let mut heads = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = heads.entry(chain.to_owned()).or_default();
        entry.chain_id = head.chain_id.or(entry.chain_id);
        entry.latest = entry.latest.max(head.latest);
    }
}

/// The store and the runtime to reach it from the blocking thread an analysis runs on.
#[derive(Clone)]
pub(crate) struct ChainReadCache {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) runtime: tokio::runtime::Handle,
}

/// A [`StateReader`] that answers reads at a concrete block from the cache of chain reads
/// and fills it on a miss. `eth_call` results (and reverts) are cached too: a call at a
/// mined block is as fixed as the state it reads.
pub(crate) struct CachedReader<R> {
    inner: R,
    cache: ChainReadCache,
    /// The block the audit is pinned to, if any.
    pinned: Option<u64>,
    head: Mutex<ChainHead>,
}

/// The JSON-RPC message of a revert, as it is answered from the cache.
const REVERT_PREFIX: &[u8] = b"revert:";

impl<R: StateReader> CachedReader<R> {
    /// Reads through `inner`; `head` is what is already known of the chain, `pinned` the
    /// block the audit names.
    pub(crate) fn new(
        inner: R,
        cache: ChainReadCache,
        head: ChainHead,
        pinned: Option<u64>,
    ) -> Self {
        CachedReader {
            inner,
            cache,
            pinned,
            head: Mutex::new(head),
        }
    }

    /// What the reader learned of the chain, to remember for the next audit.
    pub(crate) fn head(&self) -> ChainHead {
        *self.head.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key(
        &self,
        block: u64,
        address: Address,
        kind: ChainReadKind,
        key: String,
    ) -> Result<ChainReadKey, ChainError> {
        Ok(ChainReadKey {
            chain_id: self.chain_id()?,
            block,
            address: address.to_string().to_ascii_lowercase(),
            kind,
            key,
        })
    }

    fn lookup(&self, key: &ChainReadKey) -> Option<Vec<u8>> {
        match self
            .cache
            .runtime
            .block_on(self.cache.store.get_chain_read(key))
        {
            Ok(value) => value,
            Err(error) => {
                tracing::warn!(%error, "cannot read the cache of chain reads");
                None
            }
        }
    }

    fn remember(&self, key: &ChainReadKey, value: &[u8]) {
        let now = server::timestamp::now_ms();
        if let Err(error) = self
            .cache
            .runtime
            .block_on(self.cache.store.put_chain_read(key, value, now))
        {
            tracing::warn!(%error, "cannot write the cache of chain reads");
        }
    }

    /// The cached bytes of `key`, or `read`'s, recorded.
    fn cached(
        &self,
        key: ChainReadKey,
        read: impl FnOnce() -> Result<Vec<u8>, ChainError>,
    ) -> Result<Vec<u8>, ChainError> {
        if let Some(value) = self.lookup(&key) {
            return Ok(value);
        }
        let value = read()?;
        self.remember(&key, &value);
        Ok(value)
    }
}

impl crate::address::SourceCache for ChainReadCache {
    fn get(
        &self,
        chain_id: u64,
        address: Address,
        metadata_hash: &str,
    ) -> Option<verified::SourceBundle> {
        let key = sources_key(chain_id, address, metadata_hash);
        match self.runtime.block_on(self.store.get_verified_sources(&key)) {
            Ok(Some(text)) => match serde_json::from_str(&text) {
                Ok(bundle) => Some(bundle),
                Err(error) => {
                    tracing::warn!(%error, "the cache holds malformed verified sources");
                    None
                }
            },
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "cannot read the cache of verified sources");
                None
            }
        }
    }

    fn put(
        &self,
        chain_id: u64,
        address: Address,
        metadata_hash: &str,
        bundle: &verified::SourceBundle,
    ) {
        let key = sources_key(chain_id, address, metadata_hash);
        let Ok(text) = serde_json::to_string(bundle) else {
            return;
        };
        if let Err(error) = self.runtime.block_on(self.store.put_verified_sources(
            &key,
            &text,
            server::timestamp::now_ms(),
        )) {
            tracing::warn!(%error, "cannot write the cache of verified sources");
        }
    }
}

fn sources_key(chain_id: u64, address: Address, metadata_hash: &str) -> store::VerifiedSourcesKey {
    store::VerifiedSourcesKey {
        chain_id,
        address: address.to_string().to_ascii_lowercase(),
        metadata_hash: metadata_hash.to_owned(),
    }
}

fn malformed(kind: ChainReadKind) -> ChainError {
    ChainError::Other(format!(
        "the cache of chain reads holds a malformed {} value",
        kind.as_str()
    ))
}

impl<R: StateReader> StateReader for CachedReader<R> {
    fn chain_id(&self) -> Result<u64, ChainError> {
        if let Some(id) = self.head().chain_id {
            return Ok(id);
        }
        let id = self.inner.chain_id()?;
        self.head.lock().unwrap_or_else(|p| p.into_inner()).chain_id = Some(id);
        Ok(id)
    }

    fn block_number(&self) -> Result<u64, ChainError> {
        // A head seen before proves that the pinned block exists.
        if let (Some(pinned), Some(latest)) = (self.pinned, self.head().latest)
            && pinned <= latest
        {
            return Ok(latest);
        }
        let latest = self.inner.block_number()?;
        let mut head = self.head.lock().unwrap_or_else(|p| p.into_inner());
        head.latest = head.latest.max(Some(latest));
        Ok(latest)
    }

    fn code(&self, address: Address, block: u64) -> Result<Bytes, ChainError> {
        let key = self.key(block, address, ChainReadKind::Code, String::new())?;
        self.cached(key, || Ok(self.inner.code(address, block)?.to_vec()))
            .map(Bytes::from)
    }

    fn storage(&self, address: Address, slot: U256, block: u64) -> Result<B256, ChainError> {
        let key = self.key(block, address, ChainReadKind::Storage, format!("{slot:#x}"))?;
        let value = self.cached(key, || {
            Ok(self.inner.storage(address, slot, block)?.to_vec())
        })?;
        B256::try_from(value.as_slice()).map_err(|_| malformed(ChainReadKind::Storage))
    }

    fn balance(&self, address: Address, block: u64) -> Result<U256, ChainError> {
        let key = self.key(block, address, ChainReadKind::Balance, String::new())?;
        let value = self.cached(key, || {
            Ok(self
                .inner
                .balance(address, block)?
                .to_be_bytes::<32>()
                .to_vec())
        })?;
        U256::try_from_be_slice(&value).ok_or_else(|| malformed(ChainReadKind::Balance))
    }

    fn nonce(&self, address: Address, block: u64) -> Result<u64, ChainError> {
        let key = self.key(block, address, ChainReadKind::Nonce, String::new())?;
        let value = self.cached(key, || {
            Ok(self.inner.nonce(address, block)?.to_be_bytes().to_vec())
        })?;
        let bytes: [u8; 8] = value
            .try_into()
            .map_err(|_| malformed(ChainReadKind::Nonce))?;
        Ok(u64::from_be_bytes(bytes))
    }

    fn call(&self, to: Address, data: &[u8], block: u64) -> Result<Bytes, ChainError> {
        let key = self.key(
            block,
            to,
            ChainReadKind::Call,
            alloy_primitives::hex::encode(data),
        )?;
        if let Some(value) = self.lookup(&key) {
            return match value.strip_prefix(REVERT_PREFIX) {
                Some(message) => Err(ChainError::Rpc {
                    endpoint: "cache".to_owned(),
                    method: "eth_call".to_owned(),
                    message: String::from_utf8_lossy(message).into_owned(),
                }),
                None => Ok(Bytes::from(value)),
            };
        }
        match self.inner.call(to, data, block) {
            Ok(output) => {
                // An output that starts like a recorded revert cannot be told from one:
                // leave it uncached.
                if !output.starts_with(REVERT_PREFIX) {
                    self.remember(&key, &output);
                }
                Ok(output)
            }
            // A revert at a mined block is as fixed as a result; other errors may pass.
            Err(ChainError::Rpc {
                endpoint,
                method,
                message,
            }) => {
                if message.contains("revert") {
                    let mut value = REVERT_PREFIX.to_vec();
                    value.extend_from_slice(message.as_bytes());
                    self.remember(&key, &value);
                }
                Err(ChainError::Rpc {
                    endpoint,
                    method,
                    message,
                })
            }
            Err(other) => Err(other),
        }
    }

    /// Not cached: one request per audit, and only when a finding is simulated.
    fn header(&self, block: u64) -> Result<chain::BlockHeader, ChainError> {
        self.inner.header(block)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// A chain of one plain contract (no proxy) whose latest block is `latest`; counts the
    /// reads it answers.
    struct CountingChain {
        latest: u64,
        reads: AtomicU64,
    }

    impl CountingChain {
        fn new(latest: u64) -> Self {
            CountingChain {
                latest,
                reads: AtomicU64::new(0),
            }
        }

        fn count(&self) {
            self.reads.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl StateReader for &CountingChain {
        fn chain_id(&self) -> Result<u64, ChainError> {
            self.count();
            Ok(31337)
        }
        fn block_number(&self) -> Result<u64, ChainError> {
            self.count();
            Ok(self.latest)
        }
        fn code(&self, _: Address, _: u64) -> Result<Bytes, ChainError> {
            self.count();
            Ok(Bytes::from_static(&[0x60, 0x80, 0x60, 0x40, 0x52, 0x00]))
        }
        fn storage(&self, _: Address, _: U256, _: u64) -> Result<B256, ChainError> {
            self.count();
            Ok(B256::ZERO)
        }
        fn balance(&self, _: Address, _: u64) -> Result<U256, ChainError> {
            self.count();
            Ok(U256::from(7))
        }
        fn nonce(&self, _: Address, _: u64) -> Result<u64, ChainError> {
            self.count();
            Ok(3)
        }
        fn call(&self, _: Address, data: &[u8], _: u64) -> Result<Bytes, ChainError> {
            self.count();
            if data.first() == Some(&0) {
                return Ok(Bytes::from(vec![1u8; 32]));
            }
            Err(ChainError::Rpc {
                endpoint: "test".into(),
                method: "eth_call".into(),
                message: "execution reverted".into(),
            })
        }
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        _runtime: tokio::runtime::Runtime,
        cache: ChainReadCache,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let url = format!("sqlite://{}/cache.db", dir.path().display());
        let store = runtime.block_on(store::connect(&url)).unwrap();
        let cache = ChainReadCache {
            store,
            runtime: runtime.handle().clone(),
        };
        Fixture {
            _dir: dir,
            _runtime: runtime,
            cache,
        }
    }

    const ADDRESS: Address = Address::repeat_byte(0xbe);

    #[test]
    fn verified_sources_are_kept_by_chain_address_and_metadata_hash() {
        use crate::address::SourceCache;
        let fixture = fixture();
        let bundle = verified::SourceBundle {
            files: vec![("A.sol".into(), "contract A {}".into())],
            contract_name: Some("A".into()),
            compiler_version: Some("0.8.26+commit.8a97fa7a".into()),
            metadata: None,
            metadata_form: verified::MetadataForm::Reserialized,
            remappings: vec!["@oz/=lib/oz/".into()],
            provider: verified::Provider::Etherscan,
            match_status: verified::ProviderMatch::Verified,
        };
        assert_eq!(fixture.cache.get(1, ADDRESS, "ipfs:Qm1"), None);
        fixture.cache.put(1, ADDRESS, "ipfs:Qm1", &bundle);
        assert_eq!(fixture.cache.get(1, ADDRESS, "ipfs:Qm1"), Some(bundle));
        assert_eq!(fixture.cache.get(1, ADDRESS, "ipfs:Qm2"), None);
        assert_eq!(fixture.cache.get(10, ADDRESS, "ipfs:Qm1"), None);
    }

    #[test]
    fn a_second_scan_of_the_same_block_reads_nothing_from_the_chain() {
        let fixture = fixture();
        let heads = ChainHeads::default();
        let scan = |chain: &CountingChain, pinned: Option<u64>| {
            let reader =
                CachedReader::new(chain, fixture.cache.clone(), heads.get("local"), pinned);
            let scan = crate::address::inspect(&reader, ADDRESS, pinned).unwrap();
            heads.record("local", reader.head());
            (
                crate::address::render_json(&scan),
                chain.reads.load(Ordering::SeqCst),
            )
        };
        let (first, reads) = scan(&CountingChain::new(9), Some(5));
        assert!(reads > 2, "{reads}");
        let (second, reads) = scan(&CountingChain::new(9), Some(5));
        assert_eq!(reads, 0);
        assert_eq!(first, second);
        // The latest block needs the block number, and nothing else when it was read.
        let (_, reads) = scan(&CountingChain::new(9), None);
        assert!(reads > 1, "{reads}");
        let (_, reads) = scan(&CountingChain::new(9), None);
        assert_eq!(reads, 1);
        // A block beyond the highest head seen asks the chain whether it exists.
        let (_, reads) = scan(&CountingChain::new(12), Some(11));
        assert!(reads > 1, "{reads}");
        let error = crate::address::inspect(
            &CachedReader::new(
                &CountingChain::new(12),
                fixture.cache.clone(),
                ChainHead::default(),
                Some(13),
            ),
            ADDRESS,
            Some(13),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "block 13 is not there yet: the latest block is 12"
        );
    }

    #[test]
    fn every_kind_of_read_comes_back_from_the_cache_unchanged() {
        let fixture = fixture();
        let chain = CountingChain::new(9);
        let slot = U256::from(0x1234);
        let first = CachedReader::new(&chain, fixture.cache.clone(), ChainHead::default(), Some(4));
        let values = (
            first.code(ADDRESS, 4).unwrap(),
            first.storage(ADDRESS, slot, 4).unwrap(),
            first.balance(ADDRESS, 4).unwrap(),
            first.nonce(ADDRESS, 4).unwrap(),
            first.call(ADDRESS, &[0, 1], 4).unwrap(),
            first.call(ADDRESS, &[1], 4).unwrap_err().to_string(),
        );
        let before = chain.reads.load(Ordering::SeqCst);
        let again = CachedReader::new(&chain, fixture.cache.clone(), first.head(), Some(4));
        let cached = (
            again.code(ADDRESS, 4).unwrap(),
            again.storage(ADDRESS, slot, 4).unwrap(),
            again.balance(ADDRESS, 4).unwrap(),
            again.nonce(ADDRESS, 4).unwrap(),
            again.call(ADDRESS, &[0, 1], 4).unwrap(),
            again.call(ADDRESS, &[1], 4).unwrap_err().to_string(),
        );
        assert_eq!(chain.reads.load(Ordering::SeqCst), before);
        assert_eq!(values.0, cached.0);
        assert_eq!(
            (values.1, values.2, values.3),
            (cached.1, cached.2, cached.3)
        );
        assert_eq!(values.4, cached.4);
        assert!(cached.5.contains("execution reverted"), "{}", cached.5);
        // Another block is another read.
        again.code(ADDRESS, 5).unwrap();
        assert_eq!(chain.reads.load(Ordering::SeqCst), before + 1);
    }
}
