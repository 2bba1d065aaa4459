//! Reference work cells (a table and a shelf) for the humanoid and the station arm, used
//! by the tests and the planning benchmark. Poses are in each robot's URDF root frame.

use crate::scene::{ObjectShape, PlanningScene, SceneObject};
use nalgebra::{Isometry3, Vector3};

fn boxed(id: &str, size: [f64; 3], center: [f64; 3]) -> SceneObject {
    SceneObject {
        id: id.to_string(),
        shape: ObjectShape::Box { size: Vector3::from(size) },
        pose: Isometry3::translation(center[0], center[1], center[2]),
        attached_to: None,
        touch_links: Vec::new(),
    }
}

/// A shelf standing on the floor: two side panels, a back panel and boards at
/// `boards` (z of each board centre), occupying x in [x0, x0 + depth], y in
/// [y0, y0 + width], z in [0, height] (`size` = [depth, width, height]).
fn shelf(prefix: &str, x0: f64, y0: f64, size: [f64; 3], boards: &[f64]) -> Vec<SceneObject> {
    let [depth, width, height] = size;
    let z0 = 0.0;
    let t = 0.02;
    let mut out = vec![
        boxed(
            &format!("{prefix}_side_a"),
            [depth, t, height],
            [x0 + depth / 2.0, y0 + t / 2.0, z0 + height / 2.0],
        ),
        boxed(
            &format!("{prefix}_side_b"),
            [depth, t, height],
            [x0 + depth / 2.0, y0 + width - t / 2.0, z0 + height / 2.0],
        ),
        boxed(
            &format!("{prefix}_back"),
            [t, width, height],
            [x0 + depth - t / 2.0, y0 + width / 2.0, z0 + height / 2.0],
        ),
    ];
    for (k, &z) in boards.iter().enumerate() {
        out.push(boxed(
            &format!("{prefix}_board_{k}"),
            [depth, width, t],
            [x0 + depth / 2.0, y0 + width / 2.0, z],
        ));
    }
    out
}

/// Humanoid (`urdf/optimus.urdf`, root `base_footprint`): a table in front at hip height
/// and a shelf to the front left, a box on the table.
pub fn humanoid_workcell() -> PlanningScene {
    let mut scene = PlanningScene::default();
    scene.add(boxed("table", [0.6, 1.2, 0.04], [0.75, 0.0, 0.58]));
    scene.add(boxed("part_box", [0.12, 0.12, 0.12], [0.55, -0.15, 0.66]));
    for o in shelf("shelf", 0.40, 0.48, [0.35, 0.5, 1.5], &[0.9, 1.25]) {
        scene.add(o);
    }
    scene
}

/// Station arm (`urdf/station_arm.urdf`, root `world`): mounted on a table top at z = 0,
/// with a shelf to its right front and a box on the table.
pub fn station_workcell() -> PlanningScene {
    let mut scene = PlanningScene::default();
    scene.add(boxed("table", [1.8, 1.6, 0.05], [0.3, 0.0, -0.03]));
    scene.add(boxed("part_box", [0.15, 0.15, 0.15], [0.5, 0.35, 0.075]));
    for o in shelf("shelf", 0.55, -0.75, [0.3, 0.45, 0.9], &[0.3, 0.6]) {
        scene.add(o);
    }
    scene
}
