#!/usr/bin/env python3
"""Decks of other slide tools, built and read back: each deck's course folder is copied into a
scratch course, built silent on the theme gradient, and every slide picture is read back with
tesseract. Prints, per deck, the slides made, the pictures whose text shows a slide tool's
syntax (outside what looks like code), and the blank pictures. Exit status 1 when any deck
shows syntax or a blank slide.

Usage: [KEEP=dir] scripts/check-decks.py COURSE_DIR[:DECK_FILE] ...
  (COURSE_DIR is copied as content/; DECK_FILE, relative to it, is the deck: else every deck
  found in it is built; KEEP keeps each deck's output folder there). Needs tesseract and a release build (cargo build --release).
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
# LECTUREGEN_BIN runs another build (an older one, as the anchor of a comparison).
BIN = pathlib.Path(os.environ.get("LECTUREGEN_BIN", REPO / "target" / "release" / "lecturegen"))
CONFIG = """[build]
backend = "none"
[narration]
voice = "none"
[video]
width = 1280
height = 720
[fonts]
system = false
"""
# A slide tool's syntax, as tesseract reads it back.
SYNTAX = [
    r"\.pull-(left|right)\[",
    r"\.(left|right)-column\[",
    r"\.footnote\[",
    r"::(right|left|default)::",
    r"^\s*layout:",
    r"^\s*\.\s\.\s\.\s*$",
    r"\{\.[a-z]",
    r"^\s*:::",
    r"<!--",
    r"\{\{<",
    r"#\|",
    r"<v-click",
    r"^\s*--\s*$",
    r"^\s*class:",
]


def visible_words(text):
    """Words of four letters or more a deck shows, roughly: front matter, code, notes
    (`???`, `Note:`, comments, `::: notes`), tags and markup left out."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"^(```+|~~~+).*?^\1\s*$", "", text, flags=re.S | re.M)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"^\?\?\?$.*?(?=^---$|\Z)", "", text, flags=re.S | re.M)
    text = re.sub(r"^Notes?:.*?(?=^---$|\Z)", "", text, flags=re.S | re.M)
    text = re.sub(r"^:::+ *\{?\.?notes.*?^:::+ *$", "", text, flags=re.S | re.M)
    text = re.sub(r"^(\w[\w-]*: .*)$", "", text, flags=re.M)
    text = re.sub(r"<[^>]+>|`[^`]*`|\]\([^)]*\)|\{[^}]*\}|https?://\S+|\$[^$]*\$", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}


def ocr(picture):
    return subprocess.run(
        ["tesseract", str(picture), "-", "--psm", "3"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def check(course_dir, deck):
    work = pathlib.Path(tempfile.mkdtemp(prefix="decks-"))
    shutil.copytree(course_dir, work / "content")
    # Absolute paths in a deck (`/images/x.png`) name its own folder, as the tool's server
    # reads them: the course root links to what the content folder holds.
    for entry in (work / "content").iterdir():
        if not (work / entry.name).exists():
            (work / entry.name).symlink_to(entry)
    (work / "lecturegen.toml").write_text(CONFIG)
    if deck:
        # Only the deck: other notes in the folder are moved aside.
        for path in (work / "content").rglob("*"):
            rel = path.relative_to(work / "content")
            if path.is_file() and path.suffix in (".md", ".qmd", ".html") and str(rel) != deck:
                path.rename(path.with_suffix(path.suffix + ".skip"))
    run = subprocess.run(
        [str(BIN), "build", "--root", str(work)], capture_output=True, text=True, check=False
    )
    warnings = [l for l in run.stderr.splitlines() if "warning" in l.lower()]
    pictures = sorted((work / "output").rglob("slides/*.jpg"))
    shown, blank, texts = [], [], []
    for picture in pictures:
        text = ocr(picture)
        texts.append(text)
        if not text.strip():
            blank.append(picture.name)
        for pattern in SYNTAX:
            for line in text.splitlines():
                if re.search(pattern, line):
                    shown.append((picture.name, line.strip()))
    name = f"{course_dir.name}:{deck}" if deck else course_dir.name
    print(f"== {name}: {len(pictures)} slide pictures, {len(warnings)} warnings, exit {run.returncode}")
    read = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", " ".join(texts))}
    sources = [p for p in course_dir.rglob("*") if p.suffix in (".md", ".qmd", ".html")
               and (not deck or str(p.relative_to(course_dir)) == deck)]
    words = set().union(*(visible_words(p.read_text(errors="replace")) for p in sources))
    missing = sorted(words - read)
    if words:
        print(f"   source words read back: {len(words) - len(missing)}/{len(words)} "
              f"({100 * (len(words) - len(missing)) / len(words):.0f}%); "
              f"not read: {' '.join(missing[:40])}")
    for picture, line in shown:
        print(f"   syntax on {picture}: {line}")
    for picture in blank:
        print(f"   blank: {picture}")
    if run.returncode != 0:
        print(run.stderr[-2000:])
    keep = os.environ.get("KEEP")
    if keep:
        target = pathlib.Path(keep) / course_dir.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(work / "output", target)
    shutil.rmtree(work)
    return not shown and not blank and run.returncode == 0


def main():
    if not BIN.exists() or shutil.which("tesseract") is None:
        sys.exit("needs target/release/lecturegen (cargo build --release) and tesseract")
    ok = True
    for arg in sys.argv[1:]:
        course, _, deck = arg.partition(":")
        ok &= check(pathlib.Path(course), deck)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
