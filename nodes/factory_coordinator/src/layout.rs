//! Factory layout: the named locations a task step may refer to (stations, machines,
//! chargers, docks, the warehouse) with their poses, read from config/factory.yaml.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::energy::EnergyModel;

/// Planar pose in the map frame: metres and radians (REP-103).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct Pose2 {
    pub x: f64,
    pub y: f64,
    #[serde(default)]
    pub yaw: f64,
}

impl Pose2 {
    pub fn new(x: f64, y: f64, yaw: f64) -> Self {
        Self { x, y, yaw }
    }

    pub fn is_finite(&self) -> bool {
        self.x.is_finite() && self.y.is_finite() && self.yaw.is_finite()
    }

    pub fn distance_to(&self, other: &Pose2) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocationKind {
    Station,
    Machine,
    Charger,
    Dock,
    Warehouse,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: String,
    pub kind: LocationKind,
    /// Where a robot stands to work there.
    pub pose: Pose2,
}

#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("factory config: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("location id '{0}' is defined twice")]
    DuplicateId(String),
    #[error("location '{id}': pose is not finite")]
    BadPose { id: String },
    #[error("location id must not be empty")]
    EmptyId,
    #[error("{key}: start pose is not finite")]
    BadStart { key: String },
    #[error("robot id '{0}' is defined twice (robots.list and robots.fleet)")]
    DuplicateRobot(String),
}

/// Named locations of the factory.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    locations: BTreeMap<String, Location>,
}

