//! Redis unreachable: buyers are told to retry, nothing is taken, the service reconnects.
use crate::helpers::use_single_redis;
use flashsale::redis::RedisTarget;
use redis::AsyncCommands;
use serde_json::{Value, json};

#[tokio::test]
async fn while_redis_is_unreachable_buyers_are_told_to_retry_and_nothing_is_taken() {
    let proxy = crate::helpers::TcpProxy::start("127.0.0.1:6390");
    let app = crate::helpers::spawn_app_with(|s| {
        let url = s.redis_url.replace(":6390/", &format!(":{}/", proxy.port));
        use_single_redis(s, url);
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
    // Read past the proxy, from the Redis the app is on (a cluster run's `app.redis` is not).
    let url = app
        .settings
        .redis_url
        .replace(&format!(":{}/", proxy.port), ":6390/");
    let mut direct = RedisTarget::new(&url, None).connect(None).await.unwrap();
    let left: i64 = direct
        .hget(app.sale_keys("dark").sale, "stock_left")
        .await
        .unwrap();
    assert_eq!(left, 10);
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
