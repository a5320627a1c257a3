//! The service's admin API as the operator commands call it: the address and token from the
//! environment, JSON both ways, a problem document turned into a readable error.
use anyhow::{Context, bail};
use clap::Args;
use serde_json::Value;

#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// The service's admin address (its `FLASHSALE_ADMIN_LISTEN` when that is set).
    #[arg(
        long,
        env = "FLASHSALE_ADMIN_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,

    #[arg(
        long,
        env = "FLASHSALE_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<String>,

    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

pub struct AdminApi {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl AdminApi {
    pub fn new(args: &ApiArgs) -> anyhow::Result<Self> {
        let token = args
            .token
            .clone()
            .context("FLASHSALE_ADMIN_TOKEN (or --token) must be set")?;
        Ok(Self {
            http: reqwest::Client::new(),
            base: args.url.trim_end_matches('/').to_owned(),
            token,
        })
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(self.url(path))).await
    }

    /// `POST`s `body` (none when `Value::Null`), with an `Idempotency-Key` when given.
    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut request = self.http.post(self.url(path));
        if !body.is_null() {
            request = request.json(body);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("calling {}", self.base))?;
        let status = response.status();
        let text = response.text().await?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            match (body["code"].as_str(), body["detail"].as_str()) {
                (Some(code), Some(detail)) => bail!("{status} {code}: {detail}"),
                _ => bail!("{status}: {body}"),
            }
        }
        Ok(body)
    }
}

/// `flashsale probe`: exits 0 when the URL answers 2xx, for container health checks that have
/// no HTTP client of their own.
pub async fn probe(url: &str) -> anyhow::Result<()> {
    let response = reqwest::get(url)
        .await
        .with_context(|| format!("calling {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url} answered {status}: {}", response.text().await?);
    }
    Ok(())
}
