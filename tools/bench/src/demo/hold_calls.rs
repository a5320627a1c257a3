//! The HTTP calls of the demo's sale of holds: waves of buyers, the payment service's payments,
//! the buyers' cancels, and the wait until every hold has ended and its units are back.
use anyhow::{Context, bail};
use flashsale_testkit::AdminClient;
use futures_util::{StreamExt, stream};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Where the holds of one sale stand, as `GET /admin/sales/{id}` says.
pub struct View(pub Value);

impl View {
    pub fn get(&self, field: &str) -> i64 {
        self.0[field].as_i64().unwrap_or(-1)
    }
}

/// Who won a wave: (buyer, order id) of every 202.
pub struct Wave {
    pub winners: Vec<(String, String)>,
    pub sold_out: u64,
}

/// The answers to a round of payments or cancels: 200s, and refusals by problem code.
#[derive(Default)]
pub struct Round {
    pub done: u64,
    pub too_late: u64,
}

pub struct HoldSale<'a> {
    pub admin: &'a AdminClient,
    pub base: &'a str,
    pub sale: &'a str,
    pub stock: i64,
    pub buyers: u64,
    pub concurrency: usize,
}

/// `buyers` distinct buyers (`{prefix}-{n}`) order one unit each.
pub async fn wave(
    http: &reqwest::Client,
    sale: &HoldSale<'_>,
    prefix: &str,
    buyers: u64,
) -> anyhow::Result<Wave> {
    let url = format!("{}/api/sales/{}/orders", sale.base, sale.sale);
    let answers: Vec<anyhow::Result<(String, StatusCode, Value)>> = stream::iter(0..buyers)
        .map(|n| {
            let user = format!("{prefix}-{n}");
            let request = http
                .post(&url)
                .json(&json!({ "user_id": user, "quantity": 1 }));
            async move {
                let response = request.send().await?;
                Ok((user, response.status(), response.json().await?))
            }
        })
        .buffer_unordered(sale.concurrency)
        .collect()
        .await;
    let mut wave = Wave {
        winners: Vec::new(),
        sold_out: 0,
    };
    for answer in answers {
        let (user, status, body) = answer.context("placing an order")?;
        match (status, body["code"].as_str()) {
            (StatusCode::ACCEPTED, _) => {
                let order = body["order_id"]
                    .as_str()
                    .context("a 202 without order_id")?;
                wave.winners.push((user, order.to_owned()));
            }
            (StatusCode::CONFLICT, Some("sold_out")) => wave.sold_out += 1,
            _ => bail!("order of {user}: {status} {body}"),
        }
    }
    Ok(wave)
}

/// The payment service pays each order (`demo-{order id}`), retrying while it is `order_pending`.
pub async fn pay(sale: &HoldSale<'_>, orders: &[(String, String)]) -> anyhow::Result<Round> {
    let answers = each(sale.concurrency, orders, |(_, order)| async move {
        let path = format!("/admin/sales/{}/orders/{order}/pay", sale.sale);
        sale.admin
            .post_answer(&path, &json!({ "payment_ref": format!("demo-{order}") }))
            .await
    });
    tally(answers.await, "paid", "order_expired")
}

/// Each buyer cancels their order.
pub async fn cancel(
    http: &reqwest::Client,
    sale: &HoldSale<'_>,
    orders: &[(String, String)],
) -> anyhow::Result<Round> {
    let answers = each(sale.concurrency, orders, |(user, order)| async move {
        let url = format!(
            "{}/api/sales/{}/orders/{order}/cancel",
            sale.base, sale.sale
        );
        let response = http
            .post(url)
            .json(&json!({ "user_id": user }))
            .send()
            .await?;
        Ok((response.status(), response.text().await?))
    });
    tally(answers.await, "cancelled", "order_expired")
}

/// Runs `call` on every order, `concurrency` at a time, again while the answer is 409
/// `order_pending` (the order is not in Postgres yet; the service says retry after 1 s).
async fn each<'o, F, Fut>(
    concurrency: usize,
    orders: &'o [(String, String)],
    call: F,
) -> Vec<anyhow::Result<(StatusCode, String)>>
where
    F: Fn(&'o (String, String)) -> Fut,
    Fut: Future<Output = anyhow::Result<(StatusCode, String)>>,
{
    let call = &call;
    stream::iter(orders)
        .map(|order| async move {
            for _ in 0..10 {
                let (status, body) = call(order).await?;
                if !(status == StatusCode::CONFLICT && body.contains("\"order_pending\"")) {
                    return Ok((status, body));
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            bail!("order {} still pending after 10 tries", order.1)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// Counts 200s with `status` and 409s with `too_late`; anything else fails the demo.
fn tally(
    answers: Vec<anyhow::Result<(StatusCode, String)>>,
    status: &str,
    too_late: &str,
) -> anyhow::Result<Round> {
    let mut round = Round::default();
    for answer in answers {
        let (code, body) = answer?;
        let body: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
        match code {
            StatusCode::OK if body["status"] == status => round.done += 1,
            StatusCode::CONFLICT if body["code"] == too_late => round.too_late += 1,
            _ => bail!("expected 200 {status} or 409 {too_late}, got {code} {body}"),
        }
    }
    Ok(round)
}

/// Polls the admin view until no hold is left (awaiting_payment == 0 and pending == 0) and the
/// units of the ended ones are back in Redis (reserved == paid): the service ends a hold in
/// Postgres first and returns its units after, so the view shows both steps apart. Returns that
/// view and how long the returns trailed the end of the last hold.
pub async fn wait_for_holds(
    sale: &HoldSale<'_>,
    timeout: Duration,
) -> anyhow::Result<(View, Duration)> {
    let started = Instant::now();
    let mut holds_ended = None;
    loop {
        let view = View(
            sale.admin
                .get(&format!("/admin/sales/{}", sale.sale))
                .await?,
        );
        if view.get("awaiting_payment") == 0 && view.get("pending") == 0 {
            let at = *holds_ended.get_or_insert_with(Instant::now);
            if view.get("reserved") == view.get("paid") {
                return Ok((view, at.elapsed()));
            }
        }
        if started.elapsed() > timeout {
            bail!(
                "holds of {} not all ended and returned after {timeout:?}: {}",
                sale.sale,
                view.0
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
