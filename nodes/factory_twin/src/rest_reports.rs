//! When the sensors of a robot at rest report.
//!
//! A robot at rest (idle, charging, or with a flat battery: base and arms still) keeps
//! its pose and joint angles until it moves, and its laser sees the same floor. While
//! it stays at rest, its odometry, joint states and scans go out every `period_s`;
//! the moment it moves (or works, or moves an arm) they go out at their full rates
//! again. Most of the fleet stands most of the shift (about 7 % fleet utilisation in
//! the default scenario), and each of those readings is a message to two or three
//! processes: on a 2-core machine, the idle robots' streams were a third of the main
//! job's CPU time. A period of 0 keeps the full rates, as a real robot's drivers do.

/// The next report time of each robot at rest, by robot index.
#[derive(Debug)]
pub struct RestReports {
    period_s: f64,
    next_s: Vec<f64>,
}

impl RestReports {
    /// Readings of `robots` robots; a robot at rest reports every `period_s` (0 = always).
    pub fn new(period_s: f64, robots: usize) -> RestReports {
        RestReports { period_s, next_s: vec![f64::NEG_INFINITY; robots] }
    }

    /// Whether robot `robot`'s reading taken at `now_s` goes out; one that goes out
    /// counts as reported. A robot that is not at rest always reports, and its first
    /// reading at rest goes out at once (it shows the robot stopped).
    pub fn due(&mut self, robot: usize, at_rest: bool, now_s: f64) -> bool {
        let Some(next_s) = self.next_s.get_mut(robot) else { return true };
        if !at_rest || self.period_s <= 0.0 {
            *next_s = f64::NEG_INFINITY;
            return true;
        }
        // Within a microsecond of due: step times are sums of floating-point steps.
        if now_s + 1e-6 >= *next_s {
            *next_s = now_s + self.period_s;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The times among `times` at which a robot with `at_rest(t)` reports.
    fn reports(r: &mut RestReports, robot: usize, times: &[f64], at_rest: impl Fn(f64) -> bool) -> Vec<f64> {
        times.iter().copied().filter(|&t| r.due(robot, at_rest(t), t)).collect()
    }

    fn every_tenth_until(end_s: f64) -> Vec<f64> {
        (0..).map(|i| i as f64 * 0.1).take_while(|t| *t <= end_s + 1e-9).collect()
    }

    #[test]
    fn a_robot_at_rest_reports_once_per_period_and_a_moving_one_every_time() {
        let times = every_tenth_until(2.0);
        let mut r = RestReports::new(0.5, 2);
        let resting = reports(&mut r, 0, &times, |_| true);
        let expected = [0.0, 0.5, 1.0, 1.5, 2.0];
        assert_eq!(resting.len(), expected.len(), "{resting:?}");
        for (got, want) in resting.iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{resting:?}");
        }
        assert_eq!(reports(&mut r, 1, &times, |_| false).len(), times.len());
    }

    #[test]
    fn a_robot_that_stops_reports_at_once_and_one_that_starts_reports_every_time() {
        let times = every_tenth_until(3.2);
        let mut r = RestReports::new(1.0, 1);
        // At rest until 1.05 s, moving until 2.05 s, at rest after.
        let at_rest = |t: f64| !(1.05..2.05).contains(&t);
        let got = reports(&mut r, 0, &times, at_rest);
        let n = |lo: f64, hi: f64| got.iter().filter(|t| (lo..hi).contains(*t)).count();
        assert_eq!(n(0.0, 1.05), 2, "{got:?}"); // 0.0 and 1.0
        assert_eq!(n(1.05, 2.05), 10, "{got:?}"); // every reading in motion
                                                  // Stopped at 2.1: reported then, and one period later.
        let after: Vec<f64> = got.iter().copied().filter(|t| *t >= 2.05).collect();
        assert_eq!(after.len(), 2, "{got:?}");
        assert!((after[0] - 2.1).abs() < 1e-9 && (after[1] - 3.1).abs() < 1e-9, "{got:?}");
    }

    #[test]
    fn period_zero_keeps_every_reading() {
        let times = every_tenth_until(1.0);
        let mut r = RestReports::new(0.0, 1);
        assert_eq!(reports(&mut r, 0, &times, |_| true).len(), times.len());
    }
}
