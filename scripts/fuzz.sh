#!/usr/bin/env bash
# Short fuzzing runs of the markdown-to-slides parser and the front matter parser (not in CI).
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
for target in markdown front_matter; do
  cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -max_len=65536
done
