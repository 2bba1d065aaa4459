//! Collision checking with parry3d: robot link geometry, the allowed-collision matrix
//! (adjacent links plus pairs that never or always collide over random samples), and a
//! per-request [`CollisionContext`] that checks a group configuration against the rest of
//! the robot and the planning scene.
//!
//! Cheap tests first: every body carries a bounding sphere, and the parry3d narrow phase
//! runs only for pairs whose spheres overlap. Bodies that the group does not move are
//! placed once per request; pairs that cannot change (both static, or both rigidly on
//! the same chain frame) are never tested.

use crate::chain::ArmGroup;
use crate::mesh::MeshData;
use crate::model::{Geometry, RobotModel};
use crate::scene::{ObjectShape, PlanningScene};
use nalgebra::{Isometry3, Point3, UnitQuaternion};
use parry3d::bounding_volume::{Aabb, BoundingVolume};
use parry3d::query;
use parry3d::shape::SharedShape;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::FRAC_PI_2;

/// How mesh geometry becomes a collision shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeshMode {
    /// Convex hull of the vertices: fast, and solid (an object inside it collides).
    ConvexHull,
    /// The triangles themselves: exact surface, but only surface crossings are detected.
    TriMesh,
}

/// One collision shape with its pose in the owner's frame and a bounding sphere there.
#[derive(Clone)]
pub struct Body {
    pub shape: SharedShape,
    pub origin: Isometry3<f32>,
    pub sphere_center: Point3<f32>,
    pub sphere_radius: f32,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("origin", &self.origin)
            .field("sphere_radius", &self.sphere_radius)
            .finish()
    }
}

fn to_f32(iso: &Isometry3<f64>) -> Isometry3<f32> {
    iso.cast::<f32>()
}

fn mesh_shape(mesh: &MeshData, mode: MeshMode, padding: f32) -> Option<SharedShape> {
    match mode {
        MeshMode::ConvexHull if padding > 0.0 => SharedShape::round_convex_hull(&mesh.vertices, padding),
        MeshMode::ConvexHull => SharedShape::convex_hull(&mesh.vertices),
        // parry panics on a mesh without triangles; the loaders never produce one.
        MeshMode::TriMesh if !mesh.triangles.is_empty() => {
            Some(SharedShape::trimesh(mesh.vertices.clone(), mesh.triangles.clone()))
        }
        MeshMode::TriMesh => None,
    }
}

/// parry3d cylinders and capsules run along y; URDF's run along z.
fn z_to_y() -> Isometry3<f64> {
    Isometry3::from_parts(Default::default(), UnitQuaternion::from_euler_angles(FRAC_PI_2, 0.0, 0.0))
}

/// A collision body for URDF geometry; `padding` (m) inflates every convex shape.
pub fn body_for_geometry(
    geometry: &Geometry,
    origin: &Isometry3<f64>,
    padding: f64,
    mode: MeshMode,
) -> Option<Body> {
    let p = padding as f32;
    let (shape, local) = match geometry {
        Geometry::Box { size } => {
            let h = (size * 0.5).cast::<f32>();
            let s = if p > 0.0 {
                SharedShape::round_cuboid(h.x, h.y, h.z, p)
            } else {
                SharedShape::cuboid(h.x, h.y, h.z)
            };
            (s, *origin)
        }
        Geometry::Cylinder { radius, length } => {
            let (hh, r) = (*length as f32 * 0.5, *radius as f32);
            let s =
                if p > 0.0 { SharedShape::round_cylinder(hh, r, p) } else { SharedShape::cylinder(hh, r) };
            (s, origin * z_to_y())
        }
        Geometry::Capsule { radius, length } => {
            (SharedShape::capsule_y(*length as f32 * 0.5, *radius as f32 + p), origin * z_to_y())
        }
        Geometry::Sphere { radius } => (SharedShape::ball(*radius as f32 + p), *origin),
        Geometry::Mesh { mesh, .. } => (mesh_shape(mesh, mode, p)?, *origin),
    };
    Some(make_body(shape, &local))
}

