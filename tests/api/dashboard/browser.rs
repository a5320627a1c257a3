//! The live sale page in a real headless Chromium: opened before a burst, it follows the sale
//! down to 0 left without a reload, ends showing exactly the admin view's counters and the
//! sold-out answers the buyers got, and its pause and resume buttons work. A screenshot is kept
//! at `target/test-artifacts/dashboard.png`.
use crate::helpers::{ADMIN_TOKEN, Chromium, TestApp, spawn_app};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

const SALE: &str = "live-burst";
const STOCK: i64 = 300;
const BUYERS: usize = 16;
const ATTEMPTS_PER_BUYER: usize = 60;

/// The sale's card as the page renders it: every `data-field` and its text.
const CARD: &str = r#"(() => {
  const card = document.querySelector('[data-sale-id="live-burst"]');
  if (!card) return null;
  const fields = {};
  for (const element of card.querySelectorAll("[data-field]")) {
    fields[element.dataset.field] = element.textContent;
  }
  fields.result = card.querySelector(".result").textContent;
  return fields;
})()"#;

/// Polls the rendered card until `done` holds; returns it.
async fn wait_for_card(browser: &Chromium, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let card = browser.evaluate(CARD).await;
        if done(&card) {
            return card;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the page never showed {what}; it shows {card}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Buyers ordering one unit each as new buyers; the answers' codes ("" for a 202).
async fn burst(app: &Arc<TestApp>) -> Vec<String> {
    let mut buyers = JoinSet::new();
    for buyer in 0..BUYERS {
        let app = app.clone();
        buyers.spawn(async move {
            let mut codes = Vec::new();
            for attempt in 0..ATTEMPTS_PER_BUYER {
                let user = json!({ "user_id": format!("b{buyer}-{attempt}") });
                let response = app.order(SALE, user).await;
                codes.push(match response.status().as_u16() {
                    202 => String::new(),
                    _ => response.json::<Value>().await.unwrap()["code"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                });
            }
            codes
        });
    }
    buyers.join_all().await.concat()
}

fn screenshot_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("test-artifacts").join("dashboard.png")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_follows_a_burst_to_sold_out_and_matches_the_admin_view() {
    let app = Arc::new(spawn_app().await);
    let created = app
        .create_sale(SALE, STOCK, json!({ "name": "Live burst" }))
        .await;
    assert_eq!(created.status(), 201);
    let browser = Chromium::launch().await;
    browser
        .open(&format!(
            "{}/admin/dashboard#token={ADMIN_TOKEN}",
            app.address
        ))
        .await;
    wait_for_card(&browser, "the full stock", |card| {
        card["stock_left"] == "300"
    })
    .await;
    assert_eq!(
        browser.evaluate("location.hash").await,
        "",
        "the token leaves the address bar"
    );

    let codes = burst(&app).await;
    let accepted = codes.iter().filter(|code| code.is_empty()).count();
    let sold_out = codes.iter().filter(|code| *code == "sold_out").count();
    assert_eq!(accepted as i64, STOCK);
    assert_eq!(accepted + sold_out, codes.len(), "only 202 and sold_out");
    app.wait_until_persisted(SALE).await;

    // The same page, never reloaded: live updates brought it to the end of the sale (a
    // snapshot made after the last order was persisted but before the burst's last sold-out
    // answers shows fewer of them: the next one has them all).
    let sold_out_shown = sold_out.to_string();
    let card = wait_for_card(&browser, "the sale sold out and persisted", |card| {
        card["stock_left"] == "0"
            && card["pending"] == "0"
            && card["confirmed"] == "300"
            && card["sold_out_answers"] == sold_out_shown.as_str()
    })
    .await;
    let admin = app.admin_sale(SALE).await;
    for field in [
        "stock_left",
        "stock_total",
        "reserved",
        "confirmed",
        "pending",
        "rejected",
        "dead_letters",
        "state",
    ] {
        let shown = card[field].as_str().unwrap();
        assert_eq!(shown, admin[field].to_string().trim_matches('"'), "{field}");
    }
    assert_eq!(card["lag_seconds"], "0.0");
    let rates = browser
        .evaluate(r#"page.sales.get("live-burst").points"#)
        .await;
    let peak = |series: usize| {
        let points = rates.as_array().unwrap().iter();
        points
            .map(|point| point[series].as_f64().unwrap())
            .fold(0.0, f64::max)
    };
    assert!(peak(0) > 0.0, "accepted/s rose during the burst: {rates}");
    assert!(peak(1) > 0.0, "sold-out/s rose during the burst: {rates}");

    browser
        .evaluate(r#"document.querySelector('[data-sale-id="live-burst"] [data-action="pause"]').click()"#)
        .await;
    wait_for_card(&browser, "the pause", |card| {
        card["state"] == "paused" && card["result"].as_str().unwrap().starts_with("paused at")
    })
    .await;
    assert_eq!(app.admin_sale(SALE).await["state"], "paused");
    browser
        .evaluate(r#"document.querySelector('[data-sale-id="live-burst"] [data-action="resume"]').click()"#)
        .await;
    wait_for_card(&browser, "the resume", |card| card["state"] == "sold_out").await;
    assert_eq!(app.admin_sale(SALE).await["state"], "sold_out");

    let path = screenshot_path();
    browser.screenshot(&path).await;
    println!("dashboard screenshot: {}", path.display());
}
