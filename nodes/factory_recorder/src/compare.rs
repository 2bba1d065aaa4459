//! Autonomy against a baseline: the headline figures of several runs of each (one per
//! seed, same scenario), averaged with their spread, and the seed's claims checked
//! against the per-seed improvements.
//!
//! Each run's recorder writes its figures as `kpis.yaml` next to its report;
//! [`comparison_markdown`] reads nothing but those.

use crate::report::{KpiSummary, ReportError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const KPIS_FILE: &str = "kpis.yaml";

/// The headline figures of one run, by name (the unit is in the name). A figure whose
/// source sent nothing is absent, never zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunKpis(pub BTreeMap<String, f64>);

impl RunKpis {
    pub fn from_summary(s: &KpiSummary) -> RunKpis {
        let mut k = BTreeMap::new();
        let mut put = |name: &str, v: Option<f64>| {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                k.insert(name.to_string(), v);
            }
        };
        let t = s.throughput.as_ref();
        let parts_out = t.map(|t| t.parts_out as f64);
        put("span_h", t.map(|t| t.span_s / 3600.0));
        put("parts_out", parts_out);
        put("throughput_parts_per_h", t.and_then(|t| t.per_hour));
        put("cycle_time_s", t.and_then(|t| t.cycle_time_s));
        let n = s.stations.len() as f64;
        if n > 0.0 {
            put(
                "station_availability_pct",
                Some(100.0 * s.stations.iter().map(|x| 1.0 - x.down).sum::<f64>() / n),
            );
            put("downtime_min", Some(s.downtime_by_cause.values().fold(0.0, |a, b| a + b) / 60.0));
        }
        if let Some(c) = s.quality.comparison {
            // A defective part that left uninspected escaped as surely as one passed.
            let escaped = (c.escaped + c.not_judged_defective) as f64;
            put("defective_found", Some(c.found as f64));
            put("defective_escaped", Some(escaped));
            put("escaped_per_100_parts", parts_out.filter(|p| *p > 0.0).map(|p| 100.0 * escaped / p));
            put("false_alarms", Some(c.false_alarms as f64));
        }
        if let Some(e) = &s.energy {
            let per_part = |v: f64| parts_out.filter(|p| *p > 0.0).map(|p| v / p);
            put("energy_kwh", Some(e.load_kwh));
            put("energy_per_part_kwh", per_part(e.load_kwh));
            put("grid_import_peak_kwh", Some(e.import_peak_kwh));
            put("grid_import_kwh", Some(e.import_peak_kwh + e.import_offpeak_kwh));
            put("energy_cost", Some(e.cost));
            put("energy_cost_per_part", per_part(e.cost));
            put("energy_cost_net_per_part", s.stored_energy.and_then(|s| s.net_cost).and_then(per_part));
        }
        put("fleet_utilisation_pct", s.fleet_utilisation.map(|u| 100.0 * u));
        if let Some(c) = &s.coordinator {
            put("tasks_completed", Some(f64::from(c.tasks_completed)));
            put("mean_task_wait_s", Some(c.mean_task_wait_s));
        }
        put("manual_interventions", s.manual_interventions().map(f64::from));
        if s.work_orders.messages > 0 {
            put("work_orders_done", s.work_orders.by_status.get("done").map(|v| *v as f64).or(Some(0.0)));
        }
        RunKpis(k)
    }

    /// Writes `kpis.yaml` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, ReportError> {
        let path = dir.join(KPIS_FILE);
        let text = serde_yaml::to_string(&self.0)
            .map_err(|e| ReportError::Write { path: path.clone(), reason: e.to_string() })?;
        std::fs::write(&path, text)
            .map_err(|e| ReportError::Write { path: path.clone(), reason: e.to_string() })?;
        Ok(path)
    }

    pub fn load(path: &Path) -> Result<RunKpis, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_yaml::from_str(&text).map(RunKpis).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Mean and sample standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
    pub n: usize,
}

