//! Bounded memory of recent deliveries: a FIFO ring of the last `capacity` delivery keys.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// A delivery's identity: the SHA-256 of its identifying parts (fixed size, whatever the
/// payload's).
pub type DeliveryKey = [u8; 32];

/// Hashes `parts` into a [`DeliveryKey`] (each part length-prefixed, so that `("ab", "c")` and
/// `("a", "bc")` differ).
pub fn delivery_key(parts: &[&[u8]]) -> DeliveryKey {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// Remembers the last `capacity` keys; [`Deduper::first_time`] is `false` for a key still
/// remembered. Memory: about 100 bytes per key.
#[derive(Debug)]
pub struct Deduper {
    capacity: usize,
    seen: Mutex<(HashSet<DeliveryKey>, VecDeque<DeliveryKey>)>,
}

impl Deduper {
    /// Remembers up to `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        Deduper {
            capacity: capacity.max(1),
            seen: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// Whether `key` is new (and remembers it, forgetting the oldest key beyond capacity).
    pub fn first_time(&self, key: DeliveryKey) -> bool {
        let mut guard = match self.seen.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let (set, order) = &mut *guard;
        if !set.insert(key) {
            return false;
        }
        order.push_back(key);
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }

    /// Forgets `key` (a delivery accepted but not handed on can then be retried).
    pub fn forget(&self, key: &DeliveryKey) {
        let mut guard = match self.seen.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let (set, order) = &mut *guard;
        if set.remove(key) {
            order.retain(|k| k != key);
        }
    }

    /// Keys remembered.
    pub fn len(&self) -> usize {
        match self.seen.lock() {
            Ok(g) => g.1.len(),
            Err(p) => p.into_inner().1.len(),
        }
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_last_n() {
        let d = Deduper::new(2);
        let k = |s: &str| delivery_key(&[s.as_bytes()]);
        assert!(d.first_time(k("a")));
        assert!(!d.first_time(k("a")));
        assert!(d.first_time(k("b")));
        assert!(d.first_time(k("c"))); // forgets "a"
        assert_eq!(d.len(), 2);
        assert!(d.first_time(k("a")));
        assert!(!d.first_time(k("c")));
        assert_ne!(delivery_key(&[b"ab", b"c"]), delivery_key(&[b"a", b"bc"]));
        d.forget(&k("c"));
        assert!(d.first_time(k("c")));
    }
}
