//! Which part was at a station when. Images carry no part id; station states and
//! fastening traces do, each saying "part P was at the station at time t". They arrive
//! on different topics, so not in order: the timeline keeps the recent changes by
//! stamp, and a frame is given the part that was there at its capture stamp.

use std::collections::VecDeque;

/// Changes kept; a frame older than all of them is given the oldest part.
const KEEP: usize = 8;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartTimeline {
    /// (from stamp s, part id; "" for no part), sorted by stamp
    changes: VecDeque<(f64, String)>,
}

impl PartTimeline {
    /// Records that `part_id` ("" for none) was at the station at `stamp_s`.
    pub fn observe(&mut self, stamp_s: f64, part_id: &str) {
        if !stamp_s.is_finite() {
            return;
        }
        let i = self.changes.partition_point(|(s, _)| *s <= stamp_s);
        if i > 0 && self.changes.get(i - 1).is_some_and(|(_, p)| p == part_id) {
            return; // already known from an earlier stamp
        }
        if let Some((s, p)) = self.changes.get_mut(i) {
            if p == part_id {
                *s = stamp_s; // known from later: it was there earlier than we thought
                return;
            }
        }
        self.changes.insert(i, (stamp_s, part_id.to_string()));
        while self.changes.len() > KEEP {
            self.changes.pop_front();
        }
    }

    /// The part at the station at `stamp_s` (None if no message said so yet, or "no
    /// part" was the last word before it).
    pub fn part_at(&self, stamp_s: f64) -> Option<&str> {
        let i = self.changes.partition_point(|(s, _)| *s <= stamp_s);
        let (_, p) = if i > 0 { self.changes.get(i - 1)? } else { self.changes.front()? };
        (!p.is_empty()).then_some(p.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_gets_the_part_that_was_there_at_its_stamp_whatever_the_arrival_order() {
        let mut t = PartTimeline::default();
        assert_eq!(t.part_at(1.0), None);
        t.observe(10.0, "7"); // trace of part 7 on arrival
        t.observe(20.0, "8"); // trace of part 8
        t.observe(10.1, "7"); // station state, late: nothing new
        assert_eq!(t.part_at(10.5), Some("7"));
        assert_eq!(t.part_at(19.99), Some("7"));
        assert_eq!(t.part_at(20.0), Some("8"));
        // A station state from before part 8's trace, arriving after it.
        t.observe(15.0, "7");
        assert_eq!(t.part_at(19.0), Some("7"));
        // The station said part 9 at 30.2; its trace (stamp 30.0) comes later.
        t.observe(30.2, "9");
        t.observe(30.0, "9");
        assert_eq!(t.part_at(30.1), Some("9"));
        // The part left.
        t.observe(40.0, "");
        assert_eq!(t.part_at(41.0), None);
    }

    #[test]
    fn only_the_recent_changes_are_kept() {
        let mut t = PartTimeline::default();
        for k in 0..20 {
            t.observe(f64::from(k), &k.to_string());
        }
        assert_eq!(t.changes.len(), KEEP);
        assert_eq!(t.part_at(19.5), Some("19"));
        // Older than everything kept: the oldest known part.
        assert_eq!(t.part_at(0.5), Some("12"));
        t.observe(f64::NAN, "x");
        assert_eq!(t.changes.len(), KEEP);
    }
}
