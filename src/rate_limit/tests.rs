//! The limits' decisions, and their memory staying bounded under a flood of distinct clients.
use super::*;

#[test]
fn a_buyer_gets_a_burst_of_twice_the_rate_then_waits() {
    let limits = RateLimits::new(2, 0, 1_000);
    let buyer = UserId::parse("bot".into()).unwrap();
    for _ in 0..4 {
        assert!(limits.check(&buyer, None).is_ok());
    }
    let wait = limits.check(&buyer, None).unwrap_err();
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_millis(500),
        "{wait:?}"
    );
    let other = UserId::parse("human".into()).unwrap();
    assert!(limits.check(&other, None).is_ok());
}

#[test]
fn the_ip_limit_counts_every_buyer_behind_the_address() {
    let limits = RateLimits::new(0, 1, 1_000);
    let ip = Some(IpAddr::from([10, 0, 0, 1]));
    assert!(
        limits
            .check(&UserId::parse("a".into()).unwrap(), ip)
            .is_ok()
    );
    assert!(
        limits
            .check(&UserId::parse("b".into()).unwrap(), ip)
            .is_ok()
    );
    assert!(
        limits
            .check(&UserId::parse("c".into()).unwrap(), ip)
            .is_err()
    );
}

#[test]
fn zero_turns_the_limits_off() {
    let limits = RateLimits::new(0, 0, 1_000);
    let buyer = UserId::parse("bot".into()).unwrap();
    for _ in 0..1000 {
        assert!(
            limits
                .check(&buyer, Some(IpAddr::from([10, 0, 0, 1])))
                .is_ok()
        );
    }
}

#[test]
fn a_flood_of_distinct_buyers_never_holds_much_more_than_the_cap() {
    let cap = 1_000;
    let limits = RateLimits::new(5, 5, cap);
    for n in 0..20_000 {
        let buyer = UserId::parse(format!("stranger-{n}")).unwrap();
        let ip = IpAddr::from([10, 0, (n / 256 % 256) as u8, (n % 256) as u8]);
        // A stranger's first attempt is never refused: its IP's burst covers it too.
        assert!(limits.check(&buyer, Some(ip)).is_ok());
        let (buyers, ips) = limits.clients();
        assert!(buyers <= cap + SIZE_CHECK_EVERY, "{buyers} buyers held");
        assert!(ips <= cap + SIZE_CHECK_EVERY, "{ips} IPs held");
    }
}

#[test]
fn an_active_buyer_stays_limited_while_the_cap_sweeps_quiet_ones() {
    // At 10,000/s a stranger seen once is back at a full burst after 0.2 ms, while a bot that
    // spent its burst of 20,000 needs 2 s: the sweeps forced by the cap drop the strangers only.
    let limits = RateLimits::new(10_000, 0, 100);
    let bot = UserId::parse("bot".into()).unwrap();
    let spend_burst = || {
        (0..)
            .take_while(|_| limits.check(&bot, None).is_ok())
            .count()
    };
    assert!(spend_burst() >= 20_000);
    for n in 0..2_000 {
        let stranger = UserId::parse(format!("stranger-{n}")).unwrap();
        assert!(limits.check(&stranger, None).is_ok());
        if n % 20 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert!(limits.clients().0 <= 100 + SIZE_CHECK_EVERY);
    // Remembered, the bot has only regained what the strangers' time gave back (well under 1 s).
    let regained = spend_burst();
    assert!(regained < 10_000, "the sweeps forgot the bot: {regained}");
}
