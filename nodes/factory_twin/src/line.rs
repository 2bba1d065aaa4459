//! Production line: parts released from the warehouse flow through the stations in
//! order. Each station has a finite input buffer and works one part at a time; a
//! finished part that cannot move on (next buffer full) blocks the station; a station
//! with an empty input buffer starves; a station whose machine is down stops (its part
//! waits, with its progress kept).
//!
//! Conservation, checked by the tests: released = finished + work in progress.

use std::collections::{BTreeMap, VecDeque};

use crate::config::{FactoryConfig, StationConfig};
use crate::geometry::Pose2;

/// A part on the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// unique, in release order from 1
    pub id: u64,
    /// index into [`Line::variants`]
    pub variant: usize,
    /// sim time it left the warehouse, seconds
    pub released_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StationState {
    /// processing a part (including a variant changeover)
    Busy,
    /// holding a finished part, the next buffer is full
    Blocked,
    /// nothing to work on
    Starved,
    /// machine failed or being serviced
    Down,
}

impl StationState {
    pub fn as_str(self) -> &'static str {
        match self {
            StationState::Busy => "busy",
            StationState::Blocked => "blocked",
            StationState::Starved => "starved",
            StationState::Down => "down",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Station {
    pub(crate) cfg: StationConfig,
    pub(crate) machine: usize,
    pub(crate) input: VecDeque<Part>,
    /// part in work and the seconds of work left on it
    pub(crate) current: Option<(Part, f64)>,
    /// finished part waiting for room downstream
    pub(crate) done: Option<Part>,
    pub(crate) last_variant: Option<usize>,
    pub(crate) state: StationState,
    pub(crate) completed: u64,
    /// seconds spent in each state: busy, blocked, starved, down
    pub(crate) time_in_state_s: [f64; 4],
}

/// Public view of a station for station_state messages.
#[derive(Debug, Clone, PartialEq)]
pub struct StationStatus {
    pub id: String,
    pub machine_id: String,
    pub pose: Pose2,
    pub state: StationState,
    /// parts waiting in the input buffer
    pub buffer_len: usize,
    pub buffer_capacity: usize,
    /// variant of the part in work, if any
    pub current_variant: Option<String>,
    /// id of the part at the station: in work, or finished and waiting to move on
    pub part_id: Option<u64>,
    /// 0..1 of the current part's work
    pub progress: f64,
    /// parts this station has finished
    pub completed: u64,
    pub busy_s: f64,
    pub blocked_s: f64,
    pub starved_s: f64,
    pub down_s: f64,
}

/// Line-level counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCounters {
    /// parts released from the warehouse
    pub parts_in: u64,
    /// parts that left the last station
    pub parts_out: u64,
    /// parts in buffers, in work or blocked
    pub wip: u64,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub(crate) stations: Vec<Station>,
    variants: Vec<String>,
    stock: Vec<u64>,
    /// (variant index, quantity) in release order
    schedule: Vec<(usize, u32)>,
    repeat: bool,
    batch: usize,
    released_in_batch: u32,
    next_part_id: u64,
    parts_in: u64,
    parts_out: u64,
    finished_per_variant: Vec<u64>,
    lead_time_sum_s: f64,
}

/// A part finished at a station during a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub station: usize,
    pub part: Part,
    /// true if the part left the line (last station) in this step
    pub left_line: bool,
}

impl Line {
    /// `machine_index` maps a machine id to its index (the config is validated, so
    /// every station's machine exists).
    pub fn new(cfg: &FactoryConfig, machine_index: impl Fn(&str) -> usize) -> Self {
        let variants: Vec<String> = cfg.warehouse.raw_material.keys().cloned().collect();
        let stock = cfg.warehouse.raw_material.values().copied().collect();
        let vidx = |name: &str| variants.iter().position(|v| v == name).unwrap_or(0);
        let schedule = cfg.production.batches.iter().map(|b| (vidx(&b.variant), b.quantity)).collect();
        let stations = cfg
            .stations
            .iter()
            .map(|s| Station {
                cfg: s.clone(),
                machine: machine_index(&s.machine),
                input: VecDeque::with_capacity(s.buffer_capacity as usize),
                current: None,
                done: None,
                last_variant: None,
                state: StationState::Starved,
                completed: 0,
                time_in_state_s: [0.0; 4],
            })
            .collect();
        Self {
            stations,
            finished_per_variant: vec![0; variants.len()],
            variants,
            stock,
            schedule,
            repeat: cfg.production.repeat,
            batch: 0,
            released_in_batch: 0,
            next_part_id: 1,
            parts_in: 0,
            parts_out: 0,
            lead_time_sum_s: 0.0,
        }
    }

    pub fn variants(&self) -> &[String] {
        &self.variants
    }

    /// Raw parts left in the warehouse per variant.
    pub fn stock(&self) -> BTreeMap<String, u64> {
        self.variants.iter().cloned().zip(self.stock.iter().copied()).collect()
    }

    /// Finished parts per variant.
    pub fn finished(&self) -> BTreeMap<String, u64> {
        self.variants.iter().cloned().zip(self.finished_per_variant.iter().copied()).collect()
    }

    /// Mean time from release to leaving the line, seconds (0 before the first part).
    pub fn mean_lead_time_s(&self) -> f64 {
        if self.parts_out == 0 {
            0.0
        } else {
            self.lead_time_sum_s / self.parts_out as f64
        }
    }

    pub fn counters(&self) -> LineCounters {
        let wip = self
            .stations
            .iter()
            .map(|s| s.input.len() as u64 + u64::from(s.current.is_some()) + u64::from(s.done.is_some()))
            .sum();
        LineCounters { parts_in: self.parts_in, parts_out: self.parts_out, wip }
    }

