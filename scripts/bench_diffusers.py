#!/usr/bin/env python3
"""The parts timed by `cargo bench --bench diffusion`, in PyTorch + diffusers, same sizes.

Random weights, CPU, f32, 512x512: OpenCLIP-H text encoder (77 tokens), one SD-Turbo UNet step,
the SD VAE decode. Not part of CI. Needs: pip install torch diffusers transformers
(the PyPI torch wheel is large). Each part runs in a child process so its peak RSS is its own.

Usage: scripts/bench_diffusers.py [CLIP_S UNET_S VAE_S]
With lecturegen's figures (the last line of `cargo bench --bench diffusion`, same machine, same
run of work) it prints the ratios, part by part and for a whole SD-Turbo picture.
"""
import resource
import subprocess
import sys
import time


def part(name):
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.set_grad_enabled(False)
    if name == "clip":
        model = CLIPTextModel(CLIPTextConfig(
            vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
            num_attention_heads=16, max_position_embeddings=77, hidden_act="gelu"))
        ids = torch.zeros((1, 77), dtype=torch.long)
        t = time.time()
        model(ids)
    elif name == "unet":
        model = UNet2DConditionModel(
            sample_size=64, cross_attention_dim=1024, attention_head_dim=[5, 10, 20, 20],
            use_linear_projection=True,
            block_out_channels=(320, 640, 1280, 1280))
        x = torch.zeros((1, 4, 64, 64))
        emb = torch.zeros((1, 77, 1024))
        t = time.time()
        model(x, 999, emb)
    else:
        model = AutoencoderKL(
            block_out_channels=(128, 256, 512, 512), layers_per_block=2, latent_channels=4,
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4)
        x = torch.zeros((1, 4, 64, 64))
        t = time.time()
        model.decode(x)
    took = time.time() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"RESULT {took:.3f} {peak:.2f}")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--part":
        part(sys.argv[2])
        return
    ours = [float(x) for x in sys.argv[1:4]] if len(sys.argv) >= 4 else None
    print(f"{'part':<22} {'time (s)':>9} {'peak RSS (GiB)':>15} {'ours/torch':>13}")
    total = 0.0
    for i, name in enumerate(["clip", "unet", "vae"]):
        out = subprocess.run([sys.executable, __file__, "--part", name], capture_output=True, text=True)
        line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
        if line is None:
            print(f"{name:<22} failed: {out.stderr.strip()[-300:]}")
            continue
        took, peak = line.split()[1:3]
        total += float(took)
        ratio = f"{ours[i] / float(took):.2f}x" if ours else "-"
        print(f"{name:<22} {took:>9} {peak:>15} {ratio:>13}")
    if ours:
        print(f"whole SD-Turbo picture: PyTorch {total:.2f} s, ours {sum(ours):.2f} s, "
              f"ours/torch {sum(ours) / total:.2f}x")


if __name__ == "__main__":
    main()
