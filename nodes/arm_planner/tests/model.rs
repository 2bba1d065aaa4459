//! URDF and mesh loading: joint types, limits, mimic joints, primitives, STL/OBJ/DAE
//! meshes through package:// / relative URIs, and clear errors.

use arm_planner::mesh::{load_mesh, MeshResolver};
use arm_planner::model::{Geometry, JointKind};
use arm_planner::{ArmGroup, ModelError, RobotModel};
use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn urdf(name: &str) -> PathBuf {
    crate_dir().join("../../urdf").join(name)
}

#[test]
fn optimus_has_two_seven_dof_arms_grippers_and_a_camera() {
    let model = RobotModel::from_urdf_file(&urdf("optimus.urdf"), None).expect("optimus.urdf loads");
    assert_eq!(model.name, "optimus");
    for side in ["left", "right"] {
        let group = ArmGroup::new(&model, &format!("{side}_arm"), "torso", &format!("{side}_tool0"))
            .expect("arm group");
        assert_eq!(group.dof(), 7, "{side} arm");
        let mimic = model.joint_index(&format!("{side}_gripper_finger_mimic_joint")).expect("mimic joint");
        let master = model.joint_index(&format!("{side}_gripper_finger_joint")).expect("finger joint");
        assert_eq!(model.joints[mimic].mimic.map(|m| m.master), Some(master));
        assert_eq!(model.joints[master].kind, JointKind::Prismatic);
    }
    assert!(model.link_index("head_camera_link").is_some());
    assert_eq!(
        model.joints[model.joint_index("left_wheel_joint").expect("wheel")].kind,
        JointKind::Continuous
    );
    assert_eq!(model.joints[model.joint_index("torso_joint").expect("torso joint")].kind, JointKind::Fixed);
    // Mesh-free: every collision body is a primitive.
    assert!(model
        .links
        .iter()
        .flat_map(|l| &l.collision)
        .all(|c| !matches!(c.geometry, Geometry::Mesh { .. })));
}

#[test]
fn mimic_finger_follows_its_master() {
    let model = RobotModel::from_urdf_file(&urdf("station_arm.urdf"), None).expect("station arm loads");
    let mut q = model.default_positions();
    let finger = model.joint_index("gripper_finger_joint").expect("finger");
    q[finger] = 0.03;
    let poses = model.link_poses(&q);
    let left = poses[model.link_index("finger_left").expect("left")].translation.vector;
    let right = poses[model.link_index("finger_right").expect("right")].translation.vector;
    // Fingers start 15 mm apart and each moves 30 mm outwards.
    assert!(((left - right).norm() - (0.015 + 0.06)).abs() < 1e-9, "gap {}", (left - right).norm());
}

#[test]
fn station_arm_is_six_dof_with_a_prismatic_gripper() {
    let model = RobotModel::from_urdf_file(&urdf("station_arm.urdf"), None).expect("station arm loads");
    let group = ArmGroup::new(&model, "station_arm", "base_link", "tool0").expect("group");
    assert_eq!(group.dof(), 6);
    assert!(group.velocity.iter().all(|&v| v > 0.0));
}

#[test]
fn mesh_arm_loads_stl_obj_and_dae() {
    let dir = crate_dir().join("tests/data");
    let model = RobotModel::from_urdf_file(&dir.join("mesh_arm.urdf"), Some(&dir)).expect("mesh arm loads");
    let extent = |link: &str| -> nalgebra::Vector3<f32> {
        let l = model.link_index(link).expect("link");
        match &model.links[l].collision[0].geometry {
            Geometry::Mesh { mesh, .. } => mesh.extent(),
            other => panic!("{link}: expected a mesh, got {other:?}"),
        }
    };
    let close = |a: nalgebra::Vector3<f32>, b: [f32; 3]| (a - nalgebra::Vector3::from(b)).norm() < 1e-5;
    assert!(close(extent("base"), [0.1, 0.1, 0.1]), "binary STL cube {:?}", extent("base"));
    assert!(close(extent("link1"), [0.05, 0.05, 0.2]), "scaled ASCII STL {:?}", extent("link1"));
    assert!(close(extent("link2"), [0.2, 0.1, 0.05]), "OBJ box {:?}", extent("link2"));
    assert!(close(extent("link3"), [0.1, 0.1, 0.1]), "DAE tetrahedron in cm {:?}", extent("link3"));
    let group = ArmGroup::new(&model, "mesh_arm", "base", "tip").expect("group");
    assert_eq!(group.dof(), 3);
    assert!(group.continuous[0]);
}

#[test]
fn dae_node_transform_and_units_are_applied() {
    let mesh = load_mesh(&crate_dir().join("tests/data/meshes/tetra.dae")).expect("dae");
    assert_eq!(mesh.triangles.len(), 4, "2 <triangles> + 2 <polylist> faces");
    let min_z = mesh.vertices.iter().map(|v| v.z).fold(f32::INFINITY, f32::min);
    // translate 5 cm in centimetre units.
    assert!((min_z - 0.05).abs() < 1e-6, "min z {min_z}");
}

