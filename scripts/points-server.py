#!/usr/bin/env python3
"""A real OpenAI-compatible chat-completions server with a tiny local model.

Used to check that lecturegen's "points from a remote text model" feature
works against a real inference engine (llama.cpp, through the
llama-cpp-python server from PyPI), not only against a mock.

Nothing is downloaded except PyPI packages: the model is a tiny llama-
architecture GGUF with deterministic random weights (fixed seed) and a
byte-level BPE tokenizer, written by this script with the `gguf` package.
Its text is gibberish, which is expected.

    python3 scripts/points-server.py serve --port 8765 --dir /tmp/points-server
    python3 scripts/points-server.py serve --port 8765 --background
    python3 scripts/points-server.py check --port 8765
    python3 scripts/points-server.py stop  --dir /tmp/points-server
    python3 scripts/points-server.py lecture --port 8765 [--bin target/release/lecturegen]

`lecture` builds a lecture of prose whose points the running server writes
(`[points.remote]`), and checks that every point came from the model (not
from the text) and that the lecture's video was made.

`serve` makes (or reuses) a venv under --dir, pip-installs llama-cpp-python
(an sdist: compiling llama.cpp takes about 6-7 minutes on one core the first
time; pip caches the built wheel afterwards), writes the model, starts the
server on 127.0.0.1:PORT and waits until GET /v1/models answers.

The model is shaped so that it never emits its end-of-sequence token or a
non-printable byte: a chat completion always produces exactly max_tokens
printable-ASCII tokens (finish_reason "length"), so content is never empty.
The server accepts any "model" string (it falls back to its only model);
the name it reports in /v1/models is MODEL_NAME below.

Only the standard library is used outside the venv; this script runs with
the system python3 (3.11).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

MODEL_NAME = "points-tiny"
MODEL_FILE = "points-tiny.gguf"
DEFAULT_DIR = "/tmp/points-server"
DEFAULT_PORT = 8765
HOST = "127.0.0.1"

PACKAGES = ["llama-cpp-python[server]==0.3.36", "gguf==0.19.0"]
# Compile llama.cpp on one core, portable (no -march=native), CPU only,
# without the multimodal library and OpenSSL, which the server does not need.
CMAKE_ARGS = "-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DLLAMA_OPENSSL=OFF"

SEED = 20240611
# Context the server allocates (the model itself declares 8192).  Prompts
# take about one token per byte.  A request without max_tokens generates
# until the context is full, since this model never ends on its own:
# about 10 s at 4096, so always send max_tokens.
N_CTX = 4096


def log(msg: str) -> None:
    print(f"[points-server] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# venv and packages


def venv_python(base: Path) -> Path:
    return base / "venv" / "bin" / "python"


def packages_ok(py: Path) -> bool:
    if not py.exists():
        return False
    code = (
        "import importlib.metadata as m, llama_cpp.server.app, gguf, uvicorn\n"
        "assert m.version('llama_cpp_python') == '0.3.36', m.version('llama_cpp_python')\n"
        "assert m.version('gguf') == '0.19.0'\n"
    )
    r = subprocess.run([str(py), "-c", code], capture_output=True)
    return r.returncode == 0


def ensure_venv(base: Path) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    py = venv_python(base)
    if packages_ok(py):
        return py
    if not py.exists():
        log(f"creating venv in {base / 'venv'}")
        subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True)
    env = dict(os.environ)
    env.update(
        CMAKE_BUILD_PARALLEL_LEVEL="1",
        MAKEFLAGS="-j1",
        CMAKE_ARGS=CMAKE_ARGS,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    log("pip install " + " ".join(PACKAGES) + " (first build of llama.cpp: ~7 min on one core)")
    t0 = time.monotonic()
    # pip's output goes to stderr: stdout carries only the server URL.
    subprocess.run([str(py), "-m", "pip", "install", *PACKAGES], check=True, env=env,
                   stdout=sys.stderr)
    log(f"pip install took {time.monotonic() - t0:.0f}s")
    if not packages_ok(py):
        sys.exit("packages installed but llama_cpp.server / gguf do not import")
    return py


# --------------------------------------------------------------------------
# the tiny model (runs inside the venv: needs numpy and gguf)


def write_model(out: Path) -> None:
    import numpy as np
    from gguf import GGUFWriter, TokenType
    from gguf.vocab import bytes_to_unicode

    rng = np.random.default_rng(SEED)
    n_embd, n_head, n_layer, n_ff = 64, 4, 2, 128

    # Byte-level BPE ("gpt2") vocabulary: the 256 byte symbols, so any input
    # text tokenizes, a few merges (llama.cpp requires the merges key), and
    # the special tokens.
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)]
    types = [TokenType.NORMAL] * 256
    merges = ["Ġ t", "h e", "Ġt he", "Ġ a", "Ġ p", "o i", "Ġp oi", "n t", "Ġpoi nt"]
    for m in merges:
        tokens.append(m.replace(" ", ""))
        types.append(TokenType.NORMAL)
    bos, eos = len(tokens), len(tokens) + 1
    tokens += ["<s>", "</s>"]
    types += [TokenType.CONTROL, TokenType.CONTROL]
    n_vocab = len(tokens)

    # Tokens the model may emit: printable ASCII, space and the merged words.
    allowed = np.zeros(n_vocab, dtype=bool)
    for b in range(0x20, 0x7F):
        allowed[b] = True
    allowed[256 : 256 + len(merges)] = True

    def normal(shape, scale):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    # Hidden dimension 0 is a constant "bias" channel: every embedding has 6.0
    # there and no layer writes to it, so after the final RMS norm it is a
    # large positive constant; output row entries on it push the logits of
    # the end-of-sequence token and non-printable bytes far down.  That makes
    # every completion exactly max_tokens printable tokens long.
    tensors: dict[str, np.ndarray] = {}
    emb = normal((n_vocab, n_embd), 1.0)
    emb[:, 0] = 6.0
    tensors["token_embd.weight"] = emb
    for i in range(n_layer):
        p = f"blk.{i}."
        tensors[p + "attn_norm.weight"] = np.ones(n_embd, dtype=np.float32)
        tensors[p + "attn_q.weight"] = normal((n_embd, n_embd), n_embd**-0.5)
        tensors[p + "attn_k.weight"] = normal((n_embd, n_embd), n_embd**-0.5)
        tensors[p + "attn_v.weight"] = normal((n_embd, n_embd), n_embd**-0.5)
        wo = normal((n_embd, n_embd), n_embd**-0.5)
        wo[0, :] = 0.0
        tensors[p + "attn_output.weight"] = wo
        tensors[p + "ffn_norm.weight"] = np.ones(n_embd, dtype=np.float32)
        tensors[p + "ffn_gate.weight"] = normal((n_ff, n_embd), n_embd**-0.5)
        tensors[p + "ffn_up.weight"] = normal((n_ff, n_embd), n_embd**-0.5)
        wd = normal((n_embd, n_ff), n_ff**-0.5)
        wd[0, :] = 0.0
        tensors[p + "ffn_down.weight"] = wd
    tensors["output_norm.weight"] = np.ones(n_embd, dtype=np.float32)
    out_w = normal((n_vocab, n_embd), 1.0)
    out_w[:, 0] = np.where(allowed, 0.0, -8.0)
    tensors["output.weight"] = out_w

    tmp = out.with_name(out.name + ".tmp")
    w = GGUFWriter(str(tmp), "llama")
    w.add_name(MODEL_NAME)
    w.add_context_length(8192)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_vocab_size(n_vocab)
    w.add_file_type(0)  # all F32
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(True)
    w.add_chat_template(
        "{% for message in messages %}"
        "<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
        "{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
    )
    for name, arr in tensors.items():
        w.add_tensor(name, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if out.exists() and out.read_bytes() == tmp.read_bytes():
        tmp.unlink()
    else:
        os.replace(tmp, out)


# --------------------------------------------------------------------------
# HTTP helpers (stdlib only)


def http_json(url: str, body: dict | None = None, timeout: float = 30.0) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def models_ready(port: int) -> dict | None:
    try:
        return http_json(f"http://{HOST}:{port}/v1/models", timeout=2.0)
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------
# commands


def cmd_serve(args: argparse.Namespace) -> int:
    base = Path(args.dir).resolve()
    pidfile = base / "server.pid"
    if pidfile.exists():
        try:
            old = int(pidfile.read_text().split()[0])
        except (ValueError, IndexError):
            old = 0
        if old and pid_alive(old) and models_ready(args.port):
            log(f"already running (pid {old}) on port {args.port}")
            return 0
        pidfile.unlink()
    if models_ready(args.port):
        sys.exit(f"something already answers on {HOST}:{args.port}")

    py = ensure_venv(base)
    model = base / MODEL_FILE
    subprocess.run([str(py), os.path.abspath(__file__), "write-model", "--out", str(model)], check=True)
    log(f"model {model} ({model.stat().st_size} bytes)")

    cmd = [
        str(py), "-m", "llama_cpp.server",
        "--model", str(model),
        "--model_alias", MODEL_NAME,
        "--host", HOST,
        "--port", str(args.port),
        "--n_ctx", str(args.n_ctx),
        "--n_threads", "1",
        "--n_threads_batch", "1",
        "--seed", "0",
        "--verbose", "false",
    ]
    if args.background:
        logf = open(base / "server.log", "ab")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                start_new_session=True)
    else:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    pidfile.write_text(f"{proc.pid} {args.port}\n")

    deadline = time.monotonic() + args.timeout
    while models_ready(args.port) is None:
        if proc.poll() is not None:
            pidfile.unlink(missing_ok=True)
            where = f" (see {base / 'server.log'})" if args.background else ""
            sys.exit(f"server exited with {proc.returncode} before answering{where}")
        if time.monotonic() > deadline:
            proc.terminate()
            pidfile.unlink(missing_ok=True)
            sys.exit(f"server did not answer /v1/models within {args.timeout}s")
        time.sleep(0.2)
    log(f"ready: http://{HOST}:{args.port}/v1 model={MODEL_NAME} pid={proc.pid}")
    print(f"http://{HOST}:{args.port}/v1", flush=True)
    if args.background:
        return 0

    def forward(sig, _frame):
        proc.send_signal(sig)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        return proc.wait()
    finally:
        pidfile.unlink(missing_ok=True)


def cmd_stop(args: argparse.Namespace) -> int:
    pidfile = Path(args.dir) / "server.pid"
    if not pidfile.exists():
        log("no pid file: not running")
        return 0
    pid = int(pidfile.read_text().split()[0])
    if pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not pid_alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    log(f"stopped pid {pid}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    base = f"http://{HOST}:{args.port}/v1"
    models = models_ready(args.port)
    if not models:
        print(f"no server answering {base}/models", file=sys.stderr)
        return 1
    name = models["data"][0]["id"]
    body = {
        "model": name,
        "messages": [
            {"role": "system", "content": "You turn lecture paragraphs into short slide points."},
            {"role": "user", "content": "Write one short point for this paragraph: "
             "Binary search halves the search interval at each step, so it finds an "
             "item in a sorted array of n items in O(log n) comparisons."},
        ],
        "max_tokens": args.max_tokens,
        "temperature": 0,
    }
    t0 = time.monotonic()
    try:
        answer = http_json(f"{base}/chat/completions", body, timeout=60.0)
    except urllib.error.HTTPError as e:
        print(f"HTTP {e.code}: {e.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    took = time.monotonic() - t0
    print(json.dumps(answer, indent=2))
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        content = None
    if not isinstance(content, str):
        print("FAIL: no choices[0].message.content string", file=sys.stderr)
        return 1
    print(f"OK: model={name!r} content={content!r} ({took:.3f}s)", file=sys.stderr)
    return 0


LECTURE = """---
title: Searching
---

