//! Training pictures for the built-in model, made by this program: soft gradients, watercolour
//! washes, bokeh, waves, aurora, paper and geometric shapes, in many palettes and moods, each
//! labelled with the words that describe it. They are drawn small (the latent only keeps low
//! frequencies) in OKLab, straight into the model's latent space.

use lecturegen::background::builtin::codec::{lch, Lab};
use lecturegen::background::builtin::words::{vocabulary, COLOURS, MOODS, STYLES};
use lecturegen::background::rng::Rng;

/// Training picture size.
pub const WIDTH: usize = 160;
/// Training picture size.
pub const HEIGHT: usize = 90;

/// How often each style is drawn, relative to the others: crisp shapes and discs take the
/// model longer to learn than soft washes, so it sees more of them.
const STYLE_WEIGHTS: [usize; 7] = [1, 1, 2, 1, 1, 1, 3];

/// One labelled training picture.
pub struct Sample {
    /// The picture.
    pub lab: Lab,
    /// Vocabulary indices describing it (some may be dropped, as people write short prompts).
    pub words: Vec<usize>,
}

/// Draws one random labelled picture.
pub fn sample(rng: &mut Rng) -> Sample {
    let vocab = vocabulary();
    let index = |w: &str| vocab.iter().position(|v| *v == w).unwrap_or(0);
    let mut pick = rng.below(STYLE_WEIGHTS.iter().sum());
    let style = STYLE_WEIGHTS
        .iter()
        .position(|&w| {
            let hit = pick < w;
            pick = pick.saturating_sub(w);
            hit
        })
        .unwrap_or(0);
    let n_colours = 1 + rng.below(2);
    let mut colours: Vec<usize> = Vec::new();
    while colours.len() < n_colours {
        let c = rng.below(COLOURS.len());
        if !colours.contains(&c) {
            colours.push(c);
        }
    }
    let mood = if rng.f() < 0.7 {
        Some(rng.below(MOODS.len()))
    } else {
        None
    };
    let mut palette: Vec<[f32; 3]> = colours
        .iter()
        .map(|&c| {
            let (_, l, ch, h) = COLOURS[c];
            let h = h + rng.range(-12.0, 12.0);
            [l + rng.range(-0.05, 0.05), ch * rng.range(0.85, 1.1), h]
        })
        .collect();
    // A third, related shade for depth.
    let first = palette[0];
    palette.push([first[0] * 0.7, first[1], first[2] + rng.range(-25.0, 25.0)]);
    if let Some(m) = mood {
        for p in &mut palette {
            match MOODS[m] {
                "dark" => p[0] = 0.12 + p[0] * 0.35,
                "light" => p[0] = 0.78 + p[0] * 0.2,
                "warm" => p[2] = p[2] + (55.0 - p[2]) * 0.35,
                "cool" => p[2] = p[2] + (230.0 - p[2]) * 0.35,
                "calm" => p[1] *= 0.6,
                "vivid" => p[1] = (p[1] * 1.5).min(0.3),
                "pastel" => {
                    p[0] = 0.82 + p[0] * 0.12;
                    p[1] *= 0.45;
                }
                _ => p[1] *= 0.35,
            }
        }
    }
    let palette: Vec<[f32; 3]> = palette.iter().map(|p| lch(p[0], p[1], p[2])).collect();
    let lab = match STYLES[style] {
        "gradient" => gradient(rng, &palette),
        "watercolour" => watercolour(rng, &palette),
        "bokeh" => bokeh(rng, &palette),
        "waves" => waves(rng, &palette),
        "aurora" => aurora(rng, &palette),
        "paper" => paper(rng, &palette),
        _ => geometric(rng, &palette),
    };
    let mut words = vec![style];
    for c in &colours {
        words.push(index(COLOURS[*c].0));
    }
    if let Some(m) = mood {
        words.push(index(MOODS[m]));
    }
    // People write partial prompts: sometimes drop a colour or the mood (never the style).
    if words.len() > 2 && rng.f() < 0.25 {
        let drop = 1 + rng.below(words.len() - 1);
        words.remove(drop);
    }
    Sample { lab, words }
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn put(lab: &mut Lab, i: usize, c: [f32; 3], alpha: f32) {
    for (ch, v) in c.iter().enumerate() {
        let p = &mut lab.planes[ch][i];
        *p += (v - *p) * alpha;
    }
}

fn smooth(t: f32) -> f32 {
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Smooth value noise on a coarse random grid, in [-1, 1].
struct Noise {
    gw: usize,
    gh: usize,
    values: Vec<f32>,
}

impl Noise {
    fn new(rng: &mut Rng, gw: usize, gh: usize) -> Self {
        Self {
            gw,
            gh,
            values: (0..(gw + 1) * (gh + 1))
                .map(|_| rng.range(-1.0, 1.0))
                .collect(),
        }
    }

    fn at(&self, u: f32, v: f32) -> f32 {
        let x = u.clamp(0.0, 0.9999) * self.gw as f32;
        let y = v.clamp(0.0, 0.9999) * self.gh as f32;
        let (x0, y0) = (x as usize, y as usize);
        let (tx, ty) = (smooth(x - x0 as f32), smooth(y - y0 as f32));
        let g = |i: usize, j: usize| self.values[j * (self.gw + 1) + i];
        let top = g(x0, y0) + (g(x0 + 1, y0) - g(x0, y0)) * tx;
        let bottom = g(x0, y0 + 1) + (g(x0 + 1, y0 + 1) - g(x0, y0 + 1)) * tx;
        top + (bottom - top) * ty
    }
}

fn coords(i: usize) -> (f32, f32) {
    let (x, y) = (i % WIDTH, i / WIDTH);
    (
        (x as f32 + 0.5) / WIDTH as f32,
        (y as f32 + 0.5) / HEIGHT as f32,
    )
}

const ASPECT: f32 = WIDTH as f32 / HEIGHT as f32;

fn gradient(rng: &mut Rng, p: &[[f32; 3]]) -> Lab {
    let mut lab = Lab::filled(WIDTH, HEIGHT, p[0]);
    let angle = rng.range(0.0, std::f32::consts::TAU);
    let (dx, dy) = (angle.cos(), angle.sin());
    let radial = rng.f() < 0.35;
    let (cx, cy) = (rng.range(0.2, 0.8), rng.range(0.2, 0.8));
    for i in 0..WIDTH * HEIGHT {
        let (u, v) = coords(i);
        let t = if radial {
            (((u - cx) * ASPECT).powi(2) + (v - cy).powi(2)).sqrt() / 1.2
        } else {
            ((u - 0.5) * dx * ASPECT + (v - 0.5) * dy) / (0.5 * (ASPECT * dx.abs() + dy.abs()))
                * 0.5
                + 0.5
        };
        let t = smooth(t);
        let c = if t < 0.5 {
            mix(p[0], p[1 % p.len()], t * 2.0)
        } else {
            mix(p[1 % p.len()], p[2 % p.len()], (t - 0.5) * 2.0)
        };
        put(&mut lab, i, c, 1.0);
    }
    lab
}

fn watercolour(rng: &mut Rng, p: &[[f32; 3]]) -> Lab {
    let paper = [
        0.93 + rng.range(-0.03, 0.03),
        p[0][1] * 0.08,
        p[0][2] * 0.08,
    ];
    let mut lab = Lab::filled(WIDTH, HEIGHT, paper);
    let warp = Noise::new(rng, 5, 3);
    for _ in 0..(3 + rng.below(4)) {
        let c = p[rng.below(p.len())];
        let (cx, cy) = (rng.range(0.0, 1.0), rng.range(0.0, 1.0));
        let r = rng.range(0.18, 0.45);
        let alpha = rng.range(0.35, 0.7);
        let edge = Noise::new(rng, 6, 4);
        for i in 0..WIDTH * HEIGHT {
            let (u, v) = coords(i);
            let du = (u - cx) * ASPECT + 0.12 * warp.at(u, v);
            let dv = v - cy + 0.12 * warp.at(v, u);
            let d = (du * du + dv * dv).sqrt() / (r * (1.0 + 0.35 * edge.at(u, v)));
            let a = alpha * (1.0 - smooth((d - 0.6) / 0.5));
            if a > 0.0 {
                put(&mut lab, i, c, a);
            }
        }
    }
    lab
}

fn bokeh(rng: &mut Rng, p: &[[f32; 3]]) -> Lab {
    let base_a = [p[0][0] * 0.35, p[0][1] * 0.6, p[0][2] * 0.6];
    let base_b = [
        p[2 % p.len()][0] * 0.25,
        p[2 % p.len()][1] * 0.5,
        p[2 % p.len()][2] * 0.5,
    ];
    let mut lab = Lab::filled(WIDTH, HEIGHT, base_a);
    for i in 0..WIDTH * HEIGHT {
        let (u, v) = coords(i);
        put(&mut lab, i, base_b, smooth(0.3 * u + 0.7 * v));
    }
    for _ in 0..(6 + rng.below(10)) {
        let c = p[rng.below(p.len())];
        let c = [(c[0] + 0.3).min(0.97), c[1], c[2]];
        let (cx, cy) = (rng.f(), rng.f());
        let r = rng.range(0.06, 0.16);
        let alpha = rng.range(0.45, 0.9);
        for i in 0..WIDTH * HEIGHT {
            let (u, v) = coords(i);
            let d = (((u - cx) * ASPECT).powi(2) + (v - cy).powi(2)).sqrt() / r;
            // A disc with a soft rim, brighter at its edge, as out-of-focus lights are.
            if d < 1.15 {
                let a = alpha * (1.0 - smooth((d - 0.9) / 0.25)) * (0.8 + 0.2 * d.min(1.0));
                put(&mut lab, i, c, a);
            }
        }
    }
    lab
}

fn waves(rng: &mut Rng, p: &[[f32; 3]]) -> Lab {
    let mut lab = Lab::filled(WIDTH, HEIGHT, p[0]);
    let bands = 3 + rng.below(4);
    let tilt = rng.range(-0.15, 0.15);
    for k in 0..bands {
        let y0 = (k as f32 + 0.5) / bands as f32;
        let amp = rng.range(0.02, 0.07);
        let freq = rng.range(0.8, 2.5);
        let phase = rng.range(0.0, std::f32::consts::TAU);
        let c = mix(p[k % p.len()], p[(k + 1) % p.len()], rng.f());
        let c = [c[0] * (0.75 + 0.35 * k as f32 / bands as f32), c[1], c[2]];
        for i in 0..WIDTH * HEIGHT {
            let (u, v) = coords(i);
            let edge =
                y0 + tilt * (u - 0.5) + amp * (std::f32::consts::TAU * freq * u + phase).sin();
            let a = smooth((v - edge) / 0.03 + 0.5);
            if a > 0.0 {
                put(&mut lab, i, c, a);
            }
        }
    }
    lab
}

fn aurora(rng: &mut Rng, p: &[[f32; 3]]) -> Lab {
    let sky_top = [0.13, -0.01, -0.04];
    let sky_bottom = [0.24, -0.02, -0.06];
    let mut lab = Lab::filled(WIDTH, HEIGHT, sky_top);
    for i in 0..WIDTH * HEIGHT {
        let (_, v) = coords(i);
        put(&mut lab, i, sky_bottom, v);
    }
    for k in 0..(2 + rng.below(2)) {
        let c = p[k % p.len()];
        let c = [c[0].max(0.6), c[1], c[2]];
        let y0 = rng.range(0.3, 0.65);
        let amp = rng.range(0.05, 0.15);
        let freq = rng.range(0.5, 1.6);
        let phase = rng.range(0.0, std::f32::consts::TAU);
        let height = rng.range(0.15, 0.35);
        let shimmer = Noise::new(rng, 12, 2);
        for i in 0..WIDTH * HEIGHT {
            let (u, v) = coords(i);
            let base = y0 + amp * (std::f32::consts::TAU * freq * u + phase).sin();
            // Bright at the lower edge of the curtain, fading upward.
            let d = base - v;
            let a = if d < 0.0 {
                (-(d / 0.02).powi(2)).exp()
            } else {
                (-d / height).exp()
            } * (0.55 + 0.45 * shimmer.at(u, v * 0.3)).clamp(0.0, 1.0)
                * 0.85;
            put(&mut lab, i, c, a);
        }
    }
    lab
}

fn paper(rng: &mut Rng, p: &[[f32; 3]]) -> Lab {
    let tint = p[0];
    let base = [0.9 + rng.range(-0.05, 0.04), tint[1] * 0.18, tint[2] * 0.18];
    let mut lab = Lab::filled(WIDTH, HEIGHT, base);
    let coarse = Noise::new(rng, 6, 4);
    let fine = Noise::new(rng, 30, 17);
    for i in 0..WIDTH * HEIGHT {
        let (u, v) = coords(i);
        lab.planes[0][i] += 0.035 * coarse.at(u, v) + 0.015 * fine.at(u, v);
        // Darker toward the edges, like an old sheet.
        let edge = ((u - 0.5).abs().max((v - 0.5).abs()) - 0.35).max(0.0);
        lab.planes[0][i] -= edge * 0.25;
    }
    lab
}

fn geometric(rng: &mut Rng, p: &[[f32; 3]]) -> Lab {
    let mut lab = Lab::filled(WIDTH, HEIGHT, p[p.len() - 1]);
    for _ in 0..(3 + rng.below(4)) {
        let c = p[rng.below(p.len())];
        let c = [c[0] * rng.range(0.8, 1.2), c[1], c[2]];
        let alpha = rng.range(0.7, 1.0);
        let kind = rng.below(3);
        let (cx, cy) = (rng.f(), rng.f());
        let size = rng.range(0.12, 0.4);
        let rot = rng.range(0.0, std::f32::consts::TAU);
        for i in 0..WIDTH * HEIGHT {
            let (u, v) = coords(i);
            let (dx, dy) = ((u - cx) * ASPECT, v - cy);
            let (x, y) = (
                dx * rot.cos() + dy * rot.sin(),
                -dx * rot.sin() + dy * rot.cos(),
            );
            let inside = match kind {
                0 => (x * x + y * y).sqrt() - size,
                1 => (x.abs() - size).max(y.abs() - size * 0.6),
                _ => {
                    // Equilateral triangle.
                    let k = 3f32.sqrt();
                    ((x.abs() * k + y) / 2.0).max(-y) - size * 0.5
                }
            };
            let a = alpha * (1.0 - smooth(inside / 0.01 + 0.5));
            if a > 0.0 {
                put(&mut lab, i, c, a);
            }
        }
    }
    lab
}
