//! How a sandbox company is set up: its realm and app credentials, US or non-US tax, currencies,
//! throttling limits, token lifetimes and the fault plan.

use bc_sandbox::faults::FaultPlan;
use secrecy::SecretString;

/// Which kind of QBO company the sandbox plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Company {
    /// A US company: sales tax from a transaction-level tax code (`TxnTaxDetail.TxnTaxCodeRef`),
    /// lines marked `TAX` or `NON`; home currency USD; times in America/Los_Angeles.
    #[default]
    Us,
    /// A non-US (UK-style VAT) company: a tax code on every line, `GlobalTaxCalculation`
    /// `TaxExcluded`/`TaxInclusive`/`NotApplicable`; home currency GBP; times in Europe/London.
    NonUs,
}

/// Configuration of one sandbox company.
///
/// `Debug` never shows the client secret (it is a [`SecretString`]).
#[derive(Clone, Debug)]
pub struct QboConfig {
    /// The company id (`realmId`) in every path.
    pub realm_id: String,
    /// The app's OAuth client id.
    pub client_id: String,
    /// The app's OAuth client secret.
    pub client_secret: SecretString,
    /// US or non-US tax model.
    pub company: Company,
    /// Multicurrency on: transactions carry `CurrencyRef` and `ExchangeRate`.
    pub multicurrency: bool,
    /// Requests per minute per realm before 429 (QBO: 500).
    pub quota_per_min: u32,
    /// Requests in flight per realm before 429 (QBO: 10).
    pub max_concurrent: u32,
    /// `/batch` requests per minute per realm before 429 (Intuit: 40).
    pub batch_per_min: u32,
    /// Access-token lifetime in seconds (QBO: 3600).
    pub token_ttl_secs: u64,
    /// How long a refresh token that was already used keeps working (QBO rotates refresh tokens;
    /// 0 means the old one is refused as soon as it has been used once).
    pub refresh_reuse_grace_secs: u64,
    /// The company preference "Warn if duplicate … number is used" (QBO: Account and Settings
    /// › Advanced › Other preferences; in the API `Preferences.SalesFormsPrefs` /
    /// `OtherPrefs` `WarnDuplicateDocNum`): a reused `DocNumber` is refused with 6140 unless
    /// the request says `include=allowduplicatedocnum`. **Off** in a new company, as QBO
    /// ships it, so by default nothing stops a second document with the same number; change it
    /// at run time with [`crate::QboSandbox::set_duplicate_doc_number_check`] or
    /// `POST /__sandbox/qbo/preferences {"duplicate_doc_number_check": true}`.
    pub reject_duplicate_doc_numbers: bool,
    /// How long a `requestid` is remembered and its first answer replayed. Intuit publishes
    /// no retention (only that a repeated id within a session of retries is answered with the
    /// first response), so the sandbox is strict: one hour by default, then the id is
    /// forgotten and a repeat writes again.
    pub request_id_ttl_secs: u64,
    /// The throttling window (QBO: 60 s). Tests shrink it, together with the client's limits,
    /// to check the limiter in seconds instead of minutes.
    pub throttle_window_secs: u64,
    /// Redirect URIs the authorize endpoint accepts (an app's registered redirect URIs).
    /// Empty: any `http://localhost…` / `http://127.0.0.1…` URI (what a CLI's loopback
    /// redirect uses; Intuit accepts `localhost` redirects for development keys only).
    pub redirect_uris: Vec<String>,
    /// Maximum items in one `/batch` request (QBO: 30).
    pub batch_max_items: usize,
    /// The seeded fault plan applied to every request.
    pub faults: FaultPlan,
    /// Seed of the sandbox's own random streams (token values).
    pub seed: u64,
}

impl Default for QboConfig {
    fn default() -> Self {
        Self {
            realm_id: "9130355377388166".to_string(),
            client_id: "ABsandboxclientid0000000000000000000000000000".to_string(),
            client_secret: SecretString::from("sandbox-client-secret-0000000000000000"),
            company: Company::Us,
            multicurrency: false,
            quota_per_min: 500,
            max_concurrent: 10,
            batch_per_min: 40,
            token_ttl_secs: 3600,
            refresh_reuse_grace_secs: 0,
            reject_duplicate_doc_numbers: false,
            request_id_ttl_secs: 3600,
            throttle_window_secs: 60,
            redirect_uris: Vec::new(),
            batch_max_items: 30,
            faults: FaultPlan::none(),
            seed: 1,
        }
    }
}

impl QboConfig {
    /// The default company with a seed and a uniform fault rate (what
    /// `bcsync sandbox qbo --seed S --faults RATE` asks for): tokens and faults follow the seed.
    pub fn seeded(seed: u64, fault_rate: f64) -> Self {
        Self {
            seed,
            faults: if fault_rate > 0.0 {
                FaultPlan::uniform(seed, fault_rate)
            } else {
                FaultPlan::none()
            },
            ..Self::default()
        }
    }

    /// The home currency for the company kind.
    pub fn home_currency(&self) -> &'static str {
        match self.company {
            Company::Us => "USD",
            Company::NonUs => "GBP",
        }
    }

    /// The company's time zone.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        match self.company {
            Company::Us => chrono_tz::America::Los_Angeles,
            Company::NonUs => chrono_tz::Europe::London,
        }
    }
}

/// The display name of an ISO currency code, as QBO puts it in `CurrencyRef.name`.
pub(crate) fn currency_name(code: &str) -> &'static str {
    match code {
        "USD" => "United States Dollar",
        "GBP" => "British Pound Sterling",
        "EUR" => "Euro",
        "CAD" => "Canadian Dollar",
        "AUD" => "Australian Dollar",
        "JPY" => "Japanese Yen",
        "MXN" => "Mexican Peso",
        _ => "Currency",
    }
}
