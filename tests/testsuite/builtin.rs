//! The built-in model: its latent codec, its training data, and the shipped weights.

use lecturegen::background::builtin::{self, codec, data, Builtin};
use lecturegen::background::{Backend, BackgroundRequest};

fn request(prompt: &str, seed: u64, width: u32, height: u32) -> BackgroundRequest {
    BackgroundRequest {
        prompt: prompt.into(),
        negative_prompt: String::new(),
        seed,
        width,
        height,
        image: None,
    }
}

#[test]
fn codec_round_trips_smooth_pictures_at_any_size() {
    let mut lab = codec::Lab::filled(data::WIDTH, data::HEIGHT, [0.5, 0.0, 0.0]);
    for i in 0..data::WIDTH * data::HEIGHT {
        let x = (i % data::WIDTH) as f32 / data::WIDTH as f32;
        let y = (i / data::WIDTH) as f32 / data::HEIGHT as f32;
        lab.planes[0][i] = 0.3 + 0.4 * x + 0.1 * (3.0 * y).sin();
        lab.planes[1][i] = 0.05 * (1.0 - y);
    }
    let tables = codec::Tables::new(data::WIDTH, data::HEIGHT);
    let latent = codec::encode(&lab, &tables);
    assert_eq!(latent.len(), codec::LATENT);
    // Decoded at the training size and at four times that size, the picture is the same.
    for scale in [1, 4] {
        let back = codec::decode(&latent, data::WIDTH * scale, data::HEIGHT * scale);
        let mut worst = 0f32;
        for y in (10..data::HEIGHT - 10).step_by(7) {
            for x in (10..data::WIDTH - 10).step_by(7) {
                let a = lab.planes[0][y * data::WIDTH + x];
                let b = back.planes[0]
                    [(y * scale + scale / 2) * data::WIDTH * scale + x * scale + scale / 2];
                worst = worst.max((a - b).abs());
            }
        }
        assert!(worst < 0.03, "scale {scale}: lightness off by {worst}");
    }
}

#[test]
fn training_pictures_carry_their_words() {
    let vocab = data::vocabulary();
    let mut rng = data::Rng(7);
    for _ in 0..50 {
        let s = data::sample(&mut rng);
        assert!(
            data::STYLES.contains(&vocab[s.words[0]]),
            "first word is the style"
        );
        assert!(s.lab.planes[0].iter().all(|v| v.is_finite()));
    }
    assert_eq!(
        data::words("Soft watercolor washes, TEAL and unknown-words!"),
        [
            vocab.iter().position(|w| *w == "calm").unwrap(),
            vocab.iter().position(|w| *w == "watercolour").unwrap(),
            vocab.iter().position(|w| *w == "teal").unwrap(),
        ]
    );
}

/// Mean OKLab-ish lightness and redness of a picture, from its sRGB pixels.
fn mean_rgb(img: &image::RgbImage) -> [f32; 3] {
    let mut sum = [0f64; 3];
    for p in img.pixels() {
        for c in 0..3 {
            sum[c] += f64::from(p[c]);
        }
    }
    let n = f64::from(img.width() * img.height());
    sum.map(|s| (s / n) as f32)
}

