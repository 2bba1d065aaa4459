//! The end-of-run KPI report: figures computed from a [`KpiAccumulator`], written as
//! Markdown with SVG plots.
//!
//! Every figure says where it comes from and over what span; a source that sent
//! nothing is named in the report instead of showing a zero.

use crate::accumulator::{KpiAccumulator, MaintenanceCounts, Sample};
use crate::inputs::{defect_class, robot_state, work_order_status, FactoryKpisInput};
use crate::plots;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const REPORT_FILE: &str = "report.md";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot create the report directory {path}: {reason}")]
    Directory { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("cannot draw {path}: {reason}")]
    Plot { path: PathBuf, reason: String },
}

/// Parts out of the line over the recorded span.
#[derive(Debug, Clone, PartialEq)]
pub struct Throughput {
    /// Cumulative parts finished by the last station at the end.
    pub parts_out: u64,
    /// Parts out during the recorded span.
    pub parts_in_span: u64,
    pub span_s: f64,
    pub per_hour: Option<f64>,
    /// Mean seconds between two parts out over the span.
    pub cycle_time_s: Option<f64>,
    pub final_station: String,
    /// False when the line order was unknown and the last station was guessed.
    pub final_station_known: bool,
}

/// Shares of one station's time over the recorded span, 0..1.
#[derive(Debug, Clone, PartialEq)]
pub struct StationShares {
    pub station_id: String,
    pub machine_id: String,
    pub span_s: f64,
    pub busy: f64,
    pub blocked: f64,
    pub starved: f64,
    pub down: f64,
    /// The rest of the time (the station reports no idle counter).
    pub idle: f64,
    pub parts_completed: u64,
    /// Busy seconds per part completed in the span.
    pub busy_per_part_s: Option<f64>,
    pub downtime_by_cause: BTreeMap<String, f64>,
}

/// One robot's time shares, 0..1 of the time its heartbeats cover plus gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotShares {
    pub robot_id: String,
    pub total_s: f64,
    /// By `robot_state::*`.
    pub by_state: BTreeMap<u8, f64>,
    pub no_heartbeat: f64,
}

/// Inspector verdicts compared with the twin's ground truth, per part.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Comparison {
    /// Parts the truth covers and the inspector judged.
    pub parts_judged: u64,
    /// Of those, defective per the truth.
    pub defective: u64,
    /// Defective parts the inspector rejected.
    pub found: u64,
    /// Defective parts the inspector passed.
    pub escaped: u64,
    /// Clean parts the inspector rejected.
    pub false_alarms: u64,
    /// Parts in the truth with no inspector verdict at all (the part in view at the end
    /// excepted).
    pub not_judged: u64,
    /// Of those, defective.
    pub not_judged_defective: u64,
    /// Parts a camera was still imaging when the recording ended and the inspector had
    /// not judged yet (at most one per camera): neither found nor escaped.
    pub in_view_at_end: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Quality {
    pub inspector_frames: u64,
    pub truth_frames: u64,
    /// Distinct (station, part) the inspector judged, and those it rejected.
    pub inspector_parts: u64,
    pub inspector_rejected_parts: u64,
    /// Defects the inspector reported, by class label (counted per frame).
    pub inspector_defects: BTreeMap<String, u64>,
    /// Distinct (station, part) in the truth, and those defective.
    pub truth_parts: u64,
    pub truth_defective_parts: u64,
    /// Present when both sources sent data.
    pub comparison: Option<Comparison>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkOrders {
    pub messages: u64,
    pub total: u64,
    /// Latest status label -> orders.
    pub by_status: BTreeMap<String, u64>,
    /// Work type -> (orders, done).
    pub by_type: BTreeMap<String, (u64, u64)>,
}

/// The site storage over the recorded span. The energy cost counts the grid energy bought
/// to charge the storage when it was bought, not when it is used: a run that ends with
/// more energy stored than it started with paid for energy it did not use yet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredEnergy {
    /// Stored energy at the last energy_state minus at the first, kWh.
    pub change_kwh: f64,
    /// Energy cost less the change valued at the off-peak price (what refilling costs);
    /// None when the price is unknown.
    pub net_cost: Option<f64>,
}

/// All figures of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiSummary {
    /// Sim time of the report, seconds.
    pub at_s: f64,
    pub throughput: Option<Throughput>,
    pub stations: Vec<StationShares>,
    /// Downtime seconds by cause, all stations.
    pub downtime_by_cause: BTreeMap<String, f64>,
    pub energy: Option<crate::inputs::EnergyInput>,
    pub stored_energy: Option<StoredEnergy>,
    pub energy_messages: u64,
    pub robots: Vec<RobotShares>,
    /// Busy fraction of the fleet's heartbeat-covered time.
    pub fleet_utilisation: Option<f64>,
    pub coordinator: Option<FactoryKpisInput>,
    pub coordinator_max_tasks_failed: u32,
    pub quality: Quality,
    pub work_orders: WorkOrders,
    pub maintenance: BTreeMap<String, MaintenanceCounts>,
    pub samples: Vec<Sample>,
}

