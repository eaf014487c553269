#!/usr/bin/env bash
# The remote backend against a real engine, too heavy for CI: Xinference from PyPI (a venv of
# about 6 GB, since PyPI's torch carries CUDA) serving a tiny Stable Diffusion pipeline with
# random weights that scripts/tiny_sd.py builds in code (nothing downloaded). Checks, through
# both `sdapi` and `openai` (kwargs dialect): a course builds, the same seed gives the same
# picture, a second build sends no request, and killing the server mid-build loses nothing
# (the next build resumes from the cache). Prints the client's time per picture against the
# engine's own (the same requests sent one by one with curl).
# Usage: scripts/check-remote.sh   (VENV=dir keeps the venv elsewhere; PORT=n)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
venv=${VENV:-$HOME/.cache/lecturegen-xinference}
port=${PORT:-9997}
url=http://127.0.0.1:$port
work=$(mktemp -d)
trap 'kill "$(cat "$work/server.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/xinference-local" ]; then
  echo "installing xinference and diffusers into $venv (once; about 6 GB)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q xinference diffusers
fi
cargo build --release -q
bin=$repo/target/release/lecturegen

"$venv/bin/python" scripts/tiny_sd.py "$work/tiny-sd" 2>/dev/null | tail -1

start_server() {
  XINFERENCE_ENABLE_VIRTUAL_ENV=0 XINFERENCE_AUTH_ADVANCED=0 HF_HUB_OFFLINE=1 \
    XINFERENCE_HOME="$work/home" "$venv/bin/xinference-local" --host 127.0.0.1 --port "$port" \
    > "$work/server.log" 2>&1 &
  echo $! > "$work/server.pid"
  for _ in $(seq 120); do
    curl -sf "$url/v1/models" >/dev/null 2>&1 && break
    sleep 1
  done
  # Xinference links a registered folder into its cache, which it makes afresh at start.
  mkdir -p "$work/home/cache/v2"
  # Register the folder as an image model, then launch it.
  python3 - "$url" "$work/tiny-sd" <<'PY'
import json, sys, urllib.request
url, folder = sys.argv[1], sys.argv[2]
def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=900) as r:
        return r.read()
spec = {"version": 2, "model_family": "stable_diffusion", "model_name": "tiny-sd",
        "model_uri": folder, "model_ability": ["text2image"], "controlnet": []}
post("/v1/model_registrations/image", {"model": json.dumps(spec), "persist": False})
post("/v1/models", {"model_uid": "tiny-sd", "model_name": "tiny-sd", "model_type": "image"})
print("xinference serves tiny-sd")
PY
}
stop_server() {
  pkill -f "xinference-local --host 127.0.0.1 --port $port" 2>/dev/null || true
  kill "$(cat "$work/server.pid")" 2>/dev/null || true
  sleep 2
}

course() { # dir api-lines slides
  mkdir -p "$1/content"
  printf '[build]\nbackend = "remote"\n[video]\nwidth = 320\nheight = 180\n[fonts]\nsystem = false\n[narration]\nvoice = "none"\n[diffusion]\nsize = [128, 64]\nsteps = 2\n[remote]\nurl = "%s"\nmodel = "tiny-sd"\ntimeout_s = 900\n%s\n' "$url" "$2" > "$1/lecturegen.toml"
  {
    printf -- '---\ntitle: Remote pictures\n---\n'
    for s in $(seq 2 "$3"); do printf '\n# Topic %s\n\nA point.\n' "$s"; done
  } > "$1/content/a.md"
}

start_server
for api in sdapi openai; do
  lines='api = "sdapi"'
  [ "$api" = openai ] && lines=$'api = "openai"\ndialect = "kwargs"'
  course "$work/$api-1" "$lines" 4
  course "$work/$api-2" "$lines" 4
  "$bin" build -q --root "$work/$api-1"
  "$bin" build -q --root "$work/$api-2"
  # The same seeds from a separate cache: the same pictures.
  cmp -s "$work/$api-1/output/a/slides/002.jpg" "$work/$api-2/output/a/slides/002.jpg" &&
    echo "$api: same seed, same picture (two caches)" ||
    { echo "$api: the same seed gave another picture"; exit 1; }
  again=$("$bin" build --root "$work/$api-1" 2>&1 | tail -1)
  case "$again" in *"nothing to render"*) echo "$api: a second build sends no request";;
    *) echo "$api: second build: $again"; exit 1;; esac
done

# Killed mid-build: the lecture fails, its last good output stays; back up, the build resumes.
course "$work/kill" 'api = "sdapi"' 10
"$bin" build -q --root "$work/kill" >/dev/null 2>&1 || true  # some pictures, maybe all
sed -i 's/# Topic 10/# Topic ten/' "$work/kill/content/a.md"
for s in 11 12 13 14 15 16; do printf '\n# New topic %s\n\nMore.\n' "$s" >> "$work/kill/content/a.md"; done
good=$(sha256sum "$work/kill/output/a/index.html" | cut -c1-16)
("$bin" build --root "$work/kill" > "$work/kill.log" 2>&1; echo "exit $?" >> "$work/kill.log") &
sleep 20
stop_server
wait
tail -2 "$work/kill.log"
[ "$(sha256sum "$work/kill/output/a/index.html" | cut -c1-16)" = "$good" ] &&
  echo "killed mid-build: last good output kept" || echo "killed mid-build: output changed (the build had finished)"
start_server
"$bin" build --root "$work/kill" 2>&1 | tail -1

# The client's time per picture against the engine's own: 8 new pictures through lecturegen,
# then the same 8 requests sent one by one with curl.
course "$work/time" 'api = "sdapi"
concurrency = 1' 8
start=$(date +%s.%N); "$bin" build -q --root "$work/time"; end=$(date +%s.%N)
client=$(echo "($end - $start) / 8" | bc -l)
start=$(date +%s.%N)
for s in $(seq 8); do
  curl -sf "$url/sdapi/v1/txt2img" -H 'Content-Type: application/json' \
    -d "{\"model\":\"tiny-sd\",\"prompt\":\"Topic $s\",\"seed\":$((s + 1000)),\"steps\":2,\"width\":128,\"height\":64}" >/dev/null
done
end=$(date +%s.%N)
engine=$(echo "($end - $start) / 8" | bc -l)
printf 'per picture: lecturegen build %.2f s, engine alone (curl) %.2f s: client + build overhead %.1f%%\n' \
  "$client" "$engine" "$(echo "($client - $engine) / $engine * 100" | bc -l)"
