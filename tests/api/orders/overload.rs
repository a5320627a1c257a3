//! Overload: a storm on a sold-out sale is answered from memory (409, never 503, also while the
//! remembered answer is re-checked), and attempts beyond the in-flight bound queue for a slot
//! or are shed before reaching Redis, so a 503 always means nothing was taken.
//!
//! Each attempt is its own raw TCP connection (`Connection: close`), all opened at once: the
//! CI variants use a few hundred, the ignored ones 4,096 (two sockets each in this process,
//! well under the 20,000 descriptors `ulimit -n` allows here).
use crate::helpers::{TestApp, spawn_app_with};
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Buyer `{prefix}-{n}` for each `n` orders once, all at the same time; their answers by
/// buyer, as (status, problem code or `accepted`).
async fn burst(
    app: &TestApp,
    sale: &str,
    prefix: &str,
    buyers: usize,
) -> Vec<(String, u16, String)> {
    let address = app.address.trim_start_matches("http://").to_owned();
    let attempts = (0..buyers).map(|n| {
        let (address, sale, user) = (address.clone(), sale.to_owned(), format!("{prefix}-{n}"));
        tokio::spawn(async move {
            let body = json!({ "user_id": user }).to_string();
            let request = format!(
                "POST /api/sales/{sale}/orders HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let mut stream = TcpStream::connect(&address).await.expect("connect");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.unwrap();
            let text = String::from_utf8_lossy(&response);
            let status: u16 = text[9..12].parse().expect("an HTTP status line");
            let (_, body) = text.split_once("\r\n\r\n").expect("a response body");
            let code = match serde_json::from_str::<Value>(body) {
                Ok(answer) => answer["code"].as_str().unwrap_or("accepted").to_owned(),
                Err(_) => format!("no problem document: {body:?}"),
            };
            (user, status, code)
        })
    });
    join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

fn tally(answers: &[(String, u16, String)]) -> BTreeMap<(u16, String), usize> {
    let mut counts = BTreeMap::new();
    for (_, status, code) in answers {
        *counts.entry((*status, code.clone())).or_default() += 1;
    }
    counts
}

async fn shed_in_metrics(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(r#"flashsale_order_attempts_total{outcome="shed"} "#))
        .map_or(0, |count| count.parse().unwrap())
}

/// Waves of buyers at a sold-out sale whose remembered `sold_out` is due for a re-check every
/// few milliseconds: every answer is 409 `sold_out`.
async fn a_storm_on_a_sold_out_sale_gets_only_409(buyers: usize, waves: usize) {
    let app = spawn_app_with(|s| {
        s.workers = Some(2);
        s.sold_out_recheck_ms = 5;
    })
    .await;
    app.create_sale("gone", 1, json!({})).await;
    assert_eq!(
        app.order("gone", json!({ "user_id": "first" }))
            .await
            .status(),
        202
    );
    for wave in 0..waves {
        let answers = burst(&app, "gone", &format!("late{wave}"), buyers).await;
        let counts = tally(&answers);
        println!("wave {wave} of {buyers}: {counts:?}");
        assert_eq!(counts, BTreeMap::from([((409, "sold_out".into()), buyers)]));
    }
    assert_eq!(app.stock_left("gone").await, 0);
}

/// A burst of distinct buyers on a sale with stock for some, `max_in_flight` bounding what
/// reaches Redis: every 503 was shed before sending (the metric counts each: none timed out
/// after sending), no 503 buyer has an order in Postgres, and every 202 is there.
async fn a_burst_over_the_bound_never_gets_an_ambiguous_503(
    buyers: usize,
    stock: i64,
    max_in_flight: usize,
) {
    let app = spawn_app_with(|s| {
        s.workers = Some(2);
        s.redis_max_in_flight = max_in_flight;
    })
    .await;
    app.create_sale("burst", stock, json!({})).await;
    let answers = burst(&app, "burst", "buyer", buyers).await;
    let counts = tally(&answers);
    println!("{buyers} buyers, stock {stock}, at most {max_in_flight} in flight: {counts:?}");

    let with = |status: u16| -> HashSet<&str> {
        answers
            .iter()
            .filter(|(_, s, _)| *s == status)
            .map(|(user, _, _)| user.as_str())
            .collect()
    };
    let (accepted, unavailable) = (with(202), with(503));
    for (status, code) in counts.keys() {
        assert!(
            matches!(
                (status, code.as_str()),
                (202, "accepted") | (409, "sold_out") | (503, "unavailable")
            ),
            "unexpected answer {status} {code}"
        );
    }
    let shed = shed_in_metrics(&app).await;
    let stock_left = app.stock_left("burst").await;

    app.wait_until_persisted("burst").await;
    let persisted: HashSet<String> = app
        .orders_in_postgres("burst")
        .await
        .into_iter()
        .map(|(user, _, status)| {
            assert_eq!(status, "confirmed");
            user
        })
        .collect();
    let persisted: HashSet<&str> = persisted.iter().map(String::as_str).collect();
    let taken_503 = persisted.intersection(&unavailable).count();
    println!(
        "shed {shed}, persisted {}, 503 with an order {taken_503}",
        persisted.len()
    );
    assert!(accepted.is_subset(&persisted), "every 202 is in Postgres");
    assert_eq!(taken_503, 0, "a 503 took stock");
    assert_eq!(persisted.len() as i64 + stock_left, stock);
    assert_eq!(shed, unavailable.len() as u64, "every 503 was shed");
}

#[tokio::test]
async fn a_storm_of_300_on_a_sold_out_sale_being_rechecked_gets_only_409() {
    a_storm_on_a_sold_out_sale_gets_only_409(300, 3).await;
}

#[tokio::test]
async fn a_burst_of_300_buyers_over_8_slots_queues_or_is_shed_and_no_503_took_stock() {
    a_burst_over_the_bound_never_gets_an_ambiguous_503(300, 100, 8).await;
}

#[tokio::test]
async fn with_no_room_in_flight_an_attempt_is_shed_unambiguously_and_counted() {
    let app = spawn_app_with(|s| s.redis_max_in_flight = 0).await;
    app.create_sale("full", 10, json!({})).await;
    let response = app.order("full", json!({ "user_id": "u" })).await;
    assert_eq!(response.headers()["retry-after"], "1");
    crate::helpers::assert_problem(response, 503, "unavailable").await;
    assert_eq!(app.stock_left("full").await, 10);
    assert_eq!(shed_in_metrics(&app).await, 1);
}

#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn a_storm_of_4096_on_a_sold_out_sale_gets_only_409() {
    a_storm_on_a_sold_out_sale_gets_only_409(4096, 3).await;
}

#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn a_burst_of_4096_buyers_at_the_default_bound_never_gets_an_ambiguous_503() {
    a_burst_over_the_bound_never_gets_an_ambiguous_503(4096, 1000, 1024).await;
}
