//! Stable Diffusion parts at their real sizes, with random weights: the SD-Turbo / SD 2.1 text
//! encoder, one UNet step and the VAE decode at 512x512, in candle-transformers' models and in
//! ours (which read the same weights), then the sum for a whole SD-Turbo picture. Each part
//! runs in a child process of its own so its peak memory can be read.
//!
//! `cargo bench --bench diffusion` prints seconds and peak RSS per part; `-- --xl` adds the
//! 1024x1024 parts (SDXL UNet step, VAE decode in tiles), to show what 1024 px needs.
//! `scripts/bench_diffusers.py` runs the same parts in PyTorch + diffusers for the ratio.
//!
//! First, the built-in model: one whole 1920x1080 background (its default sampler, decode,
//! dither), its sampling alone, and as the anchor the `none` backend's gradient at the
//! same size (median of 5 each); `-- --builtin` stops there.

use std::process::Command;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::stable_diffusion::clip as sd_clip;
use candle_transformers::models::stable_diffusion::unet_2d::UNet2DConditionModel;
use candle_transformers::models::stable_diffusion::vae::AutoEncoderKL;
use lecturegen::background::sd;
use lecturegen::background::sd::cpu::clip;
use lecturegen::background::sd::cpu::unet::UNet;
use lecturegen::background::sd::cpu::vae::Decoder;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--part") {
        let part = args.get(pos + 1).map(String::as_str).unwrap_or("");
        let tile: usize = args.get(pos + 2).and_then(|t| t.parse().ok()).unwrap_or(64);
        let seconds = run_part(part, tile);
        println!("RESULT {seconds:.3} {:.2}", peak_rss_gib());
        return;
    }
    let exe = &args[0];
    builtin_figures();
    if args.iter().any(|a| a == "--builtin") {
        return;
    }
    println!("CPU, f32, random weights, 512x512 (SD-Turbo / SD 2.1 sizes): candle-transformers'");
    println!(
        "models against ours (src/background/sd/cpu/{{clip,unet,vae,nhwc}}.rs), which the backend uses"
    );
    println!("{:<40} {:>9} {:>14}", "part", "time (s)", "peak RSS (GiB)");
    let mut parts: Vec<(&str, usize, &str)> = vec![
        ("clip", 0, "candle: text encoder (OpenCLIP-H)"),
        ("clip-ours", 0, "ours:   text encoder"),
        ("unet", 0, "candle: UNet, one step"),
        ("unet-ours", 0, "ours:   UNet, one step"),
        ("vae", 16, "candle: VAE decode, tiles of 16"),
        ("vae-ours", 64, "ours:   VAE decode, whole picture"),
        ("vae-ours", 16, "ours:   VAE decode, tiles of 16"),
    ];
    if args.iter().any(|a| a == "--xl") {
        parts.extend([
            ("unet-xl", 0, "candle: SDXL UNet, one step, 1024x1024"),
            ("vae-1024", 16, "candle: VAE decode 1024x1024, tiles of 16"),
            ("vae-ours-1024", 128, "ours:   VAE decode 1024x1024, whole"),
        ]);
    }
    let mut seconds = std::collections::HashMap::new();
    for (part, tile, label) in &parts {
        let out = Command::new(exe)
            .args(["--part", part, &tile.to_string()])
            .output()
            .expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        match text.lines().find_map(|l| l.strip_prefix("RESULT ")) {
            Some(r) => {
                let mut it = r.split_whitespace();
                let (t, m) = (it.next().unwrap_or("?"), it.next().unwrap_or("?"));
                println!("{label:<40} {t:>9} {m:>14}");
                seconds.insert((*part, *tile), t.parse::<f64>().unwrap_or(f64::NAN));
            }
            None => println!(
                "{label:<40} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
    // One SD-Turbo picture is one text encoding, one UNet step and one decode.
    let whole = |parts: [(&str, usize); 3]| -> f64 {
        parts
            .iter()
            .map(|p| seconds.get(p).copied().unwrap_or(f64::NAN))
            .sum()
    };
    let candle = whole([("clip", 0), ("unet", 0), ("vae", 16)]);
    let ours = whole([("clip-ours", 0), ("unet-ours", 0), ("vae-ours", 64)]);
    println!(
        "whole SD-Turbo picture: candle {candle:.2} s, ours {ours:.2} s ({:.1}x faster)",
        candle / ours
    );
    println!(
        "PyTorch on the same parts: scripts/bench_diffusers.py {:.3} {:.3} {:.3}",
        seconds.get(&("clip-ours", 0)).copied().unwrap_or(f64::NAN),
        seconds.get(&("unet-ours", 0)).copied().unwrap_or(f64::NAN),
        seconds.get(&("vae-ours", 64)).copied().unwrap_or(f64::NAN)
    );
}

fn run_part(part: &str, tile: usize) -> f64 {
    let device = Device::Cpu;
    let Some(variant) = sd::variant("sd-turbo") else {
        return f64::NAN;
    };
    let map = VarMap::new();
    let vb = VarBuilder::from_varmap(&map, DType::F32, &device);
    match part {
        "clip" | "clip-ours" => {
            // candle's initialisation of the weights, which ours then reads.
            let model = sd_clip::ClipTextTransformer::new(vb.clone(), &sd_clip::Config::v2_1())
                .expect("clip");
            let ids = Tensor::zeros((1, 77), DType::U32, &device).expect("ids");
            if part == "clip-ours" {
                drop(model);
                let ours = clip::TextEncoder::load(vb.pp("text_model"), clip::Shape::open_clip_h())
                    .expect("clip");
                let _kept = lecturegen::background::kernels::keep_freed_memory();
                let t = Instant::now();
                ours.forward(&[0; 77]).expect("forward");
                return t.elapsed().as_secs_f64();
            }
            let t = Instant::now();
            model.forward_with_mask(&ids, usize::MAX).expect("forward");
            t.elapsed().as_secs_f64()
        }
        "unet" | "unet-ours" => {
            // candle's initialisation of the weights, which ours then reads.
            let unet = UNet2DConditionModel::new(vb.clone(), 4, 4, false, variant.unet.clone())
                .expect("unet");
            let x = Tensor::randn(0f32, 1f32, (1, 4, 64, 64), &device).expect("x");
            let emb = Tensor::randn(0f32, 1f32, (1, 77, 1024), &device).expect("emb");
            if part == "unet-ours" {
                drop(unet);
                let ours = UNet::load(vb, 4, &variant.unet).expect("unet");
                let _kept = lecturegen::background::kernels::keep_freed_memory();
                let t = Instant::now();
                ours.forward(&x, 999.0, &emb).expect("forward");
                return t.elapsed().as_secs_f64();
            }
            let t = Instant::now();
            unet.forward(&x, 999.0, &emb).expect("forward");
            t.elapsed().as_secs_f64()
        }
        "unet-xl" => {
            let Some(xl) = sd::variant("sdxl") else {
                return f64::NAN;
            };
            let unet = UNet2DConditionModel::new(vb, 4, 4, false, xl.unet.clone()).expect("unet");
            let x = Tensor::zeros((1, 4, 128, 128), DType::F32, &device).expect("x");
            let emb = Tensor::zeros((1, 77, 2048), DType::F32, &device).expect("emb");
            let t = Instant::now();
            unet.forward(&x, 999.0, &emb).expect("forward");
            t.elapsed().as_secs_f64()
        }
        "vae" | "vae-1024" | "vae-ours" | "vae-ours-1024" => {
            // candle's initialisation of the weights, which ours then reads.
            let vae = AutoEncoderKL::new(vb.clone(), 3, 3, variant.vae.clone()).expect("vae");
            let side = if part.ends_with("1024") { 128 } else { 64 };
            let x = Tensor::randn(0f32, 1f32, (1, 4, side, side), &device).expect("x");
            if part.starts_with("vae-ours") {
                drop(vae);
                let ours = Decoder::load(vb, &variant.vae).expect("vae");
                let _kept = lecturegen::background::kernels::keep_freed_memory();
                let t = Instant::now();
                sd::decode_tiled(&|p| ours.decode(p), &x, 8, tile).expect("decode");
                return t.elapsed().as_secs_f64();
            }
            let t = Instant::now();
            sd::decode_tiled(&|p| Ok(vae.decode(p)?), &x, 8, tile).expect("decode");
            t.elapsed().as_secs_f64()
        }
        _ => f64::NAN,
    }
}

/// The built-in model against the `none` backend, at 1920x1080.
fn builtin_figures() {
    // As `lecturegen` itself runs (main.rs).
    let _memory = lecturegen::background::kernels::keep_freed_memory();
    use lecturegen::background::builtin::Builtin;
    use lecturegen::background::{Backend, BackgroundRequest, Gradient};
    use lecturegen::color::Rgb;
    let median = |f: &dyn Fn(u64)| {
        let mut v: Vec<f64> = (0..5)
            .map(|seed| {
                let t = Instant::now();
                f(seed);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v[2]
    };
    let request = |seed| BackgroundRequest {
        prompt: "bokeh teal dark".into(),
        negative_prompt: String::new(),
        seed,
        width: 1920,
        height: 1080,
        backdrop: None,
    };
    let model = Builtin::shipped().expect("built-in weights");
    let gradient = Gradient {
        start: Rgb([20, 30, 60]),
        end: Rgb([10, 15, 30]),
        accent: Rgb([60, 160, 220]),
    };
    let whole = median(&|seed| {
        model.generate(&request(seed)).expect("builtin");
    });
    let sampling = median(&|seed| {
        model
            .latent("bokeh teal dark", seed, &|_, _| {})
            .expect("latent");
    });
    let latent = model
        .latent("bokeh teal dark", 0, &|_, _| {})
        .expect("latent");
    let decode = median(&|_| {
        lecturegen::background::builtin::decode_rgb(&latent, 1920, 1080);
    });
    let anchor = median(&|seed| {
        gradient.generate(&request(seed)).expect("gradient");
    });
    let earlier = Builtin::shipped().expect("built-in weights").with_sampler(
        lecturegen::background::builtin::Sampler {
            steps: 30,
            guidance: 1.5,
            order: 1,
            exposure: 1.0,
            ..Default::default()
        },
    );
    let before = median(&|seed| {
        earlier.generate(&request(seed)).expect("builtin");
    });
    let sampler = lecturegen::background::builtin::Sampler::default();
    println!("built-in model, 1920x1080, median of 5 (anchor: the `none` gradient)");
    println!(
        "  whole background   {whole:>8.0} ms  {:>6.1}x anchor",
        whole / anchor
    );
    println!(
        "  sampling           {sampling:>8.0} ms  ({} steps, order {}, guidance {})",
        sampler.steps, sampler.order, sampler.guidance
    );
    println!("  decode + dither    {decode:>8.0} ms");
    println!(
        "  whole, 30 DDIM steps with guidance 1.5 (the earlier sampler) {before:.0} ms  {:.1}x anchor",
        before / anchor
    );
    println!("  none gradient      {anchor:>8.0} ms  (anchor)");
    println!();
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_gib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0 / 1024.0)
}
