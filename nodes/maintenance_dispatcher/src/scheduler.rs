//! Zero-downtime window choice: the cheapest repair window before the deadline in a
//! station's production forecast.
//!
//! Cost model (seconds of lost production): stopping the station during a shift gap,
//! or while it is idle, starved (nothing to work on) or blocked (nowhere to put its
//! output) loses nothing; stopping it while producing loses one second per second,
//! minus what the buffer ahead of the downstream stations covers. A window that
//! overlaps a production-critical slot is only taken when no other window fits
//! before the deadline.
//!
//! The cost is piecewise linear in the window start, so its minimum lies where the
//! window starts or ends on a slot boundary; those starts (plus "now" and "deadline −
//! duration") are the only candidates that need evaluating.

use serde::{Deserialize, Serialize};

/// What the station is forecast to be doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationState {
    ShiftGap,
    Idle,
    Starved,
    Blocked,
    Producing,
}

impl StationState {
    /// Production lost per second of stoppage, before buffer credit.
    fn stop_cost_rate(self) -> f64 {
        match self {
            Self::Producing => 1.0,
            Self::ShiftGap | Self::Idle | Self::Starved | Self::Blocked => 0.0,
        }
    }
}

/// One slot of a station's production forecast. Times in seconds (ROS time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductionSlot {
    pub start_s: f64,
    pub end_s: f64,
    pub state: StationState,
    /// Seconds of downstream production the buffer ahead can feed if this station
    /// stops during the slot.
    #[serde(default)]
    pub buffer_cover_s: f64,
    /// Production-critical (rush order, bottleneck catch-up): do not stop if avoidable.
    #[serde(default)]
    pub critical: bool,
}

/// Forecast of one station. Time not covered by any slot counts as producing (the
/// conservative assumption), not critical.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductionForecast {
    pub slots: Vec<ProductionSlot>,
}

/// A chosen window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start_s: f64,
    pub end_s: f64,
    /// Seconds of production the window costs.
    pub production_cost_s: f64,
    /// Overlaps a production-critical slot.
    pub critical: bool,
    /// Ends before the deadline.
    pub meets_deadline: bool,
}

impl ProductionForecast {
    /// Lost production and criticality of stopping during `[start, end)`.
    pub fn cost(&self, start_s: f64, end_s: f64) -> (f64, bool) {
        let mut covered = 0.0;
        let mut lost = 0.0;
        let mut critical = false;
        let mut buffer = 0.0f64;
        for s in &self.slots {
            let overlap = (end_s.min(s.end_s) - start_s.max(s.start_s)).max(0.0);
            if overlap <= 0.0 {
                continue;
            }
            covered += overlap;
            lost += overlap * s.state.stop_cost_rate();
            critical |= s.critical;
            if s.start_s <= start_s && start_s < s.end_s {
                buffer = s.buffer_cover_s.max(0.0);
            }
        }
        // Uncovered time: assume the station would be producing.
        lost += ((end_s - start_s) - covered).max(0.0);
        ((lost - buffer).max(0.0), critical)
    }

    /// Cheapest window of `duration_s` starting no earlier than `now_s`. Prefers, in
    /// order: non-critical windows ending by the deadline, any window ending by the
    /// deadline, and otherwise the earliest window (late, but as soon as possible).
    pub fn choose_window(&self, now_s: f64, duration_s: f64, deadline_s: f64) -> Window {
        let dur = duration_s.max(0.0);
        let latest_start = deadline_s - dur;
        let mut starts = vec![now_s, latest_start];
        for s in &self.slots {
            starts.extend([s.start_s, s.end_s, s.start_s - dur, s.end_s - dur]);
        }
        let window = |start: f64| {
            let (cost, critical) = self.cost(start, start + dur);
            Window {
                start_s: start,
                end_s: start + dur,
                production_cost_s: cost,
                critical,
                meets_deadline: start <= latest_start + 1e-9,
            }
        };
        let in_time: Vec<Window> = starts
            .iter()
            .copied()
            .filter(|&s| s.is_finite() && s >= now_s && s <= latest_start + 1e-9)
            .map(window)
            .collect();
        // Cheapest, ties to the earliest (sooner is safer for the same cost).
        let best = |ws: &mut dyn Iterator<Item = Window>| {
            ws.min_by(|a, b| {
                a.production_cost_s.total_cmp(&b.production_cost_s).then(a.start_s.total_cmp(&b.start_s))
            })
        };
        if let Some(w) = best(&mut in_time.iter().copied().filter(|w| !w.critical)) {
            return w;
        }
        if let Some(w) = best(&mut in_time.iter().copied()) {
            return w;
        }
        window(now_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(start: f64, end: f64, state: StationState, critical: bool) -> ProductionSlot {
        ProductionSlot { start_s: start, end_s: end, state, buffer_cover_s: 0.0, critical }
    }

    #[test]
    fn picks_the_shift_gap() {
        let f = ProductionForecast {
            slots: vec![
                slot(0.0, 100.0, StationState::Producing, false),
                slot(100.0, 160.0, StationState::ShiftGap, false),
                slot(160.0, 400.0, StationState::Producing, false),
            ],
        };
        let w = f.choose_window(0.0, 50.0, 300.0);
        assert_eq!(w.production_cost_s, 0.0);
        assert!(w.start_s >= 100.0 && w.end_s <= 160.0, "{w:?}");
        assert!(w.meets_deadline && !w.critical);
    }

    #[test]
    fn buffer_cover_makes_producing_window_free() {
        let mut s = slot(0.0, 1000.0, StationState::Producing, false);
        s.buffer_cover_s = 120.0;
        let f = ProductionForecast { slots: vec![s] };
        assert_eq!(f.cost(10.0, 100.0), (0.0, false));
        assert_eq!(f.cost(10.0, 200.0), (70.0, false));
    }

    #[test]
    fn late_when_nothing_fits() {
        let f = ProductionForecast::default();
        let w = f.choose_window(100.0, 50.0, 120.0);
        assert_eq!(w.start_s, 100.0);
        assert!(!w.meets_deadline);
    }
}
