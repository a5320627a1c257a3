//! The sold-out memory: how long it holds, and its single-flight re-check.
use super::*;
use std::sync::Barrier;

fn sale() -> SaleId {
    SaleId::parse("s").unwrap()
}

#[test]
fn remembers_a_sold_out_sale_until_the_recheck_is_due() {
    let cache = SoldOutCache::new(Duration::from_millis(50));
    assert!(!cache.is_sold_out(&sale()));
    cache.mark_sold_out(&sale());
    assert!(cache.is_sold_out(&sale()));
    std::thread::sleep(Duration::from_millis(60));
    assert!(!cache.is_sold_out(&sale()));
}

#[test]
fn forgetting_a_sale_sends_the_next_attempt_to_redis() {
    let cache = SoldOutCache::new(Duration::from_secs(60));
    cache.mark_sold_out(&sale());
    cache.forget(&sale());
    assert!(!cache.is_sold_out(&sale()));
    assert!(matches!(cache.claim(&sale()), Claim::NotRemembered));
}

#[test]
fn of_many_attempts_after_the_recheck_is_due_exactly_one_goes_to_redis() {
    let cache = SoldOutCache::new(Duration::ZERO);
    cache.mark_sold_out(&sale());
    let callers = 64;
    let (start, done) = (Barrier::new(callers), Barrier::new(callers));
    let rechecks: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..callers)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    // Each caller asks 100 times and holds any claim it gets until every
                    // caller is done: only one may ever get one.
                    let mut held = Vec::new();
                    for _ in 0..100 {
                        match cache.claim(&sale()) {
                            Claim::Recheck(recheck) => held.push(recheck),
                            Claim::SoldOut => assert!(cache.is_sold_out(&sale())),
                            Claim::NotRemembered => panic!("the sale was forgotten"),
                        }
                    }
                    done.wait();
                    held.len()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    assert_eq!(rechecks, 1);
}

#[test]
fn the_recheck_answer_remembers_or_forgets_and_a_lost_recheck_frees_the_claim() {
    let cache = SoldOutCache::new(Duration::ZERO);
    cache.mark_sold_out(&sale());
    let Claim::Recheck(recheck) = cache.claim(&sale()) else {
        panic!("the first attempt after the delay re-checks");
    };
    assert!(
        cache.is_sold_out(&sale()),
        "others answer from memory meanwhile"
    );
    drop(recheck);
    assert!(
        !cache.is_sold_out(&sale()),
        "a failed re-check leaves it due"
    );

    let Claim::Recheck(recheck) = cache.claim(&sale()) else {
        panic!("the next attempt re-checks");
    };
    recheck.settle(true);
    let Claim::Recheck(recheck) = cache.claim(&sale()) else {
        panic!("still sold out: remembered again (for zero time here)");
    };
    recheck.settle(false);
    assert!(matches!(cache.claim(&sale()), Claim::NotRemembered));
}
