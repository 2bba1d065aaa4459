//! Inspection cameras: what a visible and a thermal camera at a station see of the part
//! in work, with injected micro-defects, misalignment and hotspots, and the ground
//! truth of all of it (for evaluation only, never for the autonomy).
//!
//! Split in two: this file is plain Rust (image and truth types, the seeded scene of a
//! part, the pixel geometry, the thermal image); the visible image is painted with
//! OpenCV in `camera/render.rs`, behind the `camera` cargo feature.
//!
//! Frames of reference. Part coordinates are millimetres from the part centre, x to
//! the image right and y to the image bottom at the nominal pose. A part placed with
//! offset `(dx, dy)` mm (image right, image down) and rotation `theta` degrees
//! (counter-clockwise as seen in the image) puts part point `p` at pixel
//! `c + s * (R(theta) p + d)`, with `c = ((w - 1) / 2, (h - 1) / 2)` the image centre
//! and `s` pixels per millimetre. Defect angles are counter-clockwise as seen, in the
//! part frame. The thermal camera shares the field of view at its own resolution.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::config::{CameraConfig, ThermalCameraConfig};
use crate::fastening::{FasteningFault, FasteningSpec};

#[cfg(feature = "camera")]
mod render;
#[cfg(feature = "camera")]
pub use render::{CameraRenderer, RenderError, RenderedPart};

/// Pixel layout of an [`ImageBuffer`] (sensor_msgs/Image encodings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 3 bytes per pixel, red first.
    Rgb8,
    /// 2 bytes per pixel, little-endian; the thermal camera stores centi-kelvin.
    Mono16,
}

impl Encoding {
    /// sensor_msgs/image_encodings name.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Rgb8 => "rgb8",
            Encoding::Mono16 => "mono16",
        }
    }
    pub fn bytes_per_pixel(self) -> u32 {
        match self {
            Encoding::Rgb8 => 3,
            Encoding::Mono16 => 2,
        }
    }
}

/// A plain image: rows of `step` bytes, top row first (1:1 with sensor_msgs/Image).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageBuffer {
    pub encoding: Encoding,
    pub width: u32,
    pub height: u32,
    /// bytes per row
    pub step: u32,
    pub data: Vec<u8>,
}

impl ImageBuffer {
    /// RGB of pixel (x, y); None outside the image or for other encodings.
    pub fn rgb(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if self.encoding != Encoding::Rgb8 || x >= self.width || y >= self.height {
            return None;
        }
        let i = (y * self.step + 3 * x) as usize;
        self.data.get(i..i + 3).map(|p| [p[0], p[1], p[2]])
    }

    /// Raw mono16 value of pixel (x, y) (centi-kelvin for the thermal camera).
    pub fn mono16(&self, x: u32, y: u32) -> Option<u16> {
        if self.encoding != Encoding::Mono16 || x >= self.width || y >= self.height {
            return None;
        }
        let i = (y * self.step + 2 * x) as usize;
        self.data.get(i..i + 2).map(|p| u16::from_le_bytes([p[0], p[1]]))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefectClass {
    /// thin elongated line
    Scratch,
    /// small dark compact blob with a highlight
    Pit,
    /// coloured blotch
    Contamination,
}

impl DefectClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DefectClass::Scratch => "scratch",
            DefectClass::Pit => "pit",
            DefectClass::Contamination => "contamination",
        }
    }
}

/// Axis-aligned pixel rectangle (sensor_msgs/RegionOfInterest layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BBoxPx {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl BBoxPx {
    pub fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.width && y < self.y + self.height
    }

    /// The pixels covering `[x0, x1] x [y0, y1]` (continuous pixel-centre coordinates),
    /// clipped to a `w` x `h` image.
    fn covering(x0: f64, y0: f64, x1: f64, y1: f64, w: u32, h: u32) -> Self {
        let clip = |v: f64, n: u32| v.clamp(0.0, f64::from(n)) as u32;
        let (xa, ya) = (clip(x0.floor(), w), clip(y0.floor(), h));
        let (xb, yb) = (clip(x1.ceil() + 1.0, w), clip(y1.ceil() + 1.0, h));
        BBoxPx { x: xa, y: ya, width: xb.saturating_sub(xa), height: yb.saturating_sub(ya) }
    }
}

