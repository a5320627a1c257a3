//! Rate limits: per buyer and per address, refused before anything is taken.
use crate::helpers::assert_problem;
use serde_json::json;

#[tokio::test]
async fn a_buyer_hammering_the_endpoint_is_rate_limited_before_anything_is_taken() {
    let app = crate::helpers::spawn_app_with(|s| s.rate_per_user = 2).await;
    app.create_sale("hammered", 100, json!({ "per_user_limit": 100 }))
        .await;

    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(app.order("hammered", json!({ "user_id": "bot" })).await);
    }

    let accepted = statuses.iter().filter(|r| r.status() == 202).count();
    assert!(
        (4..=5).contains(&accepted),
        "burst of twice the rate: {accepted}"
    );
    let limited = statuses.pop().unwrap();
    assert!(
        limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_problem(limited, 429, "rate_limited").await;
    assert_eq!(app.stock_left("hammered").await, 100 - accepted as i64);
    assert_eq!(
        app.order("hammered", json!({ "user_id": "human" }))
            .await
            .status(),
        202
    );
}

#[tokio::test]
async fn one_address_is_limited_across_all_its_buyers_when_configured() {
    let app = crate::helpers::spawn_app_with(|s| s.rate_per_ip = 1).await;
    app.create_sale("crowded", 100, json!({})).await;

    let mut statuses = Vec::new();
    for n in 0..5 {
        let response = app
            .order("crowded", json!({ "user_id": format!("u{n}") }))
            .await;
        statuses.push(response.status().as_u16());
    }

    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3);
}

/// Five buyers' attempts, each claiming its own address in `X-Forwarded-For`: the statuses.
async fn attempts_with_forwarded_addresses(app: &crate::helpers::TestApp, sale: &str) -> Vec<u16> {
    let mut statuses = Vec::new();
    for n in 0..5 {
        let response = app
            .http
            .post(format!("{}/api/sales/{sale}/orders", app.address))
            .header("X-Forwarded-For", format!("198.51.100.{n}"))
            .json(&json!({ "user_id": format!("u{n}") }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.rate_per_ip = 1;
        s.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await;
    app.create_sale("proxied", 100, json!({})).await;

    let statuses = attempts_with_forwarded_addresses(&app, "proxied").await;

    assert_eq!(statuses, [202; 5]);
}

#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_does_not_escape_the_limit() {
    let app = crate::helpers::spawn_app_with(|s| s.rate_per_ip = 1).await;
    app.create_sale("spoofed", 100, json!({})).await;

    let statuses = attempts_with_forwarded_addresses(&app, "spoofed").await;

    assert_eq!(statuses, [202, 202, 429, 429, 429]);
}