pub fn spread(values: &[f64]) -> Option<Spread> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some(Spread { mean, sd, n })
}

/// A figure of the comparison table.
struct Figure {
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    decimals: usize,
}

const FIGURES: &[Figure] = &[
    Figure { key: "parts_out", label: "Parts out", unit: "parts", decimals: 1 },
    Figure { key: "throughput_parts_per_h", label: "Throughput", unit: "parts/h", decimals: 1 },
    Figure { key: "cycle_time_s", label: "Cycle time (between parts out)", unit: "s", decimals: 1 },
    Figure { key: "station_availability_pct", label: "Station availability", unit: "%", decimals: 1 },
    Figure { key: "downtime_min", label: "Station downtime", unit: "min", decimals: 1 },
    Figure { key: "defective_found", label: "Defective parts found", unit: "parts", decimals: 1 },
    Figure { key: "defective_escaped", label: "Defective parts escaped", unit: "parts", decimals: 1 },
    Figure { key: "escaped_per_100_parts", label: "Escaped per 100 parts out", unit: "parts", decimals: 2 },
    Figure { key: "energy_per_part_kwh", label: "Energy per part out", unit: "kWh/part", decimals: 2 },
    Figure { key: "grid_import_peak_kwh", label: "Grid import, peak tariff", unit: "kWh", decimals: 1 },
    Figure {
        key: "energy_cost_per_part",
        label: "Energy cost per part out",
        unit: "currency/part",
        decimals: 3,
    },
    Figure {
        key: "energy_cost_net_per_part",
        label: "Energy cost per part out, net of stored energy",
        unit: "currency/part",
        decimals: 3,
    },
    Figure { key: "manual_interventions", label: "Manual interventions", unit: "tasks", decimals: 1 },
    Figure { key: "tasks_completed", label: "Robot tasks completed", unit: "tasks", decimals: 1 },
    Figure { key: "mean_task_wait_s", label: "Mean task wait", unit: "s", decimals: 1 },
    Figure { key: "fleet_utilisation_pct", label: "Fleet utilisation", unit: "%", decimals: 1 },
    Figure { key: "work_orders_done", label: "Maintenance work orders done", unit: "orders", decimals: 1 },
];

/// One of the seed's claims: a relative reduction of `key` (lower is better) in a range.
struct Claim {
    claim: &'static str,
    key: &'static str,
    low_pct: f64,
    high_pct: f64,
}

const CLAIMS: &[Claim] = &[
    Claim { claim: "25–50 % faster production cycles", key: "cycle_time_s", low_pct: 25.0, high_pct: 50.0 },
    Claim { claim: "40–70 % lower downtime", key: "downtime_min", low_pct: 40.0, high_pct: 70.0 },
    Claim {
        claim: "near-zero defects (escaped per 100 parts; read as ≥ 90 % fewer)",
        key: "escaped_per_100_parts",
        low_pct: 90.0,
        high_pct: 100.0,
    },
    Claim {
        claim: "30–60 % better energy efficiency (kWh per part)",
        key: "energy_per_part_kwh",
        low_pct: 30.0,
        high_pct: 60.0,
    },
    Claim {
        claim: "50–80 % fewer manual interventions",
        key: "manual_interventions",
        low_pct: 50.0,
        high_pct: 80.0,
    },
];

fn values<'a>(runs: &'a [(String, RunKpis)], key: &'a str) -> impl Iterator<Item = (&'a str, f64)> + 'a {
    runs.iter().filter_map(move |(seed, k)| k.0.get(key).map(|v| (seed.as_str(), *v)))
}

fn cell(s: Option<Spread>, decimals: usize) -> String {
    match s {
        Some(s) if s.n > 1 => format!("{:.d$} ± {:.d$} (n={})", s.mean, s.sd, s.n, d = decimals),
        Some(s) => format!("{:.d$} (n=1)", s.mean, d = decimals),
        None => "no data".into(),
    }
}

