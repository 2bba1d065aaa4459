//! Remaining useful life from a degradation signal with a Bayesian degradation model
//! (Gebraeel, Lawley, Li & Ryan 2005, "Residual-life distributions from component
//! degradation signals: a Bayesian approach", IIE Trans. 37).
//!
//! Degradation D rises from 0 (as new) to 1 (failure threshold); health = 1 − D.
//! After D first exceeds the onset level, the model is
//!   exponential: ln D(t) = θ + β·t + ε   (bearing spall growth, power-law wear),
//!   linear:        D(t) = θ + β·t + ε   (Miner damage at steady duty, drag),
//! with a Gaussian prior on (θ, β) and Gaussian ε, so the posterior is Gaussian in
//! closed form. Failure is the trend crossing the threshold L (ln 1 = 0, or 1), hence
//!   P(T ≤ t) = P(θ + β t ≥ L) = Φ((m_θ + m_β t − L) / sqrt(V_θθ + 2t V_θβ + t² V_ββ)),
//! from which RUL quantiles, mean, failure probability within a horizon and the
//! maintenance deadline (the risk-limit quantile) follow without sampling.
//! The noise variance is estimated from the residuals (with a prior weight) so the
//! band widens when the data do not follow the model.

use serde::{Deserialize, Serialize};

/// Shape of the degradation trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DegradationModel {
    Exponential,
    Linear,
}

/// Forecasting parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrognosisParams {
    pub model: DegradationModel,
    /// Degradation level that starts the model (first detectable degradation).
    pub onset: f64,
    /// Observations are averaged over buckets of this length, s, so that fast chunk
    /// rates do not make the posterior overconfident with correlated samples.
    pub aggregation_s: f64,
    /// Time unit of the regression, s (keeps the 2×2 system well conditioned).
    pub time_scale_s: f64,
    /// Prior standard deviation of the slope β, per time unit.
    pub prior_slope_sd: f64,
    /// Prior standard deviation of the intercept θ around the onset level.
    pub prior_intercept_sd: f64,
    /// Prior observation-noise standard deviation (ln units for exponential).
    pub noise_sd: f64,
    /// Weight (pseudo-observations) of `noise_sd` against the residual estimate.
    pub noise_prior_weight: f64,
    /// Buckets after onset before a forecast is issued.
    pub min_points: usize,
    /// Failure-probability limit that defines the maintenance deadline.
    pub risk_limit: f64,
    /// Horizon of the reported failure probability, s.
    pub horizon_s: f64,
    /// RUL reported when no failure is foreseen, s (also caps the mean).
    pub max_rul_s: f64,
}

impl Default for PrognosisParams {
    fn default() -> Self {
        Self {
            model: DegradationModel::Exponential,
            onset: 0.05,
            aggregation_s: 600.0,
            time_scale_s: 3600.0,
            prior_slope_sd: 1.0,
            prior_intercept_sd: 1.0,
            noise_sd: 0.1,
            noise_prior_weight: 2.0,
            min_points: 4,
            risk_limit: 0.05,
            horizon_s: 7.0 * 86_400.0,
            max_rul_s: 5.0 * 365.0 * 86_400.0,
        }
    }
}

/// Forecast of one component at `now`. Times in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// 1 = as new, 0 = failure threshold reached.
    pub health_index: f64,
    /// d(health)/dt of the fitted trend, per second (negative while degrading).
    pub health_trend_per_s: f64,
    /// True once degradation passed the onset and enough data were seen.
    pub model_ready: bool,
    /// Mean remaining useful life (capped at `max_rul_s`).
    pub rul_mean_s: f64,
    /// 5 % and 95 % quantiles of the RUL (the 90 % interval).
    pub rul_lower_s: f64,
    pub rul_upper_s: f64,
    /// Expected time of failure (now + mean RUL), i.e. the mean time to failure as an
    /// absolute time.
    pub expected_failure_s: f64,
    /// P(failure within `horizon_s` | not failed now).
    pub failure_probability: f64,
    pub horizon_s: f64,
    /// Latest time to act: when the failure probability reaches the risk limit.
    pub deadline_s: Option<f64>,
}

/// Running sufficient statistics of the regression y = θ + β x.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    n: f64,
    x: f64,
    xx: f64,
    y: f64,
    xy: f64,
    yy: f64,
}

/// Gaussian posterior of (θ, β).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Posterior {
    m: [f64; 2],
    v: [[f64; 2]; 2],
}

/// Bayesian degradation tracker for one component.
#[derive(Debug, Clone, PartialEq)]
pub struct Prognoser {
    params: PrognosisParams,
    onset_s: Option<f64>,
    bucket_start_s: f64,
    bucket_sum: f64,
    bucket_n: usize,
    sums: Sums,
    last_degradation: f64,
}

