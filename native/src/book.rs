//! Address books: the addresses an account wrote to or heard from, by 64-bit key.
//!
//! The same book as `kerio_watch/values/addresses.py`'s `AddressBook`, in a quarter of
//! its memory: a key is the first 8 bytes of the address's BLAKE2b-64 digest (a signed
//! little-endian integer), a value the log time the address was last seen. When a new
//! address takes a book past its limit, the most recently seen three quarters of the
//! limit are kept (ties: the larger key). Both engines give the same books and the same
//! saved form (pairs sorted by key).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use blake2::Blake2bVar;
use blake2::digest::{Update, VariableOutput};

/// The key of an address's UTF-8 bytes (Python's `address_key`).
pub fn key_of(address: &[u8]) -> i64 {
    let mut hasher = Blake2bVar::new(8).expect("8 is a valid BLAKE2b output size");
    hasher.update(address);
    let mut out = [0u8; 8];
    hasher
        .finalize_variable(&mut out)
        .expect("the buffer is the output size");
    i64::from_le_bytes(out)
}

/// Slots of the per-thread memo of recent keys (a power of two).
const MEMO_SLOTS: usize = 4096;

thread_local! {
    /// Recent addresses and their keys, by a cheap hash of the bytes: every detector
    /// asks about the same recipients of a message, and an account's addresses come
    /// back, so a key found here is not digested again (the hit rate is not measured).
    static MEMO: RefCell<Vec<(Vec<u8>, i64)>> = RefCell::new(vec![(Vec::new(), 0); MEMO_SLOTS]);
}

/// A cheap hash of the bytes (to pick a memo slot; collisions only cost a digest).
fn slot_of(bytes: &[u8]) -> usize {
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
        h = (h.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    (h >> 40) as usize & (MEMO_SLOTS - 1)
}

/// [`key_of`], remembered for the last addresses seen (compared byte for byte).
pub fn key_of_cached(address: &[u8]) -> i64 {
    if address.is_empty() {
        return key_of(address);
    }
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let entry = &mut memo[slot_of(address)];
        if entry.0 == address {
            return entry.1;
        }
        let key = key_of(address);
        entry.0.clear();
        entry.0.extend_from_slice(address);
        entry.1 = key;
        key
    })
}

/// Keys are digests already: the table uses them as they are.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_i64(&mut self, value: i64) {
        self.0 = value as u64;
    }
}

/// Key -> last seen, bounded to `limit` keys.
pub struct Book {
    pub limit: usize,
    seen: HashMap<i64, i64, BuildHasherDefault<KeyHasher>>,
}

impl Book {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            seen: HashMap::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    pub fn contains(&self, key: i64) -> bool {
        self.seen.contains_key(&key)
    }

    /// Note a key at `ts`; whether it was in the book before.
    pub fn see(&mut self, key: i64, ts: i64) -> bool {
        let known = self.seen.insert(key, ts).is_some();
        if !known && self.seen.len() > self.limit {
            self.trim();
        }
        known
    }

    /// Add saved pairs (later ones win), then trim to the limit.
    pub fn load(&mut self, pairs: impl IntoIterator<Item = (i64, i64)>) {
        self.seen.extend(pairs);
        if self.seen.len() > self.limit {
            self.trim();
        }
    }

    /// The pairs sorted by key.
    pub fn dump(&self) -> Vec<(i64, i64)> {
        let mut pairs: Vec<(i64, i64)> = self.seen.iter().map(|(&k, &v)| (k, v)).collect();
        pairs.sort_unstable();
        pairs
    }

    /// Keep the most recently seen three quarters of the limit (ties: the larger key).
    fn trim(&mut self) {
        let mut pairs: Vec<(i64, i64)> = self.seen.drain().map(|(k, v)| (v, k)).collect();
        pairs.sort_unstable_by(|a, b| b.cmp(a));
        pairs.truncate(self.limit * 3 / 4);
        self.seen = pairs.into_iter().map(|(v, k)| (k, v)).collect();
        self.seen.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_blake2b_64_little_endian() {
        // int.from_bytes(hashlib.blake2b(b"a@example.com", digest_size=8).digest(),
        // "little", signed=True)
        assert_eq!(key_of(b"a@example.com"), 7513126380433230240);
        assert_ne!(key_of(b"a@example.com"), key_of(b"b@example.com"));
    }

    #[test]
    fn remembered_keys_are_the_digests() {
        let addresses: Vec<String> = (0..20_000)
            .map(|i| format!("u{}@d{}.example", i % 7000, i % 13))
            .collect();
        for address in addresses.iter().chain(addresses.iter().rev()) {
            assert_eq!(
                key_of_cached(address.as_bytes()),
                key_of(address.as_bytes())
            );
        }
        assert_eq!(key_of_cached(b""), key_of(b""));
    }

    #[test]
    fn a_full_book_keeps_the_most_recent_three_quarters() {
        let mut book = Book::new(8);
        for i in 0..8 {
            assert!(!book.see(i, 100 + i));
        }
        assert!(book.see(0, 200));
        assert!(!book.see(100, 150));
        assert_eq!(book.len(), 6);
        let kept: Vec<i64> = book.dump().into_iter().map(|(k, _)| k).collect();
        assert_eq!(kept, vec![0, 4, 5, 6, 7, 100]);
    }

    #[test]
    fn ties_keep_the_larger_key() {
        let mut book = Book::new(4);
        book.load((0..5).map(|k| (k, 7)));
        let kept: Vec<i64> = book.dump().into_iter().map(|(k, _)| k).collect();
        assert_eq!(kept, vec![2, 3, 4]);
    }
}
