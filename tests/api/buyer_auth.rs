//! With FLASHSALE_JWT_SECRET set, buyers are who their token says, and nobody else.
use crate::helpers::{TestApp, assert_problem, spawn_app_with};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

const SECRET: &str = "buyers-signing-secret-0123456789";

fn token(sub: &str, expires_in: i64, secret: &str, algorithm: Algorithm) -> String {
    let exp = chrono::Utc::now().timestamp() + expires_in;
    encode(
        &Header::new(algorithm),
        &json!({ "sub": sub, "exp": exp }),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn order(app: &TestApp, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app
        .http
        .post(format!("{}/api/sales/guarded/orders", app.address))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn spawn() -> TestApp {
    let app = spawn_app_with(|s| s.jwt_secret = Some(SECRET.into())).await;
    app.create_sale("guarded", 10, json!({ "per_user_limit": 5 }))
        .await;
    app
}

#[tokio::test]
async fn a_valid_token_names_the_buyer() {
    let app = spawn().await;
    let alice = token("alice", 60, SECRET, Algorithm::HS256);

    let without_body_user = order(&app, Some(&alice), json!({})).await;
    let with_same_user = order(&app, Some(&alice), json!({ "user_id": "alice" })).await;

    assert_eq!(without_body_user.status(), 202);
    assert_eq!(
        without_body_user.json::<Value>().await.unwrap()["user_id"],
        "alice"
    );
    assert_eq!(with_same_user.status(), 202);
    assert_eq!(app.stock_left("guarded").await, 8);
}

#[tokio::test]
async fn a_body_user_that_disagrees_with_the_token_is_forbidden_and_takes_nothing() {
    let app = spawn().await;
    let alice = token("alice", 60, SECRET, Algorithm::HS256);

    let response = order(&app, Some(&alice), json!({ "user_id": "bob" })).await;

    assert_problem(response, 403, "forbidden").await;
    assert_eq!(app.stock_left("guarded").await, 10);
}

#[tokio::test]
async fn missing_expired_forged_or_foreign_algorithm_tokens_are_unauthorized() {
    let app = spawn().await;
    let cases = [
        None,
        Some(token("alice", -120, SECRET, Algorithm::HS256)),
        Some(token(
            "alice",
            60,
            "another-secret-entirely-0123456",
            Algorithm::HS256,
        )),
        Some(token("alice", 60, SECRET, Algorithm::HS512)),
        Some("not.a.jwt".to_owned()),
    ];
    for token in &cases {
        let response = order(&app, token.as_deref(), json!({ "user_id": "alice" })).await;
        assert_problem(response, 401, "unauthorized").await;
    }
    assert_eq!(app.stock_left("guarded").await, 10);
}
