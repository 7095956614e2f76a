//! A headless Chromium driven over WebDriver (chromedriver on a free loopback port, started
//! and stopped by the test), with a screenshot of every page kept under
//! `target/portal-screenshots/<test>/NN-name.png`.
//!
//! When Chromium or chromedriver is missing, [`Browser::start`] prints `SKIPPED: <why>` and
//! returns `None`; the test then returns (never a silent pass).
#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long a page may take to load, an element to appear, chromedriver to start.
const PATIENCE: Duration = Duration::from_secs(20);

/// Chromium's launch flags: headless, no sandbox (root in CI), nothing that talks to the
/// network on its own (the tests reach only loopback).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-crash-reporter",
    "--disable-breakpad",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
];

fn first_existing(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Ok(p) = std::env::var(env) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// `target/` of this build: the test binary is `target/<profile>/deps/<name>`.
pub fn target_dir() -> PathBuf {
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(t);
    }
    std::env::current_exe()
        .ok()
        .and_then(|e| e.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Prints `SKIPPED: why` on the real stdout: the test harness captures `println!` of passing
/// tests, and a skip must show in the log.
fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "SKIPPED: {why}");
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One browser session of one test.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    /// The portal's base URL (`http://127.0.0.1:port`).
    pub base: String,
    driver: Child,
    profile: PathBuf,
    shots: PathBuf,
    n: usize,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver leads its own process group (spawned below), and the Chromium it starts
        // is in it: end the whole group, so that a failed test leaves no browser behind.
        // `--` matters: procps' `kill -KILL -<n>` reads `-<n>` as an option.
        let group = self.driver.id();
        if group > 1 {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{group}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium for test `test`; `None` (after printing
    /// `SKIPPED: …`) when either is not installed.
    pub async fn start(test: &str, base: &str) -> Option<Browser> {
        let Some(chromium) = first_existing(
            "BC_CHROMIUM",
            &[
                "/usr/lib/chromium/chromium",
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
            ],
        ) else {
            skipped(&format!(
                "{test}: Chromium is not installed (apt-get install chromium)"
            ));
            return None;
        };
        let Some(driver_bin) = first_existing(
            "BC_CHROMEDRIVER",
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
        ) else {
            skipped(&format!(
                "{test}: chromedriver is not installed (apt-get install chromium-driver)"
            ));
            return None;
        };
        let shots = target_dir().join("portal-screenshots").join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("screenshot folder");
        let profile =
            std::env::temp_dir().join(format!("bc-portal-chromium-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("profile folder");

        let port = free_port().expect("a free loopback port");
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{url}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < PATIENCE,
                "chromedriver did not answer on {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium.display().to_string(), "args": args },
        });
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session");
        Some(Browser {
            client,
            base: base.to_string(),
            driver,
            profile,
            shots,
            n: 0,
        })
    }

    /// Ends the session (Chromium quits; chromedriver and anything left of its process group
    /// are ended on drop).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// Keeps a screenshot of the page as `NN-name.png`.
    pub async fn shot(&mut self, name: &str) {
        self.n += 1;
        let png = self.client.screenshot().await.expect("screenshot");
        let path = self.shots.join(format!("{:02}-{name}.png", self.n));
        std::fs::write(&path, png).expect("write screenshot");
    }

    /// Opens `path` of the portal and keeps a screenshot.
    pub async fn open(&mut self, path: &str, name: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
        self.shot(name).await;
    }

    /// Clicks `css`, waits for the next page to load, keeps a screenshot.
    pub async fn click_to(&mut self, css: &str, name: &str) {
        // Mark the current document: the next page is loaded when the mark is gone.
        self.client
            .execute("window.__bcPortalOld = true; return null;", vec![])
            .await
            .expect("mark the page");
        self.el(css).await.click().await.expect("click");
        let started = Instant::now();
        loop {
            let done = self
                .client
                .execute(
                    "return window.__bcPortalOld === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .map(|v| v == Value::Bool(true))
                .unwrap_or(false);
            if done {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "clicking {css} loaded no page"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.shot(name).await;
    }

    /// The element `css` (waits for it).
    pub async fn el(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Whether `css` is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
            .is_empty()
    }

    /// The text of `css`.
    pub async fn text(&self, css: &str) -> String {
        self.el(css).await.text().await.expect("text")
    }

    /// The texts of every `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find all")
        {
            out.push(e.text().await.expect("text"));
        }
        out
    }

    /// Types `text` into the field `css` (cleared first).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.el(css).await;
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    /// Ticks the checkbox `css` (if not ticked).
    pub async fn tick(&self, css: &str) {
        let e = self.el(css).await;
        if !e.is_selected().await.expect("is selected") {
            e.click().await.expect("tick");
        }
    }

    /// Chooses `value` in the select `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.el(css)
            .await
            .select_by_value(value)
            .await
            .expect("select");
    }

    /// The path and query of the page.
    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.expect("url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// The page's HTML.
    pub async fn source(&self) -> String {
        self.client.source().await.expect("source")
    }

    /// What the browser gets for `href` (a same-origin fetch with the session's cookies: the
    /// body a click on a download link saves).
    pub async fn fetch_text(&self, href: &str) -> String {
        let v = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0], { credentials: 'same-origin' })
                   .then(r => r.text()).then(done, e => done('FETCH FAILED: ' + e));",
                vec![json!(href)],
            )
            .await
            .expect("fetch");
        v.as_str().unwrap_or_default().to_string()
    }

    /// Signs in through the form; returns the page's path after it.
    pub async fn sign_in(&mut self, email: &str, password: &str, who: &str) -> String {
        self.open("/login", &format!("{who}-sign-in-form")).await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click_to("#signin", &format!("{who}-signed-in")).await;
        self.path().await
    }

    /// Signs out with the navigation's button.
    pub async fn sign_out(&mut self, who: &str) {
        self.click_to("#logout", &format!("{who}-signed-out")).await;
        assert_eq!(self.path().await, "/login");
    }

    /// The `data-invoice` numbers of the rows on the page, in order.
    pub async fn row_numbers(&self) -> Vec<String> {
        let v = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll('tr[data-invoice]')).map(r => r.dataset.invoice);",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(v).unwrap()
    }

    /// Submits a form the page does not offer (its button is not shown), as a tampered page
    /// would: the session's CSRF token (from the sign-out form) and `fields`.
    pub async fn forge_post(&mut self, action: &str, fields: &[(&str, String)], name: &str) {
        let fields: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        self.client
            .execute(
                "const f = document.createElement('form');
                 f.method = 'post'; f.action = arguments[0];
                 const add = (k, v) => { const i = document.createElement('input');
                   i.type = 'hidden'; i.name = k; i.value = v; f.append(i); };
                 add('csrf', document.querySelector('nav input[name=csrf]').value);
                 for (const [k, v] of Object.entries(arguments[1])) add(k, v);
                 const s = document.createElement('button');
                 s.type = 'submit'; s.id = 'forged'; s.textContent = 'forged';
                 f.append(s); document.querySelector('main').append(f); return null;",
                vec![json!(action), json!(fields)],
            )
            .await
            .unwrap();
        self.click_to("#forged", name).await;
    }
}
