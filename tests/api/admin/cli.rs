//! `flashsale sales …`: the operator's command line drives a sale through the admin API.
use crate::helpers::{ADMIN_TOKEN, TestApp, spawn_app};
use serde_json::Value;
use std::process::{Command, Output};

/// Runs the binary off the test's runtime thread, which drives the app's Redis connections.
async fn flashsale(app: &TestApp, token: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flashsale"));
    command
        .args(args)
        .env("FLASHSALE_ADMIN_URL", &app.admin_address)
        .env("FLASHSALE_ADMIN_TOKEN", token);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

async fn json_of(app: &TestApp, args: &[&str]) -> Value {
    let output = flashsale(app, ADMIN_TOKEN, &[args, &["--json"]].concat()).await;
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn an_operator_creates_restocks_pauses_resumes_and_ends_a_sale_from_the_shell() {
    let app = spawn_app().await;
    let args = [
        "sales",
        "create",
        "--id",
        "shell",
        "--stock",
        "5",
        "--name",
        "From a shell",
    ];
    let created = json_of(&app, &args).await;
    assert_eq!(created["stock_total"], 5, "{created}");
    let restocked = json_of(&app, &["sales", "restock", "shell", "--quantity", "3"]).await;
    assert_eq!(restocked["stock_left"], 8, "{restocked}");
    assert_eq!(
        json_of(&app, &["sales", "pause", "shell"]).await["state"],
        "paused"
    );
    assert_eq!(
        json_of(&app, &["sales", "resume", "shell"]).await["state"],
        "active"
    );
    assert_eq!(
        app.order("shell", serde_json::json!({ "user_id": "u1" }))
            .await
            .status(),
        202
    );
    // Compared once the order is in Postgres: a view taken while it is pending differs.
    let persisted = app.wait_until_persisted("shell").await;
    let shown = json_of(&app, &["sales", "show", "shell"]).await;
    assert_eq!(shown, persisted);
    assert_eq!(
        json_of(&app, &["sales", "end", "shell"]).await["state"],
        "ended"
    );

    let table = flashsale(&app, ADMIN_TOKEN, &["sales", "list"]).await;
    assert!(table.status.success(), "{table:?}");
    let table = String::from_utf8(table.stdout).unwrap();
    let line = table
        .lines()
        .find(|line| line.contains("shell"))
        .unwrap_or_default();
    for cell in ["From a shell", "ended", " 8 "] {
        assert!(line.contains(cell), "{cell:?} not in {line:?} of\n{table}");
    }
}

#[tokio::test]
async fn a_refused_call_exits_non_zero_with_the_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let wrong_token = flashsale(
        &app,
        "not-the-admin-token",
        &["sales", "create", "--id", "nope", "--stock", "5"],
    )
    .await;
    assert!(!wrong_token.status.success());
    let stderr = String::from_utf8_lossy(&wrong_token.stderr);
    assert!(stderr.contains("401 Unauthorized unauthorized"), "{stderr}");
    let missing = flashsale(&app, ADMIN_TOKEN, &["sales", "show", "nope"]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("sale_not_found"));
}

#[tokio::test]
async fn probe_exits_zero_only_for_an_answering_ready_service() {
    let app = spawn_app().await;
    let ready = flashsale(
        &app,
        ADMIN_TOKEN,
        &["probe", &format!("{}/readyz", app.address)],
    )
    .await;
    assert!(ready.status.success(), "{ready:?}");
    let missing = flashsale(
        &app,
        ADMIN_TOKEN,
        &["probe", &format!("{}/nowhere", app.address)],
    )
    .await;
    assert!(!missing.status.success());
    let closed = flashsale(&app, ADMIN_TOKEN, &["probe", "http://127.0.0.1:1/readyz"]).await;
    assert!(!closed.status.success());
}
