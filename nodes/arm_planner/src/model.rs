//! Robot model from URDF: links with collision geometry, joints (revolute, continuous,
//! prismatic, fixed, mimic) with limits, and forward kinematics of the whole tree.
//!
//! The XML is read with roxmltree so that every error names the element at fault; the
//! same model is also handed to `k` as a `k::Chain` (see [`RobotModel::k_chain`]) for
//! code that works with k's chains and solvers.

use crate::error::ModelError;
use crate::mesh::{load_mesh, MeshData, MeshResolver};
use nalgebra::{Isometry3, Translation3, Unit, UnitQuaternion, Vector3};
use std::collections::HashMap;
use std::f64::consts::PI;
use std::path::Path;
use std::sync::Arc;

/// URDF joint types. Floating and planar joints are carried as fixed: their value comes
/// from localisation, not from an arm planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JointKind {
    Revolute,
    Continuous,
    Prismatic,
    Fixed,
}

impl JointKind {
    pub fn is_movable(self) -> bool {
        self != JointKind::Fixed
    }
}

/// `<mimic>`: value = multiplier * value(master) + offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mimic {
    pub master: usize,
    pub multiplier: f64,
    pub offset: f64,
}

#[derive(Debug, Clone)]
pub struct Joint {
    pub name: String,
    pub kind: JointKind,
    pub parent_link: usize,
    pub child_link: usize,
    /// Pose of the joint frame in the parent link frame.
    pub origin: Isometry3<f64>,
    pub axis: Unit<Vector3<f64>>,
    /// Position limits (rad or m); continuous joints use [-pi, pi] for sampling only.
    pub lower: f64,
    pub upper: f64,
    /// Velocity limit from `<limit velocity>`, rad/s or m/s; 0 when the URDF gives none.
    pub velocity: f64,
    pub mimic: Option<Mimic>,
}

impl Joint {
    /// Transform from the parent link frame to the child link frame at `value`.
    pub fn transform(&self, value: f64) -> Isometry3<f64> {
        match self.kind {
            JointKind::Revolute | JointKind::Continuous => {
                self.origin * UnitQuaternion::from_axis_angle(&self.axis, value)
            }
            JointKind::Prismatic => self.origin * Translation3::from(self.axis.into_inner() * value),
            JointKind::Fixed => self.origin,
        }
    }
}

/// One collision primitive or mesh, as written in the URDF.
#[derive(Debug, Clone)]
pub enum Geometry {
    Box {
        size: Vector3<f64>,
    },
    /// Along the local z axis, as URDF defines it.
    Cylinder {
        radius: f64,
        length: f64,
    },
    Sphere {
        radius: f64,
    },
    /// Along the local z axis; `length` is the distance between the two cap centres.
    Capsule {
        radius: f64,
        length: f64,
    },
    /// Scaled vertices (metres) of a mesh file.
    Mesh {
        uri: String,
        mesh: Arc<MeshData>,
    },
}

#[derive(Debug, Clone)]
pub struct CollisionBody {
    /// Pose of the geometry in the link frame.
    pub origin: Isometry3<f64>,
    pub geometry: Geometry,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub name: String,
    pub parent_joint: Option<usize>,
    pub child_joints: Vec<usize>,
    pub collision: Vec<CollisionBody>,
}

/// A loaded robot description.
#[derive(Debug, Clone)]
pub struct RobotModel {
    pub name: String,
    pub links: Vec<Link>,
    pub joints: Vec<Joint>,
    pub root_link: usize,
    /// Joints ordered so that every joint comes after the joint of its parent link.
    pub joint_order: Vec<usize>,
    link_index: HashMap<String, usize>,
    joint_index: HashMap<String, usize>,
}

fn parse_vec3(s: Option<&str>, default: [f64; 3]) -> Result<Vector3<f64>, String> {
    let Some(s) = s else {
        return Ok(Vector3::from(default));
    };
    let v: Vec<f64> = s
        .split_whitespace()
        .map(|t| t.parse::<f64>().map_err(|_| format!("`{t}` is not a number")))
        .collect::<Result<_, _>>()?;
    if v.len() != 3 || !v.iter().all(|x| x.is_finite()) {
        return Err(format!("`{s}` is not three finite numbers"));
    }
    Ok(Vector3::new(v[0], v[1], v[2]))
}

