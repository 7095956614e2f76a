//! How the sandbox tenant is set up: ids and app credentials, limits, paging, faults, seed.

use std::time::Duration;

use bc_sandbox::faults::FaultPlan;
use secrecy::SecretString;

/// Configuration of one sandbox tenant (two companies, see [`crate::seed`]).
///
/// `Debug` never shows the client secret.
#[derive(Clone, Debug)]
pub struct Bc365SandboxConfig {
    /// Entra ID tenant id (GUID) in token and API paths.
    pub tenant_id: String,
    /// The tenant's domain, accepted in paths as well (`contoso.onmicrosoft.com`).
    pub tenant_domain: String,
    /// Business Central environment name.
    pub environment: String,
    /// The app registration's client id (service principal).
    pub client_id: String,
    /// Its client secret.
    pub client_secret: SecretString,
    /// Requests per user per sliding window before 429 (Business Central online: 6,000 per
    /// 5 minutes, operational-limits-online.md "Speed (rate)").
    pub requests_per_window: u32,
    /// The sliding window (5 minutes).
    pub window: Duration,
    /// Requests processed at once per user (BC: 5). BC queues more (up to 95) before it
    /// answers 429; the sandbox is stricter by default and answers 429 at once when
    /// `queue_size` is 0.
    pub max_concurrent: usize,
    /// Requests that may wait for a slot before 429 (BC: 95; default 0, stricter).
    pub queue_size: usize,
    /// Simulated processing time of each request while it holds its slot (0 = instant), so
    /// that concurrency limits can be exercised.
    pub service_time: Duration,
    /// Server-driven page size (`@odata.nextLink`); BC's maximum is 20,000.
    pub max_page_size: usize,
    /// Access-token lifetime (Entra ID: 3599 s).
    pub token_ttl: Duration,
    /// The seeded fault plan.
    pub faults: FaultPlan,
    /// Seed of ids and tokens.
    pub seed: u64,
}

impl Default for Bc365SandboxConfig {
    fn default() -> Self {
        Bc365SandboxConfig {
            tenant_id: "3f6c1a2e-8b4d-4c7e-9f10-5a2b3c4d5e6f".into(),
            tenant_domain: "cronus-sandbox.onmicrosoft.com".into(),
            environment: "sandbox".into(),
            client_id: "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d".into(),
            client_secret: SecretString::from("Sbx8Q~sandbox-client-secret-value-000000"),
            requests_per_window: 6000,
            window: Duration::from_secs(300),
            max_concurrent: 5,
            queue_size: 0,
            service_time: Duration::ZERO,
            max_page_size: 20_000,
            token_ttl: Duration::from_secs(3599),
            faults: FaultPlan::none(),
            seed: 1,
        }
    }
}

impl Bc365SandboxConfig {
    /// The default tenant with a seed and a uniform fault rate (what
    /// `bcsync sandbox bc365 --seed S --faults RATE` asks for).
    pub fn seeded(seed: u64, fault_rate: f64) -> Self {
        Bc365SandboxConfig {
            seed,
            faults: if fault_rate > 0.0 {
                FaultPlan::uniform(seed, fault_rate)
            } else {
                FaultPlan::none()
            },
            ..Self::default()
        }
    }
}
