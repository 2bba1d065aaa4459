//! The report's SVG plots (plotters, SVG backend only: no font or bitmap stack).
//!
//! A plot whose data did not arrive is not drawn; the Markdown says so instead.

use crate::inputs::robot_state;
use crate::report::{KpiSummary, ReportError};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

pub const PARTS_OUT: &str = "parts_out.svg";
pub const STATION_STATES: &str = "station_states.svg";
pub const ENERGY: &str = "energy.svg";
pub const ENERGY_COST: &str = "energy_cost.svg";
pub const ROBOT_STATES: &str = "robot_states.svg";
pub const FLEET_UTILISATION: &str = "fleet_utilisation.svg";

const SIZE: (u32, u32) = (900, 480);
const FONT: &str = "sans-serif";
const GREY: RGBColor = RGBColor(170, 170, 170);
const ORANGE: RGBColor = RGBColor(240, 140, 20);
const DARK_YELLOW: RGBColor = RGBColor(220, 190, 30);
const PURPLE: RGBColor = RGBColor(130, 60, 170);
const TEAL: RGBColor = RGBColor(20, 150, 150);

/// A named series of (x, y) points.
struct Line {
    label: &'static str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// One stacked bar's segments: (label, colour, fraction).
type Stack = Vec<(String, RGBColor, f64)>;

/// Draws every plot the summary has data for; returns the files written.
pub fn draw_all(s: &KpiSummary, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    let hours = |t: f64| t / 3600.0;

    let parts: Vec<(f64, f64)> =
        s.samples.iter().filter_map(|x| Some((hours(x.t_s), x.parts_out? as f64))).collect();
    if !parts.is_empty() {
        let lines = [Line { label: "parts out", color: BLUE, points: parts }];
        written.push(lines_plot(dir, PARTS_OUT, "Parts out of the line", "parts", &lines)?);
    }

    if !s.stations.is_empty() {
        let bars: Vec<(String, Stack)> = s
            .stations
            .iter()
            .map(|st| {
                let stack = vec![
                    ("busy".to_string(), GREEN, st.busy),
                    ("blocked".to_string(), ORANGE, st.blocked),
                    ("starved".to_string(), DARK_YELLOW, st.starved),
                    ("down".to_string(), RED, st.down),
                    ("idle".to_string(), GREY, st.idle),
                ];
                (st.station_id.clone(), stack)
            })
            .collect();
        written.push(stacked_bars(dir, STATION_STATES, "Station time by state", &bars)?);
    }

    let energy: Vec<(f64, &crate::inputs::EnergyInput)> =
        s.samples.iter().filter_map(|x| Some((hours(x.t_s), x.energy.as_ref()?))).collect();
    if !energy.is_empty() {
        let series =
            |f: fn(&crate::inputs::EnergyInput) -> f64| energy.iter().map(|(t, e)| (*t, f(e))).collect();
        let lines = [
            Line { label: "grid import, peak", color: RED, points: series(|e| e.import_peak_kwh) },
            Line { label: "grid import, off-peak", color: BLUE, points: series(|e| e.import_offpeak_kwh) },
            Line { label: "solar", color: DARK_YELLOW, points: series(|e| e.solar_kwh) },
            Line { label: "export", color: GREEN, points: series(|e| e.export_kwh) },
            Line { label: "site load", color: BLACK, points: series(|e| e.load_kwh) },
        ];
        written.push(lines_plot(dir, ENERGY, "Energy since start", "kWh", &lines)?);
        let cost = [Line { label: "energy cost", color: PURPLE, points: series(|e| e.cost) }];
        written.push(lines_plot(dir, ENERGY_COST, "Energy cost since start", "currency", &cost)?);
    }

    if !s.robots.is_empty() {
        let colors = |state: u8| match state {
            robot_state::IDLE => GREY,
            robot_state::NAVIGATING => BLUE,
            robot_state::MANIPULATING => TEAL,
            robot_state::WORKING => GREEN,
            robot_state::CHARGING => DARK_YELLOW,
            robot_state::ERROR => RED,
            robot_state::OFFLINE => BLACK,
            _ => PURPLE,
        };
        let bars: Vec<(String, Stack)> = s
            .robots
            .iter()
            .map(|r| {
                let mut stack: Stack =
                    r.by_state.iter().map(|(st, f)| (robot_state::label(*st), colors(*st), *f)).collect();
                // White with the outline: time nobody knows about.
                stack.push(("no heartbeat".to_string(), WHITE, r.no_heartbeat));
                (r.robot_id.clone(), stack)
            })
            .collect();
        written.push(stacked_bars(dir, ROBOT_STATES, "Robot time by state", &bars)?);
    }

    let fleet: Vec<(f64, f64)> =
        s.samples.iter().filter_map(|x| Some((hours(x.t_s), 100.0 * x.fleet_utilisation?))).collect();
    let coordinator: Vec<(f64, f64)> =
        s.samples.iter().filter_map(|x| Some((hours(x.t_s), 100.0 * x.coordinator_utilisation?))).collect();
    if !fleet.is_empty() || !coordinator.is_empty() {
        let lines = [
            Line { label: "busy share since the previous sample (heartbeats)", color: BLUE, points: fleet },
            Line { label: "coordinator (sliding window)", color: ORANGE, points: coordinator },
        ];
        written.push(lines_plot(dir, FLEET_UTILISATION, "Fleet utilisation", "%", &lines)?);
    }
    Ok(written)
}

fn plot_error(path: &Path) -> impl Fn(String) -> ReportError + '_ {
    move |reason| ReportError::Plot { path: path.to_path_buf(), reason }
}

