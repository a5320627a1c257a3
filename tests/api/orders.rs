//! Buying: the reservation under concurrency, limits, idempotency, time windows.
use crate::helpers::{assert_problem, spawn_app};
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashSet;

#[tokio::test]
async fn two_thousand_concurrent_buyers_get_exactly_the_stock_and_postgres_gets_every_order() {
    let app = spawn_app().await;
    app.create_sale("hot", 100, json!({})).await;

    let attempts = (0..2000).map(|n| app.order("hot", json!({ "user_id": format!("buyer-{n}") })));
    let responses = join_all(attempts).await;

    let mut accepted = 0;
    let mut sold_out = 0;
    for response in responses {
        match response.status().as_u16() {
            202 => accepted += 1,
            409 => {
                let problem: Value = response.json().await.unwrap();
                assert_eq!(problem["code"], "sold_out");
                sold_out += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((accepted, sold_out), (100, 1900));
    assert_eq!(app.stock_left("hot").await, 0);

    let sale = app.wait_until_persisted("hot").await;
    assert_eq!(sale["confirmed"], 100);
    let orders = app.orders_in_postgres("hot").await;
    assert_eq!(orders.len(), 100);
    assert_eq!(orders.iter().map(|(_, q, _)| q).sum::<i32>(), 100);
    let buyers: HashSet<_> = orders.iter().map(|(user, _, _)| user).collect();
    assert_eq!(buyers.len(), 100, "a buyer got two orders");
    assert!(orders.iter().all(|(_, _, status)| status == "confirmed"));
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'hot'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sold, 100);
}

#[tokio::test]
async fn one_buyer_firing_fifty_parallel_requests_gets_only_the_limit() {
    let app = spawn_app().await;
    app.create_sale("limited", 1000, json!({ "per_user_limit": 2 }))
        .await;

    let attempts = (0..50).map(|_| app.order("limited", json!({ "user_id": "greedy" })));
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();

    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 48);
    assert_eq!(app.stock_left("limited").await, 998);
}

#[tokio::test]
async fn asking_for_more_than_the_limit_at_once_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("limit3", 100, json!({ "per_user_limit": 3 }))
        .await;
    assert_eq!(
        app.order("limit3", json!({ "user_id": "u", "quantity": 2 }))
            .await
            .status(),
        202
    );
    let before = app.redis_snapshot("limit3").await;

    for quantity in [2, 4] {
        let response = app
            .order("limit3", json!({ "user_id": "u", "quantity": quantity }))
            .await;
        assert_eq!(response.status(), 409);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "purchase_limit_exceeded");
    }
    assert_eq!(app.redis_snapshot("limit3").await, before);
}

#[tokio::test]
async fn asking_for_more_than_is_left_is_insufficient_stock_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("few", 3, json!({ "per_user_limit": 10 }))
        .await;
    let before = app.redis_snapshot("few").await;

    let response = app
        .order("few", json!({ "user_id": "u", "quantity": 4 }))
        .await;

    assert_problem(response, 409, "insufficient_stock").await;
    assert_eq!(app.redis_snapshot("few").await, before);
    let response = app
        .order("few", json!({ "user_id": "u", "quantity": 3 }))
        .await;
    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn an_accepted_order_says_where_to_follow_it_and_ends_confirmed() {
    let app = spawn_app().await;
    app.create_sale("follow", 10, json!({ "per_user_limit": 5 }))
        .await;

    let response = app
        .order("follow", json!({ "user_id": "alice", "quantity": 2 }))
        .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["status"], "pending");
    assert_eq!(accepted["sale_id"], "follow");
    assert_eq!(accepted["user_id"], "alice");
    assert_eq!(accepted["quantity"], 2);
    let order_id = accepted["order_id"].as_str().unwrap();
    assert_eq!(location, format!("/api/sales/follow/orders/{order_id}"));

    app.wait_until_persisted("follow").await;
    let order: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["order_id"], order_id);
    assert_eq!(order["quantity"], 2);
    assert_eq!(order["user_id"], "alice");
    assert_eq!(order["created_at"], accepted["created_at"]);
}