/// An injected defect, in part coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct DefectSpec {
    pub class: DefectClass,
    pub center_mm: (f64, f64),
    /// longest extent (scratch length, pit or blotch diameter along its long axis)
    pub length_mm: f64,
    /// extent across the length
    pub width_mm: f64,
    /// direction of the length, counter-clockwise as seen, degrees
    pub angle_deg: f64,
}

/// A thermal hotspot: Gaussian bump of `delta_k` with standard deviation `radius_mm`.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotSpec {
    pub center_mm: (f64, f64),
    pub radius_mm: f64,
    pub delta_k: f64,
}

/// Everything that makes one part's images: drawn once per part from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct PartScene {
    pub part_id: u64,
    pub part_type: String,
    pub offset_x_mm: f64,
    pub offset_y_mm: f64,
    pub rotation_deg: f64,
    /// brightness gain of this part's lighting
    pub gain: f64,
    /// brightness change across the image, fraction per half image width/height
    pub gradient: (f64, f64),
    pub defects: Vec<DefectSpec>,
    pub hotspots: Vec<HotspotSpec>,
    /// the bolt driven just before imaging (None: the station does no fastening)
    pub fastening: Option<FasteningSpec>,
}

/// Ground truth of a defect as rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct DefectTruth {
    pub class: DefectClass,
    pub center_x_mm: f64,
    pub center_y_mm: f64,
    pub length_mm: f64,
    pub width_mm: f64,
    pub angle_deg: f64,
    pub area_mm2: f64,
    /// every pixel the defect changed lies inside, visible image
    pub bbox: BBoxPx,
}

/// Ground truth of a hotspot as rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotTruth {
    pub center_x_mm: f64,
    pub center_y_mm: f64,
    /// 1-sigma radius, millimetres
    pub radius_mm: f64,
    /// temperature at the hotspot centre, kelvin (noise-free)
    pub peak_k: f64,
    /// 2-sigma box in thermal pixels
    pub bbox: BBoxPx,
}

/// What the images of one part show. Evaluation only.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectionTruth {
    pub station_id: String,
    pub part_id: u64,
    pub part_type: String,
    pub offset_x_mm: f64,
    pub offset_y_mm: f64,
    pub rotation_deg: f64,
    pub defects: Vec<DefectTruth>,
    pub hotspots: Vec<HotspotTruth>,
    /// hottest point of the part, kelvin (0 without a thermal camera)
    pub max_temperature_k: f64,
    /// the fault injected into the part's fastening, if any
    pub fastening_fault: Option<FasteningFault>,
}

impl InspectionTruth {
    /// A good part: no visual defect, no hotspot and a good fastening.
    pub fn passed(&self) -> bool {
        self.defects.is_empty() && self.hotspots.is_empty() && self.fastening_fault.is_none()
    }
}

/// One capture of a camera station, for `<station>/camera/image_raw`,
/// `<station>/thermal/image_raw` and `ground_truth/inspection`.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraFrame {
    /// index into `FactoryConfig::cameras`
    pub camera: usize,
    pub station_id: String,
    pub stamp_s: f64,
    /// frame counter of this camera, from 0
    pub seq: u64,
    pub image: ImageBuffer,
    pub thermal: Option<ImageBuffer>,
    pub truth: InspectionTruth,
}

/// Pixel mapping of an image of `width` x `height` at `px_per_mm`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraGeometry {
    pub width: u32,
    pub height: u32,
    pub px_per_mm: f64,
}

