//! The final fastening of a part before inspection: a nutrunner drives one bolt to its
//! target torque and records torque over angle, the trace a real station controller
//! uploads per fastening.
//!
//! The run-down model: below the snug angle the bolt turns against its prevailing
//! (thread friction) torque; past it the joint clamps and torque rises linearly with
//! the joint stiffness until the tool reaches the target torque and stops. Snug angle
//! and stiffness scatter from part to part. Three faults change the curve the way they
//! do on a real line:
//! - cross-thread: high friction from the first turn, so the target is reached early
//!   (short final angle, high run-down torque);
//! - soft joint (missing washer, gasket): half the stiffness, so the target is reached
//!   late (long final angle, low clamp torque);
//! - stripped thread: the thread gives way part-way up the clamp ramp; torque collapses
//!   and the tool turns on until its angle limit.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::config::FasteningConfig;

/// A fastening fault, as injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FasteningFault {
    CrossThread,
    SoftJoint,
    StrippedThread,
}

impl FasteningFault {
    pub fn as_str(self) -> &'static str {
        match self {
            FasteningFault::CrossThread => "cross_thread",
            FasteningFault::SoftJoint => "soft_joint",
            FasteningFault::StrippedThread => "stripped_thread",
        }
    }
}

/// One part's fastening, drawn from its random stream.
#[derive(Debug, Clone, PartialEq)]
pub struct FasteningSpec {
    pub snug_angle_deg: f64,
    pub stiffness_nm_per_deg: f64,
    pub fault: Option<FasteningFault>,
    /// stripped thread: fraction of the target torque at which the thread gives way
    pub strip_at_fraction: f64,
    /// seed of the trace's sensor noise
    pub noise_seed: u64,
}

/// A recorded run-down: angle from the start of the run-down (strictly increasing) and
/// the torque at each angle.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TorqueTrace {
    pub angle_deg: Vec<f64>,
    pub torque_nm: Vec<f64>,
}

/// Friction of a cross-threaded bolt, as a fraction of the target torque.
const CROSS_THREAD_FRICTION: f64 = 0.35;
/// Stiffness of a soft joint, as a fraction of the nominal.
const SOFT_JOINT_STIFFNESS: f64 = 0.5;
/// Torque left once a thread has stripped, as a fraction of the prevailing torque.
const STRIPPED_RESIDUAL: f64 = 0.5;

/// Draws a part's fastening. Every random number is drawn whether or not a fault is
/// injected, so the fault probability does not change the other draws.
pub fn sample(cfg: &FasteningConfig, rng: &mut ChaCha8Rng) -> FasteningSpec {
    let [lo, hi] = cfg.snug_angle_deg;
    let snug_angle_deg = if hi > lo { rng.gen_range(lo..=hi) } else { lo };
    let jitter = Normal::new(0.0, cfg.stiffness_jitter).map_or(0.0, |n| n.sample(rng));
    let stiffness_nm_per_deg = cfg.stiffness_nm_per_deg * (1.0 + jitter).clamp(0.5, 1.5);
    let p: f64 = rng.gen();
    let which: usize = rng.gen_range(0..3);
    let strip_at_fraction = rng.gen_range(0.3..0.7);
    let noise_seed: u64 = rng.gen();
    let fault = (p < cfg.fault_probability).then_some(match which {
        0 => FasteningFault::CrossThread,
        1 => FasteningFault::SoftJoint,
        _ => FasteningFault::StrippedThread,
    });
    FasteningSpec { snug_angle_deg, stiffness_nm_per_deg, fault, strip_at_fraction, noise_seed }
}

/// Torque at `angle` of a noise-free run-down, and whether the tool stops there.
fn torque_at(cfg: &FasteningConfig, spec: &FasteningSpec, angle: f64, stripped: &mut bool) -> f64 {
    let target = cfg.target_torque_nm;
    let prevailing = match spec.fault {
        Some(FasteningFault::CrossThread) => cfg.prevailing_torque_nm + CROSS_THREAD_FRICTION * target,
        _ => cfg.prevailing_torque_nm,
    };
    let stiffness = match spec.fault {
        Some(FasteningFault::SoftJoint) => spec.stiffness_nm_per_deg * SOFT_JOINT_STIFFNESS,
        _ => spec.stiffness_nm_per_deg,
    };
    let clamp = prevailing + stiffness * (angle - spec.snug_angle_deg).max(0.0);
    if spec.fault == Some(FasteningFault::StrippedThread) && clamp >= spec.strip_at_fraction * target {
        *stripped = true;
    }
    if *stripped {
        STRIPPED_RESIDUAL * cfg.prevailing_torque_nm
    } else {
        clamp
    }
}

