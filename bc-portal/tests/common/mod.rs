//! Shared test helpers: a demo portal served on loopback and a cookie-keeping HTTP client.
#![allow(dead_code)]

pub mod fixtures;

use std::sync::atomic::{AtomicU64, Ordering};

use bc_portal::demo::{build, Demo, DemoOptions};
use bc_portal::{serve, PasswordCost, Served};
use secrecy::ExposeSecret;

pub async fn demo(orders: u64) -> (Demo, Served) {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let opts = DemoOptions {
        orders,
        seed: 42,
        port: 0,
        password_cost: PasswordCost::for_tests(),
        store_hash: format!("sbxportal{n}{}", std::process::id()),
    };
    let demo = build(&opts).await.expect("demo builds");
    let served = serve(&demo.portal, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (demo, served)
}

/// A browser-less client: keeps its cookies, follows no redirects.
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub cookies: Vec<(String, String)>,
    pub csrf: String,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub location: Option<String>,
    pub body: String,
    pub set_cookies: Vec<String>,
}

pub fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")?;
    let rest = &html[i + 19..];
    Some(rest[..rest.find('"')?].to_string())
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, set: &[String]) {
        for c in set {
            let first = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                self.cookies.retain(|(n, _)| n != k);
                if !v.is_empty() && !c.contains("Max-Age=0") {
                    self.cookies.push((k.to_string(), v.to_string()));
                }
            }
        }
    }

    async fn finish(&mut self, r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let set_cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect();
        self.keep(&set_cookies);
        let body = r.text().await.unwrap_or_default();
        if let Some(c) = csrf_in(&body) {
            if !body.contains("action=\"/login\"") {
                self.csrf = c;
            }
        }
        Resp {
            status,
            headers,
            location,
            body,
            set_cookies,
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    /// POST with the session's CSRF token added.
    pub async fn post_csrf(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let token = self.csrf.clone();
        let mut f: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        f.extend_from_slice(form);
        self.post(path, &f).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        let page = self.get("/login").await;
        let token = csrf_in(&page.body).expect("login csrf");
        let r = self
            .post(
                "/login",
                &[("csrf", &token), ("email", email), ("password", password)],
            )
            .await;
        if r.status == 303 {
            // Load a page to learn the session's CSRF token.
            let to = r.location.clone().unwrap_or_else(|| "/".into());
            self.get(&to).await;
        }
        r
    }
}

pub async fn signed_in(base: &str, demo: &Demo, role: &str, nth: usize) -> Client {
    let l = demo
        .logins
        .iter()
        .filter(|l| l.role == role)
        .nth(nth)
        .expect("login");
    let mut c = Client::new(base);
    let r = c.login(&l.email, l.password.expose_secret()).await;
    assert_eq!(r.status, 303, "sign in as {role}: {}", r.body);
    c
}

/// Parses CSV text (RFC 4180 quoting) into rows.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}