impl CameraGeometry {
    pub fn visible(cfg: &CameraConfig) -> Self {
        Self { width: cfg.width_px, height: cfg.height_px, px_per_mm: cfg.px_per_mm }
    }

    /// Same field of view as the visible camera, horizontally, at the thermal width.
    pub fn thermal(cfg: &CameraConfig, t: &ThermalCameraConfig) -> Self {
        Self {
            width: t.width_px,
            height: t.height_px,
            px_per_mm: cfg.px_per_mm * f64::from(t.width_px) / f64::from(cfg.width_px),
        }
    }

    pub fn center(&self) -> (f64, f64) {
        ((f64::from(self.width) - 1.0) / 2.0, (f64::from(self.height) - 1.0) / 2.0)
    }

    /// Pixel of part point `p` (mm) for a part placed as in `scene`.
    pub fn part_to_px(&self, scene: &PartScene, p: (f64, f64)) -> (f64, f64) {
        let (s, c) = scene.rotation_deg.to_radians().sin_cos();
        let x = c * p.0 + s * p.1 + scene.offset_x_mm;
        let y = -s * p.0 + c * p.1 + scene.offset_y_mm;
        let (cx, cy) = self.center();
        (cx + self.px_per_mm * x, cy + self.px_per_mm * y)
    }

    /// Part point (mm) under pixel (u, v): the inverse of [`Self::part_to_px`].
    pub fn px_to_part(&self, scene: &PartScene, u: f64, v: f64) -> (f64, f64) {
        let (cx, cy) = self.center();
        let x = (u - cx) / self.px_per_mm - scene.offset_x_mm;
        let y = (v - cy) / self.px_per_mm - scene.offset_y_mm;
        let (s, c) = scene.rotation_deg.to_radians().sin_cos();
        (c * x - s * y, s * x + c * y)
    }
}

/// Known fiducial positions on the part, millimetres: the four corner discs (top-left,
/// top-right, bottom-left, bottom-right), then the centre cross.
pub fn fiducials_mm(cfg: &CameraConfig) -> [(f64, f64); 5] {
    let p = &cfg.part;
    let (fx, fy) = (p.width_mm / 2.0 - p.fiducial_inset_mm, p.height_mm / 2.0 - p.fiducial_inset_mm);
    [(-fx, -fy), (fx, -fy), (-fx, fy), (fx, fy), (0.0, 0.0)]
}

/// Margin kept around a defect when placing it, millimetres.
const DEFECT_CLEARANCE_MM: f64 = 3.0;
const PLACEMENT_TRIES: usize = 64;

fn mix(mut z: u64) -> u64 {
    // splitmix64: decorrelates nearby (camera, part) pairs.
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of one part at one camera: the same part gets the same scene on
/// every run with this seed, whatever happened elsewhere.
pub fn part_rng(seed: u64, camera: usize, part_id: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed ^ mix((camera as u64) << 40 ^ part_id)))
}

fn uniform(rng: &mut ChaCha8Rng, r: [f64; 2]) -> f64 {
    if r[1] > r[0] {
        rng.gen_range(r[0]..=r[1])
    } else {
        r[0]
    }
}

fn gauss(rng: &mut ChaCha8Rng, std: f64) -> f64 {
    Normal::new(0.0, std).map_or(0.0, |n| n.sample(rng))
}

