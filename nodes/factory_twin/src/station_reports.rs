//! When a station's state goes out on `station_states`.
//!
//! A line PLC reports a station when something its consumers act on changes, and
//! otherwise at a slow keep-alive rate. Here that is: at once when the station's state,
//! input buffer, part, variant or finished count changes, and at least every
//! `period_s` for the rest (progress and the cumulative state times). At a fixed 10 Hz
//! the five stations were 45 messages per simulated second to every subscriber, nearly
//! all repeats, and a part change was seen up to one period late.

use std::collections::HashMap;

use crate::line::{StationState, StationStatus};

/// What must go out at once when it changes.
#[derive(Debug, Clone, PartialEq)]
struct Discrete {
    state: StationState,
    buffer_len: usize,
    part_id: Option<u64>,
    current_variant: Option<String>,
    completed: u64,
}

impl Discrete {
    fn of(s: &StationStatus) -> Discrete {
        Discrete {
            state: s.state,
            buffer_len: s.buffer_len,
            part_id: s.part_id,
            current_variant: s.current_variant.clone(),
            completed: s.completed,
        }
    }
}

/// The last report of each station, by station id.
#[derive(Debug)]
pub struct StationReports {
    period_s: f64,
    last: HashMap<String, (Discrete, f64)>,
}

impl StationReports {
    /// Reports every change at once, and every station at least every `period_s`.
    pub fn new(period_s: f64) -> StationReports {
        StationReports { period_s, last: HashMap::new() }
    }

    /// Whether `station` is to be reported at `now_s`; if so, it counts as reported.
    pub fn due(&mut self, station: &StationStatus, now_s: f64) -> bool {
        let now_discrete = Discrete::of(station);
        let due = match self.last.get(&station.id) {
            None => true,
            Some((discrete, at_s)) => *discrete != now_discrete || now_s - at_s >= self.period_s,
        };
        if due {
            self.last.insert(station.id.clone(), (now_discrete, now_s));
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Pose2;

    fn station(state: StationState, part_id: Option<u64>, progress: f64) -> StationStatus {
        StationStatus {
            id: "cnc".into(),
            machine_id: "cnc_1".into(),
            pose: Pose2::new(0.0, 0.0, 0.0),
            state,
            buffer_len: 2,
            buffer_capacity: 4,
            current_variant: part_id.map(|_| "a".to_string()),
            part_id,
            progress,
            completed: 7,
            busy_s: 10.0 * progress,
            blocked_s: 0.0,
            starved_s: 0.0,
            down_s: 0.0,
        }
    }

    #[test]
    fn a_station_goes_out_first_then_on_changes_and_at_the_keep_alive_period() {
        let mut reports = StationReports::new(1.0);
        assert!(reports.due(&station(StationState::Busy, Some(3), 0.1), 0.0), "first report");
        // Only progress and the state times moved: not before the period.
        assert!(!reports.due(&station(StationState::Busy, Some(3), 0.2), 0.1));
        assert!(!reports.due(&station(StationState::Busy, Some(3), 0.9), 0.98));
        assert!(reports.due(&station(StationState::Busy, Some(3), 0.95), 1.0), "keep-alive");
        // A change goes out at once, however soon after the last report.
        assert!(reports.due(&station(StationState::Blocked, Some(3), 1.0), 1.02));
        assert!(reports.due(&station(StationState::Starved, None, 0.0), 1.04));
        assert!(!reports.due(&station(StationState::Starved, None, 0.0), 1.06));
        let mut more_waiting = station(StationState::Starved, None, 0.0);
        more_waiting.buffer_len += 1;
        assert!(reports.due(&more_waiting, 1.08), "buffer change");
        let mut finished = more_waiting.clone();
        finished.completed += 1;
        assert!(reports.due(&finished, 1.10), "finished count change");
    }

    #[test]
    fn each_station_keeps_its_own_schedule() {
        let mut reports = StationReports::new(1.0);
        let cnc = station(StationState::Busy, Some(3), 0.1);
        let mut press = cnc.clone();
        press.id = "press".into();
        assert!(reports.due(&cnc, 0.0));
        assert!(reports.due(&press, 0.5), "another station's report does not hold this one back");
        assert!(reports.due(&cnc, 1.0));
        assert!(!reports.due(&press, 1.0));
        assert!(reports.due(&press, 1.5));
    }
}
