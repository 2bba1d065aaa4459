//! Factory layout: the named locations a task step may refer to (stations, machines,
//! chargers, docks, the warehouse) with their poses, built from config/factory.yaml as
//! factory_layout reads it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use factory_layout::FactoryConfig;

use crate::energy::EnergyModel;

/// Planar pose in the map frame: metres and radians (REP-103). The layout's own type,
/// so poses from the file need no conversion.
pub use factory_layout::Pose2;

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
    /// The file is unreadable or invalid (factory_layout names the key, value and rule).
    #[error("{0}")]
    Config(#[from] factory_layout::ConfigError),
    #[error("location id '{0}' is defined twice")]
    DuplicateId(String),
    #[error("location '{id}': pose is not finite")]
    BadPose { id: String },
    #[error("location id must not be empty")]
    EmptyId,
}

/// Named locations of the factory, and where on the floor a robot may be sent.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    locations: BTreeMap<String, Location>,
    /// The floor and its fixed obstacles; `None` (a layout built by hand) checks nothing.
    floor: Option<FloorArea>,
}

/// The floor's extent and the obstacles on it (walls, racks, pillars), metres.
#[derive(Debug, Clone, PartialEq)]
pub struct FloorArea {
    pub width_m: f64,
    pub height_m: f64,
    /// (name, x_min, y_min, x_max, y_max)
    pub obstacles: Vec<(String, f64, f64, f64, f64)>,
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

    /// Limits target poses to the floor, outside its obstacles.
    pub fn set_floor(&mut self, floor: FloorArea) {
        self.floor = Some(floor);
    }

    /// Whether a robot may be sent to (x, y): on the floor and not inside an obstacle.
    /// The reason names what is wrong with the point.
    pub fn check_free_point(&self, x: f64, y: f64) -> Result<(), String> {
        let Some(floor) = &self.floor else { return Ok(()) };
        if !(0.0..=floor.width_m).contains(&x) || !(0.0..=floor.height_m).contains(&y) {
            return Err(format!(
                "({x}, {y}) is off the floor (x in [0, {}], y in [0, {}] m)",
                floor.width_m, floor.height_m
            ));
        }
        match floor
            .obstacles
            .iter()
            .find(|(_, x0, y0, x1, y1)| (*x0..=*x1).contains(&x) && (*y0..=*y1).contains(&y))
        {
            Some((name, ..)) => Err(format!("({x}, {y}) is inside obstacle '{name}'")),
            None => Ok(()),
        }
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
    /// Capabilities the configured robots offer (each robot's own list, as the twin
    /// gives it: robots.list entries may replace robots.defaults).
    pub capabilities: BTreeSet<String>,
    /// Energy model derived from robots.defaults (battery, power draws, speed).
    pub energy: EnergyModel,
    /// Cruise speed used by the straight-line travel fallback, m/s.
    pub cruise_speed_mps: f64,
    /// Each configured robot's start pose (factory_layout's resolved robots: the list,
    /// then the fleet grid), where the coordinator parks it when it idles elsewhere.
    pub park_poses: BTreeMap<String, Pose2>,
}

/// Robots rarely hold max speed (acceleration, turns, traffic): plan with this fraction.
const CRUISE_FRACTION_OF_MAX_SPEED: f64 = 0.7;

/// The warehouse has no id in the config; steps refer to it by this name.
pub const WAREHOUSE_ID: &str = "warehouse";

impl FactorySetup {
    /// Reads and validates the layout (factory_layout), then takes what the
    /// coordinator needs from it.
    pub fn load(path: &Path) -> Result<Self, LayoutError> {
        Self::from_config(&FactoryConfig::load(path)?)
    }

    pub fn from_yaml_str(text: &str) -> Result<Self, LayoutError> {
        Self::from_config(&FactoryConfig::from_yaml_str(text)?)
    }

