//! Preloads racing each other and the buyers, after Redis lost a sale.
use crate::helpers::spawn_app;
use futures::future::join_all;
use redis::AsyncCommands;
use serde_json::json;

#[tokio::test]
async fn concurrent_preloads_of_a_lost_sale_never_hand_a_buyer_more_than_the_limit() {
    let app = spawn_app().await;
    app.create_sale("lost", 1_000, json!({ "per_user_limit": 2 }))
        .await;
    let buyers: Vec<String> = (0..20).map(|n| format!("b{n}")).collect();
    for buyer in &buyers {
        let first = app.order("lost", json!({ "user_id": buyer })).await;
        assert_eq!(first.status(), 202);
    }
    app.wait_until_persisted("lost").await;
    let _: () = app
        .redis
        .clone()
        .del(&app.sale_keys("lost").all())
        .await
        .unwrap();

    // Every buyer keeps trying while eight preloads race to bring the sale back.
    let app = &app;
    let no_body = json!({});
    let preloads = join_all((0..8).map(|_| app.admin_post("/admin/sales/lost/preload", &no_body)));
    let attempts = join_all(buyers.iter().map(|buyer| async move {
        let mut accepted = 0;
        for _ in 0..30 {
            let response = app.order("lost", json!({ "user_id": buyer })).await;
            accepted += usize::from(response.status() == 202);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        accepted
    }));
    let (preloaded, accepted) = tokio::join!(preloads, attempts);

    assert!(preloaded.iter().all(|r| r.status() == 200));
    assert_eq!(accepted, vec![1; 20], "each buyer had one unit left to buy");
    let sale = app.wait_until_persisted("lost").await;
    assert_eq!(
        (sale["confirmed"].as_i64(), sale["rejected"].as_i64()),
        (Some(40), Some(0)),
        "{sale}"
    );
    let most: i64 = sqlx::query_scalar(
        "SELECT MAX(bought)::int8 FROM (SELECT SUM(quantity) AS bought FROM orders
         WHERE sale_id = 'lost' GROUP BY user_id) AS per_buyer",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(most, 2);
}