#[test]
fn shipped_model_is_seeded_and_steered_by_words() {
    let model = Builtin::shipped().unwrap();
    let a = model
        .generate(&request("waves blue calm", 1, 192, 108))
        .unwrap();
    assert_eq!(a.dimensions(), (192, 108));
    assert_eq!(
        a,
        model
            .generate(&request("waves blue calm", 1, 192, 108))
            .unwrap()
    );
    assert_ne!(
        a,
        model
            .generate(&request("waves blue calm", 2, 192, 108))
            .unwrap()
    );
    // Unknown words change nothing and break nothing.
    let unknown = model
        .generate(&request("waves blue calm zebra quantum", 1, 192, 108))
        .unwrap();
    assert_eq!(a, unknown);
    let _ = model.generate(&request("", 3, 64, 36)).unwrap();

    // Colour and mood words steer the picture, over a few seeds.
    let mean = |prompt: &str| {
        let mut acc = [0f32; 3];
        for seed in 0..4 {
            let m = mean_rgb(&model.generate(&request(prompt, seed, 96, 54)).unwrap());
            for c in 0..3 {
                acc[c] += m[c] / 4.0;
            }
        }
        acc
    };
    let red = mean("gradient red");
    assert!(
        red[0] > red[1] + 20.0 && red[0] > red[2] + 20.0,
        "red: {red:?}"
    );
    let blue = mean("gradient blue");
    assert!(blue[2] > blue[0] + 20.0, "blue: {blue:?}");
    let dark: f32 = mean("gradient teal dark").iter().sum();
    let light: f32 = mean("gradient teal light").iter().sum();
    assert!(dark + 120.0 < light, "dark {dark} vs light {light}");
}

#[test]
fn full_frame_background_has_no_banding() {
    let model = Builtin::shipped().unwrap();
    let img = model
        .generate(&request("gradient purple calm", 5, 1920, 1080))
        .unwrap();
    assert_eq!(img.dimensions(), (1920, 1080));
    // Dithered: along a row, neighbouring pixels differ by at most a couple of levels, and not
    // in long flat runs followed by steps.
    let row = 540;
    let mut max_step = 0;
    for x in 1..1920 {
        let a = img.get_pixel(x - 1, row);
        let b = img.get_pixel(x, row);
        for c in 0..3 {
            max_step = max_step.max(a[c].abs_diff(b[c]));
        }
    }
    assert!(
        max_step <= 4,
        "step of {max_step} levels between neighbours"
    );
}

#[test]
fn progress_reports_every_denoising_step() {
    let model = Builtin::shipped().unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    model
        .generate_steps(&request("aurora green", 1, 64, 36), &|done, total| {
            seen.lock().unwrap().push((done, total))
        })
        .unwrap();
    let seen = seen.into_inner().unwrap();
    let steps = builtin::Sampler::default().steps;
    assert_eq!(seen.len(), steps);
    assert_eq!(seen.last(), Some(&(steps, steps)));
}

/// Random tensor with values from a seeded generator.
fn random(shape: &[usize], seed: u64) -> candle_core::Tensor {
    let mut rng = data::Rng(seed);
    let n = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
    candle_core::Tensor::from_vec(v, shape, &candle_core::Device::Cpu).unwrap()
}

/// Asserts that `ours` and `theirs` pass the same gradients back to each of `vars` (within
/// `tolerance`), with `probe` as the upstream gradient of both.
fn same_gradients(
    ours: &candle_core::Tensor,
    theirs: &candle_core::Tensor,
    probe: &candle_core::Tensor,
    vars: &[&candle_core::Var],
    tolerance: f32,
    what: &str,
) {
    let backward =
        |t: &candle_core::Tensor| (t * probe).unwrap().sum_all().unwrap().backward().unwrap();
    let (g1, g2) = (backward(ours), backward(theirs));
    for v in vars {
        let d = max_diff(
            g1.get(v.as_tensor()).unwrap(),
            g2.get(v.as_tensor()).unwrap(),
        );
        assert!(d < tolerance, "{what} gradient off by {d}");
    }
}

