//! Mesh files for collision geometry: URI resolution (`package://`, `file://`, relative
//! paths) and small parsers for STL (binary and ASCII), Wavefront OBJ and COLLADA (DAE).
//! Only geometry is read: triangles in metres, no materials or normals.

use crate::error::ModelError;
use nalgebra::{Matrix4, Point3, Vector3};
use std::path::{Path, PathBuf};

/// A triangle soup in metres.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeshData {
    pub vertices: Vec<Point3<f32>>,
    pub triangles: Vec<[u32; 3]>,
}

impl MeshData {
    /// Axis-aligned extent (max - min) of the vertices; zero for an empty mesh.
    pub fn extent(&self) -> Vector3<f32> {
        let Some(first) = self.vertices.first() else {
            return Vector3::zeros();
        };
        let (mut lo, mut hi) = (first.coords, first.coords);
        for v in &self.vertices {
            lo = lo.inf(&v.coords);
            hi = hi.sup(&v.coords);
        }
        hi - lo
    }
}

/// Where `package://` and relative mesh URIs are looked up.
#[derive(Debug, Clone, Default)]
pub struct MeshResolver {
    /// Configured root: `package://pkg/rest` is tried as `<root>/pkg/rest`, then `<root>/rest`.
    pub mesh_root: Option<PathBuf>,
    /// ament prefixes: `package://pkg/rest` is tried as `<prefix>/share/pkg/rest`.
    pub ament_prefixes: Vec<PathBuf>,
    /// Directory of the URDF file, for relative paths.
    pub base_dir: Option<PathBuf>,
}

impl MeshResolver {
    /// Resolver using the process's `AMENT_PREFIX_PATH`.
    pub fn from_env(mesh_root: Option<PathBuf>, base_dir: Option<PathBuf>) -> Self {
        let ament_prefixes = std::env::var_os("AMENT_PREFIX_PATH")
            .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect())
            .unwrap_or_default();
        MeshResolver { mesh_root, ament_prefixes, base_dir }
    }

    /// The existing file a mesh URI names, or `MeshNotFound` listing every place tried.
    pub fn resolve(&self, uri: &str) -> Result<PathBuf, ModelError> {
        let candidates = self.candidates(uri);
        if let Some(found) = candidates.iter().find(|p| p.is_file()) {
            return Ok(found.clone());
        }
        let tried = if candidates.is_empty() {
            "nowhere: set mesh_root or AMENT_PREFIX_PATH".to_string()
        } else {
            candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        };
        Err(ModelError::MeshNotFound { uri: uri.to_string(), tried })
    }

    fn candidates(&self, uri: &str) -> Vec<PathBuf> {
        if let Some(rest) = uri.strip_prefix("package://") {
            let (package, inner) = rest.split_once('/').unwrap_or((rest, ""));
            let mut out = Vec::new();
            if let Some(root) = &self.mesh_root {
                out.push(root.join(package).join(inner));
                out.push(root.join(inner));
            }
            for prefix in &self.ament_prefixes {
                out.push(prefix.join("share").join(package).join(inner));
            }
            out
        } else if let Some(path) = uri.strip_prefix("file://") {
            vec![PathBuf::from(path)]
        } else {
            let path = PathBuf::from(uri);
            if path.is_absolute() {
                vec![path]
            } else {
                let mut out = Vec::new();
                if let Some(dir) = &self.base_dir {
                    out.push(dir.join(&path));
                }
                if let Some(root) = &self.mesh_root {
                    out.push(root.join(&path));
                }
                out
            }
        }
    }
}

/// Reads a mesh file, choosing the parser by extension (case-insensitive).
pub fn load_mesh(path: &Path) -> Result<MeshData, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let mesh = match ext.as_str() {
        "stl" => parse_stl(&bytes, path)?,
        "obj" => parse_obj(text(&bytes, path)?, path)?,
        "dae" => parse_dae(text(&bytes, path)?, path)?,
        other => return Err(ModelError::mesh(path, format!("unsupported mesh format `.{other}`"))),
    };
    if mesh.triangles.is_empty() {
        return Err(ModelError::mesh(path, "no triangles"));
    }
    let n = mesh.vertices.len() as u32;
    if mesh.triangles.iter().flatten().any(|&i| i >= n) {
        return Err(ModelError::mesh(path, "triangle index out of range"));
    }
    if mesh.vertices.iter().any(|v| !v.coords.iter().all(|c| c.is_finite())) {
        return Err(ModelError::mesh(path, "non-finite vertex"));
    }
    Ok(mesh)
}

