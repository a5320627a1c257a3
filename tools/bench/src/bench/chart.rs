//! The benchmark's chart: one bar of requests/s per scenario, on a log scale, as SVG.
use plotters::prelude::*;
use std::path::Path;

/// `bars`: each scenario's name and requests/s, in the order drawn.
pub fn draw(caption: &str, bars: &[(&str, f64)], path: &Path) -> anyhow::Result<()> {
    let names: Vec<&str> = bars.iter().map(|(name, _)| *name).collect();
    let top = bars.iter().map(|(_, rps)| *rps).fold(1.0, f64::max) * 2.0;
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
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
            .data(bars.iter().enumerate().map(|(i, (_, rps))| (i, *rps))),
    )?;
    root.present()?;
    Ok(())
}