#[test]
fn obj_quads_are_split_into_triangles() {
    let mesh = load_mesh(&crate_dir().join("tests/data/meshes/box.obj")).expect("obj");
    assert_eq!(mesh.vertices.len(), 8);
    assert_eq!(mesh.triangles.len(), 12);
    let ascii = load_mesh(&crate_dir().join("tests/data/meshes/cube_ascii.stl")).expect("ascii stl");
    let binary = load_mesh(&crate_dir().join("tests/data/meshes/cube.stl")).expect("binary stl");
    assert_eq!(ascii.triangles.len(), 12);
    assert_eq!(ascii, binary, "ASCII and binary STL of the same cube");
}

#[test]
fn missing_mesh_is_an_error_naming_the_file() {
    let dir = crate_dir().join("tests/data");
    let err =
        RobotModel::from_urdf_file(&dir.join("missing_mesh_arm.urdf"), Some(&dir)).expect_err("must fail");
    let text = err.to_string();
    assert!(matches!(err, ModelError::MeshNotFound { .. }), "{text}");
    assert!(text.contains("no_such_part.stl"), "{text}");
}

#[test]
fn package_uri_resolves_through_ament_prefixes() {
    let tmp = std::env::temp_dir().join(format!("arm_planner_ament_{}", std::process::id()));
    let share = tmp.join("share/my_robot_description/meshes");
    std::fs::create_dir_all(&share).expect("temp dir");
    std::fs::copy(crate_dir().join("tests/data/meshes/cube.stl"), share.join("cube.stl")).expect("copy");
    let resolver = MeshResolver {
        mesh_root: None,
        ament_prefixes: vec![PathBuf::from("/nonexistent"), tmp.clone()],
        base_dir: None,
    };
    let found = resolver.resolve("package://my_robot_description/meshes/cube.stl").expect("resolves");
    assert_eq!(found, share.join("cube.stl"));
    let file_uri = format!("file://{}", share.join("cube.stl").display());
    assert_eq!(resolver.resolve(&file_uri).expect("file uri"), share.join("cube.stl"));
    assert!(resolver.resolve("package://other_pkg/cube.stl").is_err());
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn malformed_urdfs_are_rejected_with_the_element_named() {
    let resolver = MeshResolver::default();
    let cases = [
        ("<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'><parent link='a'/><child link='b'/></joint></robot>", "j"),
        ("<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='fixed'><parent link='a'/><child link='zz'/></joint></robot>", "zz"),
        ("<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='prismatic'><parent link='a'/><child link='b'/><limit lower='0' upper='1' velocity='1'/><mimic joint='ghost'/></joint></robot>", "ghost"),
        ("<robot name='r'><link name='a'><collision><geometry><box size='1 -1 1'/></geometry></collision></link></robot>", "a"),
        ("<robot name='r'><link name='a'/><link name='b'/></robot>", "root"),
    ];
    for (xml, needle) in cases {
        let err = RobotModel::from_urdf_str(xml, &resolver).expect_err(xml).to_string();
        assert!(err.contains(needle), "`{err}` should mention `{needle}`");
    }
}

#[test]
fn group_errors_name_the_problem() {
    let model = RobotModel::from_urdf_file(&urdf("optimus.urdf"), None).expect("optimus");
    let e = ArmGroup::new(&model, "g", "torso", "no_such_link").expect_err("unknown tip").to_string();
    assert!(e.contains("no_such_link"), "{e}");
    let e = ArmGroup::new(&model, "g", "left_hand", "right_tool0").expect_err("not below").to_string();
    assert!(e.contains("not below"), "{e}");
    assert!(Path::new(&urdf("optimus.urdf")).exists());
}

#[test]
fn mesh_links_collide_as_hulls_and_as_trimeshes() {
    use arm_planner::collision::{AllowedCollisionMatrix, CollisionContext, MeshMode, RobotGeometry};
    use arm_planner::{ObjectShape, PlanningScene, SceneObject};
    let dir = crate_dir().join("tests/data");
    let model = RobotModel::from_urdf_file(&dir.join("mesh_arm.urdf"), Some(&dir)).expect("mesh arm loads");
    let group = ArmGroup::new(&model, "mesh_arm", "base", "tip").expect("group");
    let state = model.default_positions();
    // link2's OBJ box spans x 0.05..0.25 at z 0.30 in the base frame at zero.
    let probe = |x: f64| SceneObject {
        id: "probe".into(),
        shape: ObjectShape::Sphere { radius: 0.01 },
        pose: nalgebra::Isometry3::translation(x, 0.0, 0.30),
        attached_to: None,
        touch_links: vec![],
    };
    for mode in [MeshMode::ConvexHull, MeshMode::TriMesh] {
        let geometry = RobotGeometry::new(&model, 0.0, mode);
        assert!(geometry.links.iter().all(|l| l.len() <= 1));
        let acm = AllowedCollisionMatrix::empty(model.links.len());
        let mut scene = PlanningScene::default();
        // On the box surface: both modes see it.
        scene.add(probe(0.25));
        let mut ctx = CollisionContext::new(&model, &group, &geometry, &acm, &scene, &state);
        assert!(!ctx.is_valid(&group, &[0.0, 0.0, 0.0]), "{mode:?}: probe on the OBJ box surface");
        // Well clear of every link.
        scene.add(probe(0.6));
        let mut ctx = CollisionContext::new(&model, &group, &geometry, &acm, &scene, &state);
        assert!(ctx.is_valid(&group, &[0.0, 0.0, 0.0]), "{mode:?}: probe clear");
    }
}
