//! The admin API as tests and tools call it: bearer token, JSON both ways, error statuses as
//! errors.
use anyhow::bail;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

pub struct AdminClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl AdminClient {
    /// `base` is the server's `http://host:port`.
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token: token.to_owned(),
        }
    }

    /// `POST`s `body`; an error status fails with the answer's body.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let (status, text) = self.post_answer(path, body).await?;
        if !status.is_success() {
            bail!("{path} answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// `POST`s `body`; the answer's status and body, whatever the status.
    pub async fn post_answer(
        &self,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<(StatusCode, String)> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        Ok((response.status(), response.text().await?))
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Polls the sale's admin view until no accepted order is pending, that is until the
    /// persister has written every one to Postgres; returns that view.
    pub async fn wait_until_persisted(
        &self,
        sale: &str,
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        let started = Instant::now();
        loop {
            let view = self.get(&format!("/admin/sales/{sale}")).await?;
            if view["pending"] == 0 {
                return Ok(view);
            }
            if started.elapsed() > timeout {
                bail!("orders of {sale} still pending after {timeout:?}: {view}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
