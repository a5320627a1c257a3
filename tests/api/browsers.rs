//! Browser front ends: CORS for the configured origins only, and a sale page a CDN may cache
//! for a second.
use crate::helpers::{spawn_app, spawn_app_with};
use serde_json::json;

const SHOP: &str = "https://shop.example";

#[tokio::test]
async fn a_listed_origin_gets_its_preflight_and_can_read_location() {
    let app = spawn_app_with(|s| s.cors_origins = vec![SHOP.to_owned()]).await;
    app.create_sale("browsed", 5, json!({})).await;

    let preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/sales/browsed/orders", app.address),
        )
        .header("Origin", SHOP)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], SHOP);
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("idempotency-key"), "{allowed}");

    let order = app
        .http
        .post(format!("{}/api/sales/browsed/orders", app.address))
        .header("Origin", SHOP)
        .json(&json!({ "user_id": "browser" }))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), 202);
    assert_eq!(order.headers()["access-control-allow-origin"], SHOP);
    let exposed = order.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.to_lowercase().contains("location"), "{exposed}");

    let stranger = app
        .http
        .get(format!("{}/api/sales/browsed", app.address))
        .header("Origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 200, "served, without CORS headers");
    assert!(
        !stranger
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn without_origins_no_cors_headers_and_the_sale_page_is_cacheable_for_a_second() {
    let app = spawn_app().await;
    app.create_sale("cached", 5, json!({})).await;

    let page = app
        .http
        .get(format!("{}/api/sales/cached", app.address))
        .header("Origin", SHOP)
        .send()
        .await
        .unwrap();

    assert_eq!(page.status(), 200);
    assert!(!page.headers().contains_key("access-control-allow-origin"));
    assert_eq!(page.headers()["cache-control"], "public, max-age=1");
}