/// Draws the scene of a part: misalignment, lighting, at most one defect per class
/// (each with its configured probability) placed clear of the fiducials, the part
/// edges and each other, and at most one hotspot.
pub fn sample_scene(cfg: &CameraConfig, rng: &mut ChaCha8Rng, part_id: u64, part_type: &str) -> PartScene {
    let m = &cfg.misalignment;
    let l = &cfg.lighting;
    let d = &cfg.defects;
    let offset_x_mm = gauss(rng, m.offset_std_mm);
    let offset_y_mm = gauss(rng, m.offset_std_mm);
    let rotation_deg = gauss(rng, m.rotation_std_deg);
    let gain = (1.0 + gauss(rng, l.gain_std)).clamp(0.5, 1.5);
    let dir = rng.gen_range(0.0..std::f64::consts::TAU);
    let gradient = (l.gradient * dir.cos(), l.gradient * dir.sin());

    // Draw every random number in a fixed order, whether or not a class is injected,
    // so one class's probability does not change the others' draws.
    let mut wanted = Vec::new();
    let p: f64 = rng.gen();
    let (len, wid, ang) =
        (uniform(rng, d.scratch.length_mm), uniform(rng, d.scratch.width_mm), rng.gen_range(0.0..180.0));
    if p < d.scratch.probability {
        wanted.push((DefectClass::Scratch, len, wid.min(len), ang));
    }
    let p: f64 = rng.gen();
    let dia = uniform(rng, d.pit.diameter_mm);
    if p < d.pit.probability {
        wanted.push((DefectClass::Pit, dia, dia, 0.0));
    }
    let p: f64 = rng.gen();
    let (dia, aspect, ang) =
        (uniform(rng, d.contamination.diameter_mm), rng.gen_range(0.5..=1.0), rng.gen_range(0.0..180.0));
    if p < d.contamination.probability {
        wanted.push((DefectClass::Contamination, dia, dia * aspect, ang));
    }

    let part = &cfg.part;
    let fids = fiducials_mm(cfg);
    let fid_r = part.fiducial_diameter_mm.max(8.0) / 2.0; // the cross is 8 mm long
    let mut defects: Vec<DefectSpec> = Vec::new();
    for (class, length_mm, width_mm, angle_deg) in wanted {
        let half = length_mm / 2.0 + DEFECT_CLEARANCE_MM;
        let (hx, hy) = (part.width_mm / 2.0 - half, part.height_mm / 2.0 - half);
        if hx <= 0.0 || hy <= 0.0 {
            continue;
        }
        for _ in 0..PLACEMENT_TRIES {
            let c = (rng.gen_range(-hx..hx), rng.gen_range(-hy..hy));
            let clear_of_fiducials = fids.iter().all(|f| (f.0 - c.0).hypot(f.1 - c.1) > fid_r + half);
            let clear_of_defects = defects.iter().all(|o| {
                (o.center_mm.0 - c.0).hypot(o.center_mm.1 - c.1)
                    > half + o.length_mm / 2.0 + DEFECT_CLEARANCE_MM
            });
            if clear_of_fiducials && clear_of_defects {
                defects.push(DefectSpec { class, center_mm: c, length_mm, width_mm, angle_deg });
                break;
            }
        }
    }

    let mut hotspots = Vec::new();
    if let Some(t) = &cfg.thermal {
        let p: f64 = rng.gen();
        let (dk, r) = (uniform(rng, t.hotspot_delta_k), uniform(rng, t.hotspot_radius_mm));
        let (hx, hy) = ((part.width_mm / 2.0 - 2.0 * r).max(0.0), (part.height_mm / 2.0 - 2.0 * r).max(0.0));
        let c = (rng.gen_range(-hx..=hx), rng.gen_range(-hy..=hy));
        if p < t.hotspot_probability {
            hotspots.push(HotspotSpec { center_mm: c, radius_mm: r, delta_k: dk });
        }
    }
    // Drawn last, so adding a fastening to a station leaves its images as they were.
    let fastening = cfg.fastening.as_ref().map(|f| crate::fastening::sample(f, rng));
    PartScene {
        part_id,
        part_type: part_type.to_string(),
        offset_x_mm,
        offset_y_mm,
        rotation_deg,
        gain,
        gradient,
        defects,
        hotspots,
        fastening,
    }
}

/// Half the drawn thickness of a scratch, pixels (lines are at least 1 px wide and
/// anti-aliased over one more pixel).
pub(crate) fn scratch_thickness_px(width_mm: f64, px_per_mm: f64) -> i32 {
    (width_mm * px_per_mm).round().max(1.0) as i32
}