impl Prognoser {
    pub fn new(params: PrognosisParams) -> Self {
        Self {
            params,
            onset_s: None,
            bucket_start_s: 0.0,
            bucket_sum: 0.0,
            bucket_n: 0,
            sums: Sums::default(),
            last_degradation: 0.0,
        }
    }

    pub fn params(&self) -> &PrognosisParams {
        &self.params
    }

    /// Time the degradation first passed the onset level (first detection), s.
    pub fn onset_s(&self) -> Option<f64> {
        self.onset_s
    }

    /// Back to "as new" (after a repair or part swap).
    pub fn reset(&mut self) {
        *self = Self::new(self.params);
    }

    fn transform(&self, d: f64) -> f64 {
        match self.params.model {
            // Clamp so a reading at or below zero cannot produce -inf.
            DegradationModel::Exponential => d.max(1e-4).ln(),
            DegradationModel::Linear => d,
        }
    }

    fn threshold(&self) -> f64 {
        match self.params.model {
            DegradationModel::Exponential => 0.0,
            DegradationModel::Linear => 1.0,
        }
    }

    /// Feeds the degradation level observed at `t_s`.
    pub fn observe(&mut self, t_s: f64, degradation: f64) {
        if !degradation.is_finite() {
            return;
        }
        self.last_degradation = degradation;
        let onset_s = match self.onset_s {
            Some(t) => t,
            None if degradation >= self.params.onset => {
                self.onset_s = Some(t_s);
                self.bucket_start_s = t_s;
                t_s
            }
            None => return,
        };
        if t_s - self.bucket_start_s >= self.params.aggregation_s && self.bucket_n > 0 {
            self.flush(onset_s);
            self.bucket_start_s = t_s;
        }
        self.bucket_sum += self.transform(degradation);
        self.bucket_n += 1;
    }

    fn flush(&mut self, onset_s: f64) {
        let y = self.bucket_sum / self.bucket_n as f64;
        // Bucket time = its start; exact midpoints matter little at hour time scales.
        let x = (self.bucket_start_s - onset_s) / self.params.time_scale_s;
        let s = &mut self.sums;
        s.n += 1.0;
        s.x += x;
        s.xx += x * x;
        s.y += y;
        s.xy += x * y;
        s.yy += y * y;
        self.bucket_sum = 0.0;
        self.bucket_n = 0;
    }

    fn posterior(&self) -> Option<Posterior> {
        let p = &self.params;
        let s = &self.sums;
        let y0 = self.transform(p.onset);
        let prior_prec = [1.0 / p.prior_intercept_sd.powi(2), 1.0 / p.prior_slope_sd.powi(2)];
        let solve = |sigma2: f64| -> Option<Posterior> {
            let a =
                [[prior_prec[0] + s.n / sigma2, s.x / sigma2], [s.x / sigma2, prior_prec[1] + s.xx / sigma2]];
            let b = [prior_prec[0] * y0 + s.y / sigma2, s.xy / sigma2];
            let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
            if det.is_nan() || det <= 0.0 {
                return None;
            }
            let v = [[a[1][1] / det, -a[0][1] / det], [-a[1][0] / det, a[0][0] / det]];
            let m = [v[0][0] * b[0] + v[0][1] * b[1], v[1][0] * b[0] + v[1][1] * b[1]];
            Some(Posterior { m, v })
        };
        let sigma0 = p.noise_sd.powi(2);
        let first = solve(sigma0)?;
        let [th, be] = first.m;
        let ssr =
            (s.yy - 2.0 * (th * s.y + be * s.xy) + th * th * s.n + 2.0 * th * be * s.x + be * be * s.xx)
                .max(0.0);
        let sigma2 = (ssr + p.noise_prior_weight * sigma0) / (s.n + p.noise_prior_weight);
        solve(sigma2.max(1e-12))
    }

