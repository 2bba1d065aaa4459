//! OpenCV painting of the visible image (feature `camera`).
//!
//! Cost model: a part stays in front of the camera for many frames, so the expensive
//! work happens once per part (warp of the textured plate to the misaligned pose,
//! lighting, defects) and a frame is one saturating add of a pre-computed sensor layer
//! (noise and vignetting) read at a random offset. The textured plate at the nominal
//! pose is built once per part type.

use std::mem::MaybeUninit;

use opencv::core::{self, Mat, Point, Rect, Scalar, Size};
use opencv::imgproc;
use opencv::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use super::{
    fiducials_mm, mix, scratch_ends_px, scratch_thickness_px, thermal_centi_k, thermal_frame,
    thermal_noise_tile, truth, CameraFrame, CameraGeometry, DefectClass, Encoding, ImageBuffer,
    InspectionTruth, PartScene,
};
use crate::config::CameraConfig;

pub type RenderError = opencv::Error;

/// Margin of the noise tiles, pixels: frames read them at offsets in [0, PAD).
const PAD: u32 = 32;
/// Fractional bits of OpenCV drawing coordinates (sub-pixel placement).
const SHIFT: i32 = 4;
const ONE: f64 = (1 << SHIFT) as f64;
/// Grey level of the conveyor behind the part.
const BACKGROUND: f64 = 45.0;
/// Grey level of the printed fiducials.
const FIDUCIAL: f64 = 25.0;
/// Sensor layer bias: a frame is `part + layer - LAYER_BIAS`, saturated.
const LAYER_BIAS: f64 = 128.0;
/// Darkening of the image corners by the lens, grey levels.
const VIGNETTE: f64 = 10.0;
/// Length of the arms of the centre cross, millimetres.
const CROSS_MM: f64 = 8.0;
/// Image rows per parallel task.
const ROWS_PER_TASK: usize = 64;

/// Per-pixel passes split across threads when the caller runs on a rayon pool (the
/// twin's sensor pool, `World::set_sensor_threads`), and stay on the caller's thread
/// otherwise. Rows are independent, so the bytes are the same either way.
fn on_pool() -> bool {
    rayon::current_thread_index().is_some()
}

fn grey(v: f64) -> Scalar {
    Scalar::new(v, v, v, 0.0)
}

fn rgb(r: f64, g: f64, b: f64) -> Scalar {
    Scalar::new(r, g, b, 0.0)
}

fn pt(p: (f64, f64)) -> Point {
    Point::new((p.0 * ONE).round() as i32, (p.1 * ONE).round() as i32)
}

fn dims(w: u32, h: u32) -> (i32, i32) {
    (w as i32, h as i32)
}

/// A part rendered once, from which frames are made.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPart {
    pub scene: PartScene,
    pub truth: InspectionTruth,
    /// rgb8, noise-free
    rgb: Vec<u8>,
    /// centi-kelvin per thermal pixel, noise-free
    thermal: Option<Vec<i32>>,
}

/// Renders the images of one camera station. Deterministic: the same configuration,
/// seed and sequence of calls give the same bytes.
#[derive(Debug, Clone)]
pub struct CameraRenderer {
    cfg: CameraConfig,
    camera: usize,
    station_id: String,
    ambient_k: f64,
    seed: u64,
    geom: CameraGeometry,
    /// mono8 textured plate at the nominal pose, per part type
    plates: Vec<(String, Vec<u8>)>,
    /// rgb8, (h + PAD) x (w + PAD): LAYER_BIAS + sensor noise - vignetting
    layer: Vec<u8>,
    thermal_noise: Vec<i16>,
    frame_rng: ChaCha8Rng,
    seq: u64,
}

impl CameraRenderer {
    /// `camera` is the index into `FactoryConfig::cameras` (it selects the random
    /// streams); `ambient_k` is the background of the thermal image.
    pub fn new(cfg: &CameraConfig, camera: usize, ambient_k: f64, seed: u64) -> Self {
        Self::build(cfg, camera, ambient_k, seed)
    }