/// Direction of a defect's length in the image, counter-clockwise as seen, radians.
fn image_angle(scene: &PartScene, d: &DefectSpec) -> f64 {
    (d.angle_deg + scene.rotation_deg).to_radians()
}

/// Scratch end points in pixels.
pub(crate) fn scratch_ends_px(g: &CameraGeometry, scene: &PartScene, d: &DefectSpec) -> [(f64, f64); 2] {
    let a = d.angle_deg.to_radians();
    let (hx, hy) = (0.5 * d.length_mm * a.cos(), -0.5 * d.length_mm * a.sin());
    [
        g.part_to_px(scene, (d.center_mm.0 - hx, d.center_mm.1 - hy)),
        g.part_to_px(scene, (d.center_mm.0 + hx, d.center_mm.1 + hy)),
    ]
}

/// The ground truth of `scene` as seen by a camera configured by `cfg`.
pub fn truth(cfg: &CameraConfig, station_id: &str, scene: &PartScene) -> InspectionTruth {
    let g = CameraGeometry::visible(cfg);
    let s = g.px_per_mm;
    // Anti-aliasing and the pit highlight reach a little past the nominal outline.
    let pad = 2.0;
    let defects = scene
        .defects
        .iter()
        .map(|d| {
            let (x0, y0, x1, y1) = match d.class {
                DefectClass::Scratch => {
                    let [a, b] = scratch_ends_px(&g, scene, d);
                    let t = f64::from(scratch_thickness_px(d.width_mm, s)) / 2.0 + pad;
                    (a.0.min(b.0) - t, a.1.min(b.1) - t, a.0.max(b.0) + t, a.1.max(b.1) + t)
                }
                DefectClass::Pit | DefectClass::Contamination => {
                    let c = g.part_to_px(scene, d.center_mm);
                    let (ra, rb) = (0.5 * d.length_mm * s, 0.5 * d.width_mm * s);
                    let (sn, cs) = image_angle(scene, d).sin_cos();
                    let hx = (ra * cs).hypot(rb * sn) + pad;
                    let hy = (ra * sn).hypot(rb * cs) + pad;
                    (c.0 - hx, c.1 - hy, c.0 + hx, c.1 + hy)
                }
            };
            let area_mm2 = match d.class {
                DefectClass::Scratch => d.length_mm * d.width_mm,
                _ => std::f64::consts::PI / 4.0 * d.length_mm * d.width_mm,
            };
            DefectTruth {
                class: d.class,
                center_x_mm: d.center_mm.0,
                center_y_mm: d.center_mm.1,
                length_mm: d.length_mm,
                width_mm: d.width_mm,
                angle_deg: d.angle_deg,
                area_mm2,
                bbox: BBoxPx::covering(x0, y0, x1, y1, g.width, g.height),
            }
        })
        .collect();
    let (hotspots, max_temperature_k) = match &cfg.thermal {
        Some(t) => {
            let tg = CameraGeometry::thermal(cfg, t);
            let hs: Vec<HotspotTruth> = scene
                .hotspots
                .iter()
                .map(|h| {
                    let c = tg.part_to_px(scene, h.center_mm);
                    let r = 2.0 * h.radius_mm * tg.px_per_mm;
                    HotspotTruth {
                        center_x_mm: h.center_mm.0,
                        center_y_mm: h.center_mm.1,
                        radius_mm: h.radius_mm,
                        peak_k: part_temperature(t, scene, h.center_mm),
                        bbox: BBoxPx::covering(c.0 - r, c.1 - r, c.0 + r, c.1 + r, tg.width, tg.height),
                    }
                })
                .collect();
            let max = hs.iter().map(|h| h.peak_k).fold(t.part_temperature_k, f64::max);
            (hs, max)
        }
        None => (Vec::new(), 0.0),
    };
    InspectionTruth {
        station_id: station_id.to_string(),
        part_id: scene.part_id,
        part_type: scene.part_type.clone(),
        offset_x_mm: scene.offset_x_mm,
        offset_y_mm: scene.offset_y_mm,
        rotation_deg: scene.rotation_deg,
        defects,
        hotspots,
        max_temperature_k,
        fastening_fault: scene.fastening.as_ref().and_then(|f| f.fault),
    }
}

