//! The benchmark's cost tables: CPU per request and per order for each process, Redis's memory
//! per order, Redis's time per command, and the persister drain's line; and the Markdown table
//! helpers the scaling tables use too.
use super::drain::Drain;
use super::measured::Measured;
use super::report::Run;
use crate::cost::proc_stat;
use crate::redis_ops::shared_with_others;

/// How many of Redis's costliest commands are listed.
const TOP_COMMANDS: usize = 10;

/// `–` for a figure that does not apply or could not be taken.
pub fn cell(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".to_owned(), |v| format!("{v:.decimals$}"))
}

/// A Markdown table: the first column left-aligned, the others right-aligned.
pub fn table(headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let mut text = line(&headers.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    let rule: Vec<String> = (0..headers.len())
        .map(|i| if i == 0 { "---" } else { "---:" }.to_owned())
        .collect();
    text += &line(&rule);
    for row in rows {
        text += &line(&row);
    }
    text
}

pub fn cpu(run: &Run) -> String {
    let mut text = format!(
        "CPU µs per request and per accepted order. Server, Redis (the redis-server process; on \
         the cluster every node's, masters and replicas) and Postgres (every postgres process): from the measured window's start until its orders \
         were in Postgres, so the persister's work counts (the warm-up's orders were settled \
         before the window); load generator (this process): the measured window only. Read \
         from /proc/<pid>/stat in {} µs ticks. Redis and Postgres are shared with whatever else \
         runs on this machine: the idle column is what server, Redis and Postgres spent in a \
         quiet second just before the window (ms of CPU per second), included in the figures.\n\n",
        proc_stat::tick_us()
    );
    let headers = [
        "scenario",
        "connections",
        "server µs/req",
        "Redis µs/req",
        "Postgres µs/req",
        "load gen µs/req",
        "server µs/order",
        "Redis µs/order",
        "Postgres µs/persisted order",
        "Redis bytes/order",
        "settle s",
        "idle ms/s server, Redis, Postgres",
    ];
    text += &table(&headers, run.scenarios.iter().map(cpu_row));
    let forks: u64 = run
        .scenarios
        .iter()
        .filter_map(|m| m.costs.until_settled.redis_forks_us)
        .sum();
    if forks > 0 {
        text += &format!(
            "\nRedis forks (an AOF rewrite) ended in a window and spent {:.1} ms, left out above.\n",
            forks as f64 / 1000.0
        );
    }
    for m in &run.scenarios {
        if shared_with_others(m.requests + m.others_scripts_in_redis, m.requests) {
            text += &format!(
                "\n**{}: Redis ran {} scripts beyond this scenario's {} requests**: another \
                 client's orders shared the window, so its Redis figures (CPU, bytes, commands) \
                 are not its own. Rerun when Redis is quiet.\n",
                m.name, m.others_scripts_in_redis, m.requests
            );
        }
    }
    if let Some(reserve) = run.scenarios.iter().find(|m| m.name == "redis reserve") {
        text += &commands(reserve);
    }
    text
}

fn cpu_row(m: &Measured) -> Vec<String> {
    let (request, order) = (&m.cpu_us_per_request, &m.cpu_us_per_order);
    let idle = &m.costs.idle;
    let rate = |us: Option<u64>| cell(us.map(|us| us as f64 / 1000.0 / idle.seconds), 0);
    vec![
        m.name.clone(),
        m.connections.to_string(),
        cell(request.server, 1),
        cell(request.redis, 1),
        cell(request.postgres, 1),
        cell(request.load_generator, 1),
        cell(order.server, 1),
        cell(order.redis, 1),
        cell(order.postgres, 1),
        cell(m.redis_bytes_per_order, 0),
        format!(
            "{:.2}",
            m.costs.until_settled.seconds - m.costs.load.seconds
        ),
        format!(
            "{}, {}, {}",
            rate(idle.server_us),
            rate(idle.redis_us),
            rate(idle.postgres_us)
        ),
    ]
}

/// Redis's own time per command over a reserve scenario's window, `INFO commandstats`.
pub(super) fn commands(reserve: &Measured) -> String {
    let orders = reserve.accepted.max(1) as f64;
    let text = format!(
        "\nRedis per command, {} ({} orders; `INFO commandstats` before and after{}; \
         commands run by a script or in a MULTI/EXEC count both under their own names and in \
         EVALSHA or EXEC):\n\n",
        reserve.name,
        reserve.accepted,
        match reserve.cluster_buckets {
            Some(_) => ", every master's added up",
            None => "",
        }
    );
    let rows = reserve.costs.redis_commands.iter().take(TOP_COMMANDS);
    text + &table(
        &["command", "calls", "calls/order", "µs/call", "µs/order"],
        rows.map(|command| {
            vec![
                command.command.to_uppercase(),
                command.calls.to_string(),
                format!("{:.3}", command.calls as f64 / orders),
                format!("{:.2}", command.usec as f64 / command.calls as f64),
                format!("{:.2}", command.usec as f64 / orders),
            ]
        }),
    )
}

pub fn drain(drain: &Drain) -> String {
    let shared = match shared_with_others(drain.scripts_in_redis, 0) {
        true => format!(
            " **Redis ran {} scripts meanwhile, none the persister's**: another client's orders \
             are in the Redis figure.",
            drain.scripts_in_redis
        ),
        false => String::new(),
    };
    format!(
        "Persister drain: {} orders over {} sale(s) in {:.2} s = {:.0} orders/s ({} consumers, \
         batches of {}); CPU µs per order: persister {}, Redis {}, Postgres {}.{shared}\n",
        drain.orders,
        drain.sales,
        drain.seconds,
        drain.orders_per_second,
        drain.consumers,
        drain.batch_size,
        cell(drain.persister_us_per_order, 1),
        cell(drain.redis_us_per_order, 1),
        cell(drain.postgres_us_per_order, 1)
    )
}