impl KpiSummary {
    /// The report's figures at sim time `at_s`.
    pub fn compute(acc: &KpiAccumulator, at_s: f64) -> KpiSummary {
        let mut downtime_by_cause: BTreeMap<String, f64> = BTreeMap::new();
        let stations: Vec<StationShares> = acc
            .stations
            .values()
            .map(|t| {
                let span_s = t.last.stamp_s - t.first.stamp_s;
                let share = |last: f64, first: f64| if span_s > 0.0 { (last - first) / span_s } else { 0.0 };
                let busy = share(t.last.busy_s, t.first.busy_s);
                let blocked = share(t.last.blocked_s, t.first.blocked_s);
                let starved = share(t.last.starved_s, t.first.starved_s);
                let down = share(t.last.down_s, t.first.down_s);
                let parts = t.last.parts_completed.saturating_sub(t.first.parts_completed);
                for (cause, s) in &t.downtime_by_cause {
                    *downtime_by_cause.entry(cause.clone()).or_default() += s;
                }
                StationShares {
                    station_id: t.last.station_id.clone(),
                    machine_id: t.last.machine_id.clone(),
                    span_s,
                    busy,
                    blocked,
                    starved,
                    down,
                    idle: (1.0 - busy - blocked - starved - down).max(0.0),
                    parts_completed: t.last.parts_completed,
                    busy_per_part_s: (parts > 0).then(|| (t.last.busy_s - t.first.busy_s) / parts as f64),
                    downtime_by_cause: t.downtime_by_cause.clone(),
                }
            })
            .collect();
        let throughput = acc.final_station().map(|(t, known)| {
            let span_s = t.last.stamp_s - t.first.stamp_s;
            let parts_in_span = t.last.parts_completed.saturating_sub(t.first.parts_completed);
            Throughput {
                parts_out: t.last.parts_completed,
                parts_in_span,
                span_s,
                per_hour: (span_s > 0.0).then(|| parts_in_span as f64 * 3600.0 / span_s),
                cycle_time_s: (parts_in_span > 0).then(|| span_s / parts_in_span as f64),
                final_station: t.last.station_id.clone(),
                final_station_known: known,
            }
        });
        let robots = acc
            .robots
            .iter()
            .map(|(id, t)| {
                let total_s = t.time_by_state.values().sum::<f64>() + t.no_heartbeat_s;
                let frac = |s: f64| if total_s > 0.0 { s / total_s } else { 0.0 };
                RobotShares {
                    robot_id: id.clone(),
                    total_s,
                    by_state: t.time_by_state.iter().map(|(k, v)| (*k, frac(*v))).collect(),
                    no_heartbeat: frac(t.no_heartbeat_s),
                }
            })
            .collect();
        let (busy, covered) = acc.fleet_time();
        KpiSummary {
            at_s,
            throughput,
            stations,
            downtime_by_cause,
            energy: acc.energy_last.clone(),
            stored_energy: stored_energy(acc),
            energy_messages: acc.energy_messages,
            robots,
            fleet_utilisation: (covered > 0.0).then(|| busy / covered),
            coordinator: acc.kpis_last.clone(),
            coordinator_max_tasks_failed: acc.kpis_max_tasks_failed,
            quality: quality(acc),
            work_orders: work_orders(acc),
            maintenance: acc.maintenance.clone(),
            samples: acc.samples.clone(),
        }
    }

    /// Tasks the autonomy could not close: the coordinator's manual_interventions (tasks
    /// failed for good since it started), or its windowed tasks_failed if larger (a
    /// coordinator that does not fill the run total).
    pub fn manual_interventions(&self) -> Option<u32> {
        self.coordinator.as_ref().map(|k| k.manual_interventions.max(k.tasks_failed))
    }
}

fn stored_energy(acc: &KpiAccumulator) -> Option<StoredEnergy> {
    let (first, last) = (acc.energy_first.as_ref()?, acc.energy_last.as_ref()?);
    let change_kwh = last.storage_kwh - first.storage_kwh;
    let net_cost = acc.config.stored_energy_price_per_kwh.map(|price| last.cost - change_kwh * price);
    Some(StoredEnergy { change_kwh, net_cost })
}

