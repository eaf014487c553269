//! The built-in model: its network's hand-written operations, its sampler, and the shipped
//! weights (the codec and training tests are the lab's, `lab/tests/lab.rs`).

use lecturegen::background::builtin::{self, Builtin};
use lecturegen::background::rng::Rng;
use lecturegen::background::Backend;
use lecturegen_testkit::request;

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
    let mut rng = Rng(seed);
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
    let mut rng = Rng(5);
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

/// The shipped model draws the same picture on every machine: compared with a picture
/// committed from the machine that trained it, within one level per channel (matrix kernels
/// differ between CPUs in the order they add). `LECTUREGEN_BLESS=1` rewrites it.
#[test]
fn shipped_model_draws_the_committed_picture() {
    let model = Builtin::shipped().unwrap();
    let path = crate::overlay::golden::golden_dir().join("builtin.png");
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