fn parse_f64(node: roxmltree::Node, attr: &str) -> Result<Option<f64>, String> {
    match node.attribute(attr) {
        None => Ok(None),
        Some(s) => match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(format!("{attr}=`{s}` is not a finite number")),
        },
    }
}

fn required_f64(node: roxmltree::Node, attr: &str) -> Result<f64, String> {
    parse_f64(node, attr)?.ok_or_else(|| format!("<{}> needs `{attr}`", node.tag_name().name()))
}

fn parse_origin(parent: roxmltree::Node) -> Result<Isometry3<f64>, String> {
    let Some(o) = parent.children().find(|n| n.has_tag_name("origin")) else {
        return Ok(Isometry3::identity());
    };
    let xyz = parse_vec3(o.attribute("xyz"), [0.0; 3]).map_err(|e| format!("origin xyz: {e}"))?;
    let rpy = parse_vec3(o.attribute("rpy"), [0.0; 3]).map_err(|e| format!("origin rpy: {e}"))?;
    Ok(pose_from_xyz_rpy(xyz, rpy))
}

/// URDF convention: rotation = Rz(yaw) * Ry(pitch) * Rx(roll).
pub fn pose_from_xyz_rpy(xyz: Vector3<f64>, rpy: Vector3<f64>) -> Isometry3<f64> {
    Isometry3::from_parts(Translation3::from(xyz), UnitQuaternion::from_euler_angles(rpy.x, rpy.y, rpy.z))
}

fn parse_geometry(node: roxmltree::Node, resolver: &MeshResolver) -> Result<Geometry, ModelError> {
    let link_name = node
        .ancestors()
        .find(|n| n.has_tag_name("link"))
        .and_then(|n| n.attribute("name"))
        .unwrap_or("?")
        .to_string();
    let err = |reason: String| ModelError::urdf("link", &link_name, reason);
    let Some(g) = node.children().find(|n| n.has_tag_name("geometry")) else {
        return Err(err("<collision> without <geometry>".into()));
    };
    let Some(shape) = g.children().find(|n| n.is_element()) else {
        return Err(err("empty <geometry>".into()));
    };
    let positive = |v: f64, what: &str| {
        if v > 0.0 {
            Ok(v)
        } else {
            Err(err(format!("{what} must be > 0, got {v}")))
        }
    };
    match shape.tag_name().name() {
        "box" => {
            let size = parse_vec3(shape.attribute("size"), [f64::NAN; 3])
                .map_err(|e| err(format!("box size: {e}")))?;
            if !size.iter().all(|&s| s > 0.0) {
                return Err(err(format!("box size must be positive, got {size:?}")));
            }
            Ok(Geometry::Box { size })
        }
        "cylinder" | "capsule" => {
            let radius = positive(required_f64(shape, "radius").map_err(err)?, "radius")?;
            let length = positive(required_f64(shape, "length").map_err(err)?, "length")?;
            if shape.has_tag_name("cylinder") {
                Ok(Geometry::Cylinder { radius, length })
            } else {
                Ok(Geometry::Capsule { radius, length })
            }
        }
        "sphere" => {
            let radius = positive(required_f64(shape, "radius").map_err(err)?, "radius")?;
            Ok(Geometry::Sphere { radius })
        }
        "mesh" => {
            let uri = shape.attribute("filename").ok_or_else(|| err("<mesh> without filename".into()))?;
            let scale = parse_vec3(shape.attribute("scale"), [1.0; 3])
                .map_err(|e| err(format!("mesh scale: {e}")))?;
            let path = resolver.resolve(uri)?;
            let mut mesh = load_mesh(&path)?;
            for v in &mut mesh.vertices {
                v.x *= scale.x as f32;
                v.y *= scale.y as f32;
                v.z *= scale.z as f32;
            }
            Ok(Geometry::Mesh { uri: uri.to_string(), mesh: Arc::new(mesh) })
        }
        other => Err(err(format!("unsupported geometry <{other}>"))),
    }
}

