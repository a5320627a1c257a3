//! The plan's targets and limits, without a server.
use super::*;

fn plan(limit: Limit) -> LoadPlan {
    LoadPlan {
        urls: vec!["http://127.0.0.1:9/a".into()],
        limit,
        concurrency: 1,
        user_prefix: "b".into(),
    }
}

#[test]
fn a_plan_spreads_over_paths_of_one_host_only() {
    let urls = [
        "http://127.0.0.1:9/s/1/orders",
        "http://127.0.0.1:9/s/2/orders",
    ];
    let target = Target::parse(&urls.map(String::from)).unwrap();
    assert_eq!(target.paths, ["/s/1/orders", "/s/2/orders"]);
    assert_eq!(target.address, "127.0.0.1:9");
    let mixed = ["http://127.0.0.1:9/a", "http://127.0.0.1:10/b"].map(String::from);
    assert!(Target::parse(&mixed).is_err());
    assert!(Target::parse(&[]).is_err());
}

#[test]
fn requests_within_a_duration_stop_at_whichever_comes_first() {
    let started = Instant::now();
    let next = AtomicU64::new(0);
    let few = plan(Limit::RequestsWithin(3, Duration::from_secs(60)));
    let claimed: Vec<_> = std::iter::from_fn(|| claim(&few, &next, started)).collect();
    assert_eq!(claimed, [0, 1, 2]);
    let late = started.checked_sub(Duration::from_secs(2)).unwrap();
    let brief = plan(Limit::RequestsWithin(1_000, Duration::from_secs(1)));
    assert_eq!(claim(&brief, &AtomicU64::new(0), late), None);
}
