#!/usr/bin/env bash
# Real site generators, too heavy for CI: installs mdBook 0.5.4 and 0.4.52 (cargo install, once,
# into $TOOLS), runs the ignored real-generator tests against each (integrate, `mdbook build`,
# `mdbook serve` rebuilding once per edit, Chromium playing the embedded video), then measures
# the fixture book's build with and without the preprocessor, the no-change preprocessor call,
# and screenshots the embedded chapter page.
# Usage: scripts/check-hosts.sh   (TOOLS=dir to keep the generators elsewhere; RUNS=N timing runs)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
tools=${TOOLS:-$HOME/.cache/lecturegen-tools}
runs=${RUNS:-10}
mkdir -p "$tools"

for version in 0.5.4 0.4.52; do
  if [ ! -x "$tools/mdbook-$version/bin/mdbook" ]; then
    echo "installing mdbook $version (once; a few minutes)"
    cargo install mdbook --version "$version" --locked --root "$tools/mdbook-$version" -q
  fi
done

cargo build --release -q
bin=$repo/target/release/lecturegen
export PATH="$repo/target/release:$PATH"

for version in 0.5.4 0.4.52; do
  echo "== mdbook $version: real build, serve and browser"
  LECTUREGEN_MDBOOK="$tools/mdbook-$version/bin/mdbook" \
    cargo test --release -q --test testsuite real_mdbook -- --ignored
done

# Measurements on the fixture book with the default backend (builtin) and voice (espeak).
now() { date +%s.%N; }
mean_ms() { # command... : mean wall time of $runs runs, ms
  local start end
  start=$(now)
  for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
  end=$(now)
  echo "($end - $start) * 1000 / $runs" | bc -l | xargs printf '%.1f'
}
for version in 0.5.4 0.4.52; do
  mdbook=$tools/mdbook-$version/bin/mdbook
  work=$(mktemp -d)
  cp -r tests/fixtures/book/. "$work"
  plain=$(cd "$work" && mean_ms "$mdbook" build)
  (cd "$work" && "$bin" integrate mdbook >/dev/null)
  start=$(now); (cd "$work" && "$mdbook" build >/dev/null 2>&1); end=$(now)
  first=$(echo "($end - $start) * 1000" | bc -l | xargs printf '%.0f')
  with=$(cd "$work" && mean_ms "$mdbook" build)
  # The preprocessor's own no-change call, on the JSON this mdBook sends.
  cat > "$work/capture.sh" <<EOF
#!/bin/sh
[ "\$1" = supports ] && exec "$bin" mdbook "\$@"
tee "$work/input.json" | "$bin" mdbook
EOF
  chmod +x "$work/capture.sh"
  sed -i "s|command = \"lecturegen mdbook\"|command = \"$work/capture.sh\"|" "$work/book.toml"
  (cd "$work" && "$mdbook" build >/dev/null 2>&1)
  call=$(cd "$work" && mean_ms sh -c "\"$bin\" mdbook < input.json")
  echo "mdbook $version: book without lecturegen $plain ms; first build with it $first ms" \
    "(builtin backgrounds, espeak); unchanged rebuild $with ms" \
    "(+$(echo "$with - $plain" | bc -l | xargs printf '%.1f') ms);" \
    "no-change preprocessor call $call ms (mean of $runs)"
  if [ "$version" = 0.5.4 ] && command -v chromium >/dev/null; then
    shot=${SCREENSHOT:-/tmp/lecturegen-mdbook-chapter.png}
    (cd "$work/book" && python3 -m http.server 8765 --bind 127.0.0.1 >/dev/null 2>&1 &
      echo $! > "$work/http.pid")
    sleep 1
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1100 \
      --virtual-time-budget=4000 --screenshot="$shot" \
      http://127.0.0.1:8765/diffusion/sampling.html >/dev/null 2>&1 || true
    kill "$(cat "$work/http.pid")" 2>/dev/null || true
    echo "screenshot of the embedded chapter page: $shot"
  fi
  rm -rf "$work"
done
