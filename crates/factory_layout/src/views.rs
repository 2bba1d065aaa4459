//! Views the nodes need, computed from the document in one place so that every node
//! reads the layout the way the twin builds it.

use std::collections::BTreeSet;

use crate::camera::CameraConfig;
use crate::geometry::{Pose2, Rect};
use crate::layout::{FactoryConfig, MachineConfig, ObstacleConfig, RobotParams, StationConfig};

/// One robot of the layout, as the twin spawns it.
#[derive(Debug, Clone)]
pub struct ResolvedRobot {
    /// The config key that produced the robot, for error messages:
    /// `robots.list[i]` or `robots.fleet (robot #n)`.
    pub key: String,
    pub id: String,
    /// Pose at sim time 0, metres and radians.
    pub start: Pose2,
    /// `robots.defaults` with the entry's own `capabilities` and `initial_soc`, if given.
    pub params: RobotParams,
}

impl FactoryConfig {
    /// Every robot with its resolved id, start pose and parameters, in index order:
    /// the explicit `list` first, then the generated `fleet` (`{id_prefix}{n}`, n from
    /// 1, `per_row` along +x, then rows along +y, `spacing_m` apart, all with the yaw
    /// of `first`).
    pub fn resolved_robots(&self) -> Vec<ResolvedRobot> {
        let mut out = Vec::new();
        for (i, e) in self.robots.list.iter().enumerate() {
            let mut params = self.robots.defaults.clone();
            if let Some(c) = &e.capabilities {
                params.capabilities = c.clone();
            }
            if let Some(s) = e.initial_soc {
                params.initial_soc = s;
            }
            out.push(ResolvedRobot {
                key: format!("robots.list[{i}]"),
                id: e.id.clone(),
                start: e.start,
                params,
            });
        }
        if let Some(f) = &self.robots.fleet {
            // Validation rejects per_row 0; the guard keeps an unvalidated config from
            // dividing by zero.
            let per_row = f.per_row.max(1);
            for n in 0..f.count {
                let col = f64::from(n % per_row);
                let row = f64::from(n / per_row);
                let start =
                    Pose2::new(f.first.x + col * f.spacing_m, f.first.y + row * f.spacing_m, f.first.yaw);
                out.push(ResolvedRobot {
                    key: format!("robots.fleet (robot #{})", n + 1),
                    id: format!("{}{}", f.id_prefix, n + 1),
                    start,
                    params: self.robots.defaults.clone(),
                });
            }
        }
        out
    }

    /// The robot with this id, if the layout makes one.
    pub fn robot(&self, id: &str) -> Option<ResolvedRobot> {
        self.resolved_robots().into_iter().find(|r| r.id == id)
    }

    /// Every capability at least one robot of the layout has.
    pub fn robot_capabilities(&self) -> BTreeSet<String> {
        self.resolved_robots().into_iter().flat_map(|r| r.params.capabilities).collect()
    }

    /// Station ids in line order: parts flow from the first to the last.
    pub fn line_order(&self) -> Vec<&str> {
        self.stations.iter().map(|s| s.id.as_str()).collect()
    }

    /// The station whose machine is `machine_id` (the first, if several share it):
    /// where a robot stands to work on that machine.
    pub fn station_serving(&self, machine_id: &str) -> Option<&StationConfig> {
        self.stations.iter().find(|s| s.machine == machine_id)
    }

    /// The station after `station_id` in the line, whose input buffer holds this
    /// station's output.
    pub fn next_station(&self, station_id: &str) -> Option<&StationConfig> {
        let i = self.stations.iter().position(|s| s.id == station_id)?;
        self.stations.get(i + 1)
    }

    /// What occupies the floor besides its perimeter wall: the `obstacles`, then every
    /// machine footprint, in file order.
    pub fn static_obstacles(&self) -> Vec<Rect> {
        let obstacles = self.obstacles.iter().map(ObstacleConfig::rect);
        obstacles.chain(self.machines.iter().map(MachineConfig::footprint)).collect()
    }

    /// The part types `camera` images: its `part_types`, or when that is empty every
    /// variant its station processes (none if the station is unknown).
    pub fn camera_part_types(&self, camera: &CameraConfig) -> Vec<String> {
        if !camera.part_types.is_empty() {
            return camera.part_types.clone();
        }
        self.stations
            .iter()
            .find(|s| s.id == camera.station)
            .map(|s| s.part_variants.clone())
            .unwrap_or_default()
    }
}