/// A collision body for a planning-scene object shape.
pub fn body_for_object(shape: &ObjectShape, padding: f64, mode: MeshMode) -> Option<Body> {
    let geometry = match shape {
        ObjectShape::Box { size } => Geometry::Box { size: *size },
        ObjectShape::Cylinder { height, radius } => Geometry::Cylinder { radius: *radius, length: *height },
        ObjectShape::Sphere { radius } => Geometry::Sphere { radius: *radius },
        ObjectShape::Mesh { mesh } => Geometry::Mesh { uri: String::new(), mesh: mesh.clone() },
    };
    body_for_geometry(&geometry, &Isometry3::identity(), padding, mode)
}

fn make_body(shape: SharedShape, origin: &Isometry3<f64>) -> Body {
    let sphere = shape.compute_local_bounding_sphere();
    let origin = to_f32(origin);
    Body { sphere_center: origin * sphere.center, sphere_radius: sphere.radius, shape, origin }
}

/// The robot's link geometry as collision bodies (per model link).
#[derive(Debug, Clone)]
pub struct RobotGeometry {
    pub links: Vec<Vec<Body>>,
    pub padding: f64,
    pub mesh_mode: MeshMode,
}

impl RobotGeometry {
    pub fn new(model: &RobotModel, padding: f64, mesh_mode: MeshMode) -> Self {
        let links = model
            .links
            .iter()
            .map(|l| {
                l.collision
                    .iter()
                    .filter_map(|c| body_for_geometry(&c.geometry, &c.origin, padding, mesh_mode))
                    .collect()
            })
            .collect();
        RobotGeometry { links, padding, mesh_mode }
    }
}

/// Whether two bodies, placed at `pa` and `pb`, intersect. Sphere test first.
#[inline]
fn bodies_collide(a: &Body, pa: &Isometry3<f32>, b: &Body, pb: &Isometry3<f32>) -> bool {
    let ca = pa * a.sphere_center;
    let cb = pb * b.sphere_center;
    let r = a.sphere_radius + b.sphere_radius;
    if (ca - cb).norm_squared() > r * r {
        return false;
    }
    // A shape pair parry cannot test counts as colliding: never silently unsafe.
    query::intersection_test(&(pa * a.origin), &*a.shape, &(pb * b.origin), &*b.shape).unwrap_or(true)
}

fn links_collide(a: &[Body], pa: &Isometry3<f32>, b: &[Body], pb: &Isometry3<f32>) -> bool {
    a.iter().any(|ba| b.iter().any(|bb| bodies_collide(ba, pa, bb, pb)))
}

/// Which link pairs are never checked (symmetric).
#[derive(Debug, Clone, PartialEq)]
pub struct AllowedCollisionMatrix {
    n: usize,
    allowed: Vec<bool>,
}

impl AllowedCollisionMatrix {
    pub fn empty(links: usize) -> Self {
        AllowedCollisionMatrix { n: links, allowed: vec![false; links * links] }
    }

    pub fn allow(&mut self, a: usize, b: usize) {
        if a < self.n && b < self.n {
            self.allowed[a * self.n + b] = true;
            self.allowed[b * self.n + a] = true;
        }
    }

    pub fn is_allowed(&self, a: usize, b: usize) -> bool {
        a == b || self.allowed.get(a * self.n + b).copied().unwrap_or(false)
    }

    /// Allowed pairs as (a, b) with a < b.
    pub fn pairs(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for a in 0..self.n {
            for b in a + 1..self.n {
                if self.allowed[a * self.n + b] {
                    out.push((a, b));
                }
            }
        }
        out
    }