/// Samples the run-down every `angle_step_deg` until the torque reaches the target or
/// the angle reaches `max_angle_deg`, with Gaussian sensor noise.
pub fn run_down(cfg: &FasteningConfig, spec: &FasteningSpec) -> TorqueTrace {
    let mut noise_rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(spec.noise_seed);
    let noise = Normal::new(0.0, cfg.noise_std_nm).ok();
    let mut out = TorqueTrace::default();
    let mut stripped = false;
    let steps = (cfg.max_angle_deg / cfg.angle_step_deg).ceil() as usize;
    for k in 0..=steps {
        let angle = (k as f64 * cfg.angle_step_deg).min(cfg.max_angle_deg);
        if out.angle_deg.last().is_some_and(|a| *a >= angle) {
            break;
        }
        let clean = torque_at(cfg, spec, angle, &mut stripped);
        let measured = clean + noise.map_or(0.0, |n| n.sample(&mut noise_rng));
        out.angle_deg.push(angle);
        out.torque_nm.push(measured);
        if clean >= cfg.target_torque_nm {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn cfg() -> FasteningConfig {
        FasteningConfig::default()
    }

    fn spec(fault: Option<FasteningFault>) -> FasteningSpec {
        FasteningSpec {
            snug_angle_deg: 30.0,
            stiffness_nm_per_deg: cfg().stiffness_nm_per_deg,
            fault,
            strip_at_fraction: 0.5,
            noise_seed: 7,
        }
    }

    fn final_angle(t: &TorqueTrace) -> f64 {
        t.angle_deg.last().copied().unwrap_or(0.0)
    }

    #[test]
    fn a_good_run_down_stops_at_the_target_torque_where_the_stiffness_says() {
        let c = cfg();
        let t = run_down(&c, &spec(None));
        let expected = 30.0 + (c.target_torque_nm - c.prevailing_torque_nm) / c.stiffness_nm_per_deg;
        assert!((final_angle(&t) - expected).abs() <= c.angle_step_deg, "{} vs {expected}", final_angle(&t));
        let last = t.torque_nm.last().copied().unwrap_or(0.0);
        assert!((last - c.target_torque_nm).abs() < 4.0 * c.noise_std_nm + c.stiffness_nm_per_deg, "{last}");
        assert!(t.angle_deg.windows(2).all(|w| w[1] > w[0]));
        assert_eq!(t.angle_deg.len(), t.torque_nm.len());
    }

    #[test]
    fn each_fault_moves_the_final_angle_the_way_it_does_on_a_line() {
        let c = cfg();
        let good = final_angle(&run_down(&c, &spec(None)));
        let cross = run_down(&c, &spec(Some(FasteningFault::CrossThread)));
        let soft = run_down(&c, &spec(Some(FasteningFault::SoftJoint)));
        let stripped = run_down(&c, &spec(Some(FasteningFault::StrippedThread)));
        assert!(final_angle(&cross) < good - 20.0, "cross-thread {} vs {good}", final_angle(&cross));
        assert!(final_angle(&soft) > good + 40.0, "soft joint {} vs {good}", final_angle(&soft));
        assert_eq!(final_angle(&stripped), c.max_angle_deg, "a stripped thread runs to the angle limit");
        // Cross-thread: the free run-down already needs a third of the target torque.
        let early = cross.torque_nm.get(5).copied().unwrap_or(0.0);
        assert!(early > 0.3 * c.target_torque_nm, "{early}");
        // Stripped: the torque never reaches the target.
        let peak = stripped.torque_nm.iter().copied().fold(f64::MIN, f64::max);
        assert!(peak < 0.7 * c.target_torque_nm, "{peak}");
    }

    #[test]
    fn the_fault_rate_follows_the_configured_probability_and_draws_are_repeatable() {
        let c = FasteningConfig { fault_probability: 0.2, ..cfg() };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let specs: Vec<FasteningSpec> = (0..2000).map(|_| sample(&c, &mut rng)).collect();
        let faulty = specs.iter().filter(|s| s.fault.is_some()).count() as f64 / specs.len() as f64;
        assert!((faulty - 0.2).abs() < 0.03, "{faulty}");
        for f in [FasteningFault::CrossThread, FasteningFault::SoftJoint, FasteningFault::StrippedThread] {
            assert!(specs.iter().any(|s| s.fault == Some(f)), "{f:?} never drawn");
        }
        let mut again = ChaCha8Rng::seed_from_u64(3);
        assert_eq!(sample(&c, &mut again), specs[0]);
        assert_eq!(run_down(&c, &specs[0]), run_down(&c, &specs[0]));
    }
}
