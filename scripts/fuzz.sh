#!/usr/bin/env bash
# Short fuzzing runs of the markdown-to-slides parser and the front matter parser (not in CI).
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Uses a nightly toolchain when one is
# installed; otherwise the stable compiler with RUSTC_BOOTSTRAP=1 (cargo-fuzz's flags are
# nightly-only), which is what this project's machines have.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi
for target in markdown front_matter; do
  cargo "${toolchain[@]}" fuzz run "$target" -- -max_total_time="$seconds" -max_len=65536
done