    fn build(cfg: &CameraConfig, camera: usize, ambient_k: f64, seed: u64) -> Self {
        let geom = CameraGeometry::visible(cfg);
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ mix(0xCA3E_0000 + camera as u64)));
        let (w, h) = (f64::from(cfg.width_px), f64::from(cfg.height_px));
        let (lw, lh) = (cfg.width_px + PAD, cfg.height_px + PAD);
        let noise = Normal::new(0.0, cfg.lighting.noise_std.max(1e-9)).ok();
        let (cx, cy) = ((f64::from(lw) - 1.0) / 2.0, (f64::from(lh) - 1.0) / 2.0);
        let r2max = (w / 2.0).powi(2) + (h / 2.0).powi(2);
        let mut layer = Vec::with_capacity((3 * lw * lh) as usize);
        for v in 0..lh {
            for u in 0..lw {
                let r2 = (f64::from(u) - cx).powi(2) + (f64::from(v) - cy).powi(2);
                let base = LAYER_BIAS - VIGNETTE * (r2 / r2max).min(1.0);
                for _ in 0..3 {
                    let n = noise.as_ref().map_or(0.0, |d| d.sample(&mut rng));
                    layer.push((base + n).round().clamp(0.0, 255.0) as u8);
                }
            }
        }
        let thermal_noise =
            cfg.thermal.as_ref().map_or_else(Vec::new, |t| thermal_noise_tile(t, PAD, &mut rng));
        Self {
            cfg: cfg.clone(),
            camera,
            station_id: cfg.station.clone(),
            ambient_k,
            seed,
            geom,
            plates: Vec::new(),
            layer,
            thermal_noise,
            frame_rng: rng,
            seq: 0,
        }
    }

    /// Index into `FactoryConfig::cameras`.
    pub fn camera(&self) -> usize {
        self.camera
    }

    pub fn config(&self) -> &CameraConfig {
        &self.cfg
    }

    pub fn geometry(&self) -> CameraGeometry {
        self.geom
    }

    /// The mono8 plate of a part type at the nominal pose, built on first use.
    fn plate(&mut self, part_type: &str) -> Result<usize, RenderError> {
        if let Some(i) = self.plates.iter().position(|(t, _)| t == part_type) {
            return Ok(i);
        }
        let (w, h) = dims(self.cfg.width_px, self.cfg.height_px);
        let look = part_type.bytes().fold(0xF00D_u64, |a, b| mix(a ^ u64::from(b)));
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed ^ look));
        let raw: Vec<f32> = (0..(w * h)).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
        let raw_mat = Mat::new_rows_cols_with_data::<f32>(h, w, &raw)?;
        // Brushed metal: noise smeared along one direction (which one depends on the type).
        let kernel = if look & 1 == 0 { Size::new(41, 1) } else { Size::new(1, 41) };
        let mut brushed = Mat::default();
        imgproc::blur_def(&raw_mat, &mut brushed, kernel)?;
        let brushed = brushed.data_typed::<f32>()?;
        let base = 140.0 + (look >> 8 & 31) as f32;
        let g = self.geom;
        let (cx, cy) = g.center();
        let (hw, hh) =
            (0.5 * self.cfg.part.width_mm * g.px_per_mm, 0.5 * self.cfg.part.height_mm * g.px_per_mm);
        let mut plate = Vec::with_capacity((w * h) as usize);
        for v in 0..h {
            for u in 0..w {
                let i = (v * w + u) as usize;
                let (n, b) = (raw.get(i).copied().unwrap_or(0.0), brushed.get(i).copied().unwrap_or(0.0));
                let on_part = (f64::from(u) - cx).abs() <= hw && (f64::from(v) - cy).abs() <= hh;
                let val = if on_part { base + 90.0 * b + 4.0 * n } else { BACKGROUND as f32 + 3.0 * n };
                plate.push(val.round().clamp(0.0, 255.0) as u8);
            }
        }
        let mut img = Mat::new_rows_cols_with_data::<u8>(h, w, &plate)?.try_clone()?;
        // Edges: a dark chamfer on the outline and a bright bevel just inside it.
        let (x0, y0, x1, y1) = (cx - hw, cy - hh, cx + hw, cy + hh);
        imgproc::rectangle_points(
            &mut img,
            pt((x0, y0)),
            pt((x1, y1)),
            grey(60.0),
            2,
            imgproc::LINE_AA,
            SHIFT,
        )?;
        imgproc::rectangle_points(
            &mut img,
            pt((x0 + 3.0, y0 + 3.0)),
            pt((x1 - 3.0, y1 - 3.0)),
            grey(215.0),
            1,
            imgproc::LINE_AA,
            SHIFT,
        )?;
        // Fiducials: dark discs near the corners and a cross at the centre, at the
        // nominal pose (scene with no offset).
        let nominal = PartScene {
            part_id: 0,
            part_type: String::new(),
            offset_x_mm: 0.0,
            offset_y_mm: 0.0,
            rotation_deg: 0.0,
            gain: 1.0,
            gradient: (0.0, 0.0),
            defects: Vec::new(),
            hotspots: Vec::new(),
            fastening: None,
        };
        let fids = fiducials_mm(&self.cfg);
        let r = 0.5 * self.cfg.part.fiducial_diameter_mm * g.px_per_mm;
        for f in &fids[..4] {
            let c = g.part_to_px(&nominal, *f);
            imgproc::circle(
                &mut img,
                pt(c),
                (r * ONE).round() as i32,
                grey(FIDUCIAL),
                -1,
                imgproc::LINE_AA,
                SHIFT,
            )?;
        }
        let c = g.part_to_px(&nominal, fids[4]);
        let arm = 0.5 * CROSS_MM * g.px_per_mm;
        let t = (0.8 * g.px_per_mm).round().max(1.0) as i32;
        for (dx, dy) in [(arm, 0.0), (0.0, arm)] {
            imgproc::line(
                &mut img,
                pt((c.0 - dx, c.1 - dy)),
                pt((c.0 + dx, c.1 + dy)),
                grey(FIDUCIAL),
                t,
                imgproc::LINE_AA,
                SHIFT,
            )?;
        }
        self.plates.push((part_type.to_string(), img.data_bytes()?.to_vec()));
        Ok(self.plates.len() - 1)
    }

    /// Paints a part: the plate warped to the scene's pose, the part's lighting, the
    /// defects; and its noise-free thermal image. Once per part.
    pub fn render_part(&mut self, scene: &PartScene) -> Result<RenderedPart, RenderError> {
        let i = self.plate(&scene.part_type)?;
        let g = self.geom;
        let (w, h) = dims(self.cfg.width_px, self.cfg.height_px);
        let plate = self.plates.get(i).map(|p| p.1.as_slice()).unwrap_or_default();
        let plate = Mat::new_rows_cols_with_data::<u8>(h, w, plate)?;
        // Nominal-pose pixel q goes to c + R (q - c) + s d.
        let (sn, cs) = scene.rotation_deg.to_radians().sin_cos();
        let (cx, cy) = g.center();
        let (tx, ty) = (g.px_per_mm * scene.offset_x_mm, g.px_per_mm * scene.offset_y_mm);
        let m = Mat::from_slice_2d(&[
            [cs, sn, cx - cs * cx - sn * cy + tx],
            [-sn, cs, cy + sn * cx - cs * cy + ty],
        ])?;
        let mut warped = Mat::default();
        imgproc::warp_affine(
            &plate,
            &mut warped,
            &m,
            Size::new(w, h),
            imgproc::INTER_LINEAR,
            core::BORDER_CONSTANT,
            grey(BACKGROUND),
        )?;
        // Lighting: gain and a linear gradient across the image.
        {
            let (gx, gy) = scene.gradient;
            let light_row = |(v, row): (usize, &mut [u8])| {
                let fy = 1.0 + gy * (v as f64 - cy) / cy.max(1.0);
                for (u, p) in row.iter_mut().enumerate() {
                    let f = scene.gain * (fy + gx * (u as f64 - cx) / cx.max(1.0));
                    // + 0.5 then truncation: round() is a libm call per pixel.
                    *p = (f64::from(*p) * f + 0.5).clamp(0.0, 255.0) as u8;
                }
            };
            let data = warped.data_bytes_mut()?;
            if on_pool() {
                data.par_chunks_mut(w as usize).enumerate().with_min_len(ROWS_PER_TASK).for_each(light_row);
            } else {
                data.chunks_mut(w as usize).enumerate().for_each(light_row);
            }
        }
        let mut img = Mat::default();
        imgproc::cvt_color_def(&warped, &mut img, imgproc::COLOR_GRAY2RGB)?;
        let t = truth(&self.cfg, &self.station_id, scene);
        for (d, dt) in scene.defects.iter().zip(&t.defects) {
            let c = g.part_to_px(scene, d.center_mm);
            match d.class {
                DefectClass::Scratch => {
                    let [a, b] = scratch_ends_px(&g, scene, d);
                    let th = scratch_thickness_px(d.width_mm, g.px_per_mm);
                    imgproc::line(
                        &mut img,
                        pt(a),
                        pt(b),
                        rgb(70.0, 70.0, 76.0),
                        th,
                        imgproc::LINE_AA,
                        SHIFT,
                    )?;
                }
                DefectClass::Pit => {
                    let r = (0.5 * d.length_mm * g.px_per_mm).max(0.5);
                    imgproc::circle(
                        &mut img,
                        pt(c),
                        (r * ONE).round() as i32,
                        grey(30.0),
                        -1,
                        imgproc::LINE_AA,
                        SHIFT,
                    )?;
                    if r >= 2.0 {
                        let hl = (c.0 - r / 3.0, c.1 - r / 3.0);
                        let hr = (r / 3.0).max(0.7);
                        imgproc::circle(
                            &mut img,
                            pt(hl),
                            (hr * ONE).round() as i32,
                            grey(235.0),
                            -1,
                            imgproc::LINE_AA,
                            SHIFT,
                        )?;
                    }
                }
                DefectClass::Contamination => {
                    let bb = dt.bbox;
                    if bb.width == 0 || bb.height == 0 {
                        continue;
                    }
                    let rect = Rect::new(bb.x as i32, bb.y as i32, bb.width as i32, bb.height as i32);
                    let mut roi = Mat::roi_mut(&mut img, rect)?;
                    let mut blot = roi.try_clone()?;
                    let local = (c.0 - f64::from(bb.x), c.1 - f64::from(bb.y));
                    let axes = Size::new(
                        (0.5 * d.length_mm * g.px_per_mm * ONE).round() as i32,
                        (0.5 * d.width_mm * g.px_per_mm * ONE).round() as i32,
                    );
                    // OpenCV turns ellipses clockwise as seen; our angles are counter-clockwise.
                    let angle = -(d.angle_deg + scene.rotation_deg);
                    imgproc::ellipse(
                        &mut blot,
                        pt(local),
                        axes,
                        angle,
                        0.0,
                        360.0,
                        rgb(125.0, 88.0, 40.0),
                        -1,
                        imgproc::LINE_AA,
                        SHIFT,
                    )?;
                    let src = roi.try_clone()?;
                    core::add_weighted(&src, 0.35, &blot, 0.65, 0.0, &mut roi, -1)?;
                }
            }
        }
        let thermal =
            self.cfg.thermal.as_ref().map(|th| thermal_centi_k(&self.cfg, th, self.ambient_k, scene));
        Ok(RenderedPart { scene: scene.clone(), truth: t, rgb: img.data_bytes()?.to_vec(), thermal })
    }

    /// One frame of a rendered part: adds this frame's sensor noise. Advances the
    /// frame counter and the frame random stream.
    pub fn frame(&mut self, part: &RenderedPart, stamp_s: f64) -> Result<CameraFrame, RenderError> {
        let (w, h) = dims(self.cfg.width_px, self.cfg.height_px);
        let (ox, oy) = (self.frame_rng.gen_range(0..PAD), self.frame_rng.gen_range(0..PAD));
        let (tox, toy) = (self.frame_rng.gen_range(0..PAD), self.frame_rng.gen_range(0..PAD));
        // part + layer - LAYER_BIAS, saturated, element-wise over rgb rows seen as 3 * width
        // bytes; written straight into the frame's buffer (one pass, no temporary image).
        let (row_len, layer_row_len) = (3 * w as usize, 3 * (self.cfg.width_px + PAD) as usize);
        let bias = LAYER_BIAS as i16;
        let layer = &self.layer;
        let pass_row = |(y, (out_row, part_row)): (usize, (&mut [MaybeUninit<u8>], &[u8]))| {
            let start = (oy as usize + y) * layer_row_len + 3 * ox as usize;
            let layer_row = layer.get(start..start + row_len).ok_or_else(|| {
                RenderError::new(core::StsOutOfRange, "sensor layer smaller than the image".to_string())
            })?;
            // Fixed-length slices zipped together: the compiler vectorises this.
            for ((o, &p), &l) in out_row.iter_mut().zip(part_row).zip(layer_row) {
                o.write((i16::from(p) + i16::from(l) - bias).clamp(0, 255) as u8);
            }
            Ok::<(), RenderError>(())
        };
        let thermal_noise = &self.thermal_noise;
        let thermal = || match (&self.cfg.thermal, &part.thermal) {
            (Some(t), Some(base)) => Some(thermal_frame(t, base, thermal_noise, PAD, tox, toy)),
            _ => None,
        };
        // Every byte of the frame is written by the pass, so its buffer is not zeroed
        // first (zeroing 3.9 MB cost a quarter of the pass).
        let n = row_len * h as usize;
        if part.rgb.len() != n {
            return Err(RenderError::new(
                core::StsUnmatchedSizes,
                "rendered part is not the image size".to_string(),
            ));
        }
        let mut data: Vec<u8> = Vec::with_capacity(n);
        let out = &mut data.spare_capacity_mut()[..n];
        let thermal = if on_pool() {
            let (visible, thermal) = rayon::join(
                || {
                    out.par_chunks_mut(row_len)
                        .zip(part.rgb.par_chunks(row_len))
                        .enumerate()
                        .with_min_len(ROWS_PER_TASK)
                        .try_for_each(pass_row)
                },
                thermal,
            );
            visible?;
            thermal
        } else {
            out.chunks_mut(row_len).zip(part.rgb.chunks(row_len)).enumerate().try_for_each(pass_row)?;
            thermal()
        };
        // SAFETY: the first n bytes of the buffer are initialised: part.rgb holds n bytes,
        // so the rows above cover all of them, and every row wrote each of its bytes (a
        // row that could not failed the frame before this line).
        unsafe { data.set_len(n) };
        let image = ImageBuffer {
            encoding: Encoding::Rgb8,
            width: self.cfg.width_px,
            height: self.cfg.height_px,
            step: 3 * self.cfg.width_px,
            data,
        };
        let seq = self.seq;
        self.seq += 1;
        Ok(CameraFrame {
            camera: self.camera,
            station_id: self.station_id.clone(),
            stamp_s,
            seq,
            image,
            thermal,
            truth: part.truth.clone(),
        })
    }

    /// `render_part` then `frame`: one frame of a part that is not reused.
    pub fn render(&mut self, scene: &PartScene, stamp_s: f64) -> Result<CameraFrame, RenderError> {
        let part = self.render_part(scene)?;
        self.frame(&part, stamp_s)
    }
}
