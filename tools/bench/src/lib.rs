//! flashsale-bench: the tools around the flashsale service, kept out of its crate and binary.
//!
//! # Layout
//! - [`cli`]: the `flashsale-bench` command (`demo`, `bench`, `scaling`).
//! - [`demo`]: a whole flash sale, end to end, with a printed report.
//! - [`bench`]: the benchmark of every engine against the HTTP ceiling.
//! - [`scaling`]: how an order's cost grows with stock, buyers and concurrent sales.
//! - [`loadgen`]: the HTTP load generator behind them.
//! - [`cost`], [`redis_ops`], [`under_test`]: what the bench and the scaling table share: CPU
//!   time per process, the tools' own Redis calls, the server under test.
pub mod bench;
pub mod cli;
pub mod cost;
pub mod demo;
pub mod loadgen;
pub mod redis_ops;
pub mod scaling;
pub mod under_test;
