#!/usr/bin/env bash
# Interrupted builds lose nothing: kills `lecturegen build` with SIGKILL at random moments
# (20 times by default) and checks after each kill that every MP4 in output/ parses and plays to
# its end (ffprobe), every page is complete (ends with </html>), and no temporary file is
# visible to the site; then a last build completes and reuses the cache.
# Usage: scripts/kill-test.sh [ROUNDS]   (needs ffprobe: apt-get install ffmpeg)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
cargo build --release -q
bin=$PWD/target/release/lecturegen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r content lecturegen.toml "$work/"
"$bin" build -q --root "$work"

check() {
  local bad=0
  while IFS= read -r -d '' mp4; do
    if ! ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$mp4" >/dev/null 2>&1; then
      echo "BROKEN VIDEO: $mp4"; bad=1
    fi
  done < <(find "$work/output" -name '*.mp4' -print0)
  while IFS= read -r -d '' page; do
    if ! tail -c 200 "$page" | grep -q '</html>'; then echo "TRUNCATED PAGE: $page"; bad=1; fi
  done < <(find "$work/output" -name '*.html' -print0)
  # A kill between writing a temporary file and renaming it leaves a hidden
  # .lecturegen-tmp-* file (never linked, and `serve` refuses hidden names); the next build
  # removes it. Anything else that looks like a temporary file is a failure.
  if find "$work/output" \( -name '*.tmp' -o -name '*~' \) | grep -q .; then echo "VISIBLE TEMP FILE"; bad=1; fi
  hidden=$(find "$work/output" -name '.lecturegen-tmp-*' | wc -l)
  return $bad
}

for i in $(seq 1 "$rounds"); do
  # Make real work: edit every lecture and drop a share of the encoded-slide cache.
  for f in $(find "$work/content" -name '*.md'); do sed -i "s/^Kill test edit [0-9]*\.$//" "$f"; echo "Kill test edit $i." >> "$f"; done
  find "$work/.lecturegen/cache/slides" -type f 2>/dev/null | awk "NR % 3 == $((i % 3))" | xargs -r rm -f
  "$bin" build -q --root "$work" & pid=$!
  sleep "0.$(printf %03d $(( RANDOM % 400 + 5 )))"
  if kill -9 "$pid" 2>/dev/null; then how="killed mid-build"; else how="finished before the kill"; fi
  wait "$pid" 2>/dev/null || true
  check || { echo "round $i: output damaged"; exit 1; }
  echo "round $i: $how, output intact ($hidden hidden temporary files)"
done
# The build after a kill finishes, reusing what the killed one cached.
"$bin" build --root "$work" 2>&1 | tail -1
check
if [ "$hidden" -ne 0 ]; then echo "the last build left $hidden temporary files"; exit 1; fi
echo "all $rounds kills left complete output; the last build finished and removed every temporary file"