/// Lines over sim time (hours).
fn lines_plot(
    dir: &Path,
    file: &str,
    title: &str,
    y_desc: &str,
    lines: &[Line],
) -> Result<PathBuf, ReportError> {
    let path = dir.join(file);
    draw_lines(&path, title, y_desc, lines).map_err(plot_error(&path))?;
    Ok(path)
}

fn draw_lines(path: &Path, title: &str, y_desc: &str, lines: &[Line]) -> Result<(), String> {
    let all = lines.iter().flat_map(|l| l.points.iter());
    let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for (x, y) in all {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y1 = y1.max(*y);
    }
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    // A single point or a flat line still needs an axis of some extent.
    if x1 - x0 <= 0.0 {
        x1 = x0 + 1.0 / 60.0;
    }
    let y1 = if y1 > 0.0 { y1 * 1.05 } else { 1.0 };
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, 0.0..y1)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc("sim time (h)").y_desc(y_desc).draw().map_err(|e| e.to_string())?;
    for line in lines {
        if line.points.is_empty() {
            continue;
        }
        let color = line.color;
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// One stacked bar per named item, segments bottom to top, fractions of 1.
fn stacked_bars(
    dir: &Path,
    file: &str,
    title: &str,
    bars: &[(String, Stack)],
) -> Result<PathBuf, ReportError> {
    let path = dir.join(file);
    draw_stacked(&path, title, bars).map_err(plot_error(&path))?;
    Ok(path)
}

fn draw_stacked(path: &Path, title: &str, bars: &[(String, Stack)]) -> Result<(), String> {
    let n = bars.len();
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .right_y_label_area_size(150)
        .build_cartesian_2d((0..n).into_segmented(), 0.0..100.0)
        .map_err(|e| e.to_string())?;
    let names: Vec<&str> = bars.iter().map(|(name, _)| name.as_str()).collect();
    let label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => names.get(*i).map(|s| s.to_string()).unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.max(1))
        .x_label_formatter(&label)
        .y_desc("% of time")
        .draw()
        .map_err(|e| e.to_string())?;
    // Legend entries once per segment label, in first-seen order.
    let mut legend: Vec<(String, RGBColor)> = Vec::new();
    for (i, (_, stack)) in bars.iter().enumerate() {
        let mut bottom = 0.0;
        for (name, color, fraction) in stack {
            let top = bottom + 100.0 * fraction.max(0.0);
            let rect = Rectangle::new(
                [(SegmentValue::Exact(i), bottom), (SegmentValue::Exact(i + 1), top)],
                color.filled(),
            );
            let outline = Rectangle::new(
                [(SegmentValue::Exact(i), bottom), (SegmentValue::Exact(i + 1), top)],
                BLACK.stroke_width(1),
            );
            chart.draw_series([rect, outline]).map_err(|e| e.to_string())?;
            if !legend.iter().any(|(l, _)| l == name) {
                legend.push((name.clone(), *color));
            }
            bottom = top;
        }
    }
    for (name, color) in legend {
        chart
            .draw_series(std::iter::empty::<Rectangle<(SegmentValue<usize>, f64)>>())
            .map_err(|e| e.to_string())?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
