//! The model lab: the latent codec at the training pictures' size, the training pictures and
//! their words, training end to end, contact sheets and their figures, and the shipped
//! weights measured with them.

use lecturegen::background::builtin::{self, codec, words, Builtin};
use lecturegen::background::rng::Rng;
use lecturegen::background::Backend;
use lecturegen_lab::{data, stats};
use lecturegen_testkit::{assert_success, request, Scratch};

/// Largest absolute difference between two tensors of the same shape.
fn max_diff(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    let d = (a - b).and_then(|d| d.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>());
    d.unwrap()
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
    let vocab = words::vocabulary();
    let mut rng = Rng(7);
    for _ in 0..50 {
        let s = data::sample(&mut rng);
        assert!(
            words::STYLES.contains(&vocab[s.words[0]]),
            "first word is the style"
        );
        assert!(s.lab.planes[0].iter().all(|v| v.is_finite()));
    }
    assert_eq!(
        words::words("Soft watercolor washes, TEAL and unknown-words!"),
        [
            vocab.iter().position(|w| *w == "calm").unwrap(),
            vocab.iter().position(|w| *w == "watercolour").unwrap(),
            vocab.iter().position(|w| *w == "teal").unwrap(),
        ]
    );
}

#[test]
fn fast_decode_is_within_two_levels_of_the_exact_series() {
    // A picture with hard edges (the worst case for interpolation), through the latent.
    let mut rng = Rng(3);
    let sample = loop {
        let s = data::sample(&mut rng);
        if words::vocabulary()[s.words[0]] == "geometric" {
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

#[test]
fn shipped_model_never_gives_two_seeds_the_same_picture() {
    let model = Builtin::shipped().unwrap();
    for prompt in stats::PROMPTS {
        let pictures: Vec<_> = (0..4)
            .map(|seed| model.generate(&request(prompt, seed, 64, 36)).unwrap())
            .collect();
        let d = stats::diversity(&pictures);
        assert!(d.closest > stats::COLLAPSED, "{prompt}: {d:?}");
    }
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
        .map(|i| codec::encode(&data::sample(&mut Rng(i)).lab, &tables))
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
    use lecturegen_lab::train::{train, TrainOptions};
    let course = Scratch::new();
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
    let course = Scratch::new();
    let sheet = |name: &str, extra: &[&str]| {
        let path = course.root.join(name);
        let out = Command::new(env!("CARGO_BIN_EXE_lecturegen-lab"))
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
        assert_success(&out);
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