# Binary search

Binary search halves the search interval at each step, so it finds an item in
a sorted array of n items in a number of comparisons that grows with log n.

It only works on sorted data: on an unsorted array the halves it throws away
may hold the item, and the search ends without finding it.

# Hash tables

A hash table turns each key into an index with a hash function, so a lookup
costs about the same whatever the number of keys it holds, on average.
"""


def run_points(binary: Path, course: Path) -> tuple[list[dict], str]:
    done = subprocess.run([str(binary), "points", "--json"], cwd=course,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"lecturegen points failed: {done.stderr}")
    listed = json.loads(done.stdout)
    points = [p for s in listed[0]["slides"] for p in s["points"]]
    return points, done.stderr


def cmd_lecture(args: argparse.Namespace) -> int:
    import tempfile
    binary = Path(args.bin).resolve()
    models = models_ready(args.port)
    if not models:
        print(f"no server answering on port {args.port}: run `serve` first", file=sys.stderr)
        return 1
    name = models["data"][0]["id"]
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        (course / "content").mkdir()
        (course / "content" / "search.md").write_text(LECTURE)
        base = ('[build]\nbackend = "none"\n[narration]\nvoice = "none"\n'
                '[video]\nwidth = 640\nheight = 360\n[fonts]\nsystem = false\n')
        (course / "lecturegen.toml").write_text(base)
        made, _ = run_points(binary, course)
        (course / "lecturegen.toml").write_text(
            base + f'[points.remote]\nurl = "http://{HOST}:{args.port}"\nmodel = "{name}"\n'
                   'max_tokens = 12\nretries = 0\n')
        t0 = time.monotonic()
        written, stderr = run_points(binary, course)
        took = time.monotonic() - t0
        for before, after in zip(made, written):
            print(f"  text: {before['point']!r}\n  model: {after['point']!r}")
        if "text model" in stderr or len(written) != len(made) or any(
                a["point"] == b["point"] for a, b in zip(made, written)):
            print(f"FAIL: the points are not the model's\n{stderr}", file=sys.stderr)
            return 1
        build = subprocess.run([str(binary), "build", "--quiet"], cwd=course,
                               capture_output=True, text=True, timeout=600)
        video = course / "output" / "search" / "lecture.mp4"
        if build.returncode != 0 or not video.exists():
            print(f"FAIL: the build did not make the video\n{build.stderr}", file=sys.stderr)
            return 1
        print(f"OK: {len(written)} points written by {name!r} in {took:.2f} s; "
              f"{video.stat().st_size} byte video", file=sys.stderr)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="install (once), write the model, run the server")
    s.add_argument("--port", type=int, default=DEFAULT_PORT)
    s.add_argument("--dir", default=DEFAULT_DIR)
    s.add_argument("--background", action="store_true",
                   help="detach; pid in DIR/server.pid, output in DIR/server.log")
    s.add_argument("--n-ctx", type=int, default=N_CTX,
                   help="context tokens (prompt + completion; ~1 token per byte of text)")
    s.add_argument("--timeout", type=float, default=120.0,
                   help="seconds to wait for /v1/models after starting")
    c = sub.add_parser("check", help="one chat completion against a running server")
    c.add_argument("--port", type=int, default=DEFAULT_PORT)
    c.add_argument("--max-tokens", type=int, default=16)
    t = sub.add_parser("stop", help="stop a --background server")
    t.add_argument("--dir", default=DEFAULT_DIR)
    lec = sub.add_parser("lecture", help="build a lecture whose points the server writes")
    lec.add_argument("--port", type=int, default=DEFAULT_PORT)
    lec.add_argument("--bin", default=str(Path(__file__).resolve().parent.parent
                                          / "target" / "release" / "lecturegen"))
    w = sub.add_parser("write-model", help=argparse.SUPPRESS)
    w.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.cmd == "write-model":
        write_model(Path(args.out))
        return 0
    commands = {"serve": cmd_serve, "check": cmd_check, "stop": cmd_stop, "lecture": cmd_lecture}
    return commands[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
