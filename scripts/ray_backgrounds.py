#!/usr/bin/env python3
"""Bulk backgrounds on a Ray cluster: an example job for `lecturegen prompts` / `cache import`.

    lecturegen prompts --json > prompts.json
    python scripts/ray_backgrounds.py prompts.json made/ --model stabilityai/sd-turbo \
        --workers 8 --gpus-per-worker 1
    lecturegen cache import made/

Ray Data spreads the prompts over the workers; each worker loads one diffusers pipeline once
(a class in `map_batches`) and makes its batches with the seed lecturegen asked for, so the
pictures are reproducible. Each picture is written as KEY.png; `cache import` checks it, scales
it to the frame and files it under that key. Needs `pip install "ray[data]" diffusers torch`.
"""

import argparse
import io
import json
import os


def generation_size(width, height, long_side):
    """The frame's shape with its long side at `long_side`, in multiples of 64."""
    scale = long_side / max(width, height)
    return (max(64, round(width * scale / 64) * 64), max(64, round(height * scale / 64) * 64))


class Painter:
    """One diffusers pipeline per worker, kept for every batch it is given."""

    def __init__(self, model, steps, guidance, long_side):
        import torch
        from diffusers import AutoPipelineForText2Image

        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.float16 if self.device == "cuda" else torch.float32
        self.pipe = AutoPipelineForText2Image.from_pretrained(model, torch_dtype=dtype)
        self.pipe = self.pipe.to(self.device)
        self.pipe.set_progress_bar_config(disable=True)
        self.steps, self.guidance, self.long_side = steps, guidance, long_side

    def __call__(self, batch):
        pngs = []
        for prompt, negative, seed, width, height in zip(
            batch["prompt"], batch["negative_prompt"], batch["seed"], batch["width"], batch["height"]
        ):
            w, h = generation_size(int(width), int(height), self.long_side)
            generator = self.torch.Generator(device=self.device).manual_seed(int(seed) % 2**32)
            image = self.pipe(
                prompt=str(prompt),
                negative_prompt=str(negative) if self.guidance > 1 else None,
                num_inference_steps=self.steps,
                guidance_scale=self.guidance,
                width=w,
                height=h,
                generator=generator,
            ).images[0]
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            pngs.append(buffer.getvalue())
        return {"key": list(batch["key"]), "png": pngs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompts", help="the output of `lecturegen prompts --json`")
    parser.add_argument("out", help="folder for KEY.png files (for `lecturegen cache import`)")
    parser.add_argument("--model", default="stabilityai/sd-turbo", help="diffusers model id or folder")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--guidance", type=float, default=0.0)
    parser.add_argument("--long-side", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=1, help="pipelines running at once")
    parser.add_argument("--gpus-per-worker", type=float, default=0)
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()

    import ray

    with open(args.prompts, encoding="utf-8") as f:
        prompts = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    todo = [p for p in prompts if not os.path.exists(os.path.join(args.out, p["key"] + ".png"))]
    print(f"{len(todo)} of {len(prompts)} backgrounds to make")
    if not todo:
        return
    ray.init(ignore_reinit_error=True)
    rows = [
        {k: p[k] for k in ("key", "prompt", "negative_prompt", "seed", "width", "height")}
        for p in todo
    ]
    made = ray.data.from_items(rows).map_batches(
        Painter,
        fn_constructor_kwargs={
            "model": args.model,
            "steps": args.steps,
            "guidance": args.guidance,
            "long_side": args.long_side,
        },
        concurrency=args.workers,
        num_gpus=args.gpus_per_worker,
        batch_size=args.batch_size,
    )
    count = 0
    for row in made.iter_rows():
        path = os.path.join(args.out, row["key"] + ".png")
        with open(path + ".tmp", "wb") as f:
            f.write(row["png"])
        os.replace(path + ".tmp", path)
        count += 1
    print(f"wrote {count} pictures to {args.out}; now: lecturegen cache import {args.out}")


if __name__ == "__main__":
    main()
