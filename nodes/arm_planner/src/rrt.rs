//! RRT-Connect in joint space (Kuffner & LaValle 2000) with shortcutting. Edges are
//! checked at a fixed joint-space resolution by the collision context.

use crate::chain::ArmGroup;
use crate::collision::CollisionContext;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct RrtConfig {
    /// Longest tree edge (Euclidean joint distance), rad.
    pub max_step: f64,
    /// Largest joint change between two collision checks on an edge, rad or m.
    pub resolution: f64,
    /// Random shortcut attempts after a path is found.
    pub shortcut_attempts: usize,
}

impl Default for RrtConfig {
    fn default() -> Self {
        RrtConfig { max_step: 0.6, resolution: 0.02, shortcut_attempts: 60 }
    }
}

/// Configurations stored flat (dof values per node) with parent links.
struct Tree {
    dof: usize,
    q: Vec<f64>,
    parent: Vec<u32>,
}

impl Tree {
    fn new(dof: usize, root: &[f64]) -> Self {
        let mut q = Vec::with_capacity(dof * 256);
        q.extend_from_slice(root);
        Tree { dof, q, parent: vec![u32::MAX] }
    }

    fn node(&self, i: usize) -> &[f64] {
        &self.q[i * self.dof..(i + 1) * self.dof]
    }

    fn len(&self) -> usize {
        self.parent.len()
    }

    fn push(&mut self, q: &[f64], parent: usize) -> usize {
        self.q.extend_from_slice(q);
        self.parent.push(parent as u32);
        self.parent.len() - 1
    }

    fn nearest(&self, target: &[f64]) -> usize {
        let mut best = (f64::INFINITY, 0);
        for i in 0..self.len() {
            let d: f64 = self.node(i).iter().zip(target).map(|(a, b)| (a - b) * (a - b)).sum();
            if d < best.0 {
                best = (d, i);
            }
        }
        best.1
    }

    /// Root-to-node configurations.
    fn path_to(&self, mut i: usize) -> Vec<Vec<f64>> {
        let mut out = vec![self.node(i).to_vec()];
        while self.parent[i] != u32::MAX {
            i = self.parent[i] as usize;
            out.push(self.node(i).to_vec());
        }
        out.reverse();
        out
    }
}

#[derive(PartialEq)]
enum Extend {
    Trapped,
    Advanced(usize),
    Reached(usize),
}

struct Search<'a> {
    ctx: &'a mut CollisionContext,
    group: &'a ArmGroup,
    cfg: &'a RrtConfig,
    scratch: Vec<f64>,
    q_new: Vec<f64>,
}

impl Search<'_> {
    fn extend(&mut self, tree: &mut Tree, target: &[f64]) -> Extend {
        let near = tree.nearest(target);
        let q_near = tree.node(near).to_vec();
        let d = q_near.iter().zip(target).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
        let reached = d <= self.cfg.max_step;
        let t = if reached { 1.0 } else { self.cfg.max_step / d };
        self.q_new.clear();
        self.q_new.extend(q_near.iter().zip(target).map(|(a, b)| a + (b - a) * t));
        if !self.ctx.segment_valid(self.group, &q_near, &self.q_new, self.cfg.resolution, &mut self.scratch) {
            return Extend::Trapped;
        }
        let q_new = std::mem::take(&mut self.q_new);
        let idx = tree.push(&q_new, near);
        self.q_new = q_new;
        if reached {
            Extend::Reached(idx)
        } else {
            Extend::Advanced(idx)
        }
    }

    fn connect(&mut self, tree: &mut Tree, target: &[f64], deadline: Instant) -> Extend {
        loop {
            match self.extend(tree, target) {
                Extend::Advanced(_) if Instant::now() < deadline => continue,
                other => return other,
            }
        }
    }
}