/// Per seed: the reduction of `key` from baseline to autonomy, percent of the baseline.
/// Seeds where the baseline is 0 have no relative change.
pub fn reductions_pct(autonomy: &[(String, RunKpis)], baseline: &[(String, RunKpis)], key: &str) -> Vec<f64> {
    let base: BTreeMap<&str, f64> = values(baseline, key).collect();
    values(autonomy, key)
        .filter_map(|(seed, a)| base.get(seed).filter(|b| **b > 0.0).map(|b| 100.0 * (b - a) / b))
        .collect()
}

/// The comparison report: every figure side by side (mean ± sd over seeds), then each
/// claim against the per-seed reductions. Runs are paired by their seed label.
pub fn comparison_markdown(autonomy: &[(String, RunKpis)], baseline: &[(String, RunKpis)]) -> String {
    let mut md = String::new();
    let seeds =
        |runs: &[(String, RunKpis)]| runs.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(", ");
    let _ = writeln!(md, "# Autonomy against the baseline\n");
    let _ = writeln!(
        md,
        "Same scenario and seeds; autonomy runs: {}; baseline runs: {}. The baseline: first-come \
         nearest-idle dispatch without preemption, reactive maintenance (repair after failure), \
         sampled inspection (one part in 5), no storage dispatch. Values are mean ± sample \
         standard deviation over the seeds.\n",
        seeds(autonomy),
        seeds(baseline)
    );
    let span =
        |runs: &[(String, RunKpis)]| spread(&values(runs, "span_h").map(|(_, v)| v).collect::<Vec<_>>());
    let _ = writeln!(
        md,
        "Recorded span per run: autonomy {} h, baseline {} h.\n",
        cell(span(autonomy), 2),
        cell(span(baseline), 2)
    );
    let _ = writeln!(md, "| KPI | unit | autonomy | baseline |\n|---|---|---:|---:|");
    for f in FIGURES {
        let a = spread(&values(autonomy, f.key).map(|(_, v)| v).collect::<Vec<_>>());
        let b = spread(&values(baseline, f.key).map(|(_, v)| v).collect::<Vec<_>>());
        let _ =
            writeln!(md, "| {} | {} | {} | {} |", f.label, f.unit, cell(a, f.decimals), cell(b, f.decimals));
    }
    let _ = writeln!(md, "\n## The seed's claims\n");
    let _ = writeln!(
        md,
        "Reduction = (baseline − autonomy) / baseline per seed, then mean ± sd. A seed whose \
         baseline is 0 has no relative change and is left out.\n"
    );
    let _ =
        writeln!(md, "| claim | measure | reduction per seed | claimed | verdict |\n|---|---|---:|---|---|");
    for c in CLAIMS {
        let r = reductions_pct(autonomy, baseline, c.key);
        let s = spread(&r);
        let verdict = match s {
            None => "not measurable: the baseline shows none".to_string(),
            Some(s) if s.mean >= c.low_pct => "met".to_string(),
            Some(s) if s.mean > 0.0 => format!("better, short of {} %", c.low_pct),
            Some(_) => "not met".to_string(),
        };
        let _ = writeln!(
            md,
            "| {} | `{}` | {} | {}–{} % | {} |",
            c.claim,
            c.key,
            s.map_or("n/a".into(), |s| format!("{:.1} ± {:.1} % (n={})", s.mean, s.sd, s.n)),
            c.low_pct,
            c.high_pct,
            verdict
        );
    }
    md
}

