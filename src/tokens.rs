//! [`StateTokenStore`]: an OAuth token set kept in the engine's state store, so that every
//! process syncing an account (one `bcsync run`, many workers on PostgreSQL, a restart) uses
//! the same, newest set.
//!
//! QuickBooks Online rotates refresh tokens: once a refresh token has been used, its successor
//! is the only one that works. The set is therefore saved (compare-and-swap on its generation)
//! before it is used, in the same database as the write journal; the settings file's
//! `refresh_token` only seeds an empty store.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bc_core::{Error, ErrorKind, Result};
use bc_engine::StateStore;
use bc_http::{StoredTokens, TokenStore};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// One account's token set in a [`StateStore`]'s credentials slot.
#[derive(Clone)]
pub struct StateTokenStore {
    state: Arc<dyn StateStore>,
    account: String,
}

impl fmt::Debug for StateTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateTokenStore")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl StateTokenStore {
    /// The set of `account` (e.g. `qbo:9130354973581234`) in `state`.
    pub fn new(state: Arc<dyn StateStore>, account: impl Into<String>) -> Self {
        StateTokenStore {
            state,
            account: account.into(),
        }
    }

    /// The account name this store keeps a set for.
    pub fn account(&self) -> &str {
        &self.account
    }
}

/// The stored text: JSON, times as Unix seconds.
#[derive(Serialize, Deserialize)]
struct Stored {
    refresh_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refreshing_until: Option<u64>,
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn time(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

fn encode(t: &StoredTokens) -> Result<SecretString> {
    let stored = Stored {
        refresh_token: t.refresh_token.expose_secret().to_string(),
        access_token: t
            .access_token
            .as_ref()
            .map(|a| a.expose_secret().to_string()),
        access_expires_at: t.access_expires_at.map(secs),
        refreshing_until: t.refreshing_until.map(secs),
    };
    serde_json::to_string(&stored)
        .map(SecretString::from)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("token set: {e}")))
}

fn decode(account: &str, text: &SecretString, generation: u64) -> Result<StoredTokens> {
    // The error never quotes the text: it holds tokens.
    let stored: Stored = serde_json::from_str(text.expose_secret()).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!(
                "the stored token set of `{account}` is unreadable (line {}, column {}); \
                 run `bcsync connect` again",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(StoredTokens {
        refresh_token: SecretString::from(stored.refresh_token),
        access_token: stored.access_token.map(SecretString::from),
        access_expires_at: stored.access_expires_at.map(time),
        refreshing_until: stored.refreshing_until.map(time),
        generation,
    })
}

#[async_trait]
impl TokenStore for StateTokenStore {
    async fn load(&self) -> Result<Option<StoredTokens>> {
        match self.state.credentials(&self.account).await? {
            None => Ok(None),
            Some(c) => decode(&self.account, &c.value, c.generation).map(Some),
        }
    }

    async fn compare_and_swap(&self, expected_generation: u64, new: StoredTokens) -> Result<bool> {
        let text = encode(&new)?;
        self.state
            .swap_credentials(&self.account, expected_generation, &text)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bc_engine::MemoryStateStore;

    #[tokio::test]
    async fn a_set_round_trips_and_a_stale_swap_loses() {
        let state: Arc<dyn StateStore> = Arc::new(MemoryStateStore::new());
        let store = StateTokenStore::new(state.clone(), "qbo:1");
        assert!(store.load().await.unwrap().is_none());
        let mut first = StoredTokens::new(SecretString::from("r1".to_string()));
        first.access_token = Some(SecretString::from("a1".to_string()));
        first.access_expires_at = Some(time(1_900_000_000));
        assert!(store.compare_and_swap(0, first.clone()).await.unwrap());
        let got = store.load().await.unwrap().unwrap();
        assert_eq!(got.generation, 1);
        assert_eq!(got.refresh_token.expose_secret(), "r1");
        assert_eq!(got.access_token.unwrap().expose_secret(), "a1");
        assert_eq!(got.access_expires_at, Some(time(1_900_000_000)));
        // A second process that read generation 0 loses; the store keeps the winner's set.
        let second = StoredTokens::new(SecretString::from("r2".to_string()));
        assert!(!store.compare_and_swap(0, second.clone()).await.unwrap());
        assert!(store.compare_and_swap(1, second).await.unwrap());
        assert_eq!(
            store
                .load()
                .await
                .unwrap()
                .unwrap()
                .refresh_token
                .expose_secret(),
            "r2"
        );
        // Another account is separate, and Debug shows no token.
        let other = StateTokenStore::new(state, "qbo:2");
        assert!(other.load().await.unwrap().is_none());
        assert!(!format!("{other:?}").contains("r2"));
    }
}