fn text<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, ModelError> {
    std::str::from_utf8(bytes).map_err(|_| ModelError::mesh(path, "not UTF-8 text"))
}

/// STL, binary or ASCII. Binary is recognised by its exact size (84 + 50 n bytes),
/// because many binary exporters also start their header with "solid".
pub fn parse_stl(bytes: &[u8], path: &Path) -> Result<MeshData, ModelError> {
    if bytes.len() >= 84 {
        let n = u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]) as usize;
        if bytes.len() == 84 + 50 * n {
            let mut mesh = MeshData::default();
            for t in 0..n {
                let rec = &bytes[84 + 50 * t..84 + 50 * (t + 1)];
                let mut tri = [0u32; 3];
                for (k, slot) in tri.iter_mut().enumerate() {
                    let off = 12 + 12 * k;
                    let f = |i: usize| {
                        let b = &rec[off + 4 * i..off + 4 * i + 4];
                        f32::from_le_bytes([b[0], b[1], b[2], b[3]])
                    };
                    *slot = mesh.vertices.len() as u32;
                    mesh.vertices.push(Point3::new(f(0), f(1), f(2)));
                }
                mesh.triangles.push(tri);
            }
            return Ok(mesh);
        }
    }
    let src = text(bytes, path)?;
    if !src.trim_start().starts_with("solid") {
        return Err(ModelError::mesh(path, "neither a binary STL (size mismatch) nor an ASCII STL"));
    }
    let mut mesh = MeshData::default();
    let mut pending: Vec<u32> = Vec::with_capacity(3);
    for (lineno, line) in src.lines().enumerate() {
        let mut it = line.split_whitespace();
        match it.next() {
            Some("vertex") => {
                let v = parse_floats::<3>(&mut it)
                    .ok_or_else(|| ModelError::mesh(path, format!("line {}: bad vertex", lineno + 1)))?;
                pending.push(mesh.vertices.len() as u32);
                mesh.vertices.push(Point3::new(v[0], v[1], v[2]));
            }
            Some("endloop") => {
                // Facets with more than three vertices are fanned into triangles.
                for k in 1..pending.len().saturating_sub(1) {
                    mesh.triangles.push([pending[0], pending[k], pending[k + 1]]);
                }
                pending.clear();
            }
            _ => {}
        }
    }
    Ok(mesh)
}

fn parse_floats<'a, const N: usize>(it: &mut impl Iterator<Item = &'a str>) -> Option<[f32; N]> {
    let mut out = [0.0f32; N];
    for slot in out.iter_mut() {
        *slot = it.next()?.parse().ok()?;
    }
    Some(out)
}

/// Wavefront OBJ: `v` and `f` records (polygons fanned; `v/vt/vn` and negative indices).
pub fn parse_obj(src: &str, path: &Path) -> Result<MeshData, ModelError> {
    let mut mesh = MeshData::default();
    let mut face: Vec<u32> = Vec::with_capacity(4);
    for (lineno, line) in src.lines().enumerate() {
        let bad = |what: &str| ModelError::mesh(path, format!("line {}: {what}", lineno + 1));
        let mut it = line.split_whitespace();
        match it.next() {
            Some("v") => {
                let v = parse_floats::<3>(&mut it).ok_or_else(|| bad("bad vertex"))?;
                mesh.vertices.push(Point3::new(v[0], v[1], v[2]));
            }
            Some("f") => {
                face.clear();
                for token in it {
                    let first = token.split('/').next().unwrap_or("");
                    let idx: i64 = first.parse().map_err(|_| bad("bad face index"))?;
                    let n = mesh.vertices.len() as i64;
                    // OBJ indices are 1-based; negative ones count back from the last vertex.
                    let resolved = if idx > 0 { idx - 1 } else { n + idx };
                    if resolved < 0 || resolved >= n {
                        return Err(bad("face index out of range"));
                    }
                    face.push(resolved as u32);
                }
                for k in 1..face.len().saturating_sub(1) {
                    mesh.triangles.push([face[0], face[k], face[k + 1]]);
                }
            }
            _ => {}
        }
    }
    Ok(mesh)
}

