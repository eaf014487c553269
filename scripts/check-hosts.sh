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

# Site syntax is never drawn: a note with Liquid, Hugo, Zola and pandoc syntax, its slide
# pictures read back with tesseract (when installed).
if command -v tesseract >/dev/null; then
  work=$(mktemp -d)
  mkdir -p "$work/content"
  printf '[build]\nbackend = "none"\n[narration]\nvoice = "none"\n[video]\nwidth = 1280\nheight = 720\n[fonts]\nsystem = false\n' > "$work/lecturegen.toml"
  cat > "$work/content/syntax.md" <<'NOTE'
---
title: Site syntax
layout: lecture
permalink: /syntax/
---

# Liquid

{% comment %}
This whole comment is hidden.
{% endcomment %}
Welcome to {{ site.title }} notes.
{% include figure.html %}

# Hugo

{{< youtube abc >}}
{{% note %}}
Shortcodes keep their inner words.
{{% /note %}}

# Pandoc

::: {.callout-note}
Callouts keep their words too.
:::

# Zola

{{ lecture() }}
Plain words stay.
NOTE
  "$bin" build -q --root "$work" || true
  text=$(for f in "$work"/output/syntax/slides/*.jpg; do tesseract "$f" - 2>/dev/null; done)
  for word in "inner words" "Callouts keep" "Plain words" "Welcome to"; do
    echo "$text" | grep -q "$word" || { echo "OCR: '$word' not read off the slides"; exit 1; }
  done
  if echo "$text" | grep -E '\{%|%\}|\{\{|\}\}|:::|comment|youtube|include'; then
    echo "OCR: site syntax drawn on a slide"; exit 1
  fi
  echo "OCR: $(ls "$work"/output/syntax/slides/*.jpg | wc -l) slide pictures read back, no site syntax on them"
  rm -rf "$work"
fi

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

# Hugo and Jekyll (Debian packages; CI runs their tests too): the fixture site's build with and
# without lecturegen's step, and a screenshot of its embedded lecture page.
shoot() { # site_dir url_path png
  local wrap
  wrap=$(mktemp -d)
  mkdir -p "$wrap/course" && cp -r "$1"/. "$wrap/course"
  (cd "$wrap" && exec python3 -m http.server 8766 --bind 127.0.0.1 >/dev/null 2>&1) &
  local pid=$!
  sleep 1
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1000 \
    --virtual-time-budget=4000 --screenshot="$3" "http://127.0.0.1:8766/course/$2" \
    >/dev/null 2>&1 || true
  kill "$pid" 2>/dev/null || true
  rm -rf "$wrap"
}
for gen in hugo jekyll; do
  command -v "$gen" >/dev/null || { echo "$gen not installed: skipped"; continue; }
  work=$(mktemp -d)
  cp -r "tests/fixtures/$gen-site/." "$work"
  if [ "$gen" = hugo ]; then build=(hugo --quiet); out=public; else build=(jekyll build --quiet); out=_site; fi
  (cd "$work" && "$bin" integrate "$gen" >/dev/null)
  plain=$(cd "$work" && mean_ms "${build[@]}")
  start=$(now); (cd "$work" && "$bin" build -q); end=$(now)
  first=$(echo "($end - $start) * 1000" | bc -l | xargs printf '%.0f')
  step=$(cd "$work" && mean_ms "$bin" build -q)
  with=$(cd "$work" && mean_ms sh -c "\"$bin\" build -q && ${build[*]}")
  echo "$gen: site build without lecturegen $plain ms; lecturegen's first build $first ms" \
    "(builtin backgrounds, espeak); with an unchanged lecturegen step $with ms" \
    "(the step alone $step ms)"
  if command -v chromium >/dev/null; then
    shot=/tmp/lecturegen-$gen-page.png
    shoot "$work/$out" notes/diffusion/ "$shot"
    echo "screenshot of the embedded lecture page: $shot"
  fi
  rm -rf "$work"
done
