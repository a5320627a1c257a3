//! `lua/reserve.lua` with many attempts in one call (the group commit's batches): each attempt
//! gets exactly the answer it would get alone, and a batch leaves the sale as the same attempts
//! sent one by one would.
use super::Sale;
use super::reserve::{answers, script};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use redis::AsyncCommands;
use std::collections::BTreeMap;

/// One attempt: user, quantity, order id, idempotency key ('' for none).
type Attempt = (String, String, String, String);

fn attempt(user: &str, quantity: u8, key: &str) -> Attempt {
    let order_id = uuid::Uuid::now_v7().to_string();
    (user.into(), quantity.to_string(), order_id, key.into())
}

/// Sends `attempts` in one script call; the replies, one per attempt.
async fn batch(sale: &Sale, attempts: &[Attempt]) -> Vec<Vec<String>> {
    let reserve = script();
    let mut call = reserve.key(sale.keys.all().as_slice());
    for (user, quantity, order_id, key) in attempts {
        call.arg(user).arg(quantity).arg(order_id).arg(key);
    }
    let reply: Vec<String> = call.invoke_async(&mut sale.redis.clone()).await.unwrap();
    let order_ids: Vec<&str> = attempts.iter().map(|(_, _, id, _)| id.as_str()).collect();
    answers(&reply, &order_ids)
}

/// Replies without their creation times, which differ from one call to the next.
fn outcomes(replies: &[Vec<String>]) -> Vec<Vec<String>> {
    replies
        .iter()
        .map(|reply| reply[..reply.len().min(2)].to_vec())
        .collect()
}

/// What a sale holds, creation times left out: its counters, buyers, idempotency records,
/// pending records and the orders in the stream.
async fn state(sale: &Sale) -> Vec<BTreeMap<String, String>> {
    let without_time = |record: &str, time_at: usize| {
        let mut parts: Vec<&str> = record.split('\t').collect();
        parts.remove(time_at);
        parts.join("\t")
    };
    let counters = sale.hgetall(&sale.keys.sale).await;
    let records = sale.hgetall(&sale.keys.idempotency).await;
    let pending = sale.hgetall(&sale.keys.pending).await;
    // The orders in the stream, in order, whichever entries carry them: a batch writes one
    // entry for all its orders, attempts alone one each.
    let reply: redis::streams::StreamRangeReply = sale
        .redis
        .clone()
        .xrange_all(&sale.keys.orders)
        .await
        .unwrap();
    let lines: Vec<String> = reply
        .ids
        .iter()
        .flat_map(|entry| {
            let lines: String = redis::from_redis_value_ref(&entry.map["orders"]).unwrap();
            lines.split('\n').map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    let stream = lines
        .into_iter()
        .enumerate()
        .map(|(n, line)| (n.to_string(), line))
        .collect();
    vec![
        counters,
        sale.hgetall(&sale.keys.buyers).await,
        records
            .iter()
            .map(|(k, v)| (k.clone(), without_time(v, 3)))
            .collect(),
        pending
            .iter()
            .map(|(k, v)| (k.clone(), without_time(v, 2)))
            .collect(),
        stream,
    ]
}

/// Two sales set up alike: one gets `attempts` in batches (a new one after each attempt whose
/// `cut_after` is true; one batch if it is empty), the other one by one.
async fn batched_and_alone(
    setup: &[(&str, &str)],
    attempts: &[Attempt],
    cut_after: &[bool],
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let (batched, alone) = (Sale::new().await, Sale::new().await);
    for sale in [&batched, &alone] {
        sale.put_sale(setup).await;
        sale.put(&sale.keys.buyers, &[("bob", "4")]).await;
        let carols = "0190e0a0-0000-7000-8000-000000000001\tcarol\t1\t1700000000000";
        sale.put(&sale.keys.idempotency, &[("carol\tk-c", carols)])
            .await;
    }
    let mut batch_replies = Vec::new();
    let mut start = 0;
    for end in 1..=attempts.len() {
        if end == attempts.len() || cut_after.get(end - 1) == Some(&true) {
            batch_replies.extend(batch(&batched, &attempts[start..end]).await);
            start = end;
        }
    }
    let mut alone_replies = Vec::new();
    for one in attempts {
        alone_replies.extend(batch(&alone, std::slice::from_ref(one)).await);
    }
    assert_eq!(outcomes(&batch_replies), outcomes(&alone_replies));
    assert_eq!(state(&batched).await, state(&alone).await);
    batched.clean_up().await;
    alone.clean_up().await;
    (batch_replies, alone_replies)
}

#[tokio::test]
async fn one_batch_mixing_every_answer_gives_each_attempt_its_single_attempt_answer() {
    let attempts = [
        attempt("alice", 2, ""),
        attempt("alice", 3, ""),
        attempt("alice", 1, ""),
        attempt("bob", 2, ""),
        attempt("carol", 1, "k-c"),
        attempt("dave", 2, "k-d"),
        attempt("dave", 2, "k-d"),
        attempt("dave", 3, "k-d"),
        attempt("erin", 4, ""),
        attempt("erin", 3, ""),
        attempt("frank", 1, ""),
    ];

    let (replies, _) = batched_and_alone(&[], &attempts, &[]).await;

    let accepted = |n: usize| vec!["accepted".to_string(), attempts[n].2.clone()];
    let refused = |reason: &str| vec![reason.to_string()];
    let carols = "0190e0a0-0000-7000-8000-000000000001";
    let expected = vec![
        accepted(0),
        accepted(1),
        refused("purchase_limit_exceeded"),
        refused("purchase_limit_exceeded"),
        vec!["replayed".into(), carols.into()],
        accepted(5),
        vec!["replayed".into(), attempts[5].2.clone()],
        refused("idempotency_key_reused"),
        refused("insufficient_stock"),
        accepted(9),
        refused("sold_out"),
    ];
    assert_eq!(outcomes(&replies), expected);
}

#[tokio::test]
async fn a_batch_on_a_closed_sale_refuses_all_but_its_replays() {
    let attempts = [attempt("alice", 1, ""), attempt("carol", 1, "k-c")];
    for (setup, reason) in [
        (vec![("paused", "1")], "sale_paused"),
        (vec![("ends_at", "2000")], "sale_ended"),
        (vec![("starts_at", "99999999999999")], "sale_not_started"),
    ] {
        let (replies, _) = batched_and_alone(&setup, &attempts, &[]).await;
        assert_eq!(outcomes(&replies)[0], [reason]);
        assert_eq!(outcomes(&replies)[1][0], "replayed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_attempts_reach_the_same_state_in_batches_as_one_by_one() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(16);
    let one = (
        0..5u8,
        1..4u8,
        prop_oneof![Just(""), Just("k1"), Just("k-c")],
    );
    let cuts = proptest::collection::vec(proptest::bool::weighted(0.2), 24);
    let plan = (0..14u8, proptest::collection::vec(one, 1..24), cuts);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&plan, |(stock, raw, cuts)| {
            let users = ["alice", "bob", "carol", "dave", "erin"];
            let attempts: Vec<Attempt> = raw
                .iter()
                .map(|(u, q, k)| attempt(users[*u as usize], *q, k))
                .collect();
            let stock = stock.to_string();
            let setup = [("stock_left", stock.as_str()), ("per_user_limit", "5")];
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(batched_and_alone(&setup, &attempts, &cuts))
            });
            Ok(())
        })
        .unwrap();
}
