//! Journals (payouts, Y1) and bank deposits: searched first (number, else date, then the
//! marker), then created.

use bc_core::{DocNumber, JournalEntry, LedgerRef, Result};

use super::search::Probe;
use super::{ledger_ref, written, QboLedger};
use crate::error::is_duplicate_doc_number;
use crate::mapping::{self, journal_key, RefKey};
use crate::wire::Entity;

/// How to find a journal (or, with `entity = "Deposit"`, a deposit) again.
pub fn probe(entry: &JournalEntry, entity: &'static str) -> Probe {
    Probe {
        entity,
        key: journal_key(&entry.key),
        doc_number: match (&entry.number, entity) {
            (DocNumber::Fixed(n), "JournalEntry") => {
                Some(mapping::truncate(n, mapping::MAX_DOC_NUMBER))
            }
            _ => None,
        },
        customer: None,
        date: Some(entry.date),
    }
}

impl QboLedger {
    /// Finds the journal made for `entry` (without scanning).
    pub async fn find_journal_entry(&self, entry: &JournalEntry) -> Result<Option<LedgerRef>> {
        let found = self
            .find_probes(&[probe(entry, "JournalEntry")])
            .await
            .pop();
        Ok(found.transpose()?.flatten().map(|f| f.at()))
    }

    /// By key alone: the probe this process recorded, else a scan of the journals.
    pub(crate) async fn find_journal_by_key(&self, key: &str) -> Result<Option<LedgerRef>> {
        let k = journal_key(key);
        let p = self
            .hint(&k)
            .unwrap_or_else(|| Probe::key_only("JournalEntry", k.clone()));
        let found = self.find_probes(&[p]).await.pop();
        Ok(found.transpose()?.flatten().map(|f| f.at()))
    }

    /// Search, else create (a 6140 on our own number adopts the journal found).
    pub(crate) async fn post_journal_entry(&self, entry: &JournalEntry) -> Result<LedgerRef> {
        let p = probe(entry, "JournalEntry");
        self.remember(&p.key, p.clone());
        if let Some(f) = self
            .find_probes(std::slice::from_ref(&p))
            .await
            .pop()
            .transpose()?
            .flatten()
        {
            return Ok(f.at());
        }
        let refs = self.refs(&mapping::journal_refs_needed(entry)).await?;
        let je = mapping::journal(entry, &refs)?;
        match self
            .api
            .write(&Entity::JournalEntry(je), &p.key, "create")
            .await
        {
            Ok(env) => ledger_ref(&written(&env, "the journal creation")?),
            Err(e) if is_duplicate_doc_number(&e) => match self.find_journal_entry(entry).await? {
                Some(at) => Ok(at),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Records a payout as a QBO `Deposit` into `bank_account` (when the payout is a bank
    /// deposit rather than a journal, Y1): see [`mapping::deposit`]. Exactly once like
    /// journals: searched first (date, then the marker), then written with a `requestid`.
    pub async fn post_deposit(
        &self,
        entry: &JournalEntry,
        bank_account: &str,
    ) -> Result<LedgerRef> {
        if let Some(at) = self.find_deposit_for(entry).await? {
            return Ok(at);
        }
        let mut keys = mapping::journal_refs_needed(entry);
        keys.push(RefKey::Account(bank_account.to_string()));
        let refs = self.refs(&keys).await?;
        let d = mapping::deposit(entry, bank_account, &refs)?;
        let env = self
            .api
            .write(&Entity::Deposit(d), &journal_key(&entry.key), "create")
            .await?;
        ledger_ref(&written(&env, "the deposit creation")?)
    }

    /// Finds the deposit made for `entry`.
    pub async fn find_deposit_for(&self, entry: &JournalEntry) -> Result<Option<LedgerRef>> {
        let found = self.find_probes(&[probe(entry, "Deposit")]).await.pop();
        Ok(found.transpose()?.flatten().map(|f| f.at()))
    }

    /// Finds the deposit made for a payout key (a scan of deposits, newest first; prefer
    /// [`QboLedger::find_deposit_for`]).
    pub async fn find_deposit(&self, key: &str) -> Result<Option<LedgerRef>> {
        let found = self
            .find_probes(&[Probe::key_only("Deposit", journal_key(key))])
            .await
            .pop();
        Ok(found.transpose()?.flatten().map(|f| f.at()))
    }
}