/// Noise-free temperature of the part at part point `p`, kelvin.
pub fn part_temperature(t: &ThermalCameraConfig, scene: &PartScene, p: (f64, f64)) -> f64 {
    t.part_temperature_k
        + scene
            .hotspots
            .iter()
            .map(|h| {
                let d2 = (p.0 - h.center_mm.0).powi(2) + (p.1 - h.center_mm.1).powi(2);
                h.delta_k * (-d2 / (2.0 * h.radius_mm * h.radius_mm)).exp()
            })
            .sum::<f64>()
}

/// Noise-free thermal image of a part, centi-kelvin per pixel, row-major.
pub fn thermal_centi_k(
    cfg: &CameraConfig,
    t: &ThermalCameraConfig,
    ambient_k: f64,
    scene: &PartScene,
) -> Vec<i32> {
    let g = CameraGeometry::thermal(cfg, t);
    let (hw, hh) = (cfg.part.width_mm / 2.0, cfg.part.height_mm / 2.0);
    let ambient = (ambient_k * 100.0).round() as i32;
    let mut out = Vec::with_capacity((g.width * g.height) as usize);
    for v in 0..g.height {
        for u in 0..g.width {
            let p = g.px_to_part(scene, f64::from(u), f64::from(v));
            out.push(if p.0.abs() <= hw && p.1.abs() <= hh {
                (part_temperature(t, scene, p) * 100.0).round() as i32
            } else {
                ambient
            });
        }
    }
    out
}

/// Zero-mean sensor noise tile, centi-kelvin, larger than the image by `pad` each way;
/// each frame reads it at a random offset.
pub fn thermal_noise_tile(t: &ThermalCameraConfig, pad: u32, rng: &mut ChaCha8Rng) -> Vec<i16> {
    let n = ((t.width_px + pad) * (t.height_px + pad)) as usize;
    (0..n).map(|_| (gauss(rng, t.noise_std_k * 100.0).round() as i64).clamp(-3000, 3000) as i16).collect()
}

/// mono16 little-endian image of `base` plus the noise tile read at (ox, oy).
pub fn thermal_frame(
    t: &ThermalCameraConfig,
    base: &[i32],
    noise: &[i16],
    pad: u32,
    ox: u32,
    oy: u32,
) -> ImageBuffer {
    let (w, h) = (t.width_px as usize, t.height_px as usize);
    let mut data = vec![0u8; 2 * w * h];
    let pixel = |out: &mut [u8], b: i32, n: i16| {
        let val = (b + i32::from(n)).clamp(0, i32::from(u16::MAX)) as u16;
        out.copy_from_slice(&val.to_le_bytes());
    };
    for (v, (out_row, base_row)) in data.chunks_exact_mut(2 * w).zip(base.chunks_exact(w)).enumerate() {
        let start = (v + oy as usize) * (w + pad as usize) + ox as usize;
        match noise.get(start..start + w) {
            Some(noise_row) => {
                for ((out, &b), &n) in out_row.chunks_exact_mut(2).zip(base_row).zip(noise_row) {
                    pixel(out, b, n);
                }
            }
            // A tile too small for the offset (not built by thermal_noise_tile): no noise.
            None => out_row.chunks_exact_mut(2).zip(base_row).for_each(|(out, &b)| pixel(out, b, 0)),
        }
    }
    let (w, h) = (t.width_px, t.height_px);
    ImageBuffer { encoding: Encoding::Mono16, width: w, height: h, step: 2 * w, data }
}
