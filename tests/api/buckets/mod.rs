//! One sale's stock split over buckets (`"buckets"` on create): never oversold, the per-user
//! limit and idempotency exact across buckets, no false `sold_out` however skewed the buyers,
//! and the views, restock, preload and reconcile adding the buckets up.
mod dead_letters;
mod operated;
mod repair;
mod selling;

use crate::helpers::TestApp;
use flashsale::domain::{Buckets, UserId};
use futures::future::join_all;
use serde_json::{Value, json};

pub const BUCKETS: i64 = 8;

/// Buyer ids whose home bucket is one of `homes`, `count` of them, named after `tag`.
pub fn buyers_homed_in(tag: &str, homes: &[u16], count: usize) -> Vec<String> {
    let buckets = Buckets::parse(BUCKETS).unwrap();
    (0..)
        .map(|n| format!("{tag}-{n}"))
        .filter(|id| homes.contains(&buckets.home(&UserId::parse(id.clone()).unwrap())))
        .take(count)
        .collect()
}

/// Every body as an order attempt at once; each answer's status and body.
pub async fn burst(app: &TestApp, sale: &str, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    join_all(bodies.into_iter().map(|body| async move {
        let response = app.order(sale, body).await;
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    }))
    .await
}

pub async fn create_split_sale(app: &TestApp, sale: &str, stock: i64, extra: Value) {
    let mut fields = json!({ "buckets": BUCKETS });
    if let (Some(fields), Some(extra)) = (fields.as_object_mut(), extra.as_object()) {
        fields.extend(extra.clone());
    }
    let created = app.create_sale(sale, stock, fields).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["buckets"], BUCKETS);
    assert_eq!(created["stock_left"], stock);
}

/// The codes of the refused answers, and how many were accepted.
pub fn tally(answers: &[(u16, Value)]) -> (usize, Vec<String>) {
    let accepted = answers.iter().filter(|(status, _)| *status == 202).count();
    let refused = answers
        .iter()
        .filter(|(status, _)| *status != 202)
        .map(|(status, body)| format!("{status} {}", body["code"]))
        .collect();
    (accepted, refused)
}
