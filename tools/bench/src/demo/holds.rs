//! `flashsale-bench demo --payment-window-s N`: a sale of holds, through their whole lifecycle.
//!
//! A first wave of buyers takes the stock. Then a share of the winners pay (through the admin
//! pay endpoint, as a payment service would), a share cancel, and the rest let their hold
//! lapse. Once every hold has ended and its units are back, a second wave buys the units that
//! came back and pays for them. The demo fails unless the admin view agrees exactly with what
//! the buyers and the payment service were answered.
use super::hold_calls::{HoldSale, Round, View, cancel, pay, wait_for_holds, wave};
use anyhow::{bail, ensure};
use clap::Args;
use std::fmt::Display;
use std::time::{Duration, Instant};

/// How long past the payment window the demo waits for the sweeper to end the last holds.
const SWEEP_SLACK: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Args)]
pub struct HoldArgs {
    /// Sell holds: a winner has this many seconds (10..=86400) to pay, or the unit goes back on
    /// sale. The demo then waits for the window to pass.
    #[arg(long, value_parser = clap::value_parser!(u32).range(10..=86_400))]
    pub payment_window_s: Option<u32>,
    /// With --payment-window-s: the share of the first wave's winners who pay.
    #[arg(long, default_value_t = 0.6)]
    pub pay_share: f64,
    /// With --payment-window-s: the share who cancel; the rest let their hold lapse.
    #[arg(long, default_value_t = 0.2)]
    pub cancel_share: f64,
    /// With --payment-window-s: buyers of the second wave (default: --stock).
    #[arg(long)]
    pub resale_buyers: Option<u64>,
}

/// What happened to the sale, step by step.
struct Lifecycle {
    accepted: u64,
    sold_out: u64,
    paid: Round,
    cancelled: Round,
    /// The admin view once the first wave's holds had all ended and their units were back.
    ended: View,
    ended_in: Duration,
    returns_lag: Duration,
    /// Whether each round of answers came before the first hold of its wave could expire
    /// (then no payment or cancel may be refused as expired).
    first_in_window: bool,
    second_in_window: bool,
    resale_buyers: u64,
    resold: u64,
    repaid: Round,
    last: View,
}

impl Lifecycle {
    fn expired(&self) -> u64 {
        self.accepted - self.paid.done - self.cancelled.done
    }
}

pub async fn run(sale: HoldSale<'_>, args: &HoldArgs, window: u32) -> anyhow::Result<()> {
    let shares = 0.0..=1.0;
    ensure!(
        shares.contains(&args.pay_share)
            && shares.contains(&args.cancel_share)
            && args.pay_share + args.cancel_share <= 1.0,
        "--pay-share and --cancel-share must be shares (0..=1) adding up to at most 1"
    );
    let http = reqwest::Client::new();
    let window_s = Duration::from_secs(window.into());
    let first_started = Instant::now();
    let first = wave(&http, &sale, "buyer", sale.buyers).await?;
    let accepted = first.winners.len() as u64;
    let payers = (accepted as f64 * args.pay_share).round() as usize;
    let cancellers = (accepted as f64 * args.cancel_share).round() as usize;
    let (paying, rest) = first.winners.split_at(payers);
    let cancelling = &rest[..cancellers.min(rest.len())];
    let (paid, cancelled) = tokio::try_join!(pay(&sale, paying), cancel(&http, &sale, cancelling))?;
    let first_in_window = first_started.elapsed() < window_s;
    let started = Instant::now();
    let holds_end = window_s + SWEEP_SLACK;
    let (ended, returns_lag) = wait_for_holds(&sale, holds_end).await?;
    let ended_in = started.elapsed();

    let resale_buyers = args.resale_buyers.unwrap_or(sale.stock as u64);
    let second_started = Instant::now();
    let second = wave(&http, &sale, "resale", resale_buyers).await?;
    let repaid = pay(&sale, &second.winners).await?;
    let second_in_window = second_started.elapsed() < window_s;
    let last = View(
        sale.admin
            .get(&format!("/admin/sales/{}", sale.sale))
            .await?,
    );
    let lifecycle = Lifecycle {
        accepted,
        sold_out: first.sold_out,
        paid,
        cancelled,
        ended,
        ended_in,
        returns_lag,
        first_in_window,
        second_in_window,
        resale_buyers,
        resold: second.winners.len() as u64,
        repaid,
        last,
    };
    println!();
    println!(
        "Sale of holds {}: stock {}, payment window {window} s, {} + {resale_buyers} buyers",
        sale.sale, sale.stock, sale.buyers
    );
    print_table(&lifecycle);
    verify(&sale, &lifecycle)
}

