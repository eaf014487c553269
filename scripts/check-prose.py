#!/usr/bin/env python3
"""Prose notes built twice, `[layout] prose = "full"` (the text on the slides) and "points"
(the default), narrated by espeak-ng, and measured from the build's own output: slides and
pictures, seconds per picture, words of the points against the words of the paragraphs they
stand for, every word shown against every word spoken, every sentence of the prose found in the
captions in order, every heading a slide title, no slide that shows only its title, the longest
point and points that end inside a word. Exit status 1 when a check fails in points mode.

Usage: [LECTUREGEN_BIN=path] scripts/check-prose.py NOTE.md|FOLDER ...
  (a FOLDER is copied into the course's root as it is: what the notes include; a note that is
  not .md or .qmd is read as .md). Needs espeak-ng and a build (cargo build --release; LECTUREGEN_BIN runs another).
"""

import html
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(os.environ.get("LECTUREGEN_BIN", REPO / "target" / "release" / "lecturegen")).resolve()
CONFIG = """[build]
backend = "none"
[narration]
voice = "espeak"
[video]
width = 1280
height = 720
[fonts]
system = false
[layout]
prose = "{mode}"
"""


def words(text):
    return re.findall(r"[\w'’-]+", text.lower())


def strip_inline(text):
    """Markdown inline syntax out: links to their text, code and emphasis marks dropped."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[A-Za-z/!][^>]*>", "", text)
    text = text.replace("`", "").replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])[_*]([^_*]+)[_*](?![\w*])", r"\1", text)
    return text.replace("&rdquo;", "\u201d").replace("&ldquo;", "\u201c")


def prose(markdown):
    """The source's paragraphs of prose (not lists, code, headings, tables, HTML) and its
    headings."""
    body = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    body = re.sub(r"^(```+|~~~+).*?^\1\s*$", "", body, flags=re.S | re.M)
    body = re.sub(r"<pre.*?</pre>", "", body, flags=re.S)
    body = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", "", body, flags=re.S)
    body = re.sub(r"\{%.*?%\}", "", body, flags=re.S)
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    # Quarto's fenced divs and shortcodes (a callout's first heading is its title, not a
    # section); a heading ends the block it is in.
    body = re.sub(r"^(:::+ *\{?\.?callout[^\n]*\n(?:[ \t]*\n)*)#+ ", r"\1", body, flags=re.M)
    body = re.sub(r"^:::.*$", "", body, flags=re.M)
    body = re.sub(r"\{\{<.*?>\}\}", "", body)
    body = re.sub(r"^(#+ .*)$", r"\n\1\n", body, flags=re.M)
    paragraphs, headings = [], []
    for block in re.split(r"\n\s*\n", body):
        block = block.strip()
        if not block:
            continue
        if block.startswith("#"):
            heading = re.sub(r"\s*\{[#.][^}]*\}\s*$", "", block.lstrip("#").strip())
            headings.append(strip_inline(heading))
            continue
        if re.match(r"^([-*+]|\d+[.)]|\||<|!\[|>|    )", block):
            continue
        # A list may follow its lead-in line without a blank line: the paragraph ends there.
        lines = []
        for line in block.splitlines():
            if re.match(r"^\s*([-*+]|\d+[.)]) ", line):
                break
            lines.append(line)
        paragraphs.append(" ".join(strip_inline("\n".join(lines)).split()))
    return paragraphs, headings


def sentences(paragraph):
    parts = re.split(r"(?<![ie]\.[ge]\.)(?<=[.!?])\s+", paragraph)
    return [s for s in parts if len(words(s)) >= 3]


def cues(vtt):
    out = []
    for block in vtt.split("\n\n"):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            if "-->" in line:
                out.append(html.unescape(" ".join(lines[i + 1:])))
                break
    return out


def duration(mp4):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", mp4],
        capture_output=True, text=True)
    try:
        return float(out.stdout.strip())
    except ValueError:
        return 0.0


def lecture_file(note):
    return note.name if note.suffix in (".md", ".qmd") else note.stem + ".md"


def build(notes, folders, mode, scratch):
    course = scratch / mode
    (course / "content").mkdir(parents=True)
    for folder in folders:
        shutil.copytree(folder, course / folder.name)
    for note in notes:
        shutil.copy(note, course / "content" / lecture_file(note))
    (course / "lecturegen.toml").write_text(CONFIG.format(mode=mode))
    done = subprocess.run([BIN, "build", "--quiet"], cwd=course, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr)
    listed = subprocess.run([BIN, "points", "--json", "--quiet"], cwd=course,
                            capture_output=True, text=True)
    return course, json.loads(listed.stdout)


def measure(note, course, listed):
    slug = note.stem
    lecture = next(l for l in listed if l["lecture"] == slug)
    out = course / "output" / slug
    pictures = len(list((out / "slides").glob("*.jpg")))
    seconds = duration(out / "lecture.mp4")
    spoken_cues = cues((out / "captions.vtt").read_text()) if (out / "captions.vtt").exists() else []
    spoken = words(" ".join(spoken_cues))
    slides = lecture["slides"]
    points = [p for s in slides for p in s["points"]]
    shown = sum(s["shown_words"] for s in slides)
    paragraphs, headings = prose(note.read_text())
    said = " ".join(spoken)
    missing = []
    at = 0
    for paragraph in paragraphs:
        for sentence in sentences(paragraph):
            key = " ".join(words(sentence))
            found = said.find(key, at)
            if found < 0:
                found = said.find(key)
                if found < 0:
                    missing.append(sentence)
                    continue
            at = found + len(key)
    # A heading with nothing under it names the slides under it (drawn above their titles).
    titles = [s["title"] for s in slides] + [s.get("section") for s in slides]
    untitled_headings = [h for h in headings if h not in titles]
    bare = [s["title"] for s in slides[1:] if s["blocks"] == 0]
    longest = max((len(p["point"].split()) for p in points), default=0)
    broken = []
    for p in points:
        last = re.sub(r"[*`…]|(?<!\w)_|_(?!\w)", "", p["point"]).split()
        if not last:
            continue
        tail = last[-1].strip(".,;:!?\"'()")
        if tail and tail not in p["paragraph"].replace("`", ""):
            broken.append(p["point"])
    return {
        "slides": len(slides),
        "pictures": pictures,
        "seconds": round(seconds, 1),
        "seconds_per_picture": round(seconds / pictures, 1) if pictures else 0,
        "spoken_words": len(spoken),
        "shown_words": shown,
        "shown_per_spoken": round(shown / max(len(spoken), 1), 3),
        "points": len(points),
        "point_words_per_paragraph_words": round(
            sum(p["words"] for p in points) / max(sum(p["said_words"] for p in points), 1), 3),
        "longest_point": longest,
        "points_cut_inside_a_word": broken,
        "sentences": sum(len(sentences(p)) for p in paragraphs),
        "sentences_not_spoken": missing,
        "headings_not_titles": untitled_headings,
        "slides_with_only_a_title": bare,
    }


def main():
    paths = [pathlib.Path(a).resolve() for a in sys.argv[1:]]
    notes = [p for p in paths if p.is_file()]
    folders = [p for p in paths if p.is_dir()]
    if not notes:
        print(__doc__)
        return 2
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        scratch = pathlib.Path(tmp)
        results = {}
        for mode in ["full", "points"]:
            course, listed = build(notes, folders, mode, scratch)
            results[mode] = {note.name: measure(note, course, listed) for note in notes}
    for note in notes:
        full, points = results["full"][note.name], results["points"][note.name]
        print(f"== {note.name}")
        for key in points:
            print(f"  {key}: full {full[key]!r} -> points {points[key]!r}")
        bad = (points["sentences_not_spoken"] or points["headings_not_titles"]
               or points["slides_with_only_a_title"] or points["points_cut_inside_a_word"]
               or points["longest_point"] > 14
               or points["point_words_per_paragraph_words"] > 0.35)
        failed |= bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