    /// Forecast at `now_s`.
    pub fn forecast(&self, now_s: f64) -> Forecast {
        let p = &self.params;
        let health = (1.0 - self.last_degradation).clamp(0.0, 1.0);
        let idle = Forecast {
            health_index: health,
            health_trend_per_s: 0.0,
            model_ready: false,
            rul_mean_s: p.max_rul_s,
            rul_lower_s: p.max_rul_s,
            rul_upper_s: p.max_rul_s,
            expected_failure_s: now_s + p.max_rul_s,
            failure_probability: 0.0,
            horizon_s: p.horizon_s,
            deadline_s: None,
        };
        let (Some(onset_s), true) = (self.onset_s, self.sums.n >= p.min_points as f64) else {
            return idle;
        };
        let Some(post) = self.posterior() else {
            return idle;
        };
        let tau = p.time_scale_s;
        let x_now = (now_s - onset_s) / tau;
        let l = self.threshold();
        // CDF of the failure time (in regression time units since onset), made
        // monotone: the crossing probability of a trend is non-decreasing in time.
        let raw_cdf = |x: f64| -> f64 {
            let mu = post.m[0] + post.m[1] * x - l;
            let var = post.v[0][0] + 2.0 * x * post.v[0][1] + x * x * post.v[1][1];
            if var <= 0.0 {
                return if mu >= 0.0 { 1.0 } else { 0.0 };
            }
            normal_cdf(mu / var.sqrt())
        };
        let f_now = raw_cdf(x_now);
        // Log-spaced grid of look-ahead times, s.
        const GRID: usize = 240;
        let (g0, g1) = (1.0f64, p.max_rul_s.max(10.0));
        let mut dt = Vec::with_capacity(GRID + 1);
        let mut cdf = Vec::with_capacity(GRID + 1);
        dt.push(0.0);
        cdf.push(0.0);
        let mut running = f_now;
        for i in 0..GRID {
            let d = g0 * (g1 / g0).powf(i as f64 / (GRID - 1) as f64);
            running = running.max(raw_cdf(x_now + d / tau));
            // Conditional on surviving to now: the component is observed running.
            let c =
                if f_now < 1.0 - 1e-9 { ((running - f_now) / (1.0 - f_now)).clamp(0.0, 1.0) } else { 1.0 };
            dt.push(d);
            cdf.push(c);
        }
        let quantile = |q: f64| -> Option<f64> {
            let i = cdf.iter().position(|&c| c >= q)?;
            if i == 0 {
                return Some(0.0);
            }
            let (c0, c1) = (cdf[i - 1], cdf[i]);
            let w = if c1 > c0 { (q - c0) / (c1 - c0) } else { 1.0 };
            Some(dt[i - 1] + w * (dt[i] - dt[i - 1]))
        };
        // Mean of the RUL truncated at max_rul_s: ∫ survival dt.
        let mean = dt
            .windows(2)
            .zip(cdf.windows(2))
            .map(|(t, c)| (t[1] - t[0]) * (1.0 - 0.5 * (c[0] + c[1])))
            .sum::<f64>();
        let at = |h: f64| -> f64 {
            match dt.iter().position(|&t| t >= h) {
                Some(0) => cdf[0],
                Some(i) => {
                    let w = (h - dt[i - 1]) / (dt[i] - dt[i - 1]);
                    cdf[i - 1] + w * (cdf[i] - cdf[i - 1])
                }
                None => cdf.last().copied().unwrap_or(0.0),
            }
        };
        let lower = quantile(0.05).unwrap_or(p.max_rul_s);
        let trend_d = match p.model {
            DegradationModel::Exponential => (post.m[0] + post.m[1] * x_now).exp() * post.m[1] / tau,
            DegradationModel::Linear => post.m[1] / tau,
        };
        Forecast {
            health_index: health,
            health_trend_per_s: -trend_d,
            model_ready: true,
            rul_mean_s: mean,
            rul_lower_s: lower,
            rul_upper_s: quantile(0.95).unwrap_or(p.max_rul_s),
            expected_failure_s: now_s + mean,
            failure_probability: at(p.horizon_s),
            horizon_s: p.horizon_s,
            deadline_s: quantile(p.risk_limit).map(|d| now_s + d),
        }
    }

    /// Mean predicted degradation at future times (the wear curve), 0 before onset.
    pub fn wear_curve(&self, times_s: &[f64]) -> Vec<f64> {
        let (Some(onset_s), Some(post)) = (self.onset_s, self.posterior()) else {
            return vec![self.last_degradation; times_s.len()];
        };
        times_s
            .iter()
            .map(|&t| {
                let y = post.m[0] + post.m[1] * (t - onset_s) / self.params.time_scale_s;
                match self.params.model {
                    DegradationModel::Exponential => y.exp(),
                    DegradationModel::Linear => y,
                }
            })
            .collect()
    }
}

/// Standard normal CDF via the complementary error function (Numerical Recipes
/// `erfcc`, fractional error < 1.2e-7 everywhere).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.644854) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn no_forecast_before_onset() {
        let mut p = Prognoser::new(PrognosisParams::default());
        for i in 0..100 {
            p.observe(i as f64 * 60.0, 0.01);
        }
        let f = p.forecast(6000.0);
        assert!(!f.model_ready);
        assert_eq!(f.deadline_s, None);
        assert_eq!(f.failure_probability, 0.0);
    }
}
