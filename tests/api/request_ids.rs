//! Request ids and logs a platform can ingest: `X-Request-Id` kept when sent and plausible,
//! generated otherwise, echoed, named as `instance` in problem documents, and carried by the
//! JSON access event of the request.
use crate::helpers::{ServerProcess, spawn_app, test_settings};
use serde_json::{Value, json};

#[tokio::test]
async fn a_sent_id_is_echoed_and_named_in_problems_and_a_bad_one_replaced() {
    let app = spawn_app().await;
    app.create_sale("traced", 1, json!({})).await;
    app.order("traced", json!({ "user_id": "first" })).await;

    let sold_out = app
        .http
        .post(format!("{}/api/sales/traced/orders", app.address))
        .header("X-Request-Id", "gw-42:a.b_c")
        .json(&json!({ "user_id": "second" }))
        .send()
        .await
        .unwrap();
    assert_eq!(sold_out.headers()["x-request-id"], "gw-42:a.b_c");
    let problem: Value = sold_out.json().await.unwrap();
    assert_eq!(
        (&problem["code"], &problem["instance"]),
        (&json!("sold_out"), &json!("gw-42:a.b_c"))
    );

    let invalid = app
        .http
        .post(format!("{}/api/sales/traced/orders", app.address))
        .header("X-Request-Id", "no spaces <please>")
        .json(&json!({ "user_id": "" }))
        .send()
        .await
        .unwrap();
    let generated = invalid.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
    let problem: Value = invalid.json().await.unwrap();
    assert_eq!(
        (&problem["code"], &problem["instance"]),
        (&json!("invalid_request"), &json!(generated))
    );

    let plain = app.get("/api/sales/traced").await;
    assert!(plain.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn json_logs_carry_one_access_event_per_request_with_its_id() {
    let (settings, _database) = test_settings().await;
    let db = sqlx::PgPool::connect(&settings.database_url).await.unwrap();
    flashsale::postgres::MIGRATOR.run(&db).await.unwrap();
    let log = std::env::temp_dir().join(format!("flashsale-{}.log", uuid::Uuid::new_v4()));
    let env = [
        ("FLASHSALE_LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let server = ServerProcess::start_with(&settings, &env, Some(&log)).await;
    let http = reqwest::Client::new();
    let missing = http
        .get(format!("{}/api/sales/nowhere", server.address))
        .header("X-Request-Id", "find-me-1")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    drop(server);

    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let access: Vec<&Value> = lines
        .iter()
        .filter(|line| line["target"] == "flashsale::access")
        .filter(|line| line["span"]["request_id"] == "find-me-1")
        .collect();
    assert_eq!(access.len(), 1, "{text}");
    let fields = &access[0]["fields"];
    assert_eq!(
        (&fields["method"], &fields["route"], &fields["status"]),
        (&json!("GET"), &json!("/api/sales/{sale_id}"), &json!(404))
    );
    assert!(fields["latency_ms"].as_f64().is_some(), "{fields}");
}

#[test]
fn an_unknown_log_format_stops_the_binary_with_a_clear_message() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flashsale"))
        .arg("migrate")
        .env("FLASHSALE_LOG_FORMAT", "yaml")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("FLASHSALE_LOG_FORMAT must be text or json"),
        "{stderr}"
    );
}
