//! The per-sale gauges: what the admin view shows, for sales that have not ended only.
use super::{sample, scrape};
use crate::helpers::spawn_app;
use serde_json::json;

#[tokio::test]
async fn per_sale_gauges_match_the_admin_view_and_go_when_the_sale_ends() {
    let app = spawn_app().await;
    app.create_sale("whole", 10, json!({})).await;
    app.create_sale("split", 40, json!({ "buckets": 4 })).await;
    for (n, sale) in ["whole", "whole", "whole", "split", "split"]
        .iter()
        .enumerate()
    {
        let response = app.order(sale, json!({ "user_id": format!("u{n}") })).await;
        assert_eq!(response.status(), 202);
    }
    for sale in ["whole", "split"] {
        app.wait_until_persisted(sale).await;
    }

    for sale in ["whole", "split"] {
        let admin = app.admin_sale(sale).await;
        for (gauge, field) in [
            ("stock_left", "stock_left"),
            ("reserved", "reserved"),
            ("confirmed", "confirmed"),
        ] {
            let series = format!(r#"flashsale_sale_{gauge}{{sale="{sale}"}}"#);
            assert_eq!(
                sample(&app, &series).await,
                admin[field].as_f64(),
                "{series} against the admin view's {field}: {admin}"
            );
        }
    }
    assert_eq!(
        sample(&app, r#"flashsale_sale_stock_left{sale="split"}"#).await,
        Some(38.0),
        "a split sale reports its buckets' sum"
    );

    let ended = app.admin_post("/admin/sales/whole/end", &json!({})).await;
    assert_eq!(ended.status(), 200);

    let text = scrape(&app).await;
    assert!(
        !text.contains(r#"sale="whole""#),
        "an ended sale has no series: {text}"
    );
    assert!(
        text.contains(r#"flashsale_sale_reserved{sale="split"} 2"#),
        "{text}"
    );
}
