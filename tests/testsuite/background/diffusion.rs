//! The Stable Diffusion code path with tiny random weights written by the test in the diffusers
//! layout and loaded through the same code as real weights.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::clip::text_model::{
    Activation, ClipTextConfig, ClipTextTransformer,
};
use candle_transformers::models::stable_diffusion::unet_2d::{
    BlockConfig, UNet2DConditionModel, UNet2DConditionModelConfig,
};
use candle_transformers::models::stable_diffusion::vae::{AutoEncoderKL, AutoEncoderKLConfig};
use lecturegen::background::sd::cpu::unet::UNet;
use lecturegen::background::sd::cpu::vae::Decoder;
use lecturegen::background::sd::cpu::{clip, nhwc};
use lecturegen::background::sd::{
    self, Options, Prediction, StableDiffusion, TextEncoder, Variant,
};
use lecturegen::background::{Backend, BackgroundRequest};

use crate::support::Course;

fn tiny_variant() -> Variant {
    Variant {
        name: "tiny",
        repo: "lecturegen/tiny-test-model",
        size: (64, 32),
        steps: 2,
        guidance: 2.0,
        prediction: Prediction::Epsilon,
        clip: TextEncoder::Clip(ClipTextConfig {
            vocab_size: 64,
            embed_dim: 32,
            activation: Activation::QuickGelu,
            intermediate_size: 64,
            max_position_embeddings: 16,
            pad_with: None,
            num_hidden_layers: 1,
            num_attention_heads: 2,
            projection_dim: 32,
        }),
        clip2: None,
        unet: UNet2DConditionModelConfig {
            blocks: vec![
                BlockConfig {
                    out_channels: 32,
                    use_cross_attn: Some(1),
                    attention_head_dim: 2,
                },
                BlockConfig {
                    out_channels: 64,
                    use_cross_attn: None,
                    attention_head_dim: 2,
                },
            ],
            center_input_sample: false,
            cross_attention_dim: 32,
            downsample_padding: 1,
            flip_sin_to_cos: true,
            freq_shift: 0.,
            layers_per_block: 1,
            mid_block_scale_factor: 1.,
            norm_num_groups: 8,
            norm_eps: 1e-5,
            sliced_attention_size: None,
            use_linear_projection: true,
        },
        vae: AutoEncoderKLConfig {
            block_out_channels: vec![16, 32],
            layers_per_block: 1,
            latent_channels: 4,
            norm_num_groups: 8,
            use_quant_conv: true,
            use_post_quant_conv: true,
        },
        vae_scale: 0.18215,
        pad_with: None,
    }
}

