//! Writes the factory floor of a twin config as a Gazebo (gz-sim) SDF world: the floor,
//! its perimeter wall, every obstacle and machine footprint as a static box, the
//! chargers as markers. The twin's layout stays the one source of truth; worlds/ holds
//! the generated file and a test checks it is up to date.
//!
//! Run: `cargo run -p factory_twin --example export_sdf -- config/factory.yaml worlds/factory.sdf`
//! (`-` as the output prints to stdout).

use std::fmt::Write as _;
use std::process::ExitCode;

use factory_twin::FactoryConfig;

/// Heights of the boxes, metres (the twin is 2-D; these only shape the 3-D scene).
const WALL_HEIGHT_M: f64 = 3.0;
const OBSTACLE_HEIGHT_M: f64 = 2.0;
const MACHINE_HEIGHT_M: f64 = 1.5;

fn static_box(out: &mut String, name: &str, centre: (f64, f64, f64), size: (f64, f64, f64), rgb: &str) {
    let (x, y, z) = centre;
    let (sx, sy, sz) = size;
    let _ = write!(
        out,
        r#"    <model name="{name}">
      <static>true</static>
      <pose>{x} {y} {z} 0 0 0</pose>
      <link name="link">
        <collision name="collision"><geometry><box><size>{sx} {sy} {sz}</size></box></geometry></collision>
        <visual name="visual">
          <geometry><box><size>{sx} {sy} {sz}</size></box></geometry>
          <material><ambient>{rgb} 1</ambient><diffuse>{rgb} 1</diffuse></material>
        </visual>
      </link>
    </model>
"#
    );
}

fn world(cfg: &FactoryConfig, source: &str) -> String {
    let (w, h) = (cfg.floor.width_m, cfg.floor.height_m);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<?xml version="1.0"?>
<!-- Generated from {source} by
       cargo run -p factory_twin --example export_sdf -- {source} worlds/factory.sdf
     Do not edit by hand: change the layout and regenerate (a test checks this file is
     up to date). REP-103: x east, y north; the floor spans [0, {w}] x [0, {h}] m. -->
<sdf version="1.9">
  <world name="factory">
    <physics name="1ms" type="ignored">
      <max_step_size>0.001</max_step_size>
      <real_time_factor>1.0</real_time_factor>
    </physics>
    <plugin filename="gz-sim-physics-system" name="gz::sim::systems::Physics"/>
    <plugin filename="gz-sim-user-commands-system" name="gz::sim::systems::UserCommands"/>
    <plugin filename="gz-sim-scene-broadcaster-system" name="gz::sim::systems::SceneBroadcaster"/>
    <plugin filename="gz-sim-sensors-system" name="gz::sim::systems::Sensors">
      <render_engine>ogre2</render_engine>
    </plugin>
    <light type="directional" name="sun">
      <cast_shadows>true</cast_shadows>
      <pose>{cx} {cy} 20 0 0 0</pose>
      <diffuse>0.8 0.8 0.8 1</diffuse>
      <specular>0.2 0.2 0.2 1</specular>
      <direction>-0.5 0.1 -0.9</direction>
    </light>
    <model name="floor">
      <static>true</static>
      <pose>{cx} {cy} 0 0 0 0</pose>
      <link name="link">
        <collision name="collision"><geometry><plane><normal>0 0 1</normal><size>{w} {h}</size></plane></geometry></collision>
        <visual name="visual">
          <geometry><plane><normal>0 0 1</normal><size>{w} {h}</size></plane></geometry>
          <material><ambient>0.7 0.7 0.7 1</ambient><diffuse>0.7 0.7 0.7 1</diffuse></material>
        </visual>
      </link>
    </model>
"#,
        cx = w / 2.0,
        cy = h / 2.0,
    );
    let t = cfg.floor.perimeter_wall_m;
    if t > 0.0 {
        let z = WALL_HEIGHT_M / 2.0;
        let grey = "0.5 0.5 0.5";
        static_box(&mut out, "wall_south", (w / 2.0, t / 2.0, z), (w, t, WALL_HEIGHT_M), grey);
        static_box(&mut out, "wall_north", (w / 2.0, h - t / 2.0, z), (w, t, WALL_HEIGHT_M), grey);
        static_box(&mut out, "wall_west", (t / 2.0, h / 2.0, z), (t, h, WALL_HEIGHT_M), grey);
        static_box(&mut out, "wall_east", (w - t / 2.0, h / 2.0, z), (t, h, WALL_HEIGHT_M), grey);
    }
    for o in &cfg.obstacles {
        let (sx, sy) = (o.x_max - o.x_min, o.y_max - o.y_min);
        let centre = ((o.x_min + o.x_max) / 2.0, (o.y_min + o.y_max) / 2.0, OBSTACLE_HEIGHT_M / 2.0);
        static_box(&mut out, &o.name, centre, (sx, sy, OBSTACLE_HEIGHT_M), "0.6 0.4 0.2");
    }
    for m in &cfg.machines {
        let centre = (m.pose.x, m.pose.y, MACHINE_HEIGHT_M / 2.0);
        static_box(&mut out, &m.id, centre, (m.size_x_m, m.size_y_m, MACHINE_HEIGHT_M), "0.2 0.4 0.7");
    }
    for c in &cfg.chargers {
        // A floor marker only: robots drive onto chargers.
        let _ = write!(
            out,
            r#"    <model name="{id}">
      <static>true</static>
      <pose>{x} {y} 0.005 0 0 0</pose>
      <link name="link">
        <visual name="visual">
          <geometry><cylinder><radius>{r}</radius><length>0.01</length></cylinder></geometry>
          <material><ambient>0.1 0.7 0.2 1</ambient><diffuse>0.1 0.7 0.2 1</diffuse></material>
        </visual>
      </link>
    </model>
"#,
            id = c.id,
            x = c.pose.x,
            y = c.pose.y,
            r = c.radius_m,
        );
    }
    out.push_str("  </world>\n</sdf>\n");
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(config), Some(output)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: export_sdf <factory.yaml> <world.sdf | ->");
        return ExitCode::from(2);
    };
    let cfg = match FactoryConfig::load(config) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("{config}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sdf = world(&cfg, config);
    if output == "-" {
        print!("{sdf}");
        return ExitCode::SUCCESS;
    }
    match std::fs::write(output, sdf) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{output}: {e}");
            ExitCode::FAILURE
        }
    }
}
