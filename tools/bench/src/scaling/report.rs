//! The scaling tables, printed and written to the out dir as Markdown and JSON.
use super::Scaling;
use super::rig::OrderCost;
use super::series::HTTP_SEED_MAX;
use crate::bench::cost_tables::{cell, table};
use crate::cost::proc_stat;
use crate::redis_ops::shared_with_others;
use std::path::Path;

pub fn finish(scaling: &Scaling, out: &Path) -> anyhow::Result<()> {
    let markdown = markdown(scaling);
    println!("{markdown}");
    let json = serde_json::to_string_pretty(scaling)?;
    std::fs::write(out.join(format!("scaling-{}.json", scaling.run_id)), &json)?;
    std::fs::write(out.join("scaling-latest.json"), &json)?;
    std::fs::write(out.join("scaling-latest.md"), &markdown)?;
    println!(
        "Results: {0}/scaling-latest.json, {0}/scaling-latest.md",
        out.display()
    );
    Ok(())
}

fn markdown(scaling: &Scaling) -> String {
    let machine = &scaling.machine;
    let mut text = format!(
        "Machine: {} CPUs ({}), Redis {}, Postgres {}. {} connections, {} s per point, {} server \
         workers. CPU µs per accepted order: server, Redis (redis-server) and Postgres (every \
         postgres process) from the point's start until its orders were in Postgres (Postgres: \
         per order persisted), read from /proc/<pid>/stat in {} µs ticks; the ± column is one \
         tick shared by the point's orders. Redis and Postgres are shared with whatever else \
         runs on this machine.\n",
        machine.cpus,
        machine.cpu_model,
        machine.redis,
        machine.postgres,
        scaling.concurrency,
        scaling.point_seconds,
        scaling.server_workers,
        proc_stat::tick_us()
    );
    if !scaling.stock.is_empty() {
        text += "\n### Cost per order as stock grows\n\nEach stock its own sale, loaded until \
                 sold out or the point's time is up.\n\n";
        let headers = ["stock", "requests", "accepted"];
        text += &table(
            &[&headers[..], &COST_HEADERS].concat(),
            scaling.stock.iter().map(|point| {
                let c = &point.cost;
                let head = [point.stock, c.requests, c.accepted].map(|n| n.to_string());
                [&head[..], &cost_cells(c)].concat()
            }),
        );
    }
    if !scaling.buyers.is_empty() {
        text += &format!(
            "\n### Redis memory and cost per order as distinct buyers grow\n\nEach size its own \
             sale. Up to {HTTP_SEED_MAX} buyers are real orders through the HTTP API, settled; \
             above, they are written straight into the sale's buyers hash with pipelined HSETs \
             (user id → 1, what a persisted order leaves there), ids like \
             `seed-<size>-<32 hex>-<n>` as the HTTP ones. Bytes per buyer: growth of \
             `used_memory`. Then {} s of orders from new buyers.\n\n",
            scaling.point_seconds
        );
        let headers = [
            "buyers",
            "seeded by",
            "seed s",
            "Redis bytes/buyer",
            "accepted",
        ];
        text += &table(
            &[&headers[..], &COST_HEADERS].concat(),
            scaling.buyers.iter().map(|point| {
                let head = [
                    point.buyers.to_string(),
                    point.seeded_by.to_owned(),
                    format!("{:.1}", point.seed_seconds),
                    format!("{:.0}", point.redis_bytes_per_buyer),
                    point.cost.accepted.to_string(),
                ];
                [&head[..], &cost_cells(&point.cost)].concat()
            }),
        );
    }
    if !scaling.sales.is_empty() {
        text += "\n### Persister cost as concurrent sales grow\n\nA backlog accepted with the \
                 persister off, spread evenly over the sales, then drained by the server's \
                 persister loops run in this process (so its CPU is theirs).\n\n";
        let headers = [
            "sales",
            "orders",
            "drain s",
            "orders/s",
            "persister µs/order",
            "Redis µs/order",
            "Postgres µs/order",
            "± µs",
        ];
        text += &table(
            &headers,
            scaling.sales.iter().map(|drain| {
                vec![
                    drain.sales.to_string(),
                    drain.orders.to_string(),
                    format!("{:.2}", drain.seconds),
                    format!("{:.0}", drain.orders_per_second),
                    cell(drain.persister_us_per_order, 1),
                    cell(drain.redis_us_per_order, 1),
                    cell(drain.postgres_us_per_order, 1),
                    tick_share(drain.orders),
                ]
            }),
        );
    }
    text + &shared_points(scaling)
}

/// A warning for each point whose window another client's orders shared on Redis.
fn shared_points(scaling: &Scaling) -> String {
    let stock = scaling
        .stock
        .iter()
        .map(|p| (format!("stock {}", p.stock), &p.cost));
    let buyers = (scaling.buyers.iter()).map(|p| (format!("{} buyers", p.buyers), &p.cost));
    let mut shared: Vec<String> = stock
        .chain(buyers)
        .filter(|(_, c)| shared_with_others(c.scripts_in_redis, c.requests))
        .map(|(name, _)| name)
        .collect();
    shared.extend(
        (scaling.sales.iter())
            .filter(|d| shared_with_others(d.scripts_in_redis, 0))
            .map(|d| format!("{} sales", d.sales)),
    );
    match shared.is_empty() {
        true => String::new(),
        false => format!(
            "\n**Redis ran another client's orders during: {}**; their Redis figures are not \
             the point's own. Rerun them when Redis is quiet.\n",
            shared.join(", ")
        ),
    }
}

const COST_HEADERS: [&str; 5] = [
    "requests/s",
    "server µs/order",
    "Redis µs/order",
    "Postgres µs/order",
    "± µs",
];

fn cost_cells(cost: &OrderCost) -> Vec<String> {
    vec![
        format!("{:.0}", cost.requests_per_second),
        cell(cost.server_us_per_order, 1),
        cell(cost.redis_us_per_order, 1),
        cell(cost.postgres_us_per_order, 1),
        tick_share(cost.accepted),
    ]
}

/// One clock tick shared by `orders`: the precision of each µs-per-order figure.
fn tick_share(orders: u64) -> String {
    cell(
        (orders > 0).then(|| proc_stat::tick_us() as f64 / orders as f64),
        2,
    )
}