/// Random weights for every model of `variant`, saved as diffusers would lay them out, and a
/// small CLIP-style vocabulary (letters, with and without the end-of-word mark).
fn write_tiny_model(dir: &Path, variant: &Variant) {
    let save = |part: &str, file: &str, build: &dyn Fn(VarBuilder)| {
        let map = VarMap::new();
        build(VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu));
        std::fs::create_dir_all(dir.join(part)).unwrap();
        map.save(dir.join(part).join(file)).unwrap();
    };
    let TextEncoder::Clip(clip) = &variant.clip else {
        panic!("the tiny model uses a CLIP text encoder")
    };
    save("text_encoder", "model.safetensors", &|vb| {
        ClipTextTransformer::new(vb.pp("text_model"), clip).unwrap();
    });
    if let Some(TextEncoder::Clip(clip2)) = &variant.clip2 {
        save("text_encoder_2", "model.safetensors", &|vb| {
            ClipTextTransformer::new(vb.pp("text_model"), clip2).unwrap();
        });
    }
    save("unet", "diffusion_pytorch_model.safetensors", &|vb| {
        UNet2DConditionModel::new(vb, 4, 4, false, variant.unet.clone()).unwrap();
    });
    save("vae", "diffusion_pytorch_model.safetensors", &|vb| {
        AutoEncoderKL::new(vb, 3, 3, variant.vae.clone()).unwrap();
    });
    let mut vocab = vec![
        ("<|startoftext|>".to_string(), 0),
        ("<|endoftext|>".to_string(), 1),
        ("!".to_string(), 2),
    ];
    for (i, c) in ('a'..='z').enumerate() {
        vocab.push((c.to_string(), 3 + 2 * i));
        vocab.push((format!("{c}</w>"), 4 + 2 * i));
    }
    let json = format!(
        "{{{}}}",
        vocab
            .iter()
            .map(|(t, i)| format!("\"{t}\": {i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let folders: &[&str] = if variant.clip2.is_some() {
        &["tokenizer", "tokenizer_2"]
    } else {
        &["tokenizer"]
    };
    for folder in folders {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        std::fs::write(dir.join(folder).join("vocab.json"), &json).unwrap();
        std::fs::write(dir.join(folder).join("merges.txt"), "#version: 0.2\n").unwrap();
    }
}

fn request(seed: u64) -> BackgroundRequest {
    BackgroundRequest {
        prompt: "red waves, dark".into(),
        negative_prompt: "text, letters".into(),
        seed,
        width: 96,
        height: 54,
        backdrop: None,
    }
}

#[test]
fn text_to_image_with_tiny_weights_is_seeded_and_tiled() {
    let course = Course::new();
    let dir = course.path("model");
    let variant = tiny_variant();
    write_tiny_model(&dir, &variant);
    let options = Options {
        steps: 2,
        guidance: 2.0,
        size: (64, 32),
        // Smaller than the latents, so the decode runs in several blended tiles.
        tile: Some(8),
    };
    let backend = StableDiffusion::new(variant, Some(&dir), options, Device::Cpu).unwrap();
    let a = backend.generate(&request(1)).unwrap();
    assert_eq!(a.dimensions(), (96, 54));
    let again = backend.generate(&request(1)).unwrap();
    assert_eq!(a, again, "same prompt and seed, same picture");
    let b = backend.generate(&request(2)).unwrap();
    assert_ne!(a, b, "another seed, another picture");
    assert!(backend.id().starts_with("tiny/"));
}

/// SDXL's layout: two text encoders whose hidden states are joined (32 + 48 = the UNet's 80).
#[test]
fn sdxl_layout_with_two_text_encoders_generates() {
    let course = Course::new();
    let dir = course.path("model-xl");
    let mut variant = tiny_variant();
    let TextEncoder::Clip(first) = &variant.clip else {
        unreachable!()
    };
    let second = ClipTextConfig {
        embed_dim: 48,
        projection_dim: 48,
        ..first.clone()
    };
    variant.clip2 = Some(TextEncoder::Clip(second));
    variant.unet.cross_attention_dim = 80;
    variant.name = "tiny-xl";
    write_tiny_model(&dir, &variant);
    let options = Options {
        steps: 1,
        guidance: 0.0,
        size: (64, 32),
        tile: None,
    };
    let backend = StableDiffusion::new(variant.clone(), Some(&dir), options, Device::Cpu).unwrap();
    let a = backend.generate(&request(3)).unwrap();
    assert_eq!(a.dimensions(), (96, 54));
    assert_eq!(a, backend.generate(&request(3)).unwrap());
    // Without the second encoder the set is incomplete, and the error says which part.
    std::fs::remove_dir_all(dir.join("text_encoder_2")).unwrap();
    let err = sd::locate(&variant, Some(&dir)).unwrap_err().to_string();
    assert!(
        err.contains("text_encoder_2/model.safetensors: missing"),
        "{err}"
    );
    assert!(err.contains("tokenizer_2/tokenizer.json"), "{err}");
    // The real SDXL variants exist with their defaults.
    let turbo = sd::variant("sdxl-turbo").unwrap();
    assert_eq!((turbo.steps, turbo.guidance), (1, 0.0));
    assert!(turbo.clip2.is_some());
    assert_eq!(sd::variant("sdxl").unwrap().unet.cross_attention_dim, 2048);
}

#[test]
fn missing_or_partial_weights_list_what_was_expected_and_where() {
    let course = Course::new();
    let dir = course.path("partial");
    std::fs::create_dir_all(dir.join("unet")).unwrap();
    std::fs::write(dir.join("unet/diffusion_pytorch_model.safetensors"), b"x").unwrap();
    let variant = sd::variant("sd-turbo").unwrap();
    let err = sd::locate(&variant, Some(&dir)).unwrap_err().to_string();
    assert!(
        err.contains("unet/diffusion_pytorch_model.safetensors: found"),
        "{err}"
    );
    assert!(
        err.contains("vae/diffusion_pytorch_model.safetensors: missing"),
        "{err}"
    );
    assert!(
        err.contains("text_encoder/model.safetensors: missing"),
        "{err}"
    );
    assert!(err.contains("tokenizer/tokenizer.json"), "{err}");
    assert!(err.contains(&dir.display().to_string()), "{err}");
}

#[test]
fn clip_tokenizer_is_built_from_vocab_and_merges() {
    let course = Course::new();
    let dir = course.path("tok");
    write_tiny_model_tokenizer_only(&dir);
    let tokenizer = sd::clip_tokenizer(&dir.join("vocab.json"), &dir.join("merges.txt")).unwrap();
    let ids = tokenizer
        .encode("Red  SKY", false)
        .unwrap()
        .get_ids()
        .to_vec();
    // r e d</w> s k y</w>, lower-cased, spaces folded.
    let id = |t: &str| tokenizer.token_to_id(t).unwrap();
    assert_eq!(
        ids,
        [id("r"), id("e"), id("d</w>"), id("s"), id("k"), id("y</w>")]
    );
}

fn write_tiny_model_tokenizer_only(dir: &Path) {
    let mut entries = vec![
        "\"<|startoftext|>\": 0".to_string(),
        "\"<|endoftext|>\": 1".into(),
    ];
    for (i, c) in ('a'..='z').enumerate() {
        entries.push(format!("\"{c}\": {}", 2 + 2 * i));
        entries.push(format!("\"{c}</w>\": {}", 3 + 2 * i));
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("vocab.json"),
        format!("{{{}}}", entries.join(", ")),
    )
    .unwrap();
    std::fs::write(dir.join("merges.txt"), "#version: 0.2\n").unwrap();
}

/// Our CPU VAE decoder computes what candle-transformers' `AutoEncoderKL::decode` does, on the
/// same weights: resnets with and without a shortcut, the mid attention, the upsample, odd sizes.
#[test]
fn our_vae_decoder_matches_candles() {
    let variant = tiny_variant();
    let map = VarMap::new();
    let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
    let reference = AutoEncoderKL::new(vb.clone(), 3, 3, variant.vae.clone()).unwrap();
    randomise_norms(&map);
    let ours = Decoder::load(vb, &variant.vae).unwrap();
    let latents = Tensor::randn(0f32, 1.0, (1, 4, 9, 13), &Device::Cpu).unwrap();
    let want = reference.decode(&latents).unwrap();
    let got = ours.decode(&latents).unwrap();
    assert_eq!(got.dims(), [1, 3, 18, 26]);
    let (diff, scale) = max_difference(&got, &want);
    assert!(scale > 0.1, "the reference output is not trivial: {scale}");
    assert!(
        diff <= 1e-4 * scale,
        "max difference {diff} against {scale}"
    );
}

/// Sets every norm's scale and shift in `map` to random values (they start as the identity).
fn randomise_norms(map: &VarMap) {
    for (name, var) in map.data().lock().unwrap().iter() {
        if name.contains("norm") {
            let noise = Tensor::randn(0f32, 0.3, var.shape(), &Device::Cpu).unwrap();
            let value = if name.ends_with("weight") {
                (noise + 1.0).unwrap()
            } else {
                noise
            };
            var.set(&value).unwrap();
        }
    }
}

/// The largest difference between `got` and `want`, and the largest magnitude in `want`.
fn max_difference(got: &Tensor, want: &Tensor) -> (f32, f32) {
    assert_eq!(got.dims(), want.dims());
    let max = |t: Tensor| {
        t.abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    };
    (max((got - want).unwrap()), max(want.clone()))
}

/// Our CPU UNet computes what candle-transformers' `UNet2DConditionModel` does on the same
/// weights: two prompts in a batch, cross-attention, a downsample and an upsample back to an
/// odd size, both projection layouts.
#[test]
fn our_unet_matches_candles() {
    for linear in [true, false] {
        let mut config = tiny_variant().unet;
        config.use_linear_projection = linear;
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let reference = UNet2DConditionModel::new(vb.clone(), 4, 4, false, config.clone()).unwrap();
        randomise_norms(&map);
        let ours = UNet::load(vb, 4, &config).unwrap();
        let latents = Tensor::randn(0f32, 1.0, (2, 4, 5, 7), &Device::Cpu).unwrap();
        let context = Tensor::randn(0f32, 1.0, (2, 6, 32), &Device::Cpu).unwrap();
        let want = reference.forward(&latents, 321.0, &context).unwrap();
        let got = ours.forward(&latents, 321.0, &context).unwrap();
        let (diff, scale) = max_difference(&got, &want);
        assert!(scale > 0.1, "the reference output is not trivial: {scale}");
        assert!(
            diff <= 1e-4 * scale,
            "linear {linear}: max difference {diff} against {scale}"
        );
    }
}

/// Our CPU text encoder computes what candle-transformers' CLIP does on the same weights
/// (causal attention, quick GELU, final layer norm), and our GELU is candle's.
#[test]
fn our_text_encoder_matches_candles() {
    let TextEncoder::Clip(config) = tiny_variant().clip else {
        unreachable!()
    };
    let map = VarMap::new();
    let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
    let reference = ClipTextTransformer::new(vb.pp("text_model"), &config).unwrap();
    randomise_norms(&map);
    let ours = clip::TextEncoder::load(vb.pp("text_model"), clip::Shape::of(&config)).unwrap();
    let ids: Vec<u32> = (0..config.max_position_embeddings as u32)
        .map(|i| (i * 7 + 3) % config.vocab_size as u32)
        .collect();
    let want = reference
        .forward_with_mask(
            &Tensor::new(ids.as_slice(), &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap(),
            usize::MAX,
        )
        .unwrap();
    let got = ours.forward(&ids).unwrap();
    let (diff, scale) = max_difference(&got, &want);
    assert!(scale > 0.1, "the reference output is not trivial: {scale}");
    assert!(
        diff <= 1e-4 * scale,
        "max difference {diff} against {scale}"
    );

    let x = Tensor::randn(0f32, 3.0, 1000, &Device::Cpu).unwrap();
    let want = x.gelu().unwrap();
    let got: Vec<f32> = x
        .to_vec1::<f32>()
        .unwrap()
        .into_iter()
        .map(nhwc::gelu)
        .collect();
    let (diff, _) = max_difference(&Tensor::new(got.as_slice(), &Device::Cpu).unwrap(), &want);
    assert!(diff < 1e-5, "gelu differs by {diff}");
}

/// The vectorisable exp is within a few units in the last place of libm's over the range
/// the models use.
#[test]
fn fast_exp_is_accurate() {
    let mut worst = 0f32;
    for i in -8700..=8800 {
        let x = i as f32 / 100.0;
        let (got, want) = (nhwc::exp(x), x.exp());
        worst = worst.max((got - want).abs() / want);
    }
    eprintln!("worst relative error {worst:e}");
    assert!(worst < 5e-7, "worst relative error {worst:e}");
}
