//! flashsale-bench: the tools around the flashsale service, kept out of its crate and binary.
//!
//! # Layout
//! - [`cli`]: the `flashsale-bench` command (`demo`, `bench`).
//! - [`demo`]: a whole flash sale, end to end, with a printed report.
//! - [`bench`]: the benchmark of every engine against the HTTP ceiling.
//! - [`loadgen`]: the HTTP load generator behind both.
pub mod bench;
pub mod cli;
pub mod demo;
pub mod loadgen;
