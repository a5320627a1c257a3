//! Buying from a split sale under bursts.
use super::{BUCKETS, burst, buyers_homed_in, create_split_sale, tally};
use crate::helpers::spawn_app;
use redis::AsyncCommands;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// As many buyers as units, most of them homed in 2 of the 8 buckets: the stock of the other 6
/// must move to them, and every single attempt must be accepted. A false `sold_out` (a bucket
/// empty while others still hold stock) would leave units unsold and a buyer refused.
#[tokio::test]
async fn skewed_buyers_as_many_as_the_units_all_get_one() {
    let app = spawn_app().await;
    create_split_sale(&app, "skewed", 1000, json!({})).await;
    let mut buyers = buyers_homed_in("crowd", &[2, 5], 900);
    buyers.extend(buyers_homed_in("rest", &[0, 1, 3, 4, 6, 7], 100));

    let bodies = buyers
        .iter()
        .map(|user| json!({ "user_id": user }))
        .collect();
    let answers = burst(&app, "skewed", bodies).await;

    let (accepted, refused) = tally(&answers);
    assert_eq!(accepted, 1000, "refused: {refused:?}");
    let after = app.order("skewed", json!({ "user_id": "late" })).await;
    assert_eq!(after.status(), 409);
    let problem: serde_json::Value = after.json().await.unwrap();
    assert_eq!(problem["code"], "sold_out");
    let view = app.wait_until_persisted("skewed").await;
    assert_eq!(view["confirmed"], 1000);
    assert_eq!(view["stock_left"], 0);
}

/// Uniform buyers, as many as the units: all accepted, and stock moved only a few times (each
/// move takes half of a donor, so the last units do not cost a move each).
#[tokio::test]
async fn uniform_buyers_as_many_as_the_units_all_get_one_with_few_moves() {
    let app = spawn_app().await;
    create_split_sale(&app, "uniform", 800, json!({})).await;

    let bodies = (0..800)
        .map(|n| json!({ "user_id": format!("u-{n}") }))
        .collect();
    let answers = burst(&app, "uniform", bodies).await;

    let (accepted, refused) = tally(&answers);
    assert_eq!(accepted, 800, "refused: {refused:?}");
    let mut moves = 0;
    for bucket in 0..BUCKETS {
        let name = if bucket == 0 {
            "uniform".to_owned()
        } else {
            format!("uniform/{bucket}")
        };
        let keys = app
            .keys
            .sale(&flashsale::domain::SaleId::parse_stored(&name).unwrap());
        let given: usize = app.redis.clone().hlen(&keys.moves_in).await.unwrap();
        let open: usize = app.redis.clone().hlen(&keys.moves_out).await.unwrap();
        assert_eq!(open, 0, "every move finished");
        moves += given;
    }
    assert!(moves <= 8 * 8, "{moves} moves for 800 units over 8 buckets");
}

/// Buyers trying three times each (twice with the same key), more attempts than units: the
/// stock exactly, no buyer past the limit, and a repeated key answered with its first order.
#[tokio::test]
async fn the_limit_and_idempotency_hold_across_buckets_and_the_stock_is_never_oversold() {
    let app = spawn_app().await;
    create_split_sale(&app, "limited", 300, json!({ "per_user_limit": 2 })).await;

    let attempts = (0..600).map(|n| {
        let (app, user) = (&app, format!("b-{}", n % 200));
        let key = (n < 400).then(|| format!("k-{}", n % 200));
        async move {
            let response = app
                .order_with_key("limited", json!({ "user_id": user }), key.as_deref())
                .await;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (user, key, status, body)
        }
    });
    let answers = futures::future::join_all(attempts).await;

    let mut orders: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut keyed: HashMap<&str, HashSet<String>> = HashMap::new();
    for (user, key, status, body) in &answers {
        if *status != 202 {
            assert!([409, 429].contains(status), "{user}: {status} {body}");
            continue;
        }
        let order = body["order_id"].as_str().unwrap().to_owned();
        orders.entry(user).or_default().insert(order.clone());
        if key.is_some() {
            keyed.entry(user).or_default().insert(order);
        }
    }
    assert!(
        orders.values().all(|o| o.len() <= 2),
        "a buyer went past the limit"
    );
    assert!(
        keyed.values().all(|o| o.len() == 1),
        "a key gave two orders"
    );
    let sold: usize = orders.values().map(HashSet::len).sum();
    assert_eq!(sold, 300, "200 buyers could take 400: the stock, exactly");
    let view = app.wait_until_persisted("limited").await;
    assert_eq!(view["confirmed"], sold);
    assert_eq!(view["stock_left"], 300 - sold as i64);
    assert_eq!(view["rejected"], 0);
}
