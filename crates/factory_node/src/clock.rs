//! Injected time: the system clock, or time driven from outside (/clock or a test).
//!
//! Node logic never reads the wall clock directly; it asks its [`Clock`]. With
//! `use_sim_time` the r2r adapter feeds /clock into a [`DrivenTime`], so the twin can
//! run the whole factory faster than real time; unit tests drive the same type by hand.
//! As in ROS, a driven clock reads zero until the first time arrives.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// A driven clock's state, shared by its writer and every reader (opaque: made by
/// [`DrivenTime::new`]). The time is an atomic, so reading it is cheap; each sleeping task
/// is woken only once the time reaches its deadline, so a /clock message wakes the tasks
/// that are due, not every task that sleeps (a 2 Hz status timer would otherwise be
/// woken at every /clock message, 20 times a second of sim time).
#[derive(Debug, Default)]
pub struct Driven {
    /// Nanoseconds since the simulation started.
    now_ns: AtomicU64,
    sleepers: Mutex<Sleepers>,
}

#[derive(Debug, Default)]
struct Sleepers {
    next_id: u64,
    /// (sleeper id, deadline, waker of the task that sleeps)
    waiting: Vec<(u64, Stamp, Waker)>,
}

impl Driven {
    fn now(&self) -> Stamp {
        Stamp(Duration::from_nanos(self.now_ns.load(Ordering::Acquire)))
    }

    fn sleepers(&self) -> MutexGuard<'_, Sleepers> {
        // A panic while holding the lock leaves a list that is still consistent.
        self.sleepers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The writing end of a driven clock: /clock messages or a test advance it.
#[derive(Debug)]
pub struct DrivenTime {
    shared: Arc<Driven>,
}

impl DrivenTime {
    /// A driven time source at zero, and the clock that reads it.
    pub fn new() -> (DrivenTime, Clock) {
        let shared = Arc::new(Driven::default());
        (DrivenTime { shared: shared.clone() }, Clock::Driven(shared))
    }

    /// Sets the time. Time never runs backwards here: an older stamp (a simulator reset
    /// or a reordered message) is ignored and reported as `false`.
    pub fn set(&self, now: Stamp) -> bool {
        let due: Vec<Waker> = {
            // The time changes under the sleepers' lock, so a sleeper either sees the new
            // time or is in the list when it is searched.
            let mut sleepers = self.shared.sleepers();
            if now < self.shared.now() {
                return false;
            }
            let nanos = u64::try_from(now.0.as_nanos()).unwrap_or(u64::MAX);
            self.shared.now_ns.store(nanos, Ordering::Release);
            let mut due = Vec::new();
            sleepers.waiting.retain(|(_, deadline, waker)| {
                let waiting = *deadline > now;
                if !waiting {
                    due.push(waker.clone());
                }
                waiting
            });
            due
        };
        due.into_iter().for_each(Waker::wake);
        true
    }

    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }

    pub fn now(&self) -> Stamp {
        self.shared.now()
    }
}

/// The clock a node reads. Cheap to clone; every task can hold its own.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Driven(Arc<Driven>),
}

impl Clock {
    pub fn now(&self) -> Stamp {
        match self {
            Clock::System => Stamp(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()),
            Clock::Driven(shared) => shared.now(),
        }
    }

    pub fn is_driven(&self) -> bool {
        matches!(self, Clock::Driven(_))
    }

    /// Waits until the clock reads `deadline` or later. On a driven clock whose time
    /// source is gone, time has stopped: it waits forever, as a paused simulation does;
    /// shutdown cancels the waiting task.
    pub async fn sleep_until(&self, deadline: Stamp) {
        match self {
            Clock::System => {
                let wait = deadline.saturating_sub(self.now());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            Clock::Driven(shared) => DrivenSleep { shared: shared.clone(), deadline, id: None }.await,
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

/// A task sleeping on a driven clock until `deadline`: in the clock's sleeper list while
/// it waits (its waker kept up to date), out of it when it is done or dropped.
struct DrivenSleep {
    shared: Arc<Driven>,
    deadline: Stamp,
    id: Option<u64>,
}

impl Future for DrivenSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut sleepers = this.shared.sleepers();
        if this.shared.now() >= this.deadline {
            if let Some(id) = this.id.take() {
                sleepers.waiting.retain(|(other, _, _)| *other != id);
            }
            return Poll::Ready(());
        }
        match this.id {
            Some(id) => match sleepers.waiting.iter_mut().find(|(other, _, _)| *other == id) {
                Some(entry) => entry.2.clone_from(cx.waker()),
                None => sleepers.waiting.push((id, this.deadline, cx.waker().clone())),
            },
            None => {
                let id = sleepers.next_id;
                sleepers.next_id += 1;
                sleepers.waiting.push((id, this.deadline, cx.waker().clone()));
                this.id = Some(id);
            }
        }
        Poll::Pending
    }
}

impl Drop for DrivenSleep {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shared.sleepers().waiting.retain(|(other, _, _)| *other != id);
        }
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

    /// Counts the wake-ups of the task it stands for.
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_sleeper_is_woken_once_when_its_deadline_comes_not_at_every_set() {
        let (time, clock) = DrivenTime::new();
        let counter = Arc::new(CountingWaker(std::sync::atomic::AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut sleep = Box::pin(clock.sleep_until(Stamp::from_secs_f64(1.0)));
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        for step in 1..=19 {
            time.set(Stamp::from_secs_f64(0.05 * f64::from(step)));
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 0, "19 clock messages before the deadline woke it");
        time.set(Stamp::from_secs_f64(1.0));
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken at its deadline");
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
        time.set(Stamp::from_secs_f64(2.0));
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "done: not woken again");
    }

    #[test]
    fn a_dropped_or_repolled_sleeper_leaves_one_entry_or_none() {
        let (time, clock) = DrivenTime::new();
        let waker = Waker::from(Arc::new(CountingWaker(std::sync::atomic::AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        let Clock::Driven(shared) = &clock else { panic!("a driven clock") };
        let mut sleep = Box::pin(clock.sleep_until(Stamp::from_secs_f64(600.0)));
        for _ in 0..5 {
            // A select! loop polls a sleeping branch again whenever another branch wakes.
            assert!(sleep.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(shared.sleepers().waiting.len(), 1);
        drop(sleep);
        assert_eq!(shared.sleepers().waiting.len(), 0, "a dropped sleeper is forgotten");
        assert!(time.set(Stamp::from_secs_f64(600.0)));
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
