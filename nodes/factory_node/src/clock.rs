//! Injected time: the system clock, or time driven from outside (/clock or a test).
//!
//! Node logic never reads the wall clock directly; it asks its [`Clock`]. With
//! `use_sim_time` the r2r adapter feeds /clock into a [`DrivenTime`], so the twin can
//! run the whole factory faster than real time; unit tests drive the same type by hand.
//! As in ROS, a driven clock reads zero until the first time arrives.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// A point in time: since the Unix epoch (system clock) or since the simulation
/// started (driven clock), as builtin_interfaces/Time carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Stamp(pub Duration);

impl Stamp {
    pub const ZERO: Stamp = Stamp(Duration::ZERO);

    pub fn from_secs_f64(secs: f64) -> Stamp {
        Stamp(Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO))
    }

    pub fn from_sec_nanosec(sec: i32, nanosec: u32) -> Stamp {
        if sec < 0 {
            return Stamp::ZERO;
        }
        Stamp(Duration::new(sec as u64, nanosec))
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }

    /// (sec, nanosec) as builtin_interfaces/Time holds them; saturates past 2038.
    pub fn sec_nanosec(self) -> (i32, u32) {
        let sec = i32::try_from(self.0.as_secs()).unwrap_or(i32::MAX);
        (sec, self.0.subsec_nanos())
    }

    pub fn saturating_sub(self, earlier: Stamp) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl std::ops::Add<Duration> for Stamp {
    type Output = Stamp;
    fn add(self, rhs: Duration) -> Stamp {
        Stamp(self.0.saturating_add(rhs))
    }
}

/// The writing end of a driven clock: /clock messages or a test advance it.
#[derive(Debug)]
pub struct DrivenTime {
    sender: watch::Sender<Stamp>,
}

impl DrivenTime {
    /// A driven time source at zero, and the clock that reads it.
    pub fn new() -> (DrivenTime, Clock) {
        let (sender, receiver) = watch::channel(Stamp::ZERO);
        (DrivenTime { sender }, Clock::Driven(receiver))
    }

    /// Sets the time. Time never runs backwards here: an older stamp (a simulator reset
    /// or a reordered message) is ignored and reported as `false`.
    pub fn set(&self, now: Stamp) -> bool {
        let mut accepted = false;
        self.sender.send_if_modified(|current| {
            accepted = now >= *current;
            if now > *current {
                *current = now;
                true
            } else {
                false
            }
        });
        accepted
    }

    pub fn advance(&self, by: Duration) {
        self.sender.send_modify(|current| *current = *current + by);
    }

    pub fn now(&self) -> Stamp {
        *self.sender.borrow()
    }
}

/// The clock a node reads. Cheap to clone; every task can hold its own.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Driven(watch::Receiver<Stamp>),
}

impl Clock {
    pub fn now(&self) -> Stamp {
        match self {
            Clock::System => Stamp(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()),
            Clock::Driven(receiver) => *receiver.borrow(),
        }
    }

    pub fn is_driven(&self) -> bool {
        matches!(self, Clock::Driven(_))
    }

    /// Waits until the clock reads `deadline` or later.
    pub async fn sleep_until(&self, deadline: Stamp) {
        match self {
            Clock::System => {
                let wait = deadline.saturating_sub(self.now());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            Clock::Driven(receiver) => {
                let mut receiver = receiver.clone();
                // If the time source is gone, time has stopped: wait forever, as a paused
                // simulation does; shutdown cancels the waiting task.
                if receiver.wait_for(|now| *now >= deadline).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }

    pub async fn sleep(&self, duration: Duration) {
        self.sleep_until(self.now() + duration).await;
    }

    /// A fixed-rate ticker on this clock, as r2r's `create_timer` (not the wall timer).
    pub fn ticker(&self, period: Duration) -> Ticker {
        Ticker { clock: self.clone(), period, next: None }
    }
}

/// Ticks every `period` of clock time. A late tick does not cause a burst of catch-up
/// ticks: the schedule restarts from now, which is what a control loop wants.
#[derive(Debug)]
pub struct Ticker {
    clock: Clock,
    period: Duration,
    next: Option<Stamp>,
}

impl Ticker {
    /// Waits for the next tick and returns the clock time at it.
    pub async fn tick(&mut self) -> Stamp {
        let now = self.clock.now();
        let due = match self.next {
            None => now,
            Some(next) => next,
        };
        self.clock.sleep_until(due).await;
        let now = self.clock.now();
        let next = due + self.period;
        self.next = Some(if next <= now { now + self.period } else { next });
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driven_clock_starts_at_zero_and_never_goes_back() {
        let (time, clock) = DrivenTime::new();
        assert_eq!(clock.now(), Stamp::ZERO);
        assert!(time.set(Stamp::from_secs_f64(5.0)));
        assert_eq!(clock.now(), Stamp::from_secs_f64(5.0));
        assert!(!time.set(Stamp::from_secs_f64(4.0)), "older stamps are refused");
        assert_eq!(clock.now(), Stamp::from_secs_f64(5.0));
        time.advance(Duration::from_millis(250));
        assert_eq!(clock.now().as_secs_f64(), 5.25);
    }

    #[test]
    fn stamp_conversions_round_trip() {
        let s = Stamp::from_sec_nanosec(12, 500_000_000);
        assert_eq!(s.sec_nanosec(), (12, 500_000_000));
        assert_eq!(s.as_secs_f64(), 12.5);
        assert_eq!(Stamp::from_sec_nanosec(-3, 0), Stamp::ZERO);
        assert_eq!(Stamp::from_secs_f64(f64::NAN), Stamp::ZERO);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn sleep_on_driven_clock_wakes_only_when_time_arrives() {
        let (time, clock) = DrivenTime::new();
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep(Duration::from_secs(10)).await })
        };
        tokio::task::yield_now().await;
        time.advance(Duration::from_secs(9));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "woke before its deadline");
        time.advance(Duration::from_secs(1));
        tokio::time::timeout(Duration::from_secs(5), sleeper).await.expect("sleeper woke").expect("task ok");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn ticker_follows_driven_time_without_bursts() {
        let (time, clock) = DrivenTime::new();
        time.set(Stamp::from_secs_f64(1.0));
        let mut ticker = clock.ticker(Duration::from_secs(1));
        assert_eq!(ticker.tick().await.as_secs_f64(), 1.0, "first tick is immediate");
        // Jump far ahead: one tick, then the schedule restarts from now.
        time.set(Stamp::from_secs_f64(10.0));
        assert_eq!(ticker.tick().await.as_secs_f64(), 10.0);
        let next = tokio::spawn(async move { ticker.tick().await });
        tokio::task::yield_now().await;
        assert!(!next.is_finished(), "no catch-up burst");
        time.set(Stamp::from_secs_f64(11.0));
        let at = tokio::time::timeout(Duration::from_secs(5), next).await.unwrap().unwrap();
        assert_eq!(at.as_secs_f64(), 11.0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn system_clock_sleeps_in_real_time() {
        let clock = Clock::System;
        let before = clock.now();
        clock.sleep(Duration::from_millis(20)).await;
        assert!(clock.now().saturating_sub(before) >= Duration::from_millis(20));
    }
}