impl RobotModel {
    /// Loads a URDF file; meshes are resolved relative to the file, `mesh_root` and
    /// `AMENT_PREFIX_PATH`.
    pub fn from_urdf_file(path: &Path, mesh_root: Option<&Path>) -> Result<Self, ModelError> {
        let xml = std::fs::read_to_string(path)
            .map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        let resolver =
            MeshResolver::from_env(mesh_root.map(Path::to_path_buf), path.parent().map(Path::to_path_buf));
        Self::from_urdf_str(&xml, &resolver)
    }

    /// Parses URDF text.
    pub fn from_urdf_str(xml: &str, resolver: &MeshResolver) -> Result<Self, ModelError> {
        let doc = roxmltree::Document::parse(xml).map_err(|e| ModelError::Xml(e.to_string()))?;
        let robot = doc.root_element();
        if !robot.has_tag_name("robot") {
            return Err(ModelError::Xml(format!(
                "root element is <{}>, expected <robot>",
                robot.tag_name().name()
            )));
        }
        let name = robot.attribute("name").unwrap_or("").to_string();

        let mut links = Vec::new();
        let mut link_index = HashMap::new();
        for node in robot.children().filter(|n| n.has_tag_name("link")) {
            let lname =
                node.attribute("name").ok_or_else(|| ModelError::urdf("link", "?", "missing name"))?;
            if link_index.insert(lname.to_string(), links.len()).is_some() {
                return Err(ModelError::urdf("link", lname, "defined twice"));
            }
            let mut collision = Vec::new();
            for c in node.children().filter(|n| n.has_tag_name("collision")) {
                let origin = parse_origin(c).map_err(|e| ModelError::urdf("link", lname, e))?;
                let geometry = parse_geometry(c, resolver)?;
                collision.push(CollisionBody { origin, geometry });
            }
            links.push(Link {
                name: lname.to_string(),
                parent_joint: None,
                child_joints: Vec::new(),
                collision,
            });
        }
        if links.is_empty() {
            return Err(ModelError::urdf("robot", &name, "has no links"));
        }

        let mut joints = Vec::new();
        let mut joint_index = HashMap::new();
        let mut mimic_names: Vec<Option<(String, f64, f64)>> = Vec::new();
        for node in robot.children().filter(|n| n.has_tag_name("joint")) {
            let jname =
                node.attribute("name").ok_or_else(|| ModelError::urdf("joint", "?", "missing name"))?;
            let err = |reason: String| ModelError::urdf("joint", jname, reason);
            if joint_index.insert(jname.to_string(), joints.len()).is_some() {
                return Err(err("defined twice".into()));
            }
            let kind = match node.attribute("type") {
                Some("revolute") => JointKind::Revolute,
                Some("continuous") => JointKind::Continuous,
                Some("prismatic") => JointKind::Prismatic,
                Some("fixed") | Some("floating") | Some("planar") => JointKind::Fixed,
                other => return Err(err(format!("unknown type {other:?}"))),
            };
            let link_of = |tag: &str| -> Result<usize, ModelError> {
                let l = node
                    .children()
                    .find(|n| n.has_tag_name(tag))
                    .and_then(|n| n.attribute("link"))
                    .ok_or_else(|| err(format!("missing <{tag} link=...>")))?;
                link_index.get(l).copied().ok_or_else(|| err(format!("{tag} link `{l}` does not exist")))
            };
            let parent_link = link_of("parent")?;
            let child_link = link_of("child")?;
            let origin = parse_origin(node).map_err(err)?;
            let axis_v = parse_vec3(
                node.children().find(|n| n.has_tag_name("axis")).and_then(|a| a.attribute("xyz")),
                [1.0, 0.0, 0.0],
            )
            .map_err(|e| err(format!("axis: {e}")))?;
            let axis = Unit::try_new(axis_v, 1e-9).ok_or_else(|| err("axis is zero".into()))?;
            let limit = node.children().find(|n| n.has_tag_name("limit"));
            let (mut lower, mut upper, mut velocity) = (0.0, 0.0, 0.0);
            if let Some(limit) = limit {
                lower = parse_f64(limit, "lower").map_err(err)?.unwrap_or(0.0);
                upper = parse_f64(limit, "upper").map_err(err)?.unwrap_or(0.0);
                velocity = parse_f64(limit, "velocity").map_err(err)?.unwrap_or(0.0).abs();
            }
            match kind {
                JointKind::Revolute | JointKind::Prismatic => {
                    if limit.is_none() {
                        return Err(err("revolute/prismatic joint needs <limit lower upper>".into()));
                    }
                    if lower > upper {
                        return Err(err(format!("limit lower {lower} > upper {upper}")));
                    }
                }
                JointKind::Continuous => {
                    lower = -PI;
                    upper = PI;
                }
                JointKind::Fixed => {
                    lower = 0.0;
                    upper = 0.0;
                }
            }
            let mimic = match node.children().find(|n| n.has_tag_name("mimic")) {
                Some(m) => {
                    let target = m.attribute("joint").ok_or_else(|| err("<mimic> without joint".into()))?;
                    let multiplier = parse_f64(m, "multiplier").map_err(err)?.unwrap_or(1.0);
                    let offset = parse_f64(m, "offset").map_err(err)?.unwrap_or(0.0);
                    Some((target.to_string(), multiplier, offset))
                }
                None => None,
            };
            mimic_names.push(mimic);
            joints.push(Joint {
                name: jname.to_string(),
                kind,
                parent_link,
                child_link,
                origin,
                axis,
                lower,
                upper,
                velocity,
                mimic: None,
            });
        }
        for (j, mimic) in mimic_names.into_iter().enumerate() {
            if let Some((target, multiplier, offset)) = mimic {
                let master = *joint_index.get(&target).ok_or_else(|| {
                    ModelError::urdf("joint", &joints[j].name, format!("mimics unknown joint `{target}`"))
                })?;
                if master == j {
                    return Err(ModelError::urdf("joint", &joints[j].name, "mimics itself"));
                }
                joints[j].mimic = Some(Mimic { master, multiplier, offset });
            }
        }
        // A mimic of a mimic would need ordering; URDF tools reject it too.
        for j in &joints {
            if let Some(m) = j.mimic {
                if joints[m.master].mimic.is_some() {
                    return Err(ModelError::urdf("joint", &j.name, "mimics a joint that is itself a mimic"));
                }
            }
        }

        for (j, joint) in joints.iter().enumerate() {
            let child = &mut links[joint.child_link];
            if let Some(other) = child.parent_joint {
                return Err(ModelError::urdf(
                    "link",
                    &child.name.clone(),
                    format!("has two parent joints: `{}` and `{}`", joints[other].name, joint.name),
                ));
            }
            child.parent_joint = Some(j);
            links[joint.parent_link].child_joints.push(j);
        }
        let roots: Vec<usize> = (0..links.len()).filter(|&l| links[l].parent_joint.is_none()).collect();
        if roots.len() != 1 {
            let names: Vec<&str> = roots.iter().map(|&l| links[l].name.as_str()).collect();
            return Err(ModelError::urdf(
                "robot",
                &name,
                format!("needs exactly one root link, found {names:?}"),
            ));
        }
        let root_link = roots[0];
        let mut joint_order = Vec::with_capacity(joints.len());
        let mut stack = vec![root_link];
        while let Some(l) = stack.pop() {
            for &j in &links[l].child_joints {
                joint_order.push(j);
                stack.push(joints[j].child_link);
            }
        }
        if joint_order.len() != joints.len() {
            return Err(ModelError::urdf("robot", &name, "joints form a cycle"));
        }
        Ok(RobotModel { name, links, joints, root_link, joint_order, link_index, joint_index })
    }

