//! What the file-lock engine adds to the classic rules: the lock is the file, shared by the
//! instances that use the same directory, and a buyer who hangs up does not keep it.
use super::{answered, assert_one_order_each, spawn};
use crate::helpers::TestApp;
use flashsale::configuration::EngineKind;
use flashsale::startup::Application;
use futures::future::join_all;
use serde_json::json;
use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

fn lock_file(app: &TestApp, sale: &str) -> PathBuf {
    app.settings
        .file_lock_dir
        .clone()
        .unwrap()
        .join(format!("{sale}.lock"))
}

/// Sends each attempt to one instance or the other in turn; returns the statuses.
async fn alternate(addresses: [&str; 2], sale: &str, buyers: &[String]) -> Vec<u16> {
    let client = reqwest::Client::new();
    let attempts = buyers.iter().enumerate().map(|(n, buyer)| {
        client
            .post(format!("{}/api/sales/{sale}/orders", addresses[n % 2]))
            .json(&json!({ "user_id": buyer }))
            .send()
    });
    join_all(attempts)
        .await
        .into_iter()
        .map(|response| response.unwrap().status().as_u16())
        .collect()
}

#[tokio::test]
async fn instances_sharing_the_lock_directory_hold_the_stock_and_the_limit() {
    let app = spawn(EngineKind::FileLock).await;
    let other = Application::build(app.settings.clone()).await.unwrap();
    let other_address = format!("http://127.0.0.1:{}", other.port());
    let other_server = other.handle();
    let other_running = tokio::spawn(other.run_until_stopped());
    let both = [app.address.as_str(), other_address.as_str()];
    app.create_sale("hot", 40, json!({})).await;
    app.create_sale("limited", 1000, json!({ "per_user_limit": 1 }))
        .await;

    let buyers: Vec<_> = (0..300).map(|n| format!("b{n}")).collect();
    let statuses = alternate(both, "hot", &buyers).await;
    // Each buyer tries both instances at once: with a lock directory each, some got both.
    let twice: Vec<_> = (0..200)
        .flat_map(|n| [format!("p{n}"), format!("p{n}")])
        .collect();
    let limited = alternate(both, "limited", &twice).await;

    assert_eq!(answered(&statuses, 202), 40, "{statuses:?}");
    assert_eq!(answered(&statuses, 409), 260);
    assert_one_order_each(&app, "hot", 40).await;
    assert_eq!(answered(&limited, 202), 200, "{limited:?}");
    assert_one_order_each(&app, "limited", 200).await;
    other_server.stop(true).await;
    other_running.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_attempt_waits_for_the_file_and_a_buyer_hanging_up_does_not_keep_it() {
    let app = spawn(EngineKind::FileLock).await;
    app.create_sale("held", 10, json!({})).await;
    assert_eq!(
        app.order("held", json!({ "user_id": "a" })).await.status(),
        202
    );
    assert_eq!(
        app.order("ghost", json!({ "user_id": "a" })).await.status(),
        404
    );
    assert!(
        !lock_file(&app, "ghost").exists(),
        "an unknown sale leaves no file"
    );

    let held = File::open(lock_file(&app, "held")).unwrap();
    held.lock().unwrap();
    let hung_up = app
        .http
        .post(format!("{}/api/sales/held/orders", app.address))
        .json(&json!({ "user_id": "b" }))
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(hung_up.unwrap_err().is_timeout(), "waits for the lock");
    assert_eq!(app.orders_in_postgres("held").await.len(), 1);
    drop(held);

    assert_eq!(
        app.order("held", json!({ "user_id": "c" })).await.status(),
        202
    );
    let mut orders = app.orders_in_postgres("held").await;
    for _ in 0..50 {
        if orders.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        orders = app.orders_in_postgres("held").await;
    }
    let buyers: Vec<_> = orders.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(buyers, ["a", "b", "c"], "the hung-up buyer's order stands");
}
