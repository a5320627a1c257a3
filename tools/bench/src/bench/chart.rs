//! The benchmark's chart: requests/s per scenario, as SVG.
use super::report::Run;
use plotters::prelude::*;
use std::path::Path;

pub fn draw(run: &Run, path: &Path) -> anyhow::Result<()> {
    let names: Vec<&str> = run.scenarios.iter().map(|m| m.name.as_str()).collect();
    let top = run
        .scenarios
        .iter()
        .map(|m| m.requests_per_second)
        .fold(1.0, f64::max)
        * 2.0;
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = format!(
        "Requests/s, {} connections, {} CPUs (log scale)",
        run.concurrency, run.machine.cpus
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        // A segmented range covers both its ends: one segment per scenario needs `0..n-1`.
        .build_cartesian_2d(
            (0..names.len().max(1) - 1).into_segmented(),
            (10f64..top).log_scale(),
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len())
        .x_label_formatter(&|segment| match segment {
            SegmentValue::CenterOf(i) => names.get(*i).copied().unwrap_or("").to_owned(),
            _ => String::new(),
        })
        .y_label_formatter(&|value| format!("{value:.0}"))
        .y_desc("requests/s")
        .draw()?;
    chart.draw_series(
        Histogram::vertical(&chart)
            .baseline(10.0)
            .style(BLUE.mix(0.6).filled())
            .margin(12)
            .data(
                run.scenarios
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (i, m.requests_per_second)),
            ),
    )?;
    root.present()?;
    Ok(())
}
