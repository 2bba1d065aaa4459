//! What an inspection reports: findings (defects of any kind) and the correction that
//! a failure calls for.

use crate::geometry::BBox;

/// Kind of finding; the numbering is factory_interfaces/Defect's CLASS_* constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DefectClass {
    /// elongated surface mark
    Scratch,
    /// compact pit or dent
    Pit,
    /// colour/texture anomaly (oil, dust, residue)
    Contamination,
    /// thermal region above baseline + margin
    Hotspot,
    /// part pose outside tolerance
    Misalignment,
    /// fastening torque-angle trace outside the envelope
    Torque,
}

impl DefectClass {
    /// factory_interfaces/Defect CLASS_* value.
    pub fn code(self) -> u8 {
        match self {
            DefectClass::Scratch => 0,
            DefectClass::Pit => 1,
            DefectClass::Contamination => 2,
            DefectClass::Hotspot => 3,
            DefectClass::Misalignment => 4,
            DefectClass::Torque => 5,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DefectClass::Scratch => "scratch",
            DefectClass::Pit => "pit",
            DefectClass::Contamination => "contamination",
            DefectClass::Hotspot => "hotspot",
            DefectClass::Misalignment => "misalignment",
            DefectClass::Torque => "torque",
        }
    }

    /// What fixes a part (or the station) failed for this reason.
    pub fn correction(self) -> Correction {
        match self {
            // Surface damage and a bad fastening are reworked on the part.
            DefectClass::Scratch | DefectClass::Pit | DefectClass::Torque => Correction::Rework,
            DefectClass::Contamination => Correction::Clean,
            // Misplacement and abnormal process heat point at the station, not the part.
            DefectClass::Misalignment | DefectClass::Hotspot => Correction::RecalibrateStation,
        }
    }
}

/// Correction task asked of the coordinator when a part fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Correction {
    /// clean the part (contamination)
    Clean,
    /// rework the part (surface defects, fastening)
    Rework,
    /// recalibrate the station (fixture, process)
    RecalibrateStation,
}

impl Correction {
    pub fn as_str(self) -> &'static str {
        match self {
            Correction::Clean => "clean",
            Correction::Rework => "rework",
            Correction::RecalibrateStation => "recalibrate_station",
        }
    }
}

/// One finding on a part.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub class: DefectClass,
    /// image pixels of the camera that saw it (thermal pixels for hotspots; empty for
    /// misalignment and torque)
    pub bbox: BBox,
    /// position on the part, millimetres from the part centre
    pub center_mm: (f64, f64),
    /// longest extent, millimetres
    pub length_mm: f64,
    /// extent across the length, millimetres
    pub width_mm: f64,
    pub area_mm2: f64,
    /// hotspots only, kelvin
    pub peak_temperature_k: f64,
    /// 0 (cosmetic) .. 1 (scrap)
    pub severity: f64,
    /// 0 .. 1
    pub confidence: f64,
}

impl Finding {
    /// A finding with no image extent (misalignment, torque).
    pub fn non_visual(class: DefectClass, severity: f64, confidence: f64) -> Self {
        Finding {
            class,
            bbox: BBox::default(),
            center_mm: (0.0, 0.0),
            length_mm: 0.0,
            width_mm: 0.0,
            area_mm2: 0.0,
            peak_temperature_k: 0.0,
            severity: severity.clamp(0.0, 1.0),
            confidence: confidence.clamp(0.0, 1.0),
        }
    }
}

/// The corrections a set of findings calls for, each once, in the order they should
/// run: clean before rework, station recalibration last.
pub fn corrections(findings: &[Finding]) -> Vec<Correction> {
    let mut c: Vec<Correction> = findings.iter().map(|f| f.class.correction()).collect();
    c.sort();
    c.dedup();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_are_unique_and_ordered() {
        let f = |c| Finding::non_visual(c, 1.0, 1.0);
        let got = corrections(&[
            f(DefectClass::Misalignment),
            f(DefectClass::Pit),
            f(DefectClass::Contamination),
            f(DefectClass::Scratch),
        ]);
        assert_eq!(got, vec![Correction::Clean, Correction::Rework, Correction::RecalibrateStation]);
        assert!(corrections(&[]).is_empty());
    }
}