/// A collision-free path start -> goal (both included), or None when the deadline passes.
/// Start and goal must already be valid.
pub fn rrt_connect(
    ctx: &mut CollisionContext,
    group: &ArmGroup,
    start: &[f64],
    goal: &[f64],
    cfg: &RrtConfig,
    deadline: Instant,
    rng: &mut ChaCha8Rng,
) -> Option<Vec<Vec<f64>>> {
    let mut search = Search { ctx, group, cfg, scratch: Vec::new(), q_new: Vec::new() };
    // Many queries in an open workspace need no tree at all.
    if search.ctx.segment_valid(group, start, goal, cfg.resolution, &mut search.scratch) {
        return Some(vec![start.to_vec(), goal.to_vec()]);
    }
    let dof = group.dof();
    let mut a = Tree::new(dof, start);
    let mut b = Tree::new(dof, goal);
    let mut a_is_start = true;
    let mut sample = vec![0.0; dof];
    while Instant::now() < deadline {
        for (i, v) in sample.iter_mut().enumerate() {
            *v = rng.gen_range(group.lower[i]..=group.upper[i]);
        }
        let new_idx = match search.extend(&mut a, &sample) {
            Extend::Trapped => None,
            Extend::Advanced(i) | Extend::Reached(i) => Some(i),
        };
        if let Some(i) = new_idx {
            let q_new = a.node(i).to_vec();
            if let Extend::Reached(j) = search.connect(&mut b, &q_new, deadline) {
                let (mut from_a, mut from_b) = (a.path_to(i), b.path_to(j));
                from_b.pop(); // same configuration as the end of from_a
                from_b.reverse();
                from_a.extend(from_b);
                if !a_is_start {
                    from_a.reverse();
                }
                return Some(from_a);
            }
        }
        std::mem::swap(&mut a, &mut b);
        a_is_start = !a_is_start;
    }
    None
}

/// Shortens `path` in place: random pairs of waypoints joined directly when the straight
/// segment is free, then waypoints that lie on a free straight line dropped greedily.
pub fn shortcut(
    ctx: &mut CollisionContext,
    group: &ArmGroup,
    path: &mut Vec<Vec<f64>>,
    cfg: &RrtConfig,
    deadline: Instant,
    rng: &mut ChaCha8Rng,
) {
    let mut scratch = Vec::new();
    // Greedy pass from the start: jump to the farthest directly reachable waypoint.
    let mut i = 0;
    while i + 2 < path.len() && Instant::now() < deadline {
        let mut j = path.len() - 1;
        while j > i + 1 {
            if ctx.segment_valid(group, &path[i], &path[j], cfg.resolution, &mut scratch) {
                path.drain(i + 1..j);
                break;
            }
            j -= 1;
        }
        i += 1;
    }
    for _ in 0..cfg.shortcut_attempts {
        if path.len() < 3 || Instant::now() >= deadline {
            break;
        }
        let n = path.len();
        let a = rng.gen_range(0..n - 2);
        let b = rng.gen_range(a + 2..n);
        // Shortcut between random points on two segments, not only waypoints: this is what
        // straightens the corners an RRT leaves behind.
        let (ta, tb) = (rng.gen::<f64>(), rng.gen::<f64>());
        let pa: Vec<f64> = lerp(&path[a], &path[a + 1], ta);
        let pb: Vec<f64> = lerp(&path[b - 1], &path[b], tb);
        if ctx.segment_valid(group, &pa, &pb, cfg.resolution, &mut scratch) {
            let mut new_path = path[..=a].to_vec();
            new_path.push(pa);
            new_path.push(pb);
            new_path.extend_from_slice(&path[b..]);
            new_path.dedup_by(|x, y| x.iter().zip(y.iter()).all(|(p, q)| (p - q).abs() < 1e-12));
            // A shortcut point within 1e-12 of the goal replaced it: the goal stays exact.
            if let (Some(last), Some(goal)) = (new_path.last_mut(), path.last()) {
                last.clone_from(goal);
            }
            let old_len = path_length(path);
            if path_length(&new_path) < old_len {
                *path = new_path;
            }
        }
    }
}

fn lerp(a: &[f64], b: &[f64], t: f64) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + (y - x) * t).collect()
}

/// Sum of Euclidean joint-space segment lengths.
pub fn path_length(path: &[Vec<f64>]) -> f64 {
    path.windows(2).map(|w| w[0].iter().zip(&w[1]).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()).sum()
}
