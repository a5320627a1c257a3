//! The targets, each met or not by this run's figures.
use super::measured::Measured;
use super::report::Run;

/// A measure's value: `None` when its scenario was not run, `Some(None)` when it ran but the
/// figure could not be taken (a process not on this machine).
type Value = Option<Option<f64>>;

struct Target {
    measure: String,
    value: Value,
    bound: f64,
    /// `>=` the bound, else `<=`.
    at_least: bool,
}

fn at_least(measure: impl Into<String>, value: Value, bound: f64) -> Target {
    Target {
        measure: measure.into(),
        value,
        bound,
        at_least: true,
    }
}

fn at_most(measure: impl Into<String>, value: Value, bound: f64) -> Target {
    Target {
        at_least: false,
        ..at_least(measure, value, bound)
    }
}

pub fn table(run: &Run) -> String {
    let find = |name: &str| run.scenarios.iter().find(|m| m.name == name);
    let rps = |name: &str| find(name).map(|m| m.requests_per_second);
    let ratio = |a: Option<f64>, b: Option<f64>| Some(Some(a? / b?));
    let reserve = find("redis reserve");
    let reserve_cost = |f: fn(&Measured) -> Option<f64>| reserve.map(f);
    let bare_server = find("bare").map(|m| m.cpu_us_per_request.server);
    let server_ratio = match (reserve.map(|m| m.cpu_us_per_order.server), bare_server) {
        (Some(order), Some(request)) => Some(order.zip(request).map(|(o, r)| o / r)),
        _ => None,
    };
    let peak_rss = run
        .scenarios
        .iter()
        .filter(|m| m.name.starts_with("redis"))
        .map(|m| m.peak_rss_mib)
        .reduce(f64::max);
    let p99 = format!(
        "reserve p99 at {} connections (ms)",
        reserve.map_or(256, |m| m.connections)
    );
    let backlog = run.drain.as_ref().map_or(200_000, |d| d.orders);
    let rows = [
        at_least(
            "reserve ÷ bare requests/s",
            ratio(rps("redis reserve"), rps("bare")),
            0.40,
        ),
        at_least(
            "sold-out ÷ bare requests/s",
            ratio(rps("redis sold-out"), rps("bare")),
            0.90,
        ),
        at_most(
            "Redis CPU per accepted order (µs)",
            reserve_cost(|m| m.cpu_us_per_order.redis),
            8.0,
        ),
        at_most(
            "server CPU per accepted order (HTTP + reserve + persister) ÷ bare's per request",
            server_ratio,
            2.0,
        ),
        at_most(
            "Postgres CPU per persisted order (µs)",
            reserve_cost(|m| m.cpu_us_per_order.postgres),
            10.0,
        ),
        at_most(p99, reserve_cost(|m| Some(m.p99_ms)), 10.0),
        at_least(
            "redis reserve ÷ pg-lock requests/s",
            ratio(rps("redis reserve"), rps("pg-lock")),
            50.0,
        ),
        at_least(
            format!("persister drain, {backlog} backlog (orders/s)"),
            run.drain.as_ref().map(|d| Some(d.orders_per_second)),
            100_000.0,
        ),
        at_most("server peak RSS (MiB)", peak_rss.map(Some), 64.0),
    ];
    let mut text = "| target | value | wanted | met |\n|---|---:|---|---|\n".to_owned();
    for row in rows {
        let met = |v: f64| match row.at_least {
            true => v >= row.bound,
            false => v <= row.bound,
        };
        let (value, met) = match row.value {
            None => ("not run".to_owned(), "–"),
            Some(None) => ("not measured".to_owned(), "–"),
            Some(Some(v)) => (format!("{v:.2}"), if met(v) { "yes" } else { "NO" }),
        };
        let wanted = format!("{} {}", if row.at_least { ">=" } else { "<=" }, row.bound);
        text += &format!("| {} | {value} | {wanted} | {met} |\n", row.measure);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_of_scenarios_not_run_say_so_instead_of_nan() {
        let run = Run::empty(None);
        let text = table(&run);
        assert_eq!(text.matches("| not run |").count(), 9, "{text}");
        assert!(!text.contains("NaN"), "{text}");
        assert!(text.contains("| Redis CPU per accepted order (µs) | not run | <= 8 | – |"));
    }
}
