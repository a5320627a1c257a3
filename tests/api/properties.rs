//! Property tests against the real services: random request bodies never get a 5xx, and
//! random sequences of buy / restock / preload / reconcile / Redis losing the sale keep every
//! invariant and match a model of the sale.
use crate::helpers::{TestApp, spawn_app};
use flashsale::domain::SaleId;
use flashsale::reconcile;
use flashsale::redis::RedisStore;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use redis::AsyncCommands;
use serde_json::{Value, json};
use std::collections::HashMap;

const LIMIT: i64 = 3;

/// Cases per property: a few in `make test`; `PROPTEST_CASES` (e.g. in `make chaos`) for more.
fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(6);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Runs async test code from proptest's synchronous closure.
fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_order_bodies_are_answered_without_a_server_error() {
    let app = spawn_app().await;
    app.create_sale("fuzzed", 1_000, json!({ "per_user_limit": 1000 }))
        .await;
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "\\PC{0,80}".prop_map(|user| json!({ "user_id": user }).to_string().into_bytes()),
        (any::<i64>(), "[ -~]{0,70}").prop_map(|(quantity, user)| {
            json!({ "user_id": user, "quantity": quantity })
                .to_string()
                .into_bytes()
        }),
    ];
    runner()
        .run(&body, |body| {
            let status = block_on(async {
                app.http
                    .post(format!("{}/api/sales/fuzzed/orders", app.address))
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap()
                    .status()
            });
            prop_assert!(
                !status.is_server_error(),
                "{status} for {:?}",
                String::from_utf8_lossy(&body)
            );
            Ok(())
        })
        .unwrap();
}

#[derive(Debug, Clone)]
enum Step {
    Buy { user: u8, quantity: i64 },
    Restock(i64),
    Preload,
    Reconcile,
    RedisLosesTheSale,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u8..5, 1i64..=4).prop_map(|(user, quantity)| Step::Buy { user, quantity }),
        1 => (1i64..10).prop_map(Step::Restock),
        1 => Just(Step::Preload),
        1 => Just(Step::Reconcile),
        1 => Just(Step::RedisLosesTheSale),
    ]
}

/// What the sale should look like.
struct Model {
    total: i64,
    left: i64,
    bought: HashMap<u8, i64>,
    loaded: bool,
    /// The instance answered `sold_out`: for the recheck delay it may answer so from memory,
    /// whatever Redis now holds (until an admin change through it clears that memory).
    sold_out_remembered: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operations_keep_every_invariant() {
    let app = spawn_app().await;
    let store = RedisStore::connect(&app.settings.redis_target(), &app.settings.redis_prefix)
        .await
        .unwrap();
    let case = std::sync::atomic::AtomicUsize::new(0);
    let steps = (0i64..15, proptest::collection::vec(step(), 1..20));
    runner()
        .run(&steps, |(stock, steps)| {
            let sale = format!(
                "p{}",
                case.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
            block_on(run_case(&app, &store, &sale, stock, &steps)).map_err(TestCaseError::fail)
        })
        .unwrap();
}

async fn run_case(
    app: &TestApp,
    store: &RedisStore,
    sale: &str,
    stock: i64,
    steps: &[Step],
) -> Result<(), String> {
    app.create_sale(sale, stock, json!({ "per_user_limit": LIMIT }))
        .await;
    let mut model = Model {
        total: stock,
        left: stock,
        bought: HashMap::new(),
        loaded: true,
        sold_out_remembered: false,
    };
    for step in steps {
        apply(app, sale, step, &mut model).await?;
        if model.loaded {
            let view: Value = app
                .get(&format!("/api/sales/{sale}"))
                .await
                .json()
                .await
                .unwrap();
            if view["stock_left"] != model.left || view["stock_total"] != model.total {
                return Err(format!(
                    "after {step:?}: {view} but the model has {} of {}",
                    model.left, model.total
                ));
            }
            let id = SaleId::parse(sale).unwrap();
            let audit = reconcile::audit(store, &app.db, &id)
                .await
                .unwrap()
                .unwrap();
            if !audit.problems.is_empty() {
                return Err(format!("after {step:?}: {:?}", audit.problems));
            }
        }
    }
    Ok(())
}

async fn apply(app: &TestApp, sale: &str, step: &Step, model: &mut Model) -> Result<(), String> {
    match step {
        Step::Buy { user, quantity } => {
            let response = app
                .order(
                    sale,
                    json!({ "user_id": format!("u{user}"), "quantity": quantity }),
                )
                .await;
            let status = response.status().as_u16();
            let code = response
                .json::<Value>()
                .await
                .map(|b| b["code"].clone())
                .unwrap_or_default();
            let bought = model.bought.get(user).copied().unwrap_or(0);
            let expected = if !model.loaded {
                404
            } else if model.left == 0 || bought + quantity > LIMIT || model.left < *quantity {
                409
            } else {
                202
            };
            let from_memory = model.sold_out_remembered && status == 409 && code == "sold_out";
            if status != expected && !from_memory {
                return Err(format!(
                    "{step:?} answered {status}, the model says {expected}"
                ));
            }
            model.sold_out_remembered |= code == "sold_out";
            if status == 202 {
                model.left -= quantity;
                *model.bought.entry(*user).or_default() += quantity;
            }
        }
        Step::Restock(quantity) => {
            let response = app
                .admin_post(
                    &format!("/admin/sales/{sale}/restock"),
                    &json!({ "quantity": quantity }),
                )
                .await;
            if response.status() != 200 {
                return Err(format!("{step:?} answered {}", response.status()));
            }
            model.total += quantity;
            model.sold_out_remembered = false;
            if model.loaded {
                model.left += quantity;
            }
        }
        Step::Preload | Step::Reconcile => {
            let path = if matches!(step, Step::Preload) {
                "preload"
            } else {
                "reconcile"
            };
            let response = app
                .admin_post(&format!("/admin/sales/{sale}/{path}"), &json!({}))
                .await;
            if response.status() != 200 {
                return Err(format!("{step:?} answered {}", response.status()));
            }
            model.sold_out_remembered = false;
            if !model.loaded {
                let taken: i64 = model.bought.values().sum();
                model.left = (model.total - taken).max(0);
                model.loaded = true;
            }
        }
        Step::RedisLosesTheSale => {
            // Only once everything is in Postgres: losing orders not yet persisted is the one
            // loss Redis's persistence settings decide (see README).
            app.wait_until_persisted(sale).await;
            let keys = app.sale_keys(sale);
            let _: () = app.redis.clone().del(&keys.all()).await.unwrap();
            model.loaded = false;
        }
    }
    Ok(())
}