    pub fn link_index(&self, name: &str) -> Option<usize> {
        self.link_index.get(name).copied()
    }

    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joint_index.get(name).copied()
    }

    /// A joint vector (one value per joint, fixed joints 0) with every joint at 0 clamped into
    /// its limits.
    pub fn default_positions(&self) -> Vec<f64> {
        self.joints.iter().map(|j| 0.0f64.clamp(j.lower, j.upper)).collect()
    }

    /// The value of joint `j`, following `<mimic>`.
    pub fn joint_value(&self, positions: &[f64], j: usize) -> f64 {
        match self.joints[j].mimic {
            Some(m) => m.multiplier * positions.get(m.master).copied().unwrap_or(0.0) + m.offset,
            None => positions.get(j).copied().unwrap_or(0.0),
        }
    }

    /// Pose of every link in the root link frame. `positions` has one value per joint.
    pub fn link_poses(&self, positions: &[f64]) -> Vec<Isometry3<f64>> {
        let mut poses = vec![Isometry3::identity(); self.links.len()];
        for &j in &self.joint_order {
            let joint = &self.joints[j];
            poses[joint.child_link] =
                poses[joint.parent_link] * joint.transform(self.joint_value(positions, j));
        }
        poses
    }

    /// Pairs of links joined by a joint, skipping links without collision geometry (a
    /// link's geometry-less parents count as the same body, as in MoveIt's setup assistant).
    pub fn adjacent_link_pairs(&self) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for (l, link) in self.links.iter().enumerate() {
            if link.collision.is_empty() {
                continue;
            }
            let mut cur = l;
            while let Some(j) = self.links[cur].parent_joint {
                cur = self.joints[j].parent_link;
                if !self.links[cur].collision.is_empty() {
                    pairs.push((cur.min(l), cur.max(l)));
                    break;
                }
            }
        }
        pairs
    }

    /// The same tree as a `k::Chain` (k uses nalgebra 0.30; values are converted here).
    pub fn k_chain(&self) -> k::Chain<f64> {
        let kn = k::nalgebra::Vector3::new;
        let nodes: Vec<k::Node<f64>> = self
            .joints
            .iter()
            .map(|j| {
                let a = j.axis.into_inner();
                let axis = k::nalgebra::Unit::new_normalize(kn(a.x, a.y, a.z));
                let joint_type = match j.kind {
                    JointKind::Revolute | JointKind::Continuous => k::JointType::Rotational { axis },
                    JointKind::Prismatic => k::JointType::Linear { axis },
                    JointKind::Fixed => k::JointType::Fixed,
                };
                let limits = match j.kind {
                    JointKind::Revolute | JointKind::Prismatic => {
                        Some(k::joint::Range::new(j.lower, j.upper))
                    }
                    _ => None,
                };
                k::NodeBuilder::<f64>::new()
                    .name(&j.name)
                    .joint_type(joint_type)
                    .limits(limits)
                    .origin(to_k_isometry(&j.origin))
                    .into_node()
            })
            .collect();
        let root = k::NodeBuilder::<f64>::new().name(k::urdf::ROOT_JOINT_NAME).into_node();
        for (j, joint) in self.joints.iter().enumerate() {
            match self.links[joint.parent_link].parent_joint {
                Some(p) => nodes[j].set_parent(&nodes[p]),
                None => nodes[j].set_parent(&root),
            }
            if let Some(m) = joint.mimic {
                nodes[j].set_mimic_parent(&nodes[m.master], k::joint::Mimic::new(m.multiplier, m.offset));
            }
        }
        k::Chain::from_root(root)
    }
}

/// nalgebra 0.33 -> k's nalgebra 0.30.
pub fn to_k_isometry(iso: &Isometry3<f64>) -> k::Isometry3<f64> {
    let t = iso.translation.vector;
    let q = iso.rotation.quaternion();
    k::Isometry3::from_parts(
        k::Translation3::new(t.x, t.y, t.z),
        k::UnitQuaternion::from_quaternion(k::nalgebra::Quaternion::new(q.w, q.i, q.j, q.k)),
    )
}

/// k's nalgebra 0.30 -> nalgebra 0.33.
pub fn from_k_isometry(iso: &k::Isometry3<f64>) -> Isometry3<f64> {
    let t = iso.translation.vector;
    let q = iso.rotation.quaternion();
    Isometry3::from_parts(
        Translation3::new(t.x, t.y, t.z),
        UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(q.w, q.i, q.j, q.k)),
    )
}