#[tokio::test]
async fn an_order_not_yet_persisted_reads_as_pending() {
    let app = crate::helpers::spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("slow", 10, json!({})).await;

    let accepted: Value = app
        .order("slow", json!({ "user_id": "bob" }))
        .await
        .json()
        .await
        .unwrap();
    let order_id = accepted["order_id"].as_str().unwrap();

    let order: Value = app
        .get(&format!("/api/sales/slow/orders/{order_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "pending");
    assert_eq!(order["user_id"], "bob");
    let unknown = app
        .get(&format!("/api/sales/slow/orders/{}", uuid::Uuid::now_v7()))
        .await;
    assert_problem(unknown, 404, "order_not_found").await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_original_order_and_takes_nothing() {
    let app = spawn_app().await;
    app.create_sale("idem", 10, json!({ "per_user_limit": 5 }))
        .await;
    let body = json!({ "user_id": "carol", "quantity": 2 });

    let first = app
        .order_with_key("idem", body.clone(), Some("key-1"))
        .await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let second = app
        .order_with_key("idem", body.clone(), Some("key-1"))
        .await;
    assert_eq!(second.status(), 202);
    let second: Value = second.json().await.unwrap();

    assert_eq!(first, second);
    assert_eq!(app.stock_left("idem").await, 8);
    let reused = app
        .order_with_key(
            "idem",
            json!({ "user_id": "carol", "quantity": 1 }),
            Some("key-1"),
        )
        .await;
    assert_problem(reused, 422, "idempotency_key_reused").await;
    let other_user = app
        .order_with_key(
            "idem",
            json!({ "user_id": "dave", "quantity": 2 }),
            Some("key-1"),
        )
        .await;
    assert_eq!(other_user.status(), 422);
    assert_eq!(app.stock_left("idem").await, 8);
    let sale = app.wait_until_persisted("idem").await;
    assert_eq!(sale["confirmed"], 2);
}

#[tokio::test]
async fn a_retry_with_its_key_gets_its_order_back_even_after_the_sale_sold_out() {
    let app = spawn_app().await;
    app.create_sale("last-one", 1, json!({})).await;
    let body = json!({ "user_id": "erin" });
    let first: Value = app
        .order_with_key("last-one", body.clone(), Some("k"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.order("last-one", json!({ "user_id": "frank" }))
            .await
            .status(),
        409
    );

    let retry = app.order_with_key("last-one", body, Some("k")).await;

    assert_eq!(retry.status(), 202);
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
}

#[tokio::test]
async fn orders_outside_the_sale_window_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.create_sale("later", 10, json!({ "starts_at": "2999-01-01T00:00:00Z" }))
        .await;
    app.create_sale(
        "over",
        10,
        json!({ "starts_at": "2001-01-01T00:00:00Z", "ends_at": "2001-01-02T00:00:00Z" }),
    )
    .await;
    let before = (
        app.redis_snapshot("later").await,
        app.redis_snapshot("over").await,
    );

    let early = app.order("later", json!({ "user_id": "u" })).await;
    let late = app.order("over", json!({ "user_id": "u" })).await;

    assert_problem(early, 409, "sale_not_started").await;
    assert_problem(late, 409, "sale_ended").await;
    let after = (
        app.redis_snapshot("later").await,
        app.redis_snapshot("over").await,
    );
    assert_eq!(after, before);
    let upcoming: Value = app.get("/api/sales/later").await.json().await.unwrap();
    assert_eq!(upcoming["state"], "upcoming");
    let ended: Value = app.get("/api/sales/over").await.json().await.unwrap();
    assert_eq!(ended["state"], "ended");
}

#[tokio::test]
async fn buying_from_an_unknown_sale_is_not_found() {
    let app = spawn_app().await;

    let response = app.order("nope", json!({ "user_id": "u" })).await;

    assert_problem(response, 404, "sale_not_found").await;
}

#[tokio::test]
async fn a_restock_through_this_instance_reopens_a_sold_out_sale_at_once() {
    let app = crate::helpers::spawn_app_with(|s| s.sold_out_recheck_ms = 60_000).await;
    app.create_sale("again", 1, json!({})).await;
    assert_eq!(
        app.order("again", json!({ "user_id": "a" })).await.status(),
        202
    );
    assert_eq!(
        app.order("again", json!({ "user_id": "b" })).await.status(),
        409
    );

    let restocked = app
        .admin_post("/admin/sales/again/restock", &json!({ "quantity": 2 }))
        .await;
    assert_eq!(restocked.status(), 200);

    assert_eq!(
        app.order("again", json!({ "user_id": "b" })).await.status(),
        202
    );
    let sale: Value = app.get("/api/sales/again").await.json().await.unwrap();
    assert_eq!(
        (sale["stock_total"].as_i64(), sale["stock_left"].as_i64()),
        (Some(3), Some(1))
    );
}

#[tokio::test]
async fn a_sold_out_sale_is_answered_from_memory_until_the_recheck() {
    let app = crate::helpers::spawn_app_with(|s| s.sold_out_recheck_ms = 1_000).await;
    app.create_sale("gone", 1, json!({})).await;
    app.order("gone", json!({ "user_id": "a" })).await;
    assert_eq!(
        app.order("gone", json!({ "user_id": "b" })).await.status(),
        409
    );

    // Stock appears behind the instance's back (as if restocked through another instance):
    // within the recheck delay this instance still answers from memory.
    let _: () = redis::AsyncCommands::hincr(
        &mut app.redis.clone(),
        app.sale_keys("gone").sale,
        "stock_left",
        5,
    )
    .await
    .unwrap();

    let response = app.order("gone", json!({ "user_id": "c" })).await;
    assert_problem(response, 409, "sold_out").await;
    assert_eq!(app.stock_left("gone").await, 5);

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(
        app.order("gone", json!({ "user_id": "c" })).await.status(),
        202
    );
    assert_eq!(app.stock_left("gone").await, 4);
}

#[tokio::test]
async fn while_redis_is_unreachable_buyers_are_told_to_retry_and_nothing_is_taken() {
    let proxy = crate::helpers::TcpProxy::start("127.0.0.1:6390");
    let app = crate::helpers::spawn_app_with(|s| {
        s.redis_url = s.redis_url.replace(":6390/", &format!(":{}/", proxy.port));
    })
    .await;
    app.create_sale("dark", 10, json!({})).await;

    proxy.cut();
    let response = app.order("dark", json!({ "user_id": "u" })).await;

    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "unavailable");
    assert!(!problem["detail"].as_str().unwrap().contains("redis"));
    assert_eq!(app.stock_left("dark").await, 10);
    proxy.restore();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut status = 0;
    for _ in 0..50 {
        status = app
            .order("dark", json!({ "user_id": "u" }))
            .await
            .status()
            .as_u16();
        if status == 202 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 202, "the service reconnects by itself");
}

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
