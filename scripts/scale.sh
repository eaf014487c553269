#!/usr/bin/env bash
# Scale: generated courses of N lectures x 20 slides (none backend) built cold; prints wall
# time, time per slide and peak memory for each N. Memory should stay flat as N grows
# (lectures are streamed, not held) and time should grow linearly.
# Usage: [SIZE=WxH] [SLIDES=K] scripts/scale.sh [N ...]   (default: 50 100 200 lectures of 20
# slides at 1920x1080; SIZE=640x360 runs in a fraction of the time; SLIDES=10 scripts/scale.sh 1
# is the smallest course)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=$PWD/target/release/lecturegen
sizes=${*:-50 100 200}
per=${SLIDES:-20}
size=${SIZE:-1920x1080}
width=${size%x*}
height=${size#*x}
echo "frames of ${width}x${height}"
printf "%9s %7s %9s %12s %12s\n" lectures slides "time (s)" "ms / slide" "peak RSS MiB"
for n in $sizes; do
  work=$(mktemp -d)
  mkdir -p "$work/content"
  printf '[course]\ntitle = "Scale"\n[build]\nbackend = "none"\n[video]\nwidth = %s\nheight = %s\n[fonts]\nsystem = false\n' "$width" "$height" > "$work/lecturegen.toml"
  for l in $(seq -w 1 "$n"); do
    {
      printf -- "---\ntitle: Lecture %s\n---\n" "$l"
      for s in $(seq 1 "$per"); do
        printf "\n# Slide %s of lecture %s\n\n- a point about topic %s\n- another point, with **bold** words\n" "$s" "$l" "$s"
      done
    } > "$work/content/$l.md"
  done
  start=$(date +%s.%N)
  peak=$( { /usr/bin/time -f '%M' "$bin" build -q --voice none --root "$work" 2>&1 >/dev/null; } | tail -1)
  end=$(date +%s.%N)
  python3 -c "n=$n; k=$per; t=$end-$start; print(f'{n:>9} {n*k:>7} {t:>9.2f} {t*1000/(n*k):>12.1f} {int(\"$peak\")/1024:>12.0f}')"
  rm -rf "$work"
done