    /// Adjacent links, then pairs that collided in every one of `samples` random whole-robot
    /// configurations or in none of them (as MoveIt's setup assistant does). Computed once
    /// per model; deterministic for a given `rng_seed`.
    pub fn compute(model: &RobotModel, geometry: &RobotGeometry, samples: usize, rng_seed: u64) -> Self {
        let n = model.links.len();
        let mut acm = AllowedCollisionMatrix::empty(n);
        for (a, b) in model.adjacent_link_pairs() {
            acm.allow(a, b);
        }
        let with_geometry: Vec<usize> = (0..n).filter(|&l| !geometry.links[l].is_empty()).collect();
        let mut candidates = Vec::new();
        for (i, &a) in with_geometry.iter().enumerate() {
            for &b in &with_geometry[i + 1..] {
                if !acm.is_allowed(a, b) {
                    candidates.push((a, b));
                }
            }
        }
        let mut hits = vec![0usize; candidates.len()];
        let mut rng = ChaCha8Rng::seed_from_u64(rng_seed);
        let mut positions = model.default_positions();
        for _ in 0..samples {
            for (j, joint) in model.joints.iter().enumerate() {
                if joint.kind.is_movable() && joint.mimic.is_none() && joint.upper > joint.lower {
                    positions[j] = rng.gen_range(joint.lower..=joint.upper);
                }
            }
            let poses: Vec<Isometry3<f32>> = model.link_poses(&positions).iter().map(to_f32).collect();
            for (k, &(a, b)) in candidates.iter().enumerate() {
                if links_collide(&geometry.links[a], &poses[a], &geometry.links[b], &poses[b]) {
                    hits[k] += 1;
                }
            }
        }
        if samples > 0 {
            for (k, &(a, b)) in candidates.iter().enumerate() {
                if hits[k] == 0 || hits[k] == samples {
                    acm.allow(a, b);
                }
            }
        }
        acm
    }
}

/// What collided, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Links(String, String),
    LinkObject(String, String),
}

impl std::fmt::Display for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Contact::Links(a, b) => write!(f, "link `{a}` touches link `{b}`"),
            Contact::LinkObject(a, b) => write!(f, "`{a}` touches object `{b}`"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Link(usize),
    Object(usize),
}

/// A body the group moves: rigidly on chain frame `frame` at `offset`.
struct MovingBody {
    body: Body,
    frame: usize,
    offset: Isometry3<f64>,
    owner: Owner,
}

struct StaticBody {
    body: Body,
    pose: Isometry3<f32>,
    /// World bounding box: tables and shelf boards are boxes, so this test is nearly exact.
    aabb: Aabb,
    owner: Owner,
}

impl StaticBody {
    fn new(body: Body, pose: Isometry3<f32>, owner: Owner) -> Self {
        let aabb = body.shape.compute_aabb(&(pose * body.origin));
        StaticBody { body, pose, aabb, owner }
    }
}

/// Squared distance from `p` to the box (0 inside).
#[inline]
fn aabb_distance2(aabb: &Aabb, p: &Point3<f32>) -> f32 {
    let mut d2 = 0.0;
    for i in 0..3 {
        let d = (aabb.mins[i] - p[i]).max(p[i] - aabb.maxs[i]).max(0.0);
        d2 += d * d;
    }
    d2
}

/// Collision checking for one group, one robot state (the joints outside the group) and
/// one planning scene. Build one per planning request; `check` is the hot path.
pub struct CollisionContext {
    moving: Vec<MovingBody>,
    statics: Vec<StaticBody>,
    /// (moving index, static index) pairs that need testing.
    static_pairs: Vec<(u32, u32)>,
    /// (moving index, moving index) pairs on different chain frames.
    moving_pairs: Vec<(u32, u32)>,
    base_pose: Isometry3<f64>,
    frames: Vec<Isometry3<f64>>,
    placed: Vec<Isometry3<f32>>,
    link_names: Vec<String>,
    object_ids: Vec<String>,
    /// Reused sample order for `segment_valid`.
    order: Vec<usize>,
    /// World boxes of moving bodies, computed on demand once per configuration.
    moving_aabbs: Vec<Option<Aabb>>,
}