/// COLLADA: `<triangles>`, `<polylist>` and `<polygons>` of every geometry, placed by the
/// visual scene's node transforms (`matrix`, `translate`, `rotate`, `scale`) when there is a
/// scene, and scaled by `<asset><unit meter>`. `up_axis` is ignored, as ROS tools do.
pub fn parse_dae(src: &str, path: &Path) -> Result<MeshData, ModelError> {
    let doc = roxmltree::Document::parse(src).map_err(|e| ModelError::mesh(path, e.to_string()))?;
    let root = doc.root_element();
    let unit = root
        .children()
        .find(|n| n.has_tag_name("asset"))
        .and_then(|a| a.children().find(|n| n.has_tag_name("unit")))
        .and_then(|u| u.attribute("meter"))
        .and_then(|m| m.parse::<f32>().ok())
        .unwrap_or(1.0);
    let geometries: Vec<roxmltree::Node> =
        root.descendants().filter(|n| n.has_tag_name("geometry")).collect();
    let mut mesh = MeshData::default();
    let scene = root.descendants().find(|n| n.has_tag_name("visual_scene"));
    let mut placed = false;
    if let Some(scene) = scene {
        let mut stack: Vec<(roxmltree::Node, Matrix4<f32>)> =
            scene.children().filter(|n| n.has_tag_name("node")).map(|n| (n, Matrix4::identity())).collect();
        while let Some((node, parent)) = stack.pop() {
            let local = node_transform(node, path)?;
            let world = parent * local;
            for child in node.children() {
                if child.has_tag_name("node") {
                    stack.push((child, world));
                } else if child.has_tag_name("instance_geometry") {
                    let url = child.attribute("url").unwrap_or("").trim_start_matches('#');
                    let geometry =
                        geometries.iter().find(|g| g.attribute("id") == Some(url)).ok_or_else(|| {
                            ModelError::mesh(path, format!("instance_geometry `{url}` has no geometry"))
                        })?;
                    append_geometry(*geometry, &world, &mut mesh, path)?;
                    placed = true;
                }
            }
        }
    }
    if !placed {
        for geometry in &geometries {
            append_geometry(*geometry, &Matrix4::identity(), &mut mesh, path)?;
        }
    }
    for v in &mut mesh.vertices {
        v.coords *= unit;
    }
    Ok(mesh)
}

fn floats_of(node: roxmltree::Node, path: &Path) -> Result<Vec<f32>, ModelError> {
    node.text()
        .unwrap_or("")
        .split_whitespace()
        .map(|t| t.parse::<f32>().map_err(|_| ModelError::mesh(path, format!("bad number `{t}`"))))
        .collect()
}

fn node_transform(node: roxmltree::Node, path: &Path) -> Result<Matrix4<f32>, ModelError> {
    let mut m = Matrix4::identity();
    for child in node.children().filter(|c| c.is_element()) {
        let name = child.tag_name().name();
        if !matches!(name, "matrix" | "translate" | "rotate" | "scale") {
            continue;
        }
        let f = floats_of(child, path)?;
        let need = match name {
            "matrix" => 16,
            "rotate" => 4,
            _ => 3,
        };
        if f.len() != need {
            return Err(ModelError::mesh(path, format!("<{name}> needs {need} numbers")));
        }
        let t = match name {
            // COLLADA matrices are written row by row.
            "matrix" => Matrix4::from_row_slice(&f),
            "translate" => Matrix4::new_translation(&Vector3::new(f[0], f[1], f[2])),
            "scale" => Matrix4::new_nonuniform_scaling(&Vector3::new(f[0], f[1], f[2])),
            _ => {
                let axis = Vector3::new(f[0], f[1], f[2]);
                match nalgebra::Unit::try_new(axis, 1e-9) {
                    Some(axis) => {
                        nalgebra::Rotation3::from_axis_angle(&axis, f[3].to_radians()).to_homogeneous()
                    }
                    None => Matrix4::identity(),
                }
            }
        };
        m *= t;
    }
    Ok(m)
}

