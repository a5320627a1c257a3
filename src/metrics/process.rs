//! Process metrics under the names every Prometheus client uses (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, `process_open_fds`, …), read from `/proc` at each scrape.
//! prometheus-client has no process collector of its own and the maintained one built on it
//! (kubert-prometheus-process) targets an older prometheus-client, whose registry is another
//! type: so this reads `/proc` through the procfs crate, which keeps it Linux-only.
use super::gauge;
use procfs::process::{LimitValue, Process};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use std::fmt;

#[derive(Debug)]
pub(super) struct ProcessCollector;

/// What one scrape read; a figure `/proc` refused is left out rather than shown as 0.
struct Reading {
    cpu_seconds: f64,
    resident_bytes: i64,
    virtual_bytes: i64,
    threads: i64,
    start_time_seconds: f64,
}

impl ProcessCollector {
    fn read(process: &Process) -> procfs::ProcResult<Reading> {
        let stat = process.stat()?;
        let ticks = procfs::ticks_per_second() as f64;
        let boot = procfs::boot_time_secs()? as f64;
        Ok(Reading {
            cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
            resident_bytes: i64::try_from(stat.rss * procfs::page_size()).unwrap_or(i64::MAX),
            virtual_bytes: i64::try_from(stat.vsize).unwrap_or(i64::MAX),
            threads: stat.num_threads,
            start_time_seconds: boot + stat.starttime as f64 / ticks,
        })
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let Ok(process) = Process::myself() else {
            return Ok(());
        };
        if let Ok(reading) = Self::read(&process) {
            let cpu = ConstCounter::new(reading.cpu_seconds);
            cpu.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds.",
                None,
                cpu.metric_type(),
            )?)?;
            for (name, help, value) in [
                (
                    "process_resident_memory_bytes",
                    "Resident memory size in bytes.",
                    reading.resident_bytes,
                ),
                (
                    "process_virtual_memory_bytes",
                    "Virtual memory size in bytes.",
                    reading.virtual_bytes,
                ),
                ("process_threads", "Number of OS threads.", reading.threads),
            ] {
                gauge(&mut encoder, name, help, value)?;
            }
            let start = ConstGauge::new(reading.start_time_seconds);
            start.encode(encoder.encode_descriptor(
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds.",
                None,
                start.metric_type(),
            )?)?;
        }
        if let Ok(open) = process.fd_count() {
            let open = i64::try_from(open).unwrap_or(i64::MAX);
            gauge(
                &mut encoder,
                "process_open_fds",
                "Number of open file descriptors.",
                open,
            )?;
        }
        if let Ok(LimitValue::Value(max)) = process.limits().map(|l| l.max_open_files.soft_limit) {
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            gauge(
                &mut encoder,
                "process_max_fds",
                "Maximum number of open file descriptors.",
                max,
            )?;
        }
        Ok(())
    }
}
