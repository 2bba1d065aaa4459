//! Coordinator KPIs over a sliding window: the FactoryKpis fields the coordinator owns
//! (tasks_completed, tasks_failed, tasks_waiting, mean_task_wait_s, robot_utilisation),
//! and the one count that is not windowed: tasks failed for good since start-up (the
//! run's manual interventions; a window would forget the failures of a long shift).

use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CoordinatorKpis {
    /// Seconds covered (shorter than the configured window right after start-up).
    pub window_s: f64,
    pub tasks_completed: u32,
    pub tasks_failed: u32,
    /// Tasks failed for good since the tracker started, not windowed.
    pub tasks_failed_total: u32,
    /// Tasks queued now (not yet assigned).
    pub tasks_waiting: u32,
    /// Mean seconds from submission to first assignment, over tasks assigned in the window.
    pub mean_task_wait_s: f64,
    /// Busy fraction of the fleet over the window, 0..1.
    pub robot_utilisation: f64,
}

#[derive(Debug, Clone, Default)]
pub struct KpiTracker {
    started_s: Option<f64>,
    completed: VecDeque<f64>,
    failed: VecDeque<f64>,
    failed_total: u32,
    /// (assignment time, wait).
    waits: VecDeque<(f64, f64)>,
    /// Closed busy intervals (start, end) of any robot.
    busy: VecDeque<(f64, f64)>,
    open_busy: BTreeMap<String, f64>,
}

impl KpiTracker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn observe(&mut self, now_s: f64) {
        if self.started_s.is_none() {
            self.started_s = Some(now_s);
        }
    }

    pub fn task_completed(&mut self, now_s: f64) {
        self.completed.push_back(now_s);
    }

    pub fn task_failed(&mut self, now_s: f64) {
        self.failed.push_back(now_s);
        self.failed_total = self.failed_total.saturating_add(1);
    }

    pub fn task_assigned(&mut self, now_s: f64, wait_s: f64) {
        self.waits.push_back((now_s, wait_s.max(0.0)));
    }

    pub fn robot_busy(&mut self, robot: &str, now_s: f64) {
        self.open_busy.entry(robot.to_string()).or_insert(now_s);
    }

    pub fn robot_free(&mut self, robot: &str, now_s: f64) {
        if let Some(start) = self.open_busy.remove(robot) {
            self.busy.push_back((start, now_s));
        }
    }

    /// Drops samples older than the window so memory stays bounded.
    fn trim(&mut self, from_s: f64) {
        while self.completed.front().is_some_and(|&t| t < from_s) {
            self.completed.pop_front();
        }
        while self.failed.front().is_some_and(|&t| t < from_s) {
            self.failed.pop_front();
        }
        while self.waits.front().is_some_and(|&(t, _)| t < from_s) {
            self.waits.pop_front();
        }
        self.busy.retain(|&(_, end)| end >= from_s);
    }

    pub fn snapshot(
        &mut self,
        now_s: f64,
        window_s: f64,
        tasks_waiting: usize,
        robots: usize,
    ) -> CoordinatorKpis {
        self.observe(now_s);
        let start = self.started_s.unwrap_or(now_s);
        let from_s = (now_s - window_s).max(start);
        self.trim(from_s);
        let span = (now_s - from_s).max(0.0);
        let overlap = |s: f64, e: f64| (e.min(now_s) - s.max(from_s)).max(0.0);
        let busy_s: f64 = self.busy.iter().map(|&(s, e)| overlap(s, e)).sum::<f64>()
            + self.open_busy.values().map(|&s| overlap(s, now_s)).sum::<f64>();
        let robot_utilisation =
            if span > 0.0 && robots > 0 { (busy_s / (span * robots as f64)).clamp(0.0, 1.0) } else { 0.0 };
        let mean_task_wait_s = if self.waits.is_empty() {
            0.0
        } else {
            self.waits.iter().map(|&(_, w)| w).sum::<f64>() / self.waits.len() as f64
        };
        CoordinatorKpis {
            window_s: span,
            tasks_completed: self.completed.len() as u32,
            tasks_failed: self.failed.len() as u32,
            tasks_failed_total: self.failed_total,
            tasks_waiting: tasks_waiting as u32,
            mean_task_wait_s,
            robot_utilisation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utilisation_over_window() {
        let mut k = KpiTracker::new();
        k.observe(0.0);
        k.robot_busy("a", 0.0);
        k.robot_free("a", 50.0);
        k.robot_busy("b", 50.0);
        let s = k.snapshot(100.0, 1000.0, 0, 2);
        // a: 50 s, b: 50 s open, of 2 × 100 s.
        assert!((s.robot_utilisation - 0.5).abs() < 1e-9);
        assert_eq!(s.window_s, 100.0);
    }

    #[test]
    fn failures_leave_the_window_but_not_the_total() {
        let mut k = KpiTracker::new();
        k.observe(0.0);
        k.task_failed(10.0);
        k.task_failed(20.0);
        k.task_failed(950.0);
        let s = k.snapshot(1000.0, 100.0, 0, 1);
        assert_eq!((s.tasks_failed, s.tasks_failed_total), (1, 3));
        k.task_failed(1500.0);
        let s = k.snapshot(2000.0, 100.0, 0, 1);
        assert_eq!((s.tasks_failed, s.tasks_failed_total), (0, 4));
    }
}
