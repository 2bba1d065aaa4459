//! Remaining useful life on synthetic degradation runs: the estimate converges to the
//! truth and the truth stays inside the 90 % band.

use maintenance_dispatcher::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

const HOUR: f64 = 3600.0;

/// Exponential degradation D(t) = D0·exp(b·t)·exp(ε) from t = 0 until D = 1.
/// Returns (failure time, observations every 10 minutes).
fn run(life_h: f64, noise: f64, seed: u64) -> (f64, Vec<(f64, f64)>) {
    let d0: f64 = 0.03;
    let b = -d0.ln() / (life_h * HOUR);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let eps = Normal::new(0.0, noise).unwrap();
    let obs = (0..)
        .map(|i| i as f64 * 600.0)
        .take_while(|&t| t < life_h * HOUR)
        .map(|t| (t, d0 * (b * t + eps.sample(&mut rng)).exp()))
        .collect();
    (life_h * HOUR, obs)
}

/// Forecast at each checkpoint (fraction of life) of one run: (truth, forecast).
fn checkpoints(life_h: f64, noise: f64, seed: u64) -> Vec<(f64, Forecast)> {
    let (t_fail, obs) = run(life_h, noise, seed);
    let mut p = Prognoser::new(PrognosisParams::default());
    let mut out = Vec::new();
    for &(t, d) in &obs {
        p.observe(t, d);
        for checkpoint in [0.3, 0.5, 0.7, 0.9] {
            if (t / t_fail - checkpoint).abs() < 0.5 * 600.0 / t_fail {
                out.push((t_fail - t, p.forecast(t)));
            }
        }
    }
    out
}

#[test]
fn rul_converges_to_the_truth() {
    for (seed, life_h, noise) in [(1, 120.0, 0.1), (2, 60.0, 0.15), (3, 300.0, 0.05), (4, 200.0, 0.2)] {
        let cps = checkpoints(life_h, noise, seed);
        assert_eq!(cps.len(), 4, "seed {seed}: checkpoints missed");
        let rel: Vec<f64> = cps.iter().map(|(truth, f)| ((f.rul_mean_s - truth) / truth).abs()).collect();
        // Late in life the mean is within 10 % of the truth.
        assert!(rel[2] < 0.10 && rel[3] < 0.10, "seed {seed}: relative errors {rel:?}");
        for (truth, f) in &cps {
            assert!(f.model_ready);
            let deadline = f.deadline_s.unwrap();
            // The deadline lies between now and the true failure.
            let now = f.expected_failure_s - f.rul_mean_s;
            assert!(deadline > now && deadline < now + truth, "seed {seed}: {f:?} truth {truth}");
        }
    }
}

#[test]
fn truth_is_inside_the_90_percent_band() {
    // A 90 % band misses one time in ten by design, so coverage is measured over many
    // seeded runs rather than asserted for a single one.
    let (mut inside, mut total) = (0, 0);
    let mut misses = Vec::new();
    for seed in 0..60u64 {
        let life_h = 50.0 + 5.0 * seed as f64;
        let noise = [0.05, 0.1, 0.2][seed as usize % 3];
        for (i, (truth, f)) in checkpoints(life_h, noise, 1000 + seed).into_iter().enumerate() {
            total += 1;
            if f.rul_lower_s <= truth && truth <= f.rul_upper_s {
                inside += 1;
            } else {
                misses.push(format!(
                    "seed {seed} cp {i}: truth {:.1} h, band [{:.1}, {:.1}] h",
                    truth / HOUR,
                    f.rul_lower_s / HOUR,
                    f.rul_upper_s / HOUR
                ));
            }
        }
    }
    let coverage = inside as f64 / total as f64;
    eprintln!("90 % band coverage: {inside}/{total} = {coverage:.3}");
    assert!(coverage >= 0.85, "coverage {coverage:.3} over {total}:\n{}", misses.join("\n"));
}

#[test]
fn failure_probability_rises_towards_failure_and_resets_after_repair() {
    let (t_fail, obs) = run(100.0, 0.1, 9);
    let mut p = Prognoser::new(PrognosisParams { horizon_s: 10.0 * HOUR, ..PrognosisParams::default() });
    let mut probs = Vec::new();
    for &(t, d) in &obs {
        p.observe(t, d);
        if [20.0, 40.0, 60.0, 95.0].contains(&(t / HOUR)) {
            probs.push(p.forecast(t).failure_probability);
        }
    }
    // Far from failure the 10 h risk is negligible; 5 h before failure it is large.
    assert_eq!(probs.len(), 4);
    assert!(probs[0] < 0.01 && probs[2] < 0.01 && probs[3] > 0.9, "{probs:?}");
    let late = p.forecast(t_fail - 2.0 * HOUR);
    assert!(late.failure_probability > 0.9 && late.health_index < 0.3, "{late:?}");
    assert!(late.health_trend_per_s < 0.0);
    p.reset();
    let fresh = p.forecast(t_fail);
    assert!(!fresh.model_ready && fresh.failure_probability == 0.0);
}

#[test]
fn linear_model_for_fatigue_like_damage() {
    let params = PrognosisParams { model: DegradationModel::Linear, ..PrognosisParams::default() };
    let mut p = Prognoser::new(params);
    // Miner damage growing at 1 % per hour from 0 → failure at 100 h.
    for i in 0..=500 {
        let t = i as f64 * 600.0;
        p.observe(t, t / (100.0 * HOUR));
    }
    let now = 500.0 * 600.0;
    let f = p.forecast(now);
    let truth = 100.0 * HOUR - now;
    assert!(((f.rul_mean_s - truth) / truth).abs() < 0.05, "{f:?} truth {truth}");
}