impl ObstacleConfig {
    /// The occupied rectangle, metres.
    pub fn rect(&self) -> Rect {
        Rect { x_min: self.x_min, y_min: self.y_min, x_max: self.x_max, y_max: self.y_max }
    }
}

impl MachineConfig {
    /// The occupied footprint: `size_x_m` x `size_y_m` centred on `pose`, axis-aligned.
    pub fn footprint(&self) -> Rect {
        Rect::centred(self.pose.x, self.pose.y, self.size_x_m, self.size_y_m)
    }
}

#[cfg(test)]
mod tests {
    use crate::fixtures::SMALL_FACTORY;
    use crate::FactoryConfig;

    fn small() -> FactoryConfig {
        match FactoryConfig::from_yaml_str(SMALL_FACTORY) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn robots_are_the_list_then_the_fleet_grid() {
        let cfg = small();
        let robots = cfg.resolved_robots();
        let ids: Vec<&str> = robots.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["service_1", "service_2", "service_3", "runner_1", "runner_2", "runner_3", "runner_4"]
        );
        assert_eq!(robots[0].key, "robots.list[0]");
        assert_eq!(robots[4].key, "robots.fleet (robot #2)");
        // first (3, 2), spacing 1.2, four per row: runner_2 is one step along +x.
        assert_eq!((robots[4].start.x, robots[4].start.y), (3.0 + 1.2, 2.0));
        assert_eq!(cfg.robot("runner_4").map(|r| r.start.x), Some(3.0 + 3.0 * 1.2));
        assert!(cfg.robot("runner_5").is_none());
    }

    #[test]
    fn fleet_rows_grow_along_y_and_list_entries_override_the_defaults() {
        let text = SMALL_FACTORY.replacen("spacing_m: 1.2, per_row: 4", "spacing_m: 1.2, per_row: 3", 1);
        let text = text.replacen(
            "- { id: service_1, start: { x: 6.0, y: 6.4, yaw: 1.5708 } }",
            "- { id: service_1, start: { x: 6.0, y: 6.4, yaw: 1.5708 }, capabilities: [navigation], initial_soc: 0.5 }",
            1,
        );
        let cfg = match FactoryConfig::from_yaml_str(&text) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let runner_4 = cfg.robot("runner_4").map(|r| (r.start.x, r.start.y));
        assert_eq!(runner_4, Some((3.0, 2.0 + 1.2)), "the fourth robot starts the second row");
        let service_1 = cfg.robot("service_1").map(|r| r.params);
        assert_eq!(service_1.as_ref().map(|p| p.capabilities.clone()), Some(vec!["navigation".to_string()]));
        assert_eq!(service_1.map(|p| p.initial_soc), Some(0.5));
        let service_2 = cfg.robot("service_2").map(|r| r.params.capabilities.len());
        assert_eq!(service_2, Some(4), "robots.defaults.capabilities");
        assert_eq!(cfg.robot_capabilities().len(), 4);
    }

    #[test]
    fn line_and_machine_views() {
        let cfg = small();
        assert_eq!(cfg.line_order(), ["s1", "s2", "s3"]);
        assert_eq!(cfg.station_serving("m2").map(|s| s.id.as_str()), Some("s2"));
        assert!(cfg.station_serving("m9").is_none());
        assert_eq!(cfg.next_station("s2").map(|s| s.id.as_str()), Some("s3"));
        assert!(cfg.next_station("s3").is_none());
        let rects = cfg.static_obstacles();
        assert_eq!(rects.len(), 1 + 3, "the pillar, then three machine footprints");
        // m1: 2.0 x 1.5 centred on (6, 8).
        assert_eq!((rects[1].x_min, rects[1].y_min, rects[1].x_max, rects[1].y_max), (5.0, 7.25, 7.0, 8.75));
    }

    #[test]
    fn a_camera_without_part_types_images_every_variant_of_its_station() {
        let text = format!(
            "{SMALL_FACTORY}cameras:\n  - {{ station: s2 }}\n  - {{ station: s3, part_types: [B] }}\n"
        );
        let cfg = match FactoryConfig::from_yaml_str(&text) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(cfg.camera_part_types(&cfg.cameras[0]), ["A", "B"]);
        assert_eq!(cfg.camera_part_types(&cfg.cameras[1]), ["B"]);
    }
}