    pub fn status(&self, machine_ids: &[&str]) -> Vec<StationStatus> {
        self.stations
            .iter()
            .map(|s| {
                let (current_variant, progress) = match &s.current {
                    Some((p, left)) => {
                        let total = self.work_time(s, p.variant).max(1e-12);
                        (Some(self.variants[p.variant].clone()), (1.0 - left / total).clamp(0.0, 1.0))
                    }
                    None => (None, 0.0),
                };
                StationStatus {
                    id: s.cfg.id.clone(),
                    machine_id: machine_ids.get(s.machine).map_or_else(String::new, |m| m.to_string()),
                    pose: s.cfg.pose,
                    state: s.state,
                    buffer_len: s.input.len(),
                    buffer_capacity: s.cfg.buffer_capacity as usize,
                    current_variant,
                    part_id: s.current.as_ref().map(|(p, _)| p.id).or(s.done.as_ref().map(|p| p.id)),
                    progress,
                    completed: s.completed,
                    busy_s: s.time_in_state_s[0],
                    blocked_s: s.time_in_state_s[1],
                    starved_s: s.time_in_state_s[2],
                    down_s: s.time_in_state_s[3],
                }
            })
            .collect()
    }

    fn cycle_time(&self, s: &Station, variant: usize) -> f64 {
        s.cfg.variant_cycle_time_s.get(&self.variants[variant]).copied().unwrap_or(s.cfg.cycle_time_s)
    }

    /// Cycle time plus the changeover this part needs (approximation for progress).
    fn work_time(&self, s: &Station, variant: usize) -> f64 {
        self.cycle_time(s, variant) + s.cfg.changeover_s
    }

    /// Advances the line by `dt_s` ending at sim time `now_s`. `down(station)` says
    /// whether the station's machine is down. Stations are visited from the last to
    /// the first so room made downstream is usable upstream in the same step, but a
    /// part never crosses more than one station per step.
    pub fn step(&mut self, now_s: f64, dt_s: f64, down: impl Fn(usize) -> bool) -> Vec<Completion> {
        let mut completions = Vec::new();
        let n = self.stations.len();
        for i in (0..n).rev() {
            let is_down = down(i);
            // 1. A blocked part moves on if there is room now.
            if self.stations[i].done.is_some() {
                self.push_downstream(i, now_s);
            }
            // 2. Work on the current part unless the machine is down or blocked.
            if !is_down && self.stations[i].done.is_none() {
                let finished = match &mut self.stations[i].current {
                    Some((_, left)) => {
                        *left -= dt_s;
                        *left <= 0.0
                    }
                    None => false,
                };
                if finished {
                    if let Some((part, _)) = self.stations[i].current.take() {
                        let st = &mut self.stations[i];
                        st.completed += 1;
                        st.done = Some(part.clone());
                        let left_line = i + 1 == n;
                        completions.push(Completion { station: i, part, left_line });
                        self.push_downstream(i, now_s);
                    }
                }
            }
            // 3. Start the next part.
            if !is_down && self.stations[i].current.is_none() && self.stations[i].done.is_none() {
                if let Some(part) = self.stations[i].input.pop_front() {
                    let st = &self.stations[i];
                    let mut t = self.cycle_time(st, part.variant);
                    if st.last_variant.is_some_and(|v| v != part.variant) {
                        t += st.cfg.changeover_s;
                    }
                    let st = &mut self.stations[i];
                    st.last_variant = Some(part.variant);
                    st.current = Some((part, t));
                }
            }
            let st = &mut self.stations[i];
            st.state = if is_down {
                StationState::Down
            } else if st.done.is_some() {
                StationState::Blocked
            } else if st.current.is_some() {
                StationState::Busy
            } else {
                StationState::Starved
            };
            let k = match st.state {
                StationState::Busy => 0,
                StationState::Blocked => 1,
                StationState::Starved => 2,
                StationState::Down => 3,
            };
            st.time_in_state_s[k] += dt_s;
        }
        self.release(now_s);
        completions
    }

    /// Moves the finished part of station `i` to the next buffer or out of the line.
    fn push_downstream(&mut self, i: usize, now_s: f64) {
        let n = self.stations.len();
        if i + 1 == n {
            if let Some(part) = self.stations[i].done.take() {
                self.parts_out += 1;
                self.finished_per_variant[part.variant] += 1;
                self.lead_time_sum_s += now_s - part.released_s;
            }
            return;
        }
        let cap = self.stations[i + 1].cfg.buffer_capacity as usize;
        if self.stations[i + 1].input.len() < cap {
            if let Some(part) = self.stations[i].done.take() {
                self.stations[i + 1].input.push_back(part);
            }
        }
    }

    /// Releases raw parts of the scheduled variant into the first buffer while it has
    /// room and the warehouse has stock.
    fn release(&mut self, now_s: f64) {
        let Some(first) = self.stations.first() else { return };
        let cap = first.cfg.buffer_capacity as usize;
        while self.stations[0].input.len() < cap {
            let Some(&(variant, qty)) = self.schedule.get(self.batch) else { return };
            if self.released_in_batch >= qty {
                self.batch += 1;
                self.released_in_batch = 0;
                if self.batch >= self.schedule.len() {
                    if self.repeat {
                        self.batch = 0;
                    } else {
                        return;
                    }
                }
                continue;
            }
            if self.stock[variant] == 0 {
                return; // starve the line rather than jump the batch order
            }
            self.stock[variant] -= 1;
            self.released_in_batch += 1;
            self.parts_in += 1;
            let part = Part { id: self.next_part_id, variant, released_s: now_s };
            self.next_part_id += 1;
            self.stations[0].input.push_back(part);
        }
    }
}
