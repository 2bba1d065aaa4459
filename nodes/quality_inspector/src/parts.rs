//! Which part was at a station when. Images carry no part id; station states and
//! fastening traces do, each saying "part P was at the station at time t". They arrive
//! on different topics, so not in order: the timeline keeps the recent changes by
//! stamp, and a frame is given the part that was there at its capture stamp. It also
//! keeps each recent part's variant, so a frame judged late (the node was busy) is
//! compared with its own part's reference, not that of the part at the station now.

use std::collections::VecDeque;

/// Changes kept (a part and the "no part" after it are two); a frame older than all of
/// them is given the oldest part. 32 changes span about 16 parts of the line.
const KEEP: usize = 32;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartTimeline {
    /// (from stamp s, part id; "" for no part), sorted by stamp
    changes: VecDeque<(f64, String)>,
    /// (part id, variant) of the latest parts, newest last
    variants: VecDeque<(String, String)>,
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

    /// Records that part `part_id` is of `variant` (empty ones are ignored).
    pub fn observe_variant(&mut self, part_id: &str, variant: &str) {
        if part_id.is_empty() || variant.is_empty() {
            return;
        }
        if let Some(known) = self.variants.iter_mut().rev().find(|(p, _)| p == part_id) {
            known.1 = variant.to_string();
            return;
        }
        self.variants.push_back((part_id.to_string(), variant.to_string()));
        while self.variants.len() > KEEP {
            self.variants.pop_front();
        }
    }

    /// The variant of part `part_id`, if a message said it.
    pub fn variant_of(&self, part_id: &str) -> Option<&str> {
        self.variants.iter().rev().find(|(p, _)| p == part_id).map(|(_, v)| v.as_str())
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
        for k in 0..(KEEP as u32 + 12) {
            t.observe(f64::from(k), &k.to_string());
        }
        assert_eq!(t.changes.len(), KEEP);
        let newest = (KEEP + 11).to_string();
        assert_eq!(t.part_at((KEEP + 11) as f64 + 0.5), Some(newest.as_str()));
        // Older than everything kept: the oldest known part.
        assert_eq!(t.part_at(0.5), Some("12"));
        t.observe(f64::NAN, "x");
        assert_eq!(t.changes.len(), KEEP);
    }

    #[test]
    fn a_part_keeps_its_variant_after_the_next_part_arrives() {
        let mut t = PartTimeline::default();
        t.observe(10.0, "7");
        t.observe_variant("7", "A");
        t.observe(20.0, "8");
        t.observe_variant("8", "B");
        t.observe_variant("", "C");
        t.observe_variant("9", "");
        // A frame of part 7 judged after part 8 arrived is still of variant A.
        assert_eq!(t.part_at(15.0).and_then(|p| t.variant_of(p)), Some("A"));
        assert_eq!(t.variant_of("8"), Some("B"));
        assert_eq!(t.variant_of("9"), None);
        // A later word on the same part wins.
        t.observe_variant("8", "C");
        assert_eq!(t.variant_of("8"), Some("C"));
        for k in 0..KEEP {
            t.observe_variant(&format!("n{k}"), "A");
        }
        assert_eq!(t.variant_of("7"), None, "old parts are forgotten");
        assert_eq!(t.variants.len(), KEEP);
    }
}