impl CollisionContext {
    /// `state` holds one value per model joint (the group's own values are ignored).
    pub fn new(
        model: &RobotModel,
        group: &ArmGroup,
        geometry: &RobotGeometry,
        acm: &AllowedCollisionMatrix,
        scene: &PlanningScene,
        state: &[f64],
    ) -> Self {
        let link_poses = model.link_poses(state);
        let base_pose = link_poses[group.base_link];
        let q_now: Vec<f64> = group.joints.iter().map(|&j| state.get(j).copied().unwrap_or(0.0)).collect();
        let mut frames = vec![Isometry3::identity(); group.dof()];
        group.fk_frames(&q_now, &mut frames);
        let base_inv = base_pose.inverse();

        let mut moving = Vec::new();
        let mut statics = Vec::new();
        for (l, bodies) in geometry.links.iter().enumerate() {
            for body in bodies {
                match group.link_frame(l) {
                    Some(k) => moving.push(MovingBody {
                        body: body.clone(),
                        frame: k,
                        offset: frames[k].inverse() * base_inv * link_poses[l],
                        owner: Owner::Link(l),
                    }),
                    None => {
                        statics.push(StaticBody::new(body.clone(), to_f32(&link_poses[l]), Owner::Link(l)))
                    }
                }
            }
        }
        for (o, object) in scene.objects.iter().enumerate() {
            let Some(body) = body_for_object(&object.shape, geometry.padding, geometry.mesh_mode) else {
                continue;
            };
            match object.attached_to {
                Some(l) => {
                    let world = link_poses.get(l).copied().unwrap_or(base_pose) * object.pose;
                    match group.link_frame(l) {
                        Some(k) => moving.push(MovingBody {
                            body,
                            frame: k,
                            offset: frames[k].inverse() * base_inv * world,
                            owner: Owner::Object(o),
                        }),
                        None => statics.push(StaticBody::new(body, to_f32(&world), Owner::Object(o))),
                    }
                }
                None => statics.push(StaticBody::new(body, to_f32(&object.pose), Owner::Object(o))),
            }
        }

        let allowed = |a: Owner, b: Owner| -> bool {
            match (a, b) {
                (Owner::Link(x), Owner::Link(y)) => acm.is_allowed(x, y),
                (Owner::Link(l), Owner::Object(o)) | (Owner::Object(o), Owner::Link(l)) => {
                    let obj = &scene.objects[o];
                    obj.attached_to == Some(l) || obj.touch_links.contains(&l)
                }
                // Two free objects never move; an attached object may hit a free one.
                (Owner::Object(x), Owner::Object(y)) => {
                    x == y
                        || (scene.objects[x].attached_to.is_none() && scene.objects[y].attached_to.is_none())
                }
            }
        };
        let mut static_pairs = Vec::new();
        for (i, m) in moving.iter().enumerate() {
            for (s, st) in statics.iter().enumerate() {
                if !allowed(m.owner, st.owner) {
                    static_pairs.push((i as u32, s as u32));
                }
            }
        }
        let mut moving_pairs = Vec::new();
        for i in 0..moving.len() {
            for k in i + 1..moving.len() {
                if moving[i].frame != moving[k].frame && !allowed(moving[i].owner, moving[k].owner) {
                    moving_pairs.push((i as u32, k as u32));
                }
            }
        }
        let placed = vec![Isometry3::identity(); moving.len()];
        let placed_len = placed.len();
        CollisionContext {
            moving,
            statics,
            static_pairs,
            moving_pairs,
            base_pose,
            frames,
            placed,
            link_names: model.links.iter().map(|l| l.name.clone()).collect(),
            object_ids: scene.objects.iter().map(|o| o.id.clone()).collect(),
            order: Vec::new(),
            moving_aabbs: vec![None; placed_len],
        }
    }

    /// World (root frame) pose of the group's base link in this context.
    pub fn base_pose(&self) -> &Isometry3<f64> {
        &self.base_pose
    }

    /// Pairs tested per configuration (after the allowed-collision matrix).
    pub fn pair_count(&self) -> usize {
        self.static_pairs.len() + self.moving_pairs.len()
    }

    /// Places every moving body from `self.frames` (chain frames in the base link frame).
    fn place(&mut self) {
        let base = self.base_pose;
        for (m, placed) in self.moving.iter().zip(self.placed.iter_mut()) {
            *placed = to_f32(&(base * self.frames[m.frame] * m.offset));
        }
    }

    /// True when configuration `q` of `group` is free of collisions.
    pub fn is_valid(&mut self, group: &ArmGroup, q: &[f64]) -> bool {
        self.first_contact(group, q).is_none()
    }