    /// The coordinator's view of a validated layout.
    pub fn from_config(cfg: &FactoryConfig) -> Result<Self, LayoutError> {
        let mut layout = Layout::new();
        for s in &cfg.stations {
            layout.insert(&s.id, LocationKind::Station, s.pose)?;
        }
        for m in &cfg.machines {
            // A machine's pose is its centre, inside its footprint: robots serve it from
            // the station in front of it, so a step naming the machine goes there.
            let pose = cfg.station_serving(&m.id).map(|s| s.pose).unwrap_or(m.pose);
            layout.insert(&m.id, LocationKind::Machine, pose)?;
        }
        for c in &cfg.chargers {
            layout.insert(&c.id, LocationKind::Charger, c.pose)?;
        }
        for d in &cfg.docks {
            layout.insert(&d.id, LocationKind::Dock, d.pose)?;
        }
        layout.insert(WAREHOUSE_ID, LocationKind::Warehouse, cfg.warehouse.pose)?;
        layout.set_floor(FloorArea {
            width_m: cfg.floor.width_m,
            height_m: cfg.floor.height_m,
            obstacles: cfg
                .obstacles
                .iter()
                .map(|o| (o.name.clone(), o.x_min, o.y_min, o.x_max, o.y_max))
                .collect(),
        });

        let d = &cfg.robots.defaults;
        let max_speed = Some(d.max_linear_mps).filter(|v| v.is_finite() && *v > 0.0);
        let cruise_speed_mps =
            max_speed.map(|v| v * CRUISE_FRACTION_OF_MAX_SPEED).unwrap_or(crate::travel::DEFAULT_SPEED_MPS);
        let energy = EnergyModel::from_robot_params(
            d.battery_wh,
            d.idle_w,
            d.motion_w_per_mps,
            d.work_w,
            cruise_speed_mps,
        );
        let park_poses = cfg.resolved_robots().into_iter().map(|r| (r.id, r.start)).collect();
        Ok(Self { layout, capabilities: cfg.robot_capabilities(), energy, cruise_speed_mps, park_poses })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_points_must_be_on_the_floor_and_outside_obstacles() {
        let mut l = Layout::new();
        assert_eq!(l.check_free_point(1e6, 1e6), Ok(()), "a layout without a floor checks nothing");
        l.set_floor(FloorArea {
            width_m: 10.0,
            height_m: 5.0,
            obstacles: vec![("pillar".into(), 2.0, 2.0, 3.0, 3.0)],
        });
        assert_eq!(l.check_free_point(1.0, 1.0), Ok(()));
        assert!(l.check_free_point(10.5, 1.0).unwrap_err().contains("off the floor"));
        assert!(l.check_free_point(1.0, -0.1).unwrap_err().contains("off the floor"));
        assert_eq!(l.check_free_point(2.5, 2.5).unwrap_err(), "(2.5, 2.5) is inside obstacle 'pillar'");
    }

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

    /// factory_layout's small test factory on a 60 m x 40 m floor, its robots replaced.
    fn factory_with_robots(robots: &str) -> String {
        let small = factory_layout::fixtures::SMALL_FACTORY.replacen(
            "width_m: 24.0, height_m: 14.0",
            "width_m: 60.0, height_m: 40.0",
            1,
        );
        let (Some(start), Some(end)) = (small.find("robots:\n"), small.find("maintenance:")) else {
            panic!("the test factory has robots and maintenance sections")
        };
        format!("{}{}{}", &small[..start], robots.trim_start(), &small[end..])
    }

    #[test]
    fn park_poses_follow_the_twins_fleet_grid() {
        let yaml = factory_with_robots(
            "
robots:
  list:
    - { id: inspector, start: { x: 40.0, y: 17.0, yaw: 1.5 }, capabilities: [inspection] }
  fleet: { count: 5, id_prefix: bot_, first: { x: 14.0, y: 6.0, yaw: 0.25 }, spacing_m: 2.5, per_row: 2 }
",
        );
        let setup = match FactorySetup::from_yaml_str(&yaml) {
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

        // The same id from the list and the fleet: factory_layout rejects the file.
        let dup = factory_with_robots(
            "
robots:
  list: [{ id: optimus_1, start: { x: 1.0, y: 1.0 } }]
  fleet: { count: 1, first: { x: 5.0, y: 5.0 } }
",
        );
        assert!(matches!(
            FactorySetup::from_yaml_str(&dup),
            Err(LayoutError::Config(e)) if e.to_string().contains("robots[1].id = \"optimus_1\": is used twice")
        ));
    }

    #[test]
    fn machines_are_served_from_their_station_and_capabilities_are_the_robots() {
        let setup = match FactorySetup::from_yaml_str(factory_layout::fixtures::SMALL_FACTORY) {
            Ok(s) => s,
            Err(e) => panic!("valid yaml: {e}"),
        };
        let station = setup.layout.get("s2").map(|l| l.pose);
        assert_eq!(setup.layout.get("m2").map(|l| l.pose), station);
        assert_eq!(setup.layout.get(WAREHOUSE_ID).map(|l| l.kind), Some(LocationKind::Warehouse));
        assert_eq!(setup.layout.len(), 3 + 3 + 1 + 1, "stations, machines, a charger, the warehouse");
        // robots.defaults of the test factory: the default capabilities and 1.2 m/s.
        assert_eq!(setup.capabilities.len(), 4);
        assert!((setup.cruise_speed_mps - 0.84).abs() < 1e-12);
        let (e, d) = (setup.energy, EnergyModel::default());
        assert_eq!((e.battery_wh, e.wh_per_s_work), (d.battery_wh, d.wh_per_s_work));
        assert!((e.wh_per_m - d.wh_per_m).abs() < 1e-12, "{e:?}");
    }
}
