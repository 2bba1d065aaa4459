//! The planning scene: objects around the robot (boxes, cylinders, spheres, meshes) and
//! objects attached to a robot link (carried by the gripper). Poses are in the URDF root
//! frame; the node converts from message frames before they get here.

use crate::mesh::MeshData;
use nalgebra::{Isometry3, Vector3};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum ObjectShape {
    /// Full edge lengths, metres.
    Box {
        size: Vector3<f64>,
    },
    /// Along the local z axis, metres.
    Cylinder {
        height: f64,
        radius: f64,
    },
    Sphere {
        radius: f64,
    },
    /// Vertices already scaled to metres.
    Mesh {
        mesh: Arc<MeshData>,
    },
}

impl ObjectShape {
    /// Rejects non-finite or non-positive dimensions with the reason.
    pub fn validate(&self) -> Result<(), String> {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        match self {
            ObjectShape::Box { size } if size.iter().all(|&v| ok(v)) => Ok(()),
            ObjectShape::Box { size } => {
                Err(format!("box size must be positive and finite, got {:?}", size.as_slice()))
            }
            ObjectShape::Cylinder { height, radius } if ok(*height) && ok(*radius) => Ok(()),
            ObjectShape::Cylinder { height, radius } => {
                Err(format!("cylinder height {height} and radius {radius} must be positive and finite"))
            }
            ObjectShape::Sphere { radius } if ok(*radius) => Ok(()),
            ObjectShape::Sphere { radius } => {
                Err(format!("sphere radius {radius} must be positive and finite"))
            }
            ObjectShape::Mesh { mesh } if !mesh.triangles.is_empty() => Ok(()),
            ObjectShape::Mesh { .. } => Err("mesh has no triangles".to_string()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SceneObject {
    pub id: String,
    pub shape: ObjectShape,
    /// World (root frame) pose, or the pose in `attached_to`'s frame when attached.
    pub pose: Isometry3<f64>,
    /// Link carrying the object (model link index).
    pub attached_to: Option<usize>,
    /// Robot links the attached object may touch (the carrying link is always allowed).
    pub touch_links: Vec<usize>,
}

/// Objects by id; insertion order is kept so checks are deterministic.
#[derive(Debug, Clone, Default)]
pub struct PlanningScene {
    pub objects: Vec<SceneObject>,
}

impl PlanningScene {
    /// Adds `object`, replacing any object with the same id.
    pub fn add(&mut self, object: SceneObject) {
        match self.objects.iter_mut().find(|o| o.id == object.id) {
            Some(slot) => *slot = object,
            None => self.objects.push(object),
        }
    }

    /// Removes the object `id`; false when there was none.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.objects.len();
        self.objects.retain(|o| o.id != id);
        self.objects.len() != before
    }

    pub fn get(&self, id: &str) -> Option<&SceneObject> {
        self.objects.iter().find(|o| o.id == id)
    }

    /// Attaches the existing object `id` to `link`, keeping its current world pose:
    /// `link_pose` is the link's world pose now.
    pub fn attach(
        &mut self,
        id: &str,
        link: usize,
        link_pose: &Isometry3<f64>,
        touch_links: Vec<usize>,
    ) -> bool {
        let Some(o) = self.objects.iter_mut().find(|o| o.id == id) else {
            return false;
        };
        if o.attached_to.is_none() {
            o.pose = link_pose.inverse() * o.pose;
        }
        o.attached_to = Some(link);
        o.touch_links = touch_links;
        true
    }

    /// Detaches `id`, leaving it in the world where it is now: `link_pose` is the world pose
    /// of the link that carried it.
    pub fn detach(&mut self, id: &str, link_pose: impl Fn(usize) -> Isometry3<f64>) -> bool {
        let Some(o) = self.objects.iter_mut().find(|o| o.id == id) else {
            return false;
        };
        let Some(link) = o.attached_to.take() else {
            return false;
        };
        o.pose = link_pose(link) * o.pose;
        o.touch_links.clear();
        true
    }
}