impl Layout {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a location; ids are unique across all kinds because a step names only the id.
    pub fn insert(&mut self, id: &str, kind: LocationKind, pose: Pose2) -> Result<(), LayoutError> {
        if id.is_empty() {
            return Err(LayoutError::EmptyId);
        }
        if !pose.is_finite() {
            return Err(LayoutError::BadPose { id: id.to_string() });
        }
        if self.locations.contains_key(id) {
            return Err(LayoutError::DuplicateId(id.to_string()));
        }
        self.locations.insert(id.to_string(), Location { id: id.to_string(), kind, pose });
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Location> {
        self.locations.get(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.locations.contains_key(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Location> {
        self.locations.values()
    }

    pub fn of_kind(&self, kind: LocationKind) -> impl Iterator<Item = &Location> {
        self.locations.values().filter(move |l| l.kind == kind)
    }

    pub fn len(&self) -> usize {
        self.locations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }
}

/// What the coordinator takes from config/factory.yaml.
#[derive(Debug, Clone)]
pub struct FactorySetup {
    pub layout: Layout,
    /// Capabilities the configured robots offer (robots.defaults + robots.list).
    pub capabilities: BTreeSet<String>,
    /// Energy model derived from robots.defaults (battery, power draws, speed).
    pub energy: EnergyModel,
    /// Cruise speed used by the straight-line travel fallback, m/s.
    pub cruise_speed_mps: f64,
    /// Each configured robot's start pose (robots.list[].start, robots.fleet grid), where
    /// the coordinator parks it when it idles elsewhere.
    pub park_poses: BTreeMap<String, Pose2>,
}

/// Robots rarely hold max speed (acceleration, turns, traffic): plan with this fraction.
const CRUISE_FRACTION_OF_MAX_SPEED: f64 = 0.7;

/// The warehouse has no id in the config; steps refer to it by this name.
pub const WAREHOUSE_ID: &str = "warehouse";

#[derive(Deserialize)]
struct RawFactory {
    #[serde(default)]
    warehouse: Option<RawWarehouse>,
    #[serde(default)]
    chargers: Vec<RawPlace>,
    #[serde(default)]
    docks: Vec<RawPlace>,
    #[serde(default)]
    machines: Vec<RawPlace>,
    #[serde(default)]
    stations: Vec<RawStation>,
    #[serde(default)]
    robots: Option<RawRobots>,
}

#[derive(Deserialize)]
struct RawWarehouse {
    pose: Pose2,
}

#[derive(Deserialize)]
struct RawPlace {
    id: String,
    pose: Pose2,
}

#[derive(Deserialize)]
struct RawStation {
    id: String,
    #[serde(default)]
    machine: Option<String>,
    pose: Pose2,
}

#[derive(Deserialize)]
struct RawRobots {
    #[serde(default)]
    defaults: Option<RawRobotDefaults>,
    #[serde(default)]
    list: Vec<RawRobotEntry>,
    #[serde(default)]
    fleet: Option<RawFleet>,
}

#[derive(Deserialize)]
struct RawRobotDefaults {
    #[serde(default)]
    max_linear_mps: Option<f64>,
    #[serde(default)]
    battery_wh: Option<f64>,
    #[serde(default)]
    idle_w: Option<f64>,
    #[serde(default)]
    motion_w_per_mps: Option<f64>,
    #[serde(default)]
    work_w: Option<f64>,
    #[serde(default)]
    capabilities: Vec<String>,
}

#[derive(Deserialize)]
struct RawRobotEntry {
    /// Optional here: an entry without id or start simply has no park pose (the twin
    /// rejects such a file anyway).
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    start: Option<Pose2>,
    #[serde(default)]
    capabilities: Vec<String>,
}

/// robots.fleet; defaults as in the twin (nodes/factory_twin/src/config.rs).
#[derive(Deserialize)]
struct RawFleet {
    count: u32,
    #[serde(default = "default_fleet_prefix")]
    id_prefix: String,
    first: Pose2,
    #[serde(default = "default_fleet_spacing")]
    spacing_m: f64,
    #[serde(default = "default_fleet_per_row")]
    per_row: u32,
}

fn default_fleet_prefix() -> String {
    "optimus_".to_string()
}

fn default_fleet_spacing() -> f64 {
    1.0
}

fn default_fleet_per_row() -> u32 {
    10
}

/// Start pose of every configured robot, by the twin's rule: the explicit list, then the
/// fleet grid `{id_prefix}{n}` (n from 1), `per_row` along +x, then rows along +y,
/// `spacing_m` apart, all with the yaw of `first`.
fn start_poses(robots: &RawRobots) -> Result<BTreeMap<String, Pose2>, LayoutError> {
    let mut poses = BTreeMap::new();
    let mut add = |id: String, pose: Pose2, key: String| {
        if !pose.is_finite() {
            return Err(LayoutError::BadStart { key });
        }
        match poses.entry(id) {
            std::collections::btree_map::Entry::Occupied(e) => {
                Err(LayoutError::DuplicateRobot(e.key().clone()))
            }
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(pose);
                Ok(())
            }
        }
    };
    for (i, e) in robots.list.iter().enumerate() {
        if let (Some(id), Some(start)) = (&e.id, e.start) {
            add(id.clone(), start, format!("robots.list[{i}].start"))?;
        }
    }
    if let Some(f) = &robots.fleet {
        let per_row = f.per_row.max(1);
        for n in 0..f.count {
            let col = f64::from(n % per_row);
            let row = f64::from(n / per_row);
            let pose = Pose2::new(f.first.x + col * f.spacing_m, f.first.y + row * f.spacing_m, f.first.yaw);
            add(format!("{}{}", f.id_prefix, n + 1), pose, format!("robots.fleet (robot #{})", n + 1))?;
        }
    }
    Ok(poses)
}

impl FactorySetup {
    pub fn load(path: &Path) -> Result<Self, LayoutError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| LayoutError::Io { path: path.display().to_string(), source })?;
        Self::from_yaml_str(&text)
    }

    /// Parses the subset of factory.yaml the coordinator needs; other keys are ignored
    /// (the twin validates the full file).
    pub fn from_yaml_str(text: &str) -> Result<Self, LayoutError> {
        let raw: RawFactory = serde_yaml::from_str(text)?;
        let mut layout = Layout::new();
        for s in &raw.stations {
            layout.insert(&s.id, LocationKind::Station, s.pose)?;
        }
        for m in &raw.machines {
            // A machine's pose is its centre, inside its footprint: robots serve it from
            // the station in front of it, so a step naming the machine goes there.
            let serving = raw.stations.iter().find(|s| s.machine.as_deref() == Some(m.id.as_str()));
            let pose = serving.map(|s| s.pose).unwrap_or(m.pose);
            layout.insert(&m.id, LocationKind::Machine, pose)?;
        }
        for c in &raw.chargers {
            layout.insert(&c.id, LocationKind::Charger, c.pose)?;
        }
        for d in &raw.docks {
            layout.insert(&d.id, LocationKind::Dock, d.pose)?;
        }
        if let Some(w) = &raw.warehouse {
            layout.insert(WAREHOUSE_ID, LocationKind::Warehouse, w.pose)?;
        }

        let mut capabilities = BTreeSet::new();
        let mut energy = EnergyModel::default();
        let mut max_speed = None;
        let mut park_poses = BTreeMap::new();
        if let Some(robots) = &raw.robots {
            park_poses = start_poses(robots)?;
            if let Some(d) = &robots.defaults {
                capabilities.extend(d.capabilities.iter().cloned());
                max_speed = d.max_linear_mps;
                let cruise = d.max_linear_mps.unwrap_or(1.0) * CRUISE_FRACTION_OF_MAX_SPEED;
                if let (Some(b), Some(i), Some(mo), Some(w)) =
                    (d.battery_wh, d.idle_w, d.motion_w_per_mps, d.work_w)
                {
                    energy = EnergyModel::from_robot_params(b, i, mo, w, cruise);
                }
            }
            for r in &robots.list {
                capabilities.extend(r.capabilities.iter().cloned());
            }
        }
        let cruise_speed_mps = max_speed
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(|v| v * CRUISE_FRACTION_OF_MAX_SPEED)
            .unwrap_or(crate::travel::DEFAULT_SPEED_MPS);
        Ok(Self { layout, capabilities, energy, cruise_speed_mps, park_poses })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_ids_rejected() {
        let mut l = Layout::new();
        assert!(l.insert("a", LocationKind::Dock, Pose2::default()).is_ok());
        assert!(matches!(
            l.insert("a", LocationKind::Station, Pose2::default()),
            Err(LayoutError::DuplicateId(_))
        ));
        assert!(matches!(
            l.insert("b", LocationKind::Station, Pose2::new(f64::NAN, 0.0, 0.0)),
            Err(LayoutError::BadPose { .. })
        ));
    }

    #[test]
    fn park_poses_follow_the_twins_fleet_grid() {
        let yaml = "
robots:
  list:
    - { id: inspector, start: { x: 40.0, y: 17.0, yaw: 1.5 }, capabilities: [inspection] }
  fleet: { count: 5, id_prefix: bot_, first: { x: 14.0, y: 6.0, yaw: 0.25 }, spacing_m: 2.5, per_row: 2 }
";
        let setup = match FactorySetup::from_yaml_str(yaml) {
            Ok(s) => s,
            Err(e) => panic!("valid yaml: {e}"),
        };
        let p = &setup.park_poses;
        assert_eq!(p.len(), 6);
        assert_eq!(p.get("inspector"), Some(&Pose2::new(40.0, 17.0, 1.5)));
        assert_eq!(p.get("bot_1"), Some(&Pose2::new(14.0, 6.0, 0.25)));
        assert_eq!(p.get("bot_2"), Some(&Pose2::new(16.5, 6.0, 0.25)), "along +x first");
        assert_eq!(p.get("bot_3"), Some(&Pose2::new(14.0, 8.5, 0.25)), "then the next row along +y");
        assert_eq!(p.get("bot_5"), Some(&Pose2::new(14.0, 11.0, 0.25)));

        let dup = "
robots:
  list: [{ id: optimus_1, start: { x: 1.0, y: 1.0 } }]
  fleet: { count: 1, first: { x: 5.0, y: 5.0 } }
";
        assert!(
            matches!(FactorySetup::from_yaml_str(dup), Err(LayoutError::DuplicateRobot(id)) if id == "optimus_1")
        );
    }
}