fn quality(acc: &KpiAccumulator) -> Quality {
    let mut q = Quality {
        inspector_frames: acc.inspector_messages,
        truth_frames: acc.truth_messages,
        ..Quality::default()
    };
    // Parts the inspector judged: (station, part) -> rejected in any frame.
    let mut judged: BTreeMap<(&str, &str), bool> = BTreeMap::new();
    for ((station, _), v) in &acc.inspector {
        *judged.entry((station, &v.part_id)).or_default() |= !v.passed;
        for class in &v.defect_classes {
            *q.inspector_defects.entry(defect_class::label(*class)).or_default() += 1;
        }
    }
    q.inspector_parts = judged.len() as u64;
    q.inspector_rejected_parts = judged.values().filter(|r| **r).count() as u64;

    // Truth per part: defective in any frame; the inspector's verdicts on the same
    // frames (same station and capture stamp), since the twin and the inspector number
    // parts differently. A truth part with no frame match falls back to the same part id.
    #[derive(Default)]
    struct TruthPart {
        defective: bool,
        verdicts: u64,
        rejected: bool,
    }
    let mut parts: BTreeMap<(&str, &str), TruthPart> = BTreeMap::new();
    for (key, truth) in &acc.truth {
        let part = parts.entry((key.0.as_str(), truth.part_id.as_str())).or_default();
        part.defective |= !truth.passed;
        if let Some(v) = acc.inspector.get(key) {
            part.verdicts += 1;
            part.rejected |= !v.passed;
        }
    }
    q.truth_parts = parts.len() as u64;
    q.truth_defective_parts = parts.values().filter(|p| p.defective).count() as u64;
    if acc.inspector.is_empty() || acc.truth.is_empty() {
        return q;
    }
    // The part each camera imaged last (truth keys are in stamp order per station).
    let last_in_view: BTreeMap<&str, &str> =
        acc.truth.iter().map(|(key, truth)| (key.0.as_str(), truth.part_id.as_str())).collect();
    let mut c = Comparison::default();
    for ((station, part_id), p) in &parts {
        let rejected =
            if p.verdicts > 0 { Some(p.rejected) } else { judged.get(&(*station, *part_id)).copied() };
        match (rejected, p.defective) {
            (None, _) if last_in_view.get(station) == Some(part_id) => c.in_view_at_end += 1,
            (None, defective) => {
                c.not_judged += 1;
                c.not_judged_defective += u64::from(defective);
            }
            (Some(rejected), true) => {
                c.parts_judged += 1;
                c.defective += 1;
                if rejected {
                    c.found += 1;
                } else {
                    c.escaped += 1;
                }
            }
            (Some(rejected), false) => {
                c.parts_judged += 1;
                c.false_alarms += u64::from(rejected);
            }
        }
    }
    q.comparison = Some(c);
    q
}

fn work_orders(acc: &KpiAccumulator) -> WorkOrders {
    let mut w = WorkOrders { messages: acc.work_order_messages, ..WorkOrders::default() };
    for order in acc.work_orders.values() {
        w.total += 1;
        *w.by_status.entry(work_order_status::label(order.status)).or_default() += 1;
        let entry = w.by_type.entry(order.work_type.clone()).or_default();
        entry.0 += 1;
        entry.1 += u64::from(order.status == work_order_status::DONE);
    }
    w
}

/// Files one report wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFiles {
    pub markdown: PathBuf,
    pub plots: Vec<PathBuf>,
}

/// The report: figures plus the recording's topic list, written by [`Report::write`].
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub summary: KpiSummary,
    /// The MCAP file, if one is being written, and what it holds by topic.
    pub recording: Option<(PathBuf, Vec<crate::recording::TopicSummary>)>,
    /// Topics asked for that never appeared on the graph.
    pub topics_not_seen: Vec<String>,
}

impl Report {
    pub fn new(summary: KpiSummary) -> Report {
        Report { summary, recording: None, topics_not_seen: Vec::new() }
    }