fn append_geometry(
    geometry: roxmltree::Node,
    transform: &Matrix4<f32>,
    mesh: &mut MeshData,
    path: &Path,
) -> Result<(), ModelError> {
    let Some(m) = geometry.children().find(|n| n.has_tag_name("mesh")) else {
        return Ok(()); // splines and other non-mesh geometry carry no triangles
    };
    let find_by_id = |id: &str| m.children().find(|n| n.attribute("id") == Some(id.trim_start_matches('#')));
    for prim in m
        .children()
        .filter(|n| n.has_tag_name("triangles") || n.has_tag_name("polylist") || n.has_tag_name("polygons"))
    {
        let inputs: Vec<roxmltree::Node> = prim.children().filter(|n| n.has_tag_name("input")).collect();
        let stride = inputs
            .iter()
            .filter_map(|i| i.attribute("offset").and_then(|o| o.parse::<usize>().ok()))
            .max()
            .map_or(1, |o| o + 1);
        let Some(vertex_input) = inputs.iter().find(|i| i.attribute("semantic") == Some("VERTEX")) else {
            return Err(ModelError::mesh(path, "primitive without a VERTEX input"));
        };
        let offset = vertex_input.attribute("offset").and_then(|o| o.parse::<usize>().ok()).unwrap_or(0);
        // VERTEX -> <vertices> -> POSITION source -> float_array.
        let positions = vertex_input
            .attribute("source")
            .and_then(find_by_id)
            .and_then(|v| {
                v.children()
                    .find(|i| i.has_tag_name("input") && i.attribute("semantic") == Some("POSITION"))
                    .and_then(|i| i.attribute("source"))
            })
            .and_then(find_by_id)
            .and_then(|s| s.children().find(|n| n.has_tag_name("float_array")))
            .ok_or_else(|| ModelError::mesh(path, "cannot find the POSITION float_array"))?;
        let coords = floats_of(positions, path)?;
        let base = mesh.vertices.len() as u32;
        for c in coords.chunks_exact(3) {
            let p = transform.transform_point(&Point3::new(c[0], c[1], c[2]));
            mesh.vertices.push(p);
        }
        let count = (coords.len() / 3) as u32;
        let index_of = |raw: &[u32], corner: usize| -> Result<u32, ModelError> {
            let i = raw
                .get(corner * stride + offset)
                .copied()
                .ok_or_else(|| ModelError::mesh(path, "index list too short"))?;
            if i >= count {
                return Err(ModelError::mesh(path, "vertex index out of range"));
            }
            Ok(base + i)
        };
        let parse_ints = |node: roxmltree::Node| -> Result<Vec<u32>, ModelError> {
            node.text()
                .unwrap_or("")
                .split_whitespace()
                .map(|t| t.parse::<u32>().map_err(|_| ModelError::mesh(path, format!("bad index `{t}`"))))
                .collect()
        };
        // Polygon sizes: all 3 for <triangles>, from <vcount> for <polylist>, one <p> per
        // polygon for <polygons>.
        let mut polygons: Vec<(Vec<u32>, Vec<usize>)> = Vec::new();
        if prim.has_tag_name("polygons") {
            for p in prim.children().filter(|n| n.has_tag_name("p")) {
                let raw = parse_ints(p)?;
                let corners = raw.len() / stride;
                polygons.push((raw, vec![corners]));
            }
        } else {
            let raw = prim
                .children()
                .find(|n| n.has_tag_name("p"))
                .map(parse_ints)
                .transpose()?
                .unwrap_or_default();
            let sizes = if prim.has_tag_name("polylist") {
                let vcount = prim
                    .children()
                    .find(|n| n.has_tag_name("vcount"))
                    .ok_or_else(|| ModelError::mesh(path, "polylist without vcount"))?;
                parse_ints(vcount)?.into_iter().map(|c| c as usize).collect()
            } else {
                vec![3; raw.len() / (3 * stride)]
            };
            polygons.push((raw, sizes));
        }
        for (raw, sizes) in polygons {
            let mut corner = 0usize;
            for size in sizes {
                for k in 1..size.saturating_sub(1) {
                    mesh.triangles.push([
                        index_of(&raw, corner)?,
                        index_of(&raw, corner + k)?,
                        index_of(&raw, corner + k + 1)?,
                    ]);
                }
                corner += size;
            }
        }
    }
    Ok(())
}
