//! How a sandbox Acumatica instance is set up: its tenant and API user, the OAuth client, the
//! license limits, how long actions run and the fault plan.

use bc_sandbox::faults::FaultPlan;
use secrecy::SecretString;

/// Configuration of one sandbox instance (one tenant).
///
/// `Debug` never shows the password or the client secret (they are [`SecretString`]s).
#[derive(Clone, Debug)]
pub struct AcumaticaSandboxConfig {
    /// The tenant (company) name sent as `company` at sign-in.
    pub tenant: String,
    /// The API user's name.
    pub username: String,
    /// The API user's password.
    pub password: SecretString,
    /// The OAuth 2.0 client id (`<guid>@<tenant>`, as Acumatica's Connected Applications form
    /// shows it).
    pub client_id: String,
    /// The OAuth 2.0 client secret.
    pub client_secret: SecretString,
    /// License: "Maximum Number of Web Services API Users" — sessions open at once for the API
    /// user. The trial license sets 2.
    /// (help.myob.com.au/advanced/Docs/Published/IntegrationDevelopmentGuide/IS__con_License_Restrictions_API_Users.html)
    pub max_api_sessions: usize,
    /// License: web services API requests per minute (0 = no limit, as the trial license).
    pub requests_per_minute: u32,
    /// License: concurrent web services API requests (0 = no limit).
    pub max_concurrent: u32,
    /// Idle time after which a cookie session ends by itself (Acumatica's default session
    /// timeout is 20 minutes).
    pub session_idle_secs: u64,
    /// Lifetime of an OAuth access token (Acumatica: 3600 s).
    pub token_ttl_secs: u64,
    /// How many status polls of a long-running action answer `202` before it completes.
    pub action_polls: u32,
    /// The seeded fault plan applied to every request.
    pub faults: FaultPlan,
    /// Seed of the sandbox's own streams (cookies, tokens, the ERP orders of the seeded
    /// setup).
    pub seed: u64,
    /// ERP-originated sales orders created by the seeded setup (E1).
    pub erp_orders: usize,
    /// The company's base currency.
    pub base_currency: String,
    /// Currencies set up besides the base currency (multi-currency accounting). A document
    /// (SalesOrder `CurrencyID`, SalesInvoice `Currency`, Payment `CurrencyID`, journal
    /// `CurrencyID`) or a customer in any other currency is refused with a field error, as
    /// Acumatica refuses a value its selector cannot find. Empty: multi-currency is off and
    /// the base currency is the only one.
    pub currencies: Vec<String>,
}

impl Default for AcumaticaSandboxConfig {
    fn default() -> Self {
        Self {
            tenant: "SandboxCompany".to_string(),
            username: "api.user".to_string(),
            password: SecretString::from("sandbox-password-0000"),
            client_id: "8F1B3C3E-6A7D-4F0C-9A51-2B0C5E7D9A10@SandboxCompany".to_string(),
            client_secret: SecretString::from("sandbox-client-secret-0000000000"),
            max_api_sessions: 2,
            requests_per_minute: 0,
            max_concurrent: 0,
            session_idle_secs: 20 * 60,
            token_ttl_secs: 3600,
            action_polls: 1,
            faults: FaultPlan::none(),
            seed: 1,
            erp_orders: 0,
            base_currency: "USD".to_string(),
            currencies: ["EUR", "GBP", "CAD"].map(String::from).to_vec(),
        }
    }
}

impl AcumaticaSandboxConfig {
    /// The default instance with a seed, a uniform fault rate and `erp_orders` ERP-originated
    /// orders (what `bcsync sandbox acumatica --seed S --faults RATE --orders N` asks for).
    pub fn seeded(seed: u64, fault_rate: f64, erp_orders: usize) -> Self {
        Self {
            seed,
            erp_orders,
            faults: if fault_rate > 0.0 {
                FaultPlan::uniform(seed, fault_rate)
            } else {
                FaultPlan::none()
            },
            ..Self::default()
        }
    }
}