    /// Writes `report.md` and the plots into `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> Result<ReportFiles, ReportError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| ReportError::Directory { path: dir.to_path_buf(), reason: e.to_string() })?;
        let plots = plots::draw_all(&self.summary, dir)?;
        let names: BTreeSet<String> =
            plots.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
        let markdown = dir.join(REPORT_FILE);
        // Write then rename, so a reader (or a kill mid-write) never sees half a report.
        let partial = dir.join(format!("{REPORT_FILE}.partial"));
        std::fs::write(&partial, self.markdown(&names))
            .map_err(|e| ReportError::Write { path: partial.clone(), reason: e.to_string() })?;
        std::fs::rename(&partial, &markdown)
            .map_err(|e| ReportError::Write { path: markdown.clone(), reason: e.to_string() })?;
        crate::compare::RunKpis::from_summary(&self.summary).save(dir)?;
        Ok(ReportFiles { markdown, plots })
    }

    /// The Markdown text; `plots` are the plot file names that exist.
    pub fn markdown(&self, plots: &BTreeSet<String>) -> String {
        let s = &self.summary;
        let mut md = String::new();
        let _ = writeln!(md, "# Factory run report\n");
        let _ = writeln!(
            md,
            "Written at sim time {} ({:.0} s). Figures over the recorded span unless a row says otherwise.\n",
            clock_text(s.at_s),
            s.at_s
        );
        // Missing sources first: a fleet that never reported shows as "no data" in the
        // table, which reads like a quiet run rather than robots that never started.
        let missing: Vec<&str> = [
            (s.robots.is_empty(), "no robot reported (`robot_status`): no executor ran"),
            (s.stations.is_empty(), "no station state was received (`station_states`): no line ran"),
        ]
        .into_iter()
        .filter_map(|(missing, what)| missing.then_some(what))
        .collect();
        for what in missing {
            let _ =
                writeln!(md, "> **Warning:** {what}; the figures that depend on it are missing, not zero.\n");
        }
        self.headline(&mut md);
        self.throughput_section(&mut md, plots);
        self.stations_section(&mut md, plots);
        self.quality_section(&mut md);
        self.energy_section(&mut md, plots);
        self.robots_section(&mut md, plots);
        self.tasks_section(&mut md);
        self.maintenance_section(&mut md);
        self.recording_section(&mut md);
        md
    }

    fn headline(&self, md: &mut String) {
        let s = &self.summary;
        let mut rows: Vec<(String, String, &str)> = Vec::new();
        let mut row =
            |kpi: &str, value: String, unit: &'static str| rows.push((kpi.to_string(), value, unit));
        let t = s.throughput.as_ref();
        row("Recorded span", opt(t.map(|t| t.span_s / 3600.0), 2), "h");
        row("Parts out", t.map_or(NO_DATA.into(), |t| t.parts_out.to_string()), "parts");
        row("Throughput", opt(t.and_then(|t| t.per_hour), 1), "parts/h");
        row("Cycle time (between parts out)", opt(t.and_then(|t| t.cycle_time_s), 1), "s");
        let stations = &s.stations;
        let mean = |f: fn(&StationShares) -> f64| {
            (!stations.is_empty())
                .then(|| 100.0 * stations.iter().map(f).sum::<f64>() / stations.len() as f64)
        };
        row("Station busy (mean of stations)", opt(mean(|x| x.busy), 1), "%");
        row("Station availability (not down, mean)", opt(mean(|x| 1.0 - x.down), 1), "%");
        // fold from +0.0: an empty f64 sum is -0.0, which would print as "-0.0".
        let downtime = s.downtime_by_cause.values().fold(0.0, |a, b| a + b);
        row(
            "Station downtime (all stations)",
            opt((!stations.is_empty()).then_some(downtime / 60.0), 1),
            "min",
        );
        let c = s.quality.comparison;
        row(
            "Defective parts found",
            c.map_or_else(|| found_without_truth(&s.quality), |c| c.found.to_string()),
            "parts",
        );
        row(
            "Defective parts escaped (passed, or never inspected)",
            c.map_or(NOT_KNOWN.into(), |c| (c.escaped + c.not_judged_defective).to_string()),
            "parts",
        );
        let e = s.energy.as_ref();
        row("Energy used (site load)", opt(e.map(|e| e.load_kwh), 1), "kWh");
        row("Grid import, peak tariff", opt(e.map(|e| e.import_peak_kwh), 1), "kWh");
        row("Grid import, off-peak", opt(e.map(|e| e.import_offpeak_kwh), 1), "kWh");
        row("Solar generation", opt(e.map(|e| e.solar_kwh), 1), "kWh");
        row("Grid export", opt(e.map(|e| e.export_kwh), 1), "kWh");
        row("Energy cost", opt(e.map(|e| e.cost), 2), "currency");
        let per_part = |v: f64| t.filter(|t| t.parts_out > 0).map(|t| v / t.parts_out as f64);
        row("Energy per part out", opt(e.and_then(|e| per_part(e.load_kwh)), 2), "kWh/part");
        row("Energy cost per part out", opt(e.and_then(|e| per_part(e.cost)), 3), "currency/part");
        let stored = s.stored_energy.as_ref();
        row("Stored energy change (site storage)", opt(stored.map(|s| s.change_kwh), 1), "kWh");
        let net = stored.and_then(|s| s.net_cost);
        row("Energy cost net of the stored energy change (valued off-peak)", opt(net, 2), "currency");
        row(
            "Energy cost per part out, net of the stored energy change",
            opt(net.and_then(per_part), 3),
            "currency/part",
        );
        row("Fleet utilisation (robot heartbeats)", opt(s.fleet_utilisation.map(|u| 100.0 * u), 1), "%");
        let k = s.coordinator.as_ref();
        row("Fleet utilisation (coordinator window)", opt(k.map(|k| 100.0 * k.robot_utilisation), 1), "%");
        row("Mean task wait (coordinator window)", opt(k.map(|k| k.mean_task_wait_s), 1), "s");
        row(
            "Tasks completed (coordinator window)",
            k.map_or(NO_DATA.into(), |k| k.tasks_completed.to_string()),
            "tasks",
        );
        row(
            "Manual interventions (tasks failed for good, whole run)",
            s.manual_interventions().map_or(NO_DATA.into(), |m| m.to_string()),
            "tasks",
        );
        let w = &s.work_orders;
        let wo = |v: u64| if w.messages == 0 { NO_DATA.to_string() } else { v.to_string() };
        row("Maintenance work orders planned", wo(w.total), "orders");
        row("Maintenance work orders done", wo(w.by_status.get("done").copied().unwrap_or(0)), "orders");
        let done: u64 = s.maintenance.values().map(|m| m.done).sum();
        row(
            "Maintenance actions completed at machines",
            if s.maintenance.is_empty() { NO_DATA.into() } else { done.to_string() },
            "actions",
        );
        let _ = writeln!(md, "| KPI | value | unit |\n|---|---:|---|");
        for (kpi, value, unit) in rows {
            let _ = writeln!(md, "| {kpi} | {value} | {unit} |");
        }
        let _ = writeln!(md);
    }

    fn throughput_section(&self, md: &mut String, plots: &BTreeSet<String>) {
        let _ = writeln!(md, "## Throughput and cycle time\n");
        match &self.summary.throughput {
            None => {
                let _ = writeln!(md, "No station states were received: throughput is unknown.\n");
            }
            Some(t) => {
                let how = if t.final_station_known {
                    "the last station of the line".to_string()
                } else {
                    "the station with the fewest parts completed (the line order was not known)".to_string()
                };
                let _ = writeln!(
                    md,
                    "Parts out are the parts completed by `{}`, {how}: {} in total, {} during the {:.2} h recorded.",
                    t.final_station,
                    t.parts_out,
                    t.parts_in_span,
                    t.span_s / 3600.0
                );
                if let Some(k) = self.summary.coordinator.as_ref().filter(|k| k.mean_cycle_time_s > 0.0) {
                    let _ = writeln!(
                        md,
                        "The coordinator reports a mean part cycle time of {:.1} s.",
                        k.mean_cycle_time_s
                    );
                }
                let _ = writeln!(md);
            }
        }
        image(md, plots, plots::PARTS_OUT, "Parts out over time");
    }

    fn stations_section(&self, md: &mut String, plots: &BTreeSet<String>) {
        let s = &self.summary;
        let _ = writeln!(md, "## Station utilisation\n");
        if s.stations.is_empty() {
            let _ = writeln!(md, "No station states were received.\n");
            return;
        }
        let _ = writeln!(
            md,
            "Fractions of each station's recorded time (idle is the rest: the stations report no idle counter).\n"
        );
        let _ = writeln!(
            md,
            "| station | machine | busy % | blocked % | starved % | down % | idle % | parts completed | busy s/part |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
        );
        for st in &s.stations {
            let _ = writeln!(
                md,
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
                st.station_id,
                st.machine_id,
                100.0 * st.busy,
                100.0 * st.blocked,
                100.0 * st.starved,
                100.0 * st.down,
                100.0 * st.idle,
                st.parts_completed,
                opt(st.busy_per_part_s, 1)
            );
        }
        let _ = writeln!(md);
        image(md, plots, plots::STATION_STATES, "Station state shares");
        let _ = writeln!(md, "### Downtime by cause\n");
        if s.downtime_by_cause.is_empty() {
            let _ = writeln!(md, "No station was down during the recorded span.\n");
            return;
        }
        let _ = writeln!(
            md,
            "A station's downtime counts against the maintenance in progress on its machine at the time (maintenance_events), else as an unplanned stop.\n"
        );
        let _ = writeln!(md, "| station | cause | downtime min |\n|---|---|---:|");
        for st in &s.stations {
            for (cause, secs) in &st.downtime_by_cause {
                let _ = writeln!(md, "| {} | {cause} | {:.1} |", st.station_id, secs / 60.0);
            }
        }
        for (cause, secs) in &s.downtime_by_cause {
            let _ = writeln!(md, "| **all** | {cause} | {:.1} |", secs / 60.0);
        }
        let _ = writeln!(md);
    }

    fn quality_section(&self, md: &mut String) {
        let q = &self.summary.quality;
        let _ = writeln!(md, "## Quality: defects found and escaped\n");
        if q.inspector_frames == 0 {
            let _ = writeln!(md, "No inspection results were received (`inspection_results`).");
        } else {
            let _ = writeln!(
                md,
                "The inspector sent {} verdicts on {} parts and rejected {} parts.",
                q.inspector_frames, q.inspector_parts, q.inspector_rejected_parts
            );
            if !q.inspector_defects.is_empty() {
                let list: Vec<String> =
                    q.inspector_defects.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                let _ = writeln!(md, "Defects reported (per image): {}.", list.join(", "));
            }
        }
        if q.truth_frames == 0 {
            let _ = writeln!(
                md,
                "No ground truth was received (`ground_truth/inspection`): escaped defects cannot be counted.\n"
            );
        } else {
            let _ = writeln!(
                md,
                "The twin's ground truth covers {} parts ({} frames), {} of them defective.",
                q.truth_parts, q.truth_frames, q.truth_defective_parts
            );
        }
        if let Some(c) = q.comparison {
            let _ = writeln!(
                md,
                "\nVerdicts are paired with the truth of the same image (station and capture stamp).\n\n\
                 | parts judged | defective | found | escaped | false alarms | not judged (defective) | in view at the end |\n\
                 |---:|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {} ({}) | {} |",
                c.parts_judged,
                c.defective,
                c.found,
                c.escaped,
                c.false_alarms,
                c.not_judged,
                c.not_judged_defective,
                c.in_view_at_end
            );
        }
        let _ = writeln!(md);
    }

    fn energy_section(&self, md: &mut String, plots: &BTreeSet<String>) {
        let _ = writeln!(md, "## Energy\n");
        let Some(e) = &self.summary.energy else {
            let _ = writeln!(md, "No energy state was received (`energy_state`).\n");
            return;
        };
        let import = e.import_peak_kwh + e.import_offpeak_kwh;
        let peak_share = if import > 0.0 { 100.0 * e.import_peak_kwh / import } else { 0.0 };
        let _ = writeln!(
            md,
            "Totals since the twin started: site load {:.1} kWh, solar {:.1} kWh, grid import {:.1} kWh \
             ({:.1} kWh peak = {peak_share:.0} %, {:.1} kWh off-peak), export {:.1} kWh, cost {:.2}.\n",
            e.load_kwh, e.solar_kwh, import, e.import_peak_kwh, e.import_offpeak_kwh, e.export_kwh, e.cost
        );
        if let Some(stored) = &self.summary.stored_energy {
            let net = stored.net_cost.map_or_else(
                || "the off-peak price is unknown (no `factory_file`), so no net cost".to_string(),
                |net| format!("net of that change (valued at the off-peak price) the cost is {net:.2}"),
            );
            let _ = writeln!(
                md,
                "The site storage holds {:+.1} kWh more than at the start of the recording; the cost \
                 above paid for that energy when it was bought; {net}.\n",
                stored.change_kwh
            );
        }
        image(md, plots, plots::ENERGY, "Energy totals over time");
        image(md, plots, plots::ENERGY_COST, "Energy cost over time");
    }

    fn robots_section(&self, md: &mut String, plots: &BTreeSet<String>) {
        let s = &self.summary;
        let _ = writeln!(md, "## Robot utilisation\n");
        if s.robots.is_empty() {
            let _ = writeln!(md, "No robot status was received (`robot_status`).\n");
        } else {
            let states: BTreeSet<u8> = s.robots.iter().flat_map(|r| r.by_state.keys().copied()).collect();
            let _ = writeln!(
                md,
                "Share of each robot's time per state, from its heartbeats (a state holds until the next \
                 heartbeat; longer silences count as no heartbeat). Busy = navigating, manipulating or working.\n"
            );
            let mut header = String::from("| robot | hours |");
            let mut rule = String::from("|---|---:|");
            for st in &states {
                let _ = write!(header, " {} % |", robot_state::label(*st));
                rule.push_str("---:|");
            }
            let _ = writeln!(md, "{header} no heartbeat % |\n{rule}---:|");
            for r in &s.robots {
                let mut line = format!("| {} | {:.2} |", r.robot_id, r.total_s / 3600.0);
                for st in &states {
                    let _ = write!(line, " {:.1} |", 100.0 * r.by_state.get(st).copied().unwrap_or(0.0));
                }
                let _ = writeln!(md, "{line} {:.1} |", 100.0 * r.no_heartbeat);
            }
            let _ = writeln!(md);
            image(md, plots, plots::ROBOT_STATES, "Robot state shares");
        }
        image(md, plots, plots::FLEET_UTILISATION, "Fleet utilisation over time");
    }

    fn tasks_section(&self, md: &mut String) {
        let s = &self.summary;
        let _ = writeln!(md, "## Tasks and manual interventions\n");
        let Some(k) = &s.coordinator else {
            let _ = writeln!(md, "No factory KPIs were received from the coordinator (`factory_kpis`).\n");
            return;
        };
        let _ = writeln!(
            md,
            "From the coordinator's latest `factory_kpis` (a sliding window of {:.2} h): {} tasks completed, \
             {} failed for good, {} waiting, mean wait {:.1} s, fleet utilisation {:.1} %. \
             Manual interventions = tasks the autonomy could not close over the whole run: {} \
             (the most failed in any window: {}).\n",
            k.window_s / 3600.0,
            k.tasks_completed,
            k.tasks_failed,
            k.tasks_waiting,
            k.mean_task_wait_s,
            100.0 * k.robot_utilisation,
            s.manual_interventions().unwrap_or(0),
            s.coordinator_max_tasks_failed
        );
    }

    fn maintenance_section(&self, md: &mut String) {
        let s = &self.summary;
        let _ = writeln!(md, "## Maintenance\n");
        let w = &s.work_orders;
        if w.messages == 0 {
            let _ = writeln!(md, "No work orders were received (`work_orders`).\n");
        } else {
            let status: Vec<String> = w.by_status.iter().map(|(k, v)| format!("{v} {k}")).collect();
            let _ = writeln!(md, "{} work orders: {}.\n", w.total, status.join(", "));
            let _ = writeln!(md, "| work type | orders | done |\n|---|---:|---:|");
            for (t, (n, done)) in &w.by_type {
                let _ = writeln!(md, "| {t} | {n} | {done} |");
            }
            let _ = writeln!(md);
        }
        if s.maintenance.is_empty() {
            let _ = writeln!(md, "No maintenance events were received (`maintenance_events`).\n");
        } else {
            let _ = writeln!(
                md,
                "Maintenance at the machines (`maintenance_events`):\n\n| action | started | done | cancelled | failed |\n|---|---:|---:|---:|---:|"
            );
            for (action, c) in &s.maintenance {
                let _ = writeln!(
                    md,
                    "| {action} | {} | {} | {} | {} |",
                    c.started, c.done, c.cancelled, c.failed
                );
            }
            let _ = writeln!(md);
        }
    }

    fn recording_section(&self, md: &mut String) {
        let _ = writeln!(md, "## Recording\n");
        match &self.recording {
            None => {
                let _ = writeln!(md, "No MCAP recording was written.\n");
            }
            Some((path, topics)) => {
                let _ = writeln!(
                    md,
                    "`{}` (MCAP, ros2 profile, CDR): open it in Foxglove, or `ros2 bag info`/`ros2 bag play` it.\n",
                    path.display()
                );
                let _ = writeln!(md, "| topic | type | messages | MB |\n|---|---|---:|---:|");
                for t in topics {
                    let schema = if t.has_definition { "" } else { " (no definition found)" };
                    let _ = writeln!(
                        md,
                        "| {} | {}{schema} | {} | {:.2} |",
                        t.topic,
                        t.type_name,
                        t.messages,
                        t.bytes as f64 / 1e6
                    );
                }
                let _ = writeln!(md);
            }
        }
        if !self.topics_not_seen.is_empty() {
            let _ =
                writeln!(md, "Topics asked for but never published: {}.\n", self.topics_not_seen.join(", "));
        }
    }
}