/// Largest absolute difference between two tensors of the same shape.
fn max_diff(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

#[test]
fn hand_written_ops_match_candle_forward_and_backward() {
    use builtin::ops;
    use candle_core::{Var, D};
    let (b, h, w, c, out) = (2, 5, 7, 3, 4);

    // The NHWC convolution against candle's conv2d (NCHW).
    let x = Var::from_tensor(&random(&[b, h, w, c], 1)).unwrap();
    let kernel = Var::from_tensor(&random(&[out, c, 3, 3], 2)).unwrap();
    let weight = kernel
        .permute((0, 2, 3, 1))
        .unwrap()
        .reshape((out, 9 * c))
        .unwrap();
    let ours = ops::conv3x3(&x, &weight).unwrap();
    let theirs = x
        .permute((0, 3, 1, 2))
        .unwrap()
        .conv2d(&kernel, 1, 1, 1, 1)
        .unwrap()
        .permute((0, 2, 3, 1))
        .unwrap();
    assert!(max_diff(&ours, &theirs) < 1e-4);
    let probe = random(&[b, h, w, out], 3);
    same_gradients(&ours, &theirs, &probe, &[&x, &kernel], 1e-3, "convolution");

    // Norm, FiLM and SiLU fused against the same written with tensor ops.
    let film = Var::from_tensor(&(random(&[b, 2 * c], 4) * 0.5).unwrap()).unwrap();
    let fused = ops::norm_film_silu(&x, &film).unwrap();
    let rms = (x.sqr().unwrap().mean_keepdim(D::Minus1).unwrap() + 1e-6)
        .unwrap()
        .sqrt()
        .unwrap();
    let norm = x.broadcast_div(&rms).unwrap();
    let f = film.reshape((b, 1, 1, 2 * c)).unwrap();
    let scale = (f.narrow(3, 0, c).unwrap() + 1.0).unwrap();
    let shift = f.narrow(3, c, c).unwrap();
    let composed = norm
        .broadcast_mul(&scale)
        .unwrap()
        .broadcast_add(&shift)
        .unwrap()
        .silu()
        .unwrap();
    assert!(max_diff(&fused, &composed) < 1e-5);
    let probe = random(&[b, h, w, c], 5);
    same_gradients(
        &fused,
        &composed,
        &probe,
        &[&x, &film],
        1e-4,
        "norm-film-silu",
    );

    // Plain RMS norm.
    let ours = ops::rms_norm(&x).unwrap();
    assert!(max_diff(&ours, &norm) < 1e-5);
    same_gradients(&ours, &norm, &probe, &[&x], 1e-4, "rms-norm");
}

#[test]
fn denoiser_gradients_match_finite_differences() {
    use builtin::codec::{CHANNELS, GRID};
    use builtin::net::Denoiser;
    use candle_core::{DType, Device};
    use candle_nn::{VarBuilder, VarMap};

    let varmap = VarMap::new();
    let net = Denoiser::new(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
    // Start the zero-initialised layers somewhere else, so every path carries gradient.
    for (i, var) in varmap.all_vars().iter().enumerate() {
        let t = var.as_tensor();
        let noise = (random(t.dims(), 100 + i as u64) * 0.05).unwrap();
        var.set(&(t + noise).unwrap()).unwrap();
    }
    let shape = [2, GRID.1, GRID.0, CHANNELS];
    let z = random(&shape, 11);
    let target = random(&shape, 12);
    let prompts = vec![vec![2, 11, 20], vec![]];
    let loss = |net: &Denoiser| {
        let pred = net.forward(&z, &[0.3, 0.8], &prompts).unwrap();
        candle_nn::loss::mse(&pred, &target).unwrap()
    };
    let grads = loss(&net).backward().unwrap();
    let mut data = varmap
        .data()
        .lock()
        .unwrap()
        .clone()
        .into_iter()
        .collect::<Vec<_>>();
    data.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rng = data::Rng(5);
    let mut checked = 0;
    for (name, var) in &data {
        let grad = grads
            .get(var.as_tensor())
            .unwrap_or_else(|| panic!("{name}: no gradient"));
        let flat_grad = grad.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let values = var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        // The entry with the largest gradient, and one at random.
        let largest = (0..flat_grad.len())
            .max_by(|&a, &b| flat_grad[a].abs().total_cmp(&flat_grad[b].abs()))
            .unwrap();
        for index in [largest, rng.below(values.len())] {
            let eps = 1e-2f32;
            let probe = |delta: f32| {
                let mut v = values.clone();
                v[index] += delta;
                var.set(&candle_core::Tensor::from_vec(v, var.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                loss(&net).to_scalar::<f32>().unwrap()
            };
            let numeric = (probe(eps) - probe(-eps)) / (2.0 * eps);
            var.set(
                &candle_core::Tensor::from_vec(values.clone(), var.shape(), &Device::Cpu).unwrap(),
            )
            .unwrap();
            let analytic = flat_grad[index];
            let scale = numeric.abs().max(analytic.abs()).max(1e-3);
            assert!(
                (numeric - analytic).abs() / scale < 0.1,
                "{name}[{index}]: autograd {analytic}, finite differences {numeric}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked}");
}

/// Lightness (mean of the channels) of a picture, row-major.
fn lightness(img: &image::RgbImage) -> Vec<f32> {
    img.pixels()
        .map(|p| (f32::from(p[0]) + f32::from(p[1]) + f32::from(p[2])) / 3.0)
        .collect()
}

fn variance(v: &[f32]) -> f32 {
    let mean = v.iter().sum::<f32>() / v.len() as f32;
    v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32
}

#[test]
fn style_words_give_their_structure() {
    let model = Builtin::shipped().unwrap();
    let (w, h) = (96usize, 54usize);
    // Averaged over seeds: (variance of row means / of column means, mean local contrast).
    let stats = |prompt: &str| {
        let (mut bands, mut detail) = (0f32, 0f32);
        for seed in 0..4 {
            let img = model
                .generate(&request(prompt, seed, w as u32, h as u32))
                .unwrap();
            let l = lightness(&img);
            let rows: Vec<f32> = (0..h)
                .map(|y| l[y * w..(y + 1) * w].iter().sum::<f32>() / w as f32)
                .collect();
            let cols: Vec<f32> = (0..w)
                .map(|x| (0..h).map(|y| l[y * w + x]).sum::<f32>() / h as f32)
                .collect();
            bands += variance(&rows) / variance(&cols).max(1e-3) / 4.0;
            // Mean distance of a pixel from the mean of its 5x5 neighbourhood.
            let mut sum = 0f32;
            let mut n = 0f32;
            for y in 2..h - 2 {
                for x in 2..w - 2 {
                    let mut m = 0f32;
                    for dy in 0..5 {
                        for dx in 0..5 {
                            m += l[(y + dy - 2) * w + x + dx - 2];
                        }
                    }
                    sum += (l[y * w + x] - m / 25.0).abs();
                    n += 1.0;
                }
            }
            detail += sum / n / 4.0;
        }
        eprintln!("{prompt}: bands {bands:.2}, detail {detail:.2}");
        (bands, detail)
    };
    let waves = stats("waves blue");
    let bokeh = stats("bokeh blue dark");
    let gradient = stats("gradient blue dark");
    let aurora = stats("aurora green");
    assert!(waves.0 > 3.0, "waves make horizontal bands: {waves:?}");
    assert!(aurora.0 > 3.0, "aurora has a horizon: {aurora:?}");
    assert!(
        bokeh.1 > 2.0 * gradient.1,
        "bokeh has spots of light, gradient none: {bokeh:?} vs {gradient:?}"
    );
}

#[test]
fn fast_decode_is_within_two_levels_of_the_exact_series() {
    // A picture with hard edges (the worst case for interpolation), through the latent.
    let mut rng = data::Rng(3);
    let sample = loop {
        let s = data::sample(&mut rng);
        if data::vocabulary()[s.words[0]] == "geometric" {
            break s;
        }
    };
    let tables = codec::Tables::new(data::WIDTH, data::HEIGHT);
    let latent = codec::encode(&sample.lab, &tables);
    let (w, h) = (1920, 1080);
    let fast = builtin::decode_rgb(&latent, w, h);
    let exact = codec::decode(&latent, w, h);
    let mut worst = 0f32;
    let mut total = 0f32;
    let mut n = 0f32;
    for y in (0..h).step_by(7) {
        for x in (0..w).step_by(5) {
            let i = y * w + x;
            let l = exact.planes[0][i].clamp(0.0, 1.0);
            let rgb = codec::oklab_to_srgb([l, exact.planes[1][i], exact.planes[2][i]]);
            let px = fast.get_pixel(x as u32, y as u32);
            for c in 0..3 {
                let d = (rgb[c].clamp(0.0, 1.0) * 255.0 - f32::from(px[c])).abs();
                worst = worst.max(d);
                total += d;
                n += 1.0;
            }
        }
    }
    // Half a level of dither and rounding, plus the interpolation.
    assert!(worst < 2.0, "worst {worst} levels");
    assert!(total / n < 0.6, "mean {} levels", total / n);
}

#[test]
fn sheet_figures_measure_diversity_and_sharpness() {
    use lecturegen::background::stats;
    let flat = |v: u8| image::RgbImage::from_pixel(320, 180, image::Rgb([v, v, v]));
    let same = stats::diversity(&[flat(10), flat(10), flat(10)]);
    assert_eq!((same.mean, same.closest), (0.0, 0.0));
    let spread = stats::diversity(&[flat(0), flat(30), flat(90)]);
    assert!((spread.mean - 60.0).abs() < 1e-6 && (spread.closest - 30.0).abs() < 1e-6);

    // Hard stripes are sharper than a soft ramp of the same contrast, at any picture size.
    let grey = |v: u32| image::Rgb([v as u8; 3]);
    let stripes =
        |w: u32, h: u32| image::RgbImage::from_fn(w, h, |x, _| grey(x * 30 / w % 2 * 200));
    let ramp = image::RgbImage::from_fn(1920, 1080, |x, _| grey(x * 200 / 1920));
    let hard = stats::sharpness(&stripes(1920, 1080));
    let soft = stats::sharpness(&ramp);
    assert!(hard > 50.0 * soft, "hard {hard}, soft {soft}");
    assert!((stats::sharpness(&stripes(960, 540)) - hard).abs() < 0.2 * hard);
    assert_eq!(stats::sharpness(&flat(0)), 0.0);

    // Cells come back from a sheet's layout.
    let mut sheet = image::RgbImage::from_pixel(4 + 2 * 324, 4 + 184, image::Rgb([255, 255, 255]));
    image::imageops::replace(&mut sheet, &flat(7), 4 + 324, 4);
    let layout = stats::Layout {
        rows: 1,
        cols: 2,
        cell: (320, 180),
        gap: 4,
    };
    assert_eq!(layout.size(), (sheet.width(), sheet.height()));
    let cells = stats::cells(&sheet, &layout);
    assert_eq!(cells[0][1], flat(7));
}

/// The shipped model draws the same picture on every machine: compared with a picture
/// committed from the machine that trained it, within one level per channel (matrix kernels
/// differ between CPUs in the order they add). `LECTUREGEN_BLESS=1` rewrites it.
#[test]
fn shipped_model_draws_the_committed_picture() {
    let model = Builtin::shipped().unwrap();
    let path = crate::golden::golden_dir().join("builtin.png");
    let prompts = [
        "geometric orange vivid",
        "gradient purple dark",
        "waves blue calm",
    ];
    let mut sheet = image::RgbImage::new(96 * prompts.len() as u32, 54);
    for (i, prompt) in prompts.iter().enumerate() {
        let cell = model.generate(&request(prompt, 4, 96, 54)).unwrap();
        image::imageops::replace(&mut sheet, &cell, 96 * i as i64, 0);
    }
    if std::env::var_os("LECTUREGEN_BLESS").is_some() {
        sheet.save(&path).unwrap();
        return;
    }
    let expected = image::open(&path).unwrap().to_rgb8();
    let worst = expected
        .pixels()
        .zip(sheet.pixels())
        .flat_map(|(e, a)| (0..3).map(move |c| e[c].abs_diff(a[c])))
        .max()
        .unwrap();
    assert!(worst <= 1, "{} levels from {}", worst, path.display());
}

/// The built-in model draws one picture per core at once, each sampled on a thread of its
/// own: the pictures are those it draws one at a time.
#[test]
fn pictures_drawn_side_by_side_are_those_drawn_alone() {
    use lecturegen::background::{generate, generate_many, Source};
    use lecturegen::cache::Cache;
    let model = Builtin::shipped().unwrap();
    assert!(model.parallelism() >= 1);
    let course = crate::support::Course::new();
    let cache = Cache::new(course.path("cache"));
    let requests: Vec<_> = (0..4)
        .map(|seed| (seed.to_string(), request("bokeh teal dark", seed, 64, 36)))
        .collect();
    let failed = generate_many(&model, &requests, &cache, &|_| {});
    assert!(failed.is_empty(), "{failed:?}");
    for (_, request) in &requests {
        let (side_by_side, source) = generate(&model, request, &cache, &|_, _| {}).unwrap();
        assert_eq!(source, Source::Cached);
        assert!(side_by_side == model.generate(request).unwrap());
    }
}

#[test]
fn shipped_model_never_gives_two_seeds_the_same_picture() {
    use lecturegen::background::stats;
    let model = Builtin::shipped().unwrap();
    for prompt in stats::PROMPTS {
        let pictures: Vec<_> = (0..4)
            .map(|seed| model.generate(&request(prompt, seed, 64, 36)).unwrap())
            .collect();
        let d = stats::diversity(&pictures);
        assert!(d.closest > stats::COLLAPSED, "{prompt}: {d:?}");
    }
}

/// The exposure correction takes out the noise estimate divided by the exposure: 1 leaves the
/// plain estimate, more leaves some of the noise estimate in it, and pure noise (no signal)
/// gives the plain estimate whatever the exposure.
#[test]
fn exposure_divides_the_noise_estimate() {
    for t in [0.2f32, 0.5, 0.9] {
        let (a, s) = builtin::train::alpha_sigma(t, builtin::train::SHIFT);
        let (x0, eps) = (0.7f32, -1.3f32);
        let (z, v) = (a * x0 + s * eps, a * eps - s * x0);
        let plain = builtin::clean_estimate(z, v, a, s, 1.0);
        assert!((plain - x0).abs() < 1e-5, "t {t}: {plain} against {x0}");
        let corrected = builtin::clean_estimate(z, v, a, s, 1.05);
        // What is left of z once the corrected estimate is taken out is the noise over 1.05.
        let left = (z - a * corrected) / s;
        assert!((left - eps / 1.05).abs() < 1e-4, "t {t}: {left}");
        // Less noise taken out: the estimate keeps some of it.
        assert!((corrected - x0) * eps > 0.0, "t {t}: {corrected}");
    }
    let (a, s) = builtin::train::alpha_sigma(1.0, builtin::train::SHIFT);
    assert_eq!(
        builtin::clean_estimate(0.4, -0.2, a, s, 1.05),
        builtin::clean_estimate(0.4, -0.2, a, s, 1.0)
    );
}

/// The denoiser's view of a latent ([`builtin::spectrum`]): the map and its inverse undo each
/// other; the v3-v5 per-channel scaling is one case of it; fitted to pictures, the scaled
/// coefficients average unit variance per grid point, and with `whiten` 1 every coefficient
/// has unit variance.
#[test]
fn spectrum_scaling_inverts_and_whitens() {
    use builtin::spectrum::{self, Spectrum};
    let tables = codec::Tables::new(data::WIDTH, data::HEIGHT);
    let latents: Vec<Vec<f32>> = (0..200)
        .map(|i| codec::encode(&data::sample(&mut data::Rng(i)).lab, &tables))
        .collect();
    let largest = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max)
    };
    let (mean, scale) = ([0.6, 0.01, -0.02], [0.2, 0.05, 0.07]);
    let channel = Spectrum::per_channel(mean, scale, [-3.0; 3], [3.0; 3]);
    let old: Vec<f32> = latents[0]
        .iter()
        .enumerate()
        .map(|(i, v)| (v - mean[i % 3]) / scale[i % 3])
        .collect();
    assert!(largest(&channel.to_model(&latents[0]), &old) < 1e-3);
    assert!(
        largest(&channel.low, &[0.0, -0.14, -0.23]) < 1e-6,
        "{:?}",
        channel.low
    );
    for whiten in [0.0, 0.5, 1.0] {
        let spectrum = Spectrum::fit(latents.iter().map(Vec::as_slice), whiten);
        let seen: Vec<Vec<f32>> = latents.iter().map(|z| spectrum.to_model(z)).collect();
        assert!(largest(&spectrum.from_model(&seen[3]), &latents[3]) < 1e-4);
        let variance = seen
            .iter()
            .flatten()
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            / (seen.len() * codec::LATENT) as f64;
        assert!((variance - 1.0).abs() < 0.02, "whiten {whiten}: {variance}");
        // The brightest and darkest grid points of the data come back at its range.
        let mut clamped = seen[5].iter().map(|v| v * 50.0).collect::<Vec<f32>>();
        spectrum.clamp_model(&mut clamped);
        let back = spectrum.from_model(&clamped);
        for (i, v) in back.iter().enumerate() {
            let c = i % 3;
            assert!(*v >= spectrum.low[c] - 1e-4 && *v <= spectrum.high[c] + 1e-4);
        }
    }
    // Each coefficient's variance over the pictures, as the denoiser sees them: scaled per
    // channel, the mean lightness varies hundreds of times more than the finest frequency;
    // fully whitened, every coefficient varies alike.
    let variance = |spectrum: &Spectrum, k: usize| {
        let v: Vec<f64> = latents
            .iter()
            .map(|z| f64::from(spectrum::coefficients(&spectrum.to_model(z))[k]))
            .collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64
    };
    let finest = codec::LATENT - 3;
    let flat = Spectrum::fit(latents.iter().map(Vec::as_slice), 0.0);
    assert!(variance(&flat, 0) > 100.0 * variance(&flat, finest));
    let white = Spectrum::fit(latents.iter().map(Vec::as_slice), 1.0);
    for k in [0, 1, 5, finest] {
        assert!(
            (variance(&white, k) - 1.0).abs() < 0.01,
            "{k}: {}",
            variance(&white, k)
        );
    }
}

/// `train-builtin` end to end at a tiny size: the weights it writes load and sample, and a
/// data set without pictures is an error, not a panic.
#[test]
fn training_writes_weights_that_load_and_sample() {
    use builtin::train::{train, TrainOptions};
    let course = crate::support::Course::new();
    let out = course.root.join("weights.safetensors");
    let options = TrainOptions {
        steps: 2,
        dataset: 16,
        batch: 4,
        ..TrainOptions::default()
    };
    let report = train(&options, &out, &|_| {}).unwrap();
    assert!(report.final_loss.is_finite() && report.final_loss > 0.0);
    let model = Builtin::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    let latent = model.latent("waves blue calm", 3, &|_, _| {}).unwrap();
    assert_eq!(latent.len(), codec::LATENT);
    assert!(latent.iter().all(|v| v.is_finite()));

    // Fine-tuning starts from the weights given: with a learning rate of 0 it writes them
    // back (to f16 rounding), where a fresh start writes others.
    let tuned = course.root.join("tuned.safetensors");
    let from = TrainOptions {
        steps: 1,
        lr: 0.0,
        from: Some(out.clone()),
        ..options.clone()
    };
    train(&from, &tuned, &|_| {}).unwrap();
    let fresh = course.root.join("fresh.safetensors");
    let other_start = TrainOptions {
        seed: 9,
        from: None,
        ..from.clone()
    };
    train(&other_start, &fresh, &|_| {}).unwrap();
    let load =
        |p: &std::path::Path| candle_core::safetensors::load(p, &candle_core::Device::Cpu).unwrap();
    let (before, after, other) = (load(&out), load(&tuned), load(&fresh));
    let f32 = |t: &candle_core::Tensor| t.to_dtype(candle_core::DType::F32).unwrap();
    let largest = |a: &candle_core::Tensor, b: &candle_core::Tensor| max_diff(&f32(a), &f32(b));
    let name = "input.weight";
    assert!(
        before.contains_key(name),
        "{:?}",
        before.keys().collect::<Vec<_>>()
    );
    for (name, tensor) in &before {
        assert!(largest(tensor, &after[name]) <= 1e-3, "{name} moved");
    }
    assert!(largest(&before[name], &other[name]) > 1e-3);
    // On another data set a fine-tune keeps the normalisation of the weights it starts from.
    let elsewhere = course.root.join("elsewhere.safetensors");
    train(
        &TrainOptions {
            seed: 9,
            ..from.clone()
        },
        &elsewhere,
        &|_| {},
    )
    .unwrap();
    let (moved, own) = (load(&elsewhere), &other);
    for name in ["spectrum.mean", "spectrum.scale"] {
        assert!(largest(&before[name], &moved[name]) < 1e-6, "{name}");
        assert!(largest(&before[name], &own[name]) > 1e-4, "{name}");
    }
    let missing = TrainOptions {
        from: Some(course.root.join("nothing.safetensors")),
        ..from
    };
    let err = format!("{:#}", train(&missing, &tuned, &|_| {}).unwrap_err());
    assert!(err.contains("nothing.safetensors"), "{err}");

    let empty = TrainOptions {
        dataset: 0,
        ..options.clone()
    };
    let err = train(&empty, &out, &|_| {}).unwrap_err().to_string();
    assert!(err.contains("at least one picture"), "{err}");
    let negative = TrainOptions {
        perturb: -0.1,
        ..options
    };
    let err = train(&negative, &out, &|_| {}).unwrap_err().to_string();
    assert!(err.contains("--perturb"), "{err}");
}

/// `backgrounds --first-seed` draws other seeds: the training pictures against themselves
/// score a diversity ratio of exactly 1, other seeds of them something else (the yardstick's
/// own noise), and the sheets differ.
#[test]
fn contact_sheet_first_seed_draws_other_seeds() {
    use std::process::Command;
    let course = crate::support::Course::new();
    let sheet = |name: &str, extra: &[&str]| {
        let path = course.root.join(name);
        let out = Command::new(env!("CARGO_BIN_EXE_lecturegen"))
            .args([
                "backgrounds",
                "--training",
                "--prompts",
                "red",
                "--seeds",
                "3",
            ])
            .arg("--root")
            .arg(&course.root)
            .arg("--sheet")
            .arg(&path)
            .args(extra)
            .output()
            .unwrap();
        crate::support::assert_success(&out);
        (path, String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (first, _) = sheet("first.png", &[]);
    let reference = first.to_str().unwrap();
    let (again, same) = sheet("again.png", &["--stats", reference]);
    let (other, others) = sheet("other.png", &["--first-seed", "3", "--stats", reference]);
    let ratio = |stats: &str| -> f64 {
        let row = stats.lines().find(|l| l.starts_with("red ")).unwrap();
        row.split_whitespace().nth(3).unwrap().parse().unwrap()
    };
    assert_eq!(ratio(&same), 1.0, "{same}");
    assert_ne!(ratio(&others), 1.0, "{others}");
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&again).unwrap()
    );
    assert_ne!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&other).unwrap()
    );
}
