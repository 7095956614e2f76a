//! Where an OAuth2 token set lives between processes and restarts.
//!
//! QuickBooks Online rotates refresh tokens: the one used stops working once the platform has
//! issued its successor. A program that keeps the token set only in memory loses access on
//! restart, and two processes refreshing with the same refresh token break each other
//! (`invalid_grant`). A [`TokenStore`] fixes both: every process of an account reads and writes
//! one stored set, refreshes are claimed with a compare-and-swap on the set's `generation`, so
//! exactly one process refreshes while the others wait and re-read, and every rotated refresh
//! token is saved before it is used.
//!
//! Implement it on whatever the host program already has (bcsync's state store: one row per
//! account, `UPDATE … SET …, generation = generation + 1 WHERE account = ? AND generation = ?`).
//! [`MemoryTokenStore`] is the in-process implementation (tests, one process).

use std::fmt;
use std::sync::Mutex;
use std::time::SystemTime;

use async_trait::async_trait;
use bc_core::Result;
use secrecy::SecretString;

/// One account's stored token set. `Debug` never shows a token.
#[derive(Clone)]
pub struct StoredTokens {
    /// The refresh token in force (the newest the platform issued).
    pub refresh_token: SecretString,
    /// The access token issued with it, if any.
    pub access_token: Option<SecretString>,
    /// When the access token expires (wall clock: processes share it).
    pub access_expires_at: Option<SystemTime>,
    /// While set and in the future, a process is refreshing: others wait and re-read.
    pub refreshing_until: Option<SystemTime>,
    /// Incremented by every successful [`TokenStore::compare_and_swap`].
    pub generation: u64,
}

impl fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredTokens")
            .field("refresh_token", &"******")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "******"),
            )
            .field("access_expires_at", &self.access_expires_at)
            .field("refreshing_until", &self.refreshing_until)
            .field("generation", &self.generation)
            .finish()
    }
}

impl StoredTokens {
    /// A first set: a refresh token only (from the settings file or `bcsync connect`).
    pub fn new(refresh_token: SecretString) -> Self {
        StoredTokens {
            refresh_token,
            access_token: None,
            access_expires_at: None,
            refreshing_until: None,
            generation: 0,
        }
    }
}

/// Durable, shared storage of one account's token set with compare-and-swap.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The stored set, `None` when nothing was stored yet.
    async fn load(&self) -> Result<Option<StoredTokens>>;

    /// Stores `new` (with `generation = expected_generation + 1`) if the stored set's
    /// generation is still `expected_generation` (or nothing is stored and it is `0`).
    /// Returns `false`, storing nothing, when another process changed the set first.
    async fn compare_and_swap(&self, expected_generation: u64, new: StoredTokens) -> Result<bool>;
}

/// A [`TokenStore`] in memory (one process; tests).
#[derive(Default)]
pub struct MemoryTokenStore {
    inner: Mutex<Option<StoredTokens>>,
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore").finish_non_exhaustive()
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens`.
    pub fn with(tokens: StoredTokens) -> Self {
        MemoryTokenStore {
            inner: Mutex::new(Some(tokens)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<StoredTokens>> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<StoredTokens>> {
        Ok(self.lock().clone())
    }

    async fn compare_and_swap(
        &self,
        expected_generation: u64,
        mut new: StoredTokens,
    ) -> Result<bool> {
        let mut g = self.lock();
        let current = g.as_ref().map_or(0, |t| t.generation);
        if current != expected_generation {
            return Ok(false);
        }
        new.generation = expected_generation + 1;
        *g = Some(new);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[tokio::test]
    async fn compare_and_swap_lets_one_writer_win_and_debug_hides_tokens() {
        let store = MemoryTokenStore::new();
        assert!(store.load().await.ok().flatten().is_none());
        let first = StoredTokens::new(SecretString::from("r1"));
        assert!(store
            .compare_and_swap(0, first.clone())
            .await
            .unwrap_or(false));
        // Two processes read generation 1; the first to write wins, the second must re-read.
        let mut a = first.clone();
        a.refresh_token = SecretString::from("r2");
        let mut b = first.clone();
        b.refresh_token = SecretString::from("r2-other");
        assert!(store.compare_and_swap(1, a).await.unwrap_or(false));
        assert!(!store.compare_and_swap(1, b).await.unwrap_or(true));
        let now = store.load().await.ok().flatten();
        assert_eq!(now.as_ref().map(|t| t.generation), Some(2));
        assert_eq!(
            now.as_ref()
                .map(|t| t.refresh_token.expose_secret().to_string()),
            Some("r2".to_string())
        );
        let shown = format!("{now:?}");
        assert!(!shown.contains("r2"), "{shown}");
    }
}
