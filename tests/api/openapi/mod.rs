//! The API document: generated from the code, served at `/openapi.json`, and held to the app it
//! describes: every route the app serves is documented and every documented one is served
//! (`routes`), and every example in it matches a real answer, which also follows its
//! documented schema (`examples`).
mod checker;
mod examples;
mod routes;
mod routing_table;

use crate::helpers::{ADMIN_TOKEN, TestApp, spawn_app};
use reqwest::Method;
use serde_json::Value;

pub async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    document
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary_at_docs() {
    let app = spawn_app().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let docs = no_redirects.get(format!("{}/docs", app.address));
    let docs = docs.send().await.unwrap();
    assert_eq!(docs.status(), 308);
    assert_eq!(docs.headers()["location"], "/docs/");

    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let initializer = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(initializer.status(), 200);
    assert!(initializer.text().await.unwrap().contains("/openapi.json"));
}

/// A real answer, as the checks compare it with the document.
pub struct Answer {
    pub status: u16,
    /// The media type, without parameters.
    pub content_type: String,
    /// The JSON body, or a text body as a JSON string.
    pub body: Value,
}

/// Sends a request, with the admin token if `admin`, and a JSON body if any.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    admin: bool,
) -> Answer {
    let mut request = app.http.request(method, format!("{}{path}", app.address));
    if admin {
        request = request.bearer_auth(ADMIN_TOKEN);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_owned();
    // An event stream never ends: its headers are the answer.
    let body = match content_type.as_str() {
        "text/event-stream" => Value::Null,
        _ => {
            let text = response.text().await.unwrap();
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
    };
    Answer {
        status,
        content_type,
        body,
    }
}