    /// The first collision found at `q`, if any.
    pub fn first_contact(&mut self, group: &ArmGroup, q: &[f64]) -> Option<Contact> {
        group.fk_frames(q, &mut self.frames);
        self.place();
        for aabb in self.moving_aabbs.iter_mut() {
            *aabb = None;
        }
        for &(i, s) in &self.static_pairs {
            let (m, st) = (&self.moving[i as usize], &self.statics[s as usize]);
            let pose = &self.placed[i as usize];
            // Bounding sphere against the static box, then box against box, then parry3d.
            let center = pose * m.body.sphere_center;
            if aabb_distance2(&st.aabb, &center) > m.body.sphere_radius * m.body.sphere_radius {
                continue;
            }
            let aabb = self.moving_aabbs[i as usize]
                .get_or_insert_with(|| m.body.shape.compute_aabb(&(pose * m.body.origin)));
            if !aabb.intersects(&st.aabb) {
                continue;
            }
            let hit = query::intersection_test(
                &(pose * m.body.origin),
                &*m.body.shape,
                &(st.pose * st.body.origin),
                &*st.body.shape,
            )
            .unwrap_or(true);
            if hit {
                return Some(self.contact(m.owner, st.owner));
            }
        }
        for &(i, k) in &self.moving_pairs {
            let (a, b) = (&self.moving[i as usize], &self.moving[k as usize]);
            if bodies_collide(&a.body, &self.placed[i as usize], &b.body, &self.placed[k as usize]) {
                return Some(self.contact(a.owner, b.owner));
            }
        }
        None
    }

    fn name(&self, owner: Owner) -> (bool, String) {
        match owner {
            Owner::Link(l) => (true, self.link_names.get(l).cloned().unwrap_or_default()),
            Owner::Object(o) => (false, self.object_ids.get(o).cloned().unwrap_or_default()),
        }
    }

    fn contact(&self, a: Owner, b: Owner) -> Contact {
        let (a_link, a_name) = self.name(a);
        let (b_link, b_name) = self.name(b);
        match (a_link, b_link) {
            (true, true) => Contact::Links(a_name, b_name),
            (true, false) => Contact::LinkObject(a_name, b_name),
            (false, true) => Contact::LinkObject(b_name, a_name),
            (false, false) => Contact::LinkObject(a_name, b_name),
        }
    }

    /// Whether the straight joint-space segment a -> b is free, checked every `resolution`
    /// (max joint change between checks, rad or m). The end point `b` is checked, `a` is not.
    pub fn segment_valid(
        &mut self,
        group: &ArmGroup,
        a: &[f64],
        b: &[f64],
        resolution: f64,
        scratch: &mut Vec<f64>,
    ) -> bool {
        let span = a.iter().zip(b).map(|(x, y)| (y - x).abs()).fold(0.0, f64::max);
        let steps = ((span / resolution.max(1e-6)).ceil() as usize).max(1);
        scratch.resize(a.len(), 0.0);
        // Check the far end first, then bisect: a blocked segment is usually found early.
        if !self.is_valid(group, b) {
            return false;
        }
        let mut order = std::mem::take(&mut self.order);
        bisection_order(steps, &mut order);
        let mut free = true;
        for &s in &order {
            let t = s as f64 / steps as f64;
            for i in 0..a.len() {
                scratch[i] = a[i] + (b[i] - a[i]) * t;
            }
            if !self.is_valid(group, scratch) {
                free = false;
                break;
            }
        }
        self.order = order;
        free
    }
}

/// Interior sample indices 1..steps in coarse-to-fine order (midpoint first).
fn bisection_order(steps: usize, out: &mut Vec<usize>) {
    out.clear();
    if steps < 2 {
        return;
    }
    let mut queue = std::collections::VecDeque::new();
    queue.push_back((0usize, steps));
    while let Some((lo, hi)) = queue.pop_front() {
        if hi - lo < 2 {
            continue;
        }
        let mid = (lo + hi) / 2;
        out.push(mid);
        queue.push_back((lo, mid));
        queue.push_back((mid, hi));
    }
}