fn row(measure: &str, value: impl Display) {
    println!("| {measure} | {value} |");
}

fn print_table(l: &Lifecycle) {
    println!();
    println!("| lifecycle | quantity |");
    println!("|---|---|");
    row("first wave: accepted (202)", l.accepted);
    row("first wave: sold out (409)", l.sold_out);
    row("paid (200)", l.paid.done);
    row("payments refused as expired (409)", l.paid.too_late);
    row("cancelled (200)", l.cancelled.done);
    row("cancels refused as expired (409)", l.cancelled.too_late);
    row("expired (lapsed)", l.expired());
    row(
        "every hold ended and its units were back, after the payments, in",
        format!("{:.1} s", l.ended_in.as_secs_f64()),
    );
    row(
        "the last units back in Redis after the last hold ended in Postgres",
        format!("{:.2} s", l.returns_lag.as_secs_f64()),
    );
    row(
        "back on sale (cancelled + expired)",
        l.ended.get("stock_left"),
    );
    row("resold to the second wave (202)", l.resold);
    row("resold and paid (200)", l.repaid.done);
    row(
        "resale payments refused as expired (409)",
        l.repaid.too_late,
    );
    row("paid in all", l.last.get("paid"));
    row(
        "held at the end (awaiting payment)",
        l.last.get("awaiting_payment"),
    );
    row("stock left (unsold)", l.last.get("stock_left"));
    println!();
}

/// The exact invariants of the lifecycle; prints each, fails if any does not hold.
fn verify(sale: &HoldSale<'_>, l: &Lifecycle) -> anyhow::Result<()> {
    let (stock, ended, last) = (sale.stock, &l.ended, &l.last);
    let paid = (l.paid.done + l.repaid.done) as i64;
    let checks = [
        (
            "the first wave took the whole stock, and no more",
            l.accepted as i64 == stock.min(sale.buyers as i64),
        ),
        (
            "after the first wave's holds: paid, cancelled and expired as answered",
            ended.get("paid") == l.paid.done as i64
                && ended.get("cancelled") == l.cancelled.done as i64
                && ended.get("expired") == l.expired() as i64,
        ),
        (
            "every cancelled or expired unit came back exactly once: stock_left == stock - paid",
            ended.get("stock_left") == stock - l.paid.done as i64,
        ),
        (
            "the second wave bought exactly the units that came back",
            l.resold as i64 == ended.get("stock_left").min(l.resale_buyers as i64),
        ),
        (
            "every unit is paid, held or unsold: paid + awaiting_payment + stock_left == stock",
            last.get("paid") == paid
                && paid + last.get("awaiting_payment") + last.get("stock_left") == stock
                && last.get("pending") == 0,
        ),
        (
            "no payment or cancel answered within the window was refused as expired",
            (!l.first_in_window || l.paid.too_late + l.cancelled.too_late == 0)
                && (!l.second_in_window || l.repaid.too_late == 0),
        ),
        (
            "reserved == awaiting_payment + paid, nothing confirmed or rejected",
            last.get("reserved") == last.get("awaiting_payment") + paid
                && last.get("confirmed") == 0
                && last.get("rejected") == 0,
        ),
    ];
    let mut failed = false;
    for (name, ok) in checks {
        println!("{} {name}", if ok { "ok  " } else { "FAIL" });
        failed |= !ok;
    }
    println!();
    if failed {
        bail!(
            "an invariant failed (FAIL above); the admin view: {}",
            last.0
        );
    }
    Ok(())
}
