//! Inverse kinematics: Levenberg-Marquardt (adaptive damped least squares) on the full
//! 6-D pose error, joint limits enforced by clamping every step, random restarts when an
//! attempt stalls. The first attempt starts from the caller's seed (the current state), so
//! the answer is normally the solution in the seed's basin; angles of continuous and
//! wide-range joints are then moved by whole turns towards the seed. With
//! `IkOptions::solutions` > 1 several solutions are collected and the one nearest the seed
//! is returned.

use crate::chain::ArmGroup;
use nalgebra::{Isometry3, Matrix6, Matrix6xX, Vector6};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::{PI, TAU};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct IkOptions {
    /// Tip position error allowed, metres.
    pub position_tolerance: f64,
    /// Tip orientation error allowed (angle of the rotation between goal and tip), radians.
    pub orientation_tolerance: f64,
    /// Wall-time budget for the whole solve.
    pub timeout: Duration,
    /// Solutions to collect before returning the one nearest the seed (1 = first found).
    pub solutions: usize,
    /// Iterations before an attempt counts as stalled and a random restart begins.
    pub max_iterations_per_attempt: usize,
}

impl Default for IkOptions {
    fn default() -> Self {
        IkOptions {
            position_tolerance: 1e-5,
            orientation_tolerance: 1e-5,
            timeout: Duration::from_millis(5),
            solutions: 1,
            max_iterations_per_attempt: 80,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IkSolution {
    pub positions: Vec<f64>,
    /// Attempts used (1 = the seed itself converged).
    pub attempts: usize,
    pub iterations: usize,
}

/// Why no solution came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IkFailure {
    /// Poses reached but refused by the caller's `accept` (e.g. in collision).
    pub rejected: usize,
    pub attempts: usize,
}

/// Reusable solver state (Jacobians, vectors and the restart RNG), one per thread.
pub struct IkSolver {
    jac: Matrix6xX<f64>,
    q: Vec<f64>,
    q_try: Vec<f64>,
    rng: ChaCha8Rng,
}

/// 6-D error (position; rotation vector) taking `current` to `target`, both in the base frame.
#[inline]
pub fn pose_error(target: &Isometry3<f64>, current: &Isometry3<f64>) -> Vector6<f64> {
    let dp = target.translation.vector - current.translation.vector;
    let dr = (target.rotation * current.rotation.inverse()).scaled_axis();
    Vector6::new(dp.x, dp.y, dp.z, dr.x, dr.y, dr.z)
}

#[inline]
fn converged(e: &Vector6<f64>, opts: &IkOptions) -> bool {
    let p2 = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
    let r2 = e[3] * e[3] + e[4] * e[4] + e[5] * e[5];
    p2 <= opts.position_tolerance * opts.position_tolerance
        && r2 <= opts.orientation_tolerance * opts.orientation_tolerance
}

impl IkSolver {
    pub fn new(group: &ArmGroup, rng_seed: u64) -> Self {
        let n = group.dof();
        IkSolver {
            jac: Matrix6xX::zeros(n),
            q: vec![0.0; n],
            q_try: vec![0.0; n],
            rng: ChaCha8Rng::seed_from_u64(rng_seed),
        }
    }

    /// Solves for `target` (tip pose in the base link frame) starting at `seed`.
    /// `accept` may refuse a converged configuration (collision-aware IK); the search then
    /// continues from random restarts until the budget is spent.
    pub fn solve(
        &mut self,
        group: &ArmGroup,
        target: &Isometry3<f64>,
        seed: &[f64],
        opts: &IkOptions,
        accept: &mut dyn FnMut(&[f64]) -> bool,
    ) -> Result<IkSolution, IkFailure> {
        let n = group.dof();
        if self.jac.ncols() != n {
            *self = IkSolver::new(group, self.rng.gen());
        }
        let start = Instant::now();
        let mut failure = IkFailure { rejected: 0, attempts: 0 };
        let mut best: Option<(f64, IkSolution)> = None;
        let mut found = 0usize;
        let mut total_iterations = 0usize;
        loop {
            if failure.attempts == 0 {
                for i in 0..n {
                    self.q[i] = clamp_joint(group, i, seed.get(i).copied().unwrap_or(0.0));
                }
            } else {
                for i in 0..n {
                    self.q[i] = self.rng.gen_range(group.lower[i]..=group.upper[i]);
                }
            }
            failure.attempts += 1;
            let (ok, iterations) = self.attempt(group, target, opts, start);
            total_iterations += iterations;
            if ok {
                normalise_towards(group, &mut self.q, seed);
                if accept(&self.q) {
                    found += 1;
                    let d = distance(&self.q, seed);
                    if best.as_ref().map_or(true, |(bd, _)| d < *bd) {
                        let sol = IkSolution {
                            positions: self.q.clone(),
                            attempts: failure.attempts,
                            iterations: total_iterations,
                        };
                        best = Some((d, sol));
                    }
                    if found >= opts.solutions.max(1) {
                        break;
                    }
                } else {
                    failure.rejected += 1;
                }
            }
            if start.elapsed() >= opts.timeout {
                break;
            }
        }
        best.map(|(_, s)| s).ok_or(failure)
    }

    /// One descent from `seed` with no restarts (for tracking a continuous tip path, where a
    /// jump to another IK branch is not wanted).
    pub fn solve_local(
        &mut self,
        group: &ArmGroup,
        target: &Isometry3<f64>,
        seed: &[f64],
        opts: &IkOptions,
    ) -> Option<Vec<f64>> {
        let n = group.dof();
        if self.jac.ncols() != n || seed.len() != n {
            return None;
        }
        for (i, (q, &s)) in self.q.iter_mut().zip(seed).enumerate() {
            *q = clamp_joint(group, i, s);
        }
        let (ok, _) = self.attempt_with(group, target, opts, Instant::now(), false);
        if !ok {
            return None;
        }
        normalise_towards(group, &mut self.q, seed);
        Some(self.q.clone())
    }

    /// One LM descent from `self.q`; on success `self.q` holds the solution.
    fn attempt(
        &mut self,
        group: &ArmGroup,
        target: &Isometry3<f64>,
        opts: &IkOptions,
        start: Instant,
    ) -> (bool, usize) {
        self.attempt_with(group, target, opts, start, true)
    }

    fn attempt_with(
        &mut self,
        group: &ArmGroup,
        target: &Isometry3<f64>,
        opts: &IkOptions,
        start: Instant,
        give_up_on_stall: bool,
    ) -> (bool, usize) {
        let n = group.dof();
        let tip = group.fk_jacobian(&self.q, &mut self.jac);
        let mut e = pose_error(target, &tip);
        let mut err2 = e.norm_squared();
        let mut err2_checkpoint = err2;
        // Damping starts small: from a nearby seed the first Newton step is usually right.
        let mut lambda = 1e-6;
        for it in 0..opts.max_iterations_per_attempt {
            if converged(&e, opts) {
                return (true, it);
            }
            if it % STALL_WINDOW == STALL_WINDOW - 1 {
                // A descent that does not halve its error within a window is in a local
                // minimum or pinned at a limit: a fresh start is cheaper than waiting.
                if (give_up_on_stall && err2 > STALL_RATIO * err2_checkpoint)
                    || start.elapsed() >= opts.timeout
                {
                    return (false, it);
                }
                err2_checkpoint = err2;
            }
            let jjt: Matrix6<f64> = &self.jac * self.jac.transpose();
            let mut stepped = false;
            // Raise damping until the step lowers the error (Levenberg-Marquardt). Trial
            // points need only FK; the Jacobian is computed once a step is accepted.
            while lambda < 1e6 {
                let a = jjt + Matrix6::identity() * lambda;
                let Some(chol) = a.cholesky() else {
                    lambda *= 10.0;
                    continue;
                };
                let y = chol.solve(&e);
                let dq = self.jac.transpose() * y;
                for i in 0..n {
                    self.q_try[i] = clamp_joint(group, i, self.q[i] + dq[i]);
                }
                let e_try = pose_error(target, &group.fk(&self.q_try));
                let err2_try = e_try.norm_squared();
                if err2_try < err2 {
                    std::mem::swap(&mut self.q, &mut self.q_try);
                    e = e_try;
                    err2 = err2_try;
                    lambda = (lambda * 0.1).max(1e-9);
                    stepped = true;
                    break;
                }
                lambda *= 10.0;
            }
            if !stepped {
                return (converged(&e, opts), it);
            }
            group.fk_jacobian(&self.q, &mut self.jac);
        }
        (converged(&e, opts), opts.max_iterations_per_attempt)
    }
}

/// Iterations per progress check and the error ratio (squared) that counts as progress.
const STALL_WINDOW: usize = 6;
const STALL_RATIO: f64 = 0.5;

#[inline]
fn clamp_joint(group: &ArmGroup, i: usize, v: f64) -> f64 {
    if group.continuous[i] {
        wrap_angle(v)
    } else {
        v.clamp(group.lower[i], group.upper[i])
    }
}

/// Angle in (-pi, pi].
pub fn wrap_angle(a: f64) -> f64 {
    let mut w = a % TAU;
    if w > PI {
        w -= TAU;
    } else if w <= -PI {
        w += TAU;
    }
    w
}

/// Moves continuous joints, and revolute joints whose range spans more than a turn, by
/// whole turns towards `seed` (the same pose, less motion).
pub fn normalise_towards(group: &ArmGroup, q: &mut [f64], seed: &[f64]) {
    for (i, &s) in seed.iter().enumerate().take(q.len()) {
        if !s.is_finite() {
            continue;
        }
        if group.continuous[i] {
            q[i] = s + wrap_angle(q[i] - s);
        } else if group.upper[i] - group.lower[i] > TAU {
            let original = q[i];
            let turns = ((s - original) / TAU).round();
            for k in [turns, turns - 1.0, turns + 1.0] {
                let c = original + k * TAU;
                if c >= group.lower[i] && c <= group.upper[i] && (c - s).abs() < (q[i] - s).abs() {
                    q[i] = c;
                }
            }
        }
    }
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}