const NO_DATA: &str = "no data";
const NOT_KNOWN: &str = "unknown (needs inspector verdicts and ground truth)";

fn found_without_truth(q: &Quality) -> String {
    if q.inspector_frames == 0 {
        NO_DATA.into()
    } else {
        format!("{} (rejected by the inspector; no truth to check)", q.inspector_rejected_parts)
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => NO_DATA.into(),
    }
}

fn image(md: &mut String, plots: &BTreeSet<String>, file: &str, title: &str) {
    if plots.contains(file) {
        let _ = writeln!(md, "![{title}]({file})\n");
    }
}

/// "H:MM:SS" of a sim time in seconds.
fn clock_text(t_s: f64) -> String {
    let total = t_s.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accumulator::AccumulatorConfig;
    use crate::inputs::{
        maintenance_event, robot_state, station_state, EnergyInput, InspectionInput, InspectionSource,
        MaintenanceInput, RobotInput, StationInput, WorkOrderInput,
    };

    fn station(t: f64, id: &str, parts: u64, busy: f64, blocked: f64, down: f64) -> StationInput {
        StationInput {
            stamp_s: t,
            station_id: id.into(),
            machine_id: format!("{id}_m"),
            state: station_state::BUSY,
            parts_completed: parts,
            busy_s: busy,
            blocked_s: blocked,
            starved_s: 0.0,
            down_s: down,
        }
    }

    fn frame(station: &str, stamp_ns: u64, part: &str, passed: bool) -> InspectionInput {
        InspectionInput {
            stamp_ns,
            station_id: station.into(),
            part_id: part.into(),
            passed,
            defect_classes: if passed { vec![] } else { vec![0] },
        }
    }

    /// One simulated hour of a two-station line, 30 parts out, one robot, energy.
    fn run() -> KpiAccumulator {
        let config = AccumulatorConfig {
            line_order: vec!["cut".into(), "pack".into()],
            robot_max_gap_s: 60.0,
            stored_energy_price_per_kwh: Some(0.12),
        };
        let mut acc = KpiAccumulator::new(config);
        for minute in 0..=60u64 {
            let t = minute as f64 * 60.0;
            // cut: busy 3/4 of the time; pack: busy 1/2, blocked 1/4, down the last 6 min.
            acc.on_station(station(t, "cut", minute, 0.75 * t, 0.0, 0.0));
            let down = (t - 3240.0).max(0.0);
            acc.on_station(station(t, "pack", minute / 2, 0.5 * t, 0.25 * t, down));
            let state = if minute % 2 == 0 { robot_state::WORKING } else { robot_state::IDLE };
            // Heartbeats every 30 s carry the state of that minute.
            acc.on_robot(RobotInput { stamp_s: t, robot_id: "optimus_1".into(), state, battery_soc: 0.9 });
            acc.on_robot(RobotInput {
                stamp_s: t + 30.0,
                robot_id: "optimus_1".into(),
                state,
                battery_soc: 0.9,
            });
            acc.on_energy(EnergyInput {
                stamp_s: t,
                load_kwh: t / 36.0,
                solar_kwh: t / 72.0,
                import_peak_kwh: t / 144.0,
                import_offpeak_kwh: t / 144.0,
                export_kwh: 0.0,
                cost: t / 100.0,
                // The storage charges 100 kWh over the hour.
                storage_kwh: 500.0 + t / 36.0,
            });
            if minute % 10 == 0 {
                acc.sample(t);
            }
        }
        acc.on_work_order(WorkOrderInput {
            stamp_s: 10.0,
            work_order_id: "wo-1".into(),
            machine_id: "pack_m".into(),
            work_type: "lubrication".into(),
            status: crate::inputs::work_order_status::DONE,
        });
        acc.on_maintenance(MaintenanceInput {
            action: "lubricate".into(),
            event: maintenance_event::DONE,
            ..MaintenanceInput::default()
        });
        acc
    }

    #[test]
    fn figures_of_a_known_run() {
        let acc = run();
        let s = KpiSummary::compute(&acc, 3600.0);
        let t = s.throughput.as_ref().expect("throughput");
        assert_eq!((t.parts_out, t.parts_in_span, t.final_station.as_str()), (30, 30, "pack"));
        assert!(t.final_station_known);
        assert!((t.per_hour.expect("rate") - 30.0).abs() < 1e-9);
        assert!((t.cycle_time_s.expect("cycle") - 120.0).abs() < 1e-9);
        let pack = s.stations.iter().find(|x| x.station_id == "pack").expect("pack");
        assert!((pack.busy - 0.5).abs() < 1e-9 && (pack.blocked - 0.25).abs() < 1e-9);
        assert!((pack.down - 0.1).abs() < 1e-9, "6 of 60 min down: {}", pack.down);
        assert!((pack.idle - 0.15).abs() < 1e-9);
        assert!((s.downtime_by_cause[crate::accumulator::CAUSE_UNPLANNED] - 360.0).abs() < 1e-9);
        // The robot works in even minutes; 121 heartbeat intervals of 30 s, 61 of them
        // (minutes 0, 2, .., 60) working, none unaccounted.
        let u = s.fleet_utilisation.expect("fleet");
        assert!((u - 61.0 / 121.0).abs() < 1e-9, "{u}");
        assert_eq!(s.robots[0].no_heartbeat, 0.0);
        assert_eq!(s.work_orders.by_type["lubrication"], (1, 1));
        assert_eq!(s.energy.as_ref().map(|e| e.load_kwh), Some(100.0));
        assert_eq!(s.samples.len(), 7);
        assert_eq!(s.samples.last().and_then(|x| x.parts_out), Some(30));
    }

    #[test]
    fn verdicts_pair_with_truth_by_frame_and_count_found_and_escaped() {
        let mut acc = KpiAccumulator::default();
        // Twin part 1 defective, caught on its second frame; part 2 defective, passed;
        // part 3 clean but rejected; part 4 defective and never judged; part 5 defective,
        // still in view when the recording ended.
        let truth = [
            ("1", 10, false),
            ("1", 11, false),
            ("2", 20, false),
            ("3", 30, true),
            ("4", 40, false),
            ("5", 50, false),
            ("5", 51, false),
        ];
        for (part, stamp, passed) in truth {
            acc.on_inspection(InspectionSource::GroundTruth, frame("inspect", stamp, part, passed));
        }
        // The inspector numbers parts its own way: only the frame stamps match.
        let verdicts = [
            ("inspect-1", 10, true),
            ("inspect-1", 11, false),
            ("inspect-2", 20, true),
            ("inspect-3", 30, false),
        ];
        for (part, stamp, passed) in verdicts {
            acc.on_inspection(InspectionSource::Inspector, frame("inspect", stamp, part, passed));
        }
        let q = KpiSummary::compute(&acc, 0.0).quality;
        assert_eq!((q.inspector_parts, q.inspector_rejected_parts), (3, 2));
        assert_eq!((q.truth_parts, q.truth_defective_parts), (5, 4));
        let c = q.comparison.expect("both sources");
        assert_eq!(
            c,
            Comparison {
                parts_judged: 3,
                defective: 2,
                found: 1,
                escaped: 1,
                false_alarms: 1,
                not_judged: 1,
                not_judged_defective: 1,
                in_view_at_end: 1
            }
        );
        assert_eq!(q.inspector_defects["scratch"], 2);
    }

    #[test]
    fn report_files_hold_the_table_the_plots_and_say_what_was_missing() {
        let acc = run();
        let dir = std::env::temp_dir().join(format!("factory_recorder_report_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut report = Report::new(KpiSummary::compute(&acc, 3600.0));
        report.topics_not_seen = vec!["/factory_kpis".into()];
        let files = report.write(&dir).expect("report written");
        let md = std::fs::read_to_string(&files.markdown).expect("markdown");
        assert!(md.contains("| KPI | value | unit |"));
        assert!(md.contains("| Parts out | 30 | parts |"), "{md}");
        assert!(md.contains("| Throughput | 30.0 | parts/h |"));
        assert!(md.contains("| Energy cost | 36.00 | currency |"));
        // 36.00 paid, of which 100 kWh still stored, worth 12.00 at the off-peak price.
        assert!(md.contains("| Stored energy change (site storage) | 100.0 | kWh |"), "{md}");
        assert!(md.contains(
            "| Energy cost net of the stored energy change (valued off-peak) | 24.00 | currency |"
        ));
        assert!(md.contains(
            "| Energy cost per part out, net of the stored energy change | 0.800 | currency/part |"
        ));
        assert!(md.contains("| Manual interventions (tasks failed for good, whole run) | no data | tasks |"));
        assert!(md.contains("No inspection results were received"));
        assert!(md.contains("No ground truth was received"));
        assert!(md.contains("No factory KPIs were received"));
        assert!(md.contains("Topics asked for but never published: /factory_kpis."));
        let names: Vec<String> = files
            .plots
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        for plot in [
            crate::plots::PARTS_OUT,
            crate::plots::STATION_STATES,
            crate::plots::ENERGY,
            crate::plots::ENERGY_COST,
            crate::plots::ROBOT_STATES,
            crate::plots::FLEET_UTILISATION,
        ] {
            assert!(names.iter().any(|n| n == plot), "{plot} drawn");
            assert!(md.contains(&format!("]({plot})")), "{plot} embedded");
            let svg = std::fs::read_to_string(dir.join(plot)).expect("svg");
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{plot} is an SVG");
        }
        // The station plot names each station on its axis.
        let stations = std::fs::read_to_string(dir.join(crate::plots::STATION_STATES)).expect("svg");
        assert!(stations.contains("\npack\n") && stations.contains("\ncut\n"));
        assert!(!dir.join("report.md.partial").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_empty_run_still_writes_an_honest_report() {
        let dir = std::env::temp_dir().join(format!("factory_recorder_empty_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let report = Report::new(KpiSummary::compute(&KpiAccumulator::default(), 0.0));
        let files = report.write(&dir).expect("report written");
        assert!(files.plots.is_empty());
        let md = std::fs::read_to_string(&files.markdown).expect("markdown");
        assert!(md.contains("| Parts out | no data | parts |"));
        assert!(md.contains("No station states were received"));
        assert!(md.contains("No energy state was received"));
        assert!(md.contains("No robot status was received"));
        assert!(md.contains("> **Warning:** no robot reported (`robot_status`)"), "{md}");
        assert!(md.contains("> **Warning:** no station state was received"), "{md}");
        assert!(!md.contains("!["), "no images without data");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
