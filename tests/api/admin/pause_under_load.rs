//! Pausing, resuming and ending a sale while a burst of buyers is ordering: after the pause
//! answers, nothing more is accepted and stock stands still; after the end, every attempt is
//! refused as ended; every accepted order is persisted.
use crate::helpers::{TestApp, assert_problem, spawn_app};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

const BUYERS: usize = 8;

/// One attempt: when it was sent, its status, code and Retry-After.
struct Attempt {
    sent: Instant,
    status: u16,
    code: String,
    retry_after: Option<String>,
}

/// Buyers ordering one unit each, each attempt as a new buyer, until `stop` is set.
fn burst(app: &Arc<TestApp>, sale: &'static str, stop: &Arc<AtomicBool>) -> JoinSet<Vec<Attempt>> {
    let mut buyers = JoinSet::new();
    for buyer in 0..BUYERS {
        let (app, stop) = (app.clone(), stop.clone());
        buyers.spawn(async move {
            let mut attempts = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let user = format!("b{buyer}-{}", attempts.len());
                let sent = Instant::now();
                let response = app.order(sale, json!({ "user_id": user })).await;
                let status = response.status().as_u16();
                let retry_after = response.headers().get("retry-after");
                let retry_after = retry_after.map(|v| v.to_str().unwrap().to_owned());
                let code = match status {
                    202 => String::new(),
                    _ => response.json::<Value>().await.unwrap()["code"].to_string(),
                };
                attempts.push(Attempt {
                    sent,
                    status,
                    code,
                    retry_after,
                });
            }
            attempts
        });
    }
    buyers
}

async fn accepted_so_far(app: &TestApp, sale: &str) -> i64 {
    app.admin_sale(sale).await["reserved"].as_i64().unwrap()
}

#[tokio::test]
async fn a_pause_during_a_burst_stops_every_later_attempt_and_resume_and_end_follow_at_once() {
    let app = Arc::new(spawn_app().await);
    let stock = 100_000;
    app.create_sale("burst", stock, json!({})).await;
    let stop = Arc::new(AtomicBool::new(false));
    let buyers = burst(&app, "burst", &stop);
    while accepted_so_far(&app, "burst").await < 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let response = app.admin_post("/admin/sales/burst/pause", &json!({})).await;
    let paused_at = Instant::now();
    assert_eq!(response.status(), 200);
    let paused: Value = response.json().await.unwrap();
    assert_eq!(paused["state"], "paused");
    let left_when_paused = app.stock_left("burst").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.stock_left("burst").await, left_when_paused);
    stop.store(true, Ordering::SeqCst);
    let attempts: Vec<Attempt> = buyers.join_all().await.into_iter().flatten().collect();

    let after_pause: Vec<&Attempt> = attempts.iter().filter(|a| a.sent > paused_at).collect();
    assert!(
        after_pause.len() >= BUYERS,
        "{} attempts",
        after_pause.len()
    );
    for attempt in &after_pause {
        assert_eq!(
            (attempt.status, attempt.code.as_str()),
            (503, "\"sale_paused\"")
        );
        assert_eq!(attempt.retry_after.as_deref(), Some("5"));
    }
    let accepted = attempts.iter().filter(|a| a.status == 202).count() as i64;
    assert!(accepted >= 20, "{accepted} accepted");
    for attempt in attempts.iter().filter(|a| a.status != 202) {
        assert_eq!(attempt.code, "\"sale_paused\"");
    }
    assert_eq!(app.stock_left("burst").await, left_when_paused);
    assert_eq!(accepted, stock - left_when_paused);

    let response = app
        .admin_post("/admin/sales/burst/resume", &json!({}))
        .await;
    assert_eq!(response.status(), 200);
    let resumed: Value = response.json().await.unwrap();
    assert_eq!(resumed["state"], "active");
    let response = app
        .order("burst", json!({ "user_id": "after-resume" }))
        .await;
    assert_eq!(response.status(), 202);

    let response = app.admin_post("/admin/sales/burst/end", &json!({})).await;
    assert_eq!(response.status(), 200);
    let ended: Value = response.json().await.unwrap();
    assert_eq!(ended["state"], "ended");
    let response = app.order("burst", json!({ "user_id": "after-end" })).await;
    assert_problem(response, 409, "sale_ended").await;
    assert_eq!(app.admin_sale("burst").await["state"], "ended");
    let public: Value = app.get("/api/sales/burst").await.json().await.unwrap();
    assert_eq!(public["state"], "ended");
    assert_eq!(public["ends_at"], ended["ends_at"]);

    let persisted = app.wait_until_persisted("burst").await;
    assert_eq!(persisted["confirmed"], accepted + 1);
    assert_eq!(
        app.orders_in_postgres("burst").await.len() as i64,
        accepted + 1
    );
    assert_eq!(app.stock_left("burst").await, stock - accepted - 1);
}