/// The runs under `dir`: sub-directories `<prefix><seed>` holding `kpis.yaml`, by seed.
pub fn load_runs(dir: &Path, prefix: &str) -> Result<Vec<(String, RunKpis)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut runs = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(seed) = name.strip_prefix(prefix) else { continue };
        let file = entry.path().join(KPIS_FILE);
        if file.exists() {
            runs.push((seed.to_string(), RunKpis::load(&file)?));
        }
    }
    runs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: &str, pairs: &[(&str, f64)]) -> (String, RunKpis) {
        (seed.to_string(), RunKpis(pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()))
    }

    #[test]
    fn spread_is_the_sample_deviation() {
        let s = spread(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).expect("spread");
        assert_eq!(s.mean, 5.0);
        assert!((s.sd - 2.138_089_935).abs() < 1e-6, "{s:?}");
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn reductions_pair_runs_by_seed_and_skip_zero_baselines() {
        let autonomy = vec![run("1", &[("cycle_time_s", 60.0)]), run("2", &[("cycle_time_s", 45.0)])];
        let baseline = vec![
            run("2", &[("cycle_time_s", 90.0)]),
            run("1", &[("cycle_time_s", 80.0)]),
            run("3", &[("cycle_time_s", 70.0)]),
        ];
        assert_eq!(reductions_pct(&autonomy, &baseline, "cycle_time_s"), vec![25.0, 50.0]);
        let zero = vec![run("1", &[("downtime_min", 0.0)])];
        assert!(reductions_pct(&zero, &zero, "downtime_min").is_empty());
    }

    #[test]
    fn the_markdown_shows_both_sides_and_judges_each_claim() {
        let autonomy = vec![
            run("1", &[("cycle_time_s", 60.0), ("manual_interventions", 1.0), ("downtime_min", 0.0)]),
            run("2", &[("cycle_time_s", 62.0), ("manual_interventions", 0.0), ("downtime_min", 0.0)]),
        ];
        let baseline = vec![
            run("1", &[("cycle_time_s", 100.0), ("manual_interventions", 4.0), ("downtime_min", 0.0)]),
            run("2", &[("cycle_time_s", 66.0), ("manual_interventions", 2.0), ("downtime_min", 0.0)]),
        ];
        let md = comparison_markdown(&autonomy, &baseline);
        assert!(
            md.contains("| Cycle time (between parts out) | s | 61.0 ± 1.4 (n=2) | 83.0 ± 24.0 (n=2) |"),
            "{md}"
        );
        // Cycle time: 40 % and 6.06 % -> mean 23.0 %, short of 25.
        assert!(md.contains("| 23.0 ± 24.0 % (n=2) | 25–50 % | better, short of 25 % |"), "{md}");
        // Interventions: 75 % and 100 % -> met.
        assert!(md.contains("| 87.5 ± 17.7 % (n=2) | 50–80 % | met |"), "{md}");
        // No downtime in either: not measurable, never "met".
        assert!(md.contains("| n/a | 40–70 % | not measurable: the baseline shows none |"), "{md}");
        assert!(md.contains("| Station downtime | min | 0.0 ± 0.0 (n=2) | 0.0 ± 0.0 (n=2) |"), "{md}");
        assert!(md.contains("| Throughput | parts/h | no data | no data |"), "{md}");
    }

    #[test]
    fn runs_load_by_prefix_and_a_kpis_file_round_trips() {
        let dir = std::env::temp_dir().join(format!("compare_runs_{}", std::process::id()));
        for (sub, v) in [("autonomy_seed2", 2.0), ("autonomy_seed1", 1.0), ("baseline_seed1", 9.0)] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).expect("dir");
            RunKpis([("parts_out".to_string(), v)].into_iter().collect()).save(&d).expect("save");
        }
        let a = load_runs(&dir, "autonomy_seed").expect("load");
        assert_eq!(
            a.iter().map(|(s, k)| (s.as_str(), k.0["parts_out"])).collect::<Vec<_>>(),
            [("1", 1.0), ("2", 2.0)]
        );
        assert_eq!(load_runs(&dir, "baseline_seed").expect("load").len(), 1);
        std::fs::write(dir.join("autonomy_seed2").join(KPIS_FILE), "parts_out: [").expect("write");
        assert!(load_runs(&dir, "autonomy_seed").is_err_and(|e| e.contains("kpis.yaml")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
