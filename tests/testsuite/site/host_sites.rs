//! Host sites: the mdBook preprocessor's protocol on mdBook's own JSON (0.4 and 0.5 shapes),
//! `integrate`, lecture pages selected by their marker, host front matter passing silently,
//! the manifest and the embedded player.

use std::path::Path;
use std::process::{Command, Stdio};

use lecturegen::host::{integrate, mdbook};
use serde_json::Value;

use crate::support::{Collect, Course, TEST_CONFIG};

/// The fixture book with a test configuration in host mode.
fn book() -> Course {
    let course = Course::fixture("book");
    course.file(
        "lecturegen.toml",
        &format!("{TEST_CONFIG}\n[site]\ngenerator = \"mdbook\"\n"),
    );
    course
}

/// mdBook's input for the fixture book, as mdBook `version` ("0.4" or "0.5") writes it.
fn input(course: &Course, version: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(
        crate::support::fixtures().join(format!("mdbook/book-{version}.json")),
    )
    .unwrap();
    text.replace("@ROOT@", course.root.to_str().unwrap())
        .into_bytes()
}

fn chapters(book: &Value) -> Vec<&Value> {
    fn walk<'a>(items: &'a Value, out: &mut Vec<&'a Value>) {
        for item in items.as_array().into_iter().flatten() {
            if let Some(chapter) = item.get("Chapter") {
                out.push(chapter);
                walk(&chapter["sub_items"], out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&book["items"], &mut out);
    walk(&book["sections"], &mut out);
    out
}

#[test]
fn mdbook_round_trip_changes_only_the_marker_line_in_both_shapes() {
    for (version, key) in [("0.5", "items"), ("0.4", "sections")] {
        let course = book();
        let raw = input(&course, version);
        let collect = Collect::default();
        let outcome = mdbook::preprocess(&raw, &collect).unwrap();
        assert_eq!(outcome.players, 1, "{version}");
        assert!(collect.warnings().is_empty(), "{:?}", collect.warnings());
        let before: Value = serde_json::from_slice::<Value>(&raw).unwrap()[1].clone();
        let after: Value = serde_json::from_slice(&outcome.book).unwrap();
        // The shape read is the shape written: same keys, same chapters in the same order.
        assert!(after.get(key).is_some(), "{version}: {after}");
        assert_eq!(
            before.as_object().unwrap().keys().collect::<Vec<_>>(),
            after.as_object().unwrap().keys().collect::<Vec<_>>()
        );
        let (old, new) = (chapters(&before), chapters(&after));
        assert_eq!(old.len(), 3);
        assert_eq!(old.len(), new.len());
        for (o, n) in old.iter().zip(&new) {
            let mut o2 = (*o).clone();
            let mut n2 = (*n).clone();
            for field in ["content", "sub_items"] {
                o2[field] = Value::Null;
                n2[field] = Value::Null;
            }
            assert_eq!(o2, n2, "{version}: only content may change");
            let (oc, nc) = (
                o["content"].as_str().unwrap(),
                n["content"].as_str().unwrap(),
            );
            if !oc.contains("{{#lecture}}") {
                assert_eq!(oc, nc, "{version}: a chapter without a marker is untouched");
                continue;
            }
            // The marker line is replaced by the player, every other line kept as it was.
            let start = nc.find("<figure class=\"lecturegen\"").unwrap();
            let end = nc.find("</figure>").unwrap() + "</figure>".len();
            let rest = format!("{}{}", &nc[..start], &nc[end..]);
            let kept: Vec<&str> = rest.lines().filter(|l| !l.is_empty()).collect();
            let wanted: Vec<&str> = oc
                .lines()
                .filter(|l| !l.is_empty() && l.trim() != "{{#lecture}}")
                .collect();
            assert_eq!(kept, wanted, "{version}");
            // Tera escapes `/` in attributes as `&#x2F;`, which browsers read as `/`.
            let player = nc[start..end].replace("&#x2F;", "/");
            let player = player.as_str();
            // The chapter is one folder down: media URLs climb one level, and every track and
            // the poster point into the media folder.
            assert!(!player.contains("\n\n"), "one HTML block: {player}");
            for needle in [
                "preload=\"metadata\"",
                "poster=\"../lectures/diffusion-sampling/slides/001.jpg?v=",
                "src=\"../lectures/diffusion-sampling/lecture.mp4?v=",
                "<track kind=\"chapters\" src=\"../lectures/diffusion-sampling/chapters.vtt\"",
                "href=\"../lectures/lecturegen.css\"",
                "src=\"../lectures/lecturegen.js\"",
                "download",
                "data-start=",
                "Step by step",
            ] {
                assert!(player.contains(needle), "{version}: {needle} in {player}");
            }
            assert!(
                !player.contains("http"),
                "no absolute URL, no CDN: {player}"
            );
        }
        for file in [
            "lecture.mp4",
            "chapters.vtt",
            "slides/001.jpg",
            "handout.pdf",
        ] {
            let path = course.path(&format!("src/lectures/diffusion-sampling/{file}"));
            assert!(path.is_file(), "{}", path.display());
        }
        assert!(course.path("src/lectures/lecturegen.js").is_file());
        assert!(!course.path("src/lectures/index.html").exists());
        // The manifest: the lecture, its page, chapters and each slide's text (the included
        // code resolved).
        let manifest: Value =
            serde_json::from_str(&course.read("src/lectures/lectures.json")).unwrap();
        let lecture = &manifest["lectures"]["diffusion-sampling"];
        assert_eq!(lecture["source"], "src/diffusion/sampling.md");
        assert!(lecture["video"]
            .as_str()
            .unwrap()
            .starts_with("lectures/diffusion-sampling/lecture.mp4?v="));
        assert_eq!(lecture["chapters"].as_array().unwrap().len(), 4);
        assert!(lecture["duration"].as_f64().unwrap() > 4.0);
        // The handout, in the manifest and next to the player's download link.
        assert!(lecture["handout"]
            .as_str()
            .unwrap()
            .starts_with("lectures/diffusion-sampling/handout.pdf?v="));
        assert!(lecture["player"]
            .as_str()
            .unwrap()
            .contains("handout.pdf?v="));
        let text = lecture["slides"].to_string();
        assert!(text.contains("x - t * noise"), "{text}");
        assert!(!text.contains("{{#"), "{text}");
    }
}

#[test]
fn mdbook_no_change_call_loads_and_writes_nothing() {
    let course = book();
    let raw = input(&course, "0.5");
    let first = mdbook::preprocess(&raw, &Collect::default()).unwrap();
    assert!(!first.unchanged);
    let video = course.path("src/lectures/diffusion-sampling/lecture.mp4");
    let written = std::fs::metadata(&video).unwrap().modified().unwrap();
    let second = mdbook::preprocess(&raw, &Collect::default()).unwrap();
    assert!(second.unchanged, "nothing changed: answered from the stamp");
    assert_eq!(first.book, second.book);
    assert_eq!(
        std::fs::metadata(&video).unwrap().modified().unwrap(),
        written
    );
    // An edit to the chapter's file is seen, and the manifest says what it says now.
    let notes = course.read("src/diffusion/sampling.md");
    course.file(
        "src/diffusion/sampling.md",
        &notes.replace("A good scheduler", "A well tuned scheduler"),
    );
    let third = mdbook::preprocess(&raw, &Collect::default()).unwrap();
    assert!(!third.unchanged);
    assert!(course
        .read("src/lectures/lectures.json")
        .contains("A well tuned scheduler"));
    // So is an edit to a file the chapter includes.
    course.file("code/step.rs", "fn step() -> u8 { 7 }\n");
    let fourth = mdbook::preprocess(&raw, &Collect::default()).unwrap();
    assert!(!fourth.unchanged);
    assert!(course
        .read("src/lectures/lectures.json")
        .contains("fn step() -> u8"));
    // Deleted media are made again even though the notes did not change.
    std::fs::remove_dir_all(course.path("src/lectures")).unwrap();
    let fifth = mdbook::preprocess(&raw, &Collect::default()).unwrap();
    assert!(!fifth.unchanged);
    assert!(video.is_file());
}

#[test]
fn mdbook_warns_on_an_untested_version_and_notes_a_failed_lecture() {
    let course = book();
    let raw = String::from_utf8(input(&course, "0.5")).unwrap().replace(
        "\"mdbook_version\": \"0.5.4\"",
        "\"mdbook_version\": \"0.9.0\"",
    );
    // Built once while good, then broken.
    let good = mdbook::preprocess(raw.as_bytes(), &Collect::default()).unwrap();
    assert_eq!((good.players, good.failed), (1, 0));
    course.file(
        "src/diffusion/sampling.md",
        "---\ntitle: [broken\n---\n\n{{#lecture}}\n\n# A\n",
    );
    let collect = Collect::default();
    let outcome = mdbook::preprocess(raw.as_bytes(), &collect).unwrap();
    assert!(
        collect.warnings().iter().any(|w| w.contains("0.9.0")),
        "{:?}",
        collect.warnings()
    );
    // The broken chapter is reported with its file and line, and the book still builds with
    // the last good player (a lecture never built gets a note instead).
    assert_eq!(outcome.failed, 1);
    let errors = collect.errors().join("\n");
    assert!(errors.contains("src/diffusion/sampling.md:2"), "{errors}");
    let book: Value = serde_json::from_slice(&outcome.book).unwrap();
    let content = chapters(&book)[2]["content"].as_str().unwrap().to_string();
    // The last good video is still shown.
    assert!(
        content.contains("<figure class=\"lecturegen\""),
        "{content}"
    );
    // Until it is fixed, every call builds it again and says what is wrong.
    let again = Collect::default();
    let outcome = mdbook::preprocess(raw.as_bytes(), &again).unwrap();
    assert!(!outcome.unchanged);
    assert_eq!(outcome.failed, 1);
    assert!(!again.errors().is_empty());
}

#[test]
fn mdbook_supports_only_html() {
    let run = |renderer: &str| {
        Command::new(env!("CARGO_BIN_EXE_lecturegen"))
            .args(["mdbook", "supports", renderer])
            .stdin(Stdio::null())
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(run("html"), Some(0));
    assert_eq!(run("test"), Some(1));
    assert_eq!(run("markdown"), Some(1));
}

#[test]
fn mdbook_preprocessor_binary_writes_only_the_book_to_stdout() {
    let course = book();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lecturegen"))
        .arg("mdbook")
        .current_dir(&course.root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&input(&course, "0.4"))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    crate::support::assert_success(&out);
    let book: Value = serde_json::from_slice(&out.stdout).expect("stdout is the book JSON only");
    assert!(book.get("sections").is_some());
    assert!(book.get("__non_exhaustive").is_some());
}

/// Every file under `root`, with its bytes.
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn integrate_mdbook_twice_gives_the_same_files() {
    let course = Course::fixture("book");
    std::fs::remove_file(course.path("lecturegen.toml")).unwrap();
    course.file(".gitignore", "book\n");
    let changes =
        integrate::integrate(lecturegen::config::Generator::Mdbook, &course.root).unwrap();
    assert_eq!(changes.len(), 4, "{changes:?}");
    let once = snapshot(&course.root);
    let again = integrate::integrate(lecturegen::config::Generator::Mdbook, &course.root).unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(once, snapshot(&course.root));
    let toml = course.read("book.toml");
    assert!(toml.contains("[preprocessor.lecturegen]\ncommand = \"lecturegen mdbook\""));
    assert!(
        toml.starts_with("[book]\ntitle = \"Generative models\""),
        "kept as it was"
    );
    let ignore = course.read(".gitignore");
    assert!(ignore.starts_with("book\n") && ignore.contains("/src/lectures/\n"));
    let config = lecturegen::config::Config::load(&course.root).unwrap();
    assert_eq!(config.site.generator, lecturegen::config::Generator::Mdbook);
    assert_eq!(config.build.content_dir, Path::new("src"));
    // A course of lecturegen's own gets the generator added, its settings kept.
    let own = Course::new();
    own.file("book.toml", "[book]\ntitle = \"x\"\n");
    integrate::integrate(lecturegen::config::Generator::Mdbook, &own.root).unwrap();
    let config = lecturegen::config::Config::load(&own.root).unwrap();
    assert_eq!(config.site.generator, lecturegen::config::Generator::Mdbook);
    assert_eq!(config.video.width, 320);
    // Another host generator is not silently replaced.
    let err = integrate::integrate(lecturegen::config::Generator::Hugo, &own.root).unwrap_err();
    assert!(
        format!("{err:#}").contains("generator = \"mdbook\""),
        "{err:#}"
    );
}

const HUGO_PAGE: &str = "---\ntitle: Diffusion\nlayout: lecture\nweight: 3\ndraft: false\n\
permalink: /diffusion/\nlecture: true\ntags: [ml]\nnav_exclude: true\n---\n\n\
{{< lecture >}}\n\n# Noise\n\nWe start from noise.\n\n# Steps\n\nThen we remove it.\n";

#[test]
fn host_mode_builds_only_marked_pages_into_the_media_folder() {
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &format!("{TEST_CONFIG}\n[site]\ngenerator = \"hugo\"\n"),
    );
    course.file("content/posts/diffusion/index.md", HUGO_PAGE);
    course.file(
        "content/about.md",
        "---\ntitle: About\nlayout: page\n---\n\nNot a lecture.\n",
    );
    course.file("content/_index.md", "---\ntitle: Home\n---\n");
    course.file("public/posts/old.md", HUGO_PAGE);
    let (summary, collect) = course.build();
    assert_eq!(summary.lectures, 1, "{summary:?}");
    assert_eq!(summary.built, 1);
    // The host's front matter (layout, weight, permalink, a theme's nav_exclude) passes silently.
    assert!(collect.warnings().is_empty(), "{:?}", collect.warnings());
    for file in ["lecture.mp4", "slides/001.jpg", "chapters.vtt"] {
        assert!(course
            .path(&format!("static/lectures/posts-diffusion/{file}"))
            .is_file());
    }
    assert!(!course.path("output").exists(), "no course site of its own");
    assert!(!course.path("static/lectures/index.html").exists());
    let manifest: Value = serde_json::from_str(&course.read("data/lectures.json")).unwrap();
    assert_eq!(manifest["media_url"], "lectures/");
    let lecture = &manifest["lectures"]["posts-diffusion"];
    assert_eq!(lecture["source"], "content/posts/diffusion/index.md");
    assert!(lecture["poster"]
        .as_str()
        .unwrap()
        .starts_with("lectures/posts-diffusion/slides/001.jpg?v="));
    let titles: Vec<&str> = lecture["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Diffusion", "Noise", "Steps"]);
    assert!(!lecture["slides"].to_string().contains("{{<"));
    // A second build changes nothing on disk: the host's watcher sees no write.
    let before = snapshot(&course.path("static"));
    let manifest_time = std::fs::metadata(course.path("data/lectures.json"))
        .unwrap()
        .modified()
        .unwrap();
    let (again, _) = course.build();
    assert!(again.nothing_rendered());
    assert_eq!(before, snapshot(&course.path("static")));
    assert_eq!(
        std::fs::metadata(course.path("data/lectures.json"))
            .unwrap()
            .modified()
            .unwrap(),
        manifest_time
    );
}

#[test]
fn own_site_still_warns_on_unknown_front_matter_keys() {
    let course = Course::new();
    course.file(
        "content/a.md",
        "---\ntitle: A\nlayout: post\ncolour_scheme: blue\n---\n\n# One\n\ntext\n",
    );
    let (_, collect) = course.build();
    let warnings = collect.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("colour_scheme"), "{warnings:?}");
}

/// Each generator's fixture: the files `integrate` needs to find there.
fn host_fixture(generator: lecturegen::config::Generator) -> Course {
    use lecturegen::config::Generator;
    let course = match generator {
        Generator::Hugo => Course::fixture("hugo-site"),
        Generator::Jekyll => Course::fixture("jekyll-site"),
        Generator::Mdbook => Course::fixture("book"),
        _ => Course::new(),
    };
    std::fs::remove_file(course.path("lecturegen.toml")).unwrap();
    if generator == Generator::Quarto {
        course.file(
            "_quarto.yml",
            "project:\n  type: website\n\nwebsite:\n  title: \"A Quarto course\"\n",
        );
    }
    course
}

#[test]
fn integrate_each_generator_twice_gives_the_same_files() {
    use lecturegen::config::Generator;
    for generator in [
        Generator::Hugo,
        Generator::Jekyll,
        Generator::Zola,
        Generator::Quarto,
    ] {
        let course = host_fixture(generator);
        let changes = integrate::integrate(generator, &course.root).unwrap();
        assert!(!changes.is_empty(), "{generator}");
        let once = snapshot(&course.root);
        let again = integrate::integrate(generator, &course.root).unwrap();
        assert!(again.is_empty(), "{generator}: {again:?}");
        assert_eq!(once, snapshot(&course.root), "{generator}");
        let config = lecturegen::config::Config::load(&course.root).unwrap();
        assert_eq!(config.site.generator, generator);
        let snippet = match generator {
            Generator::Hugo => "layouts/shortcodes/lecture.html",
            Generator::Jekyll => "_includes/lecture.html",
            Generator::Zola => "templates/shortcodes/lecture.html",
            _ => "_extensions/lecturegen/lecture.lua",
        };
        assert!(course.read(snippet).contains("@BASE@"), "{generator}");
        // The cache is ignored; the media are not (a site built elsewhere needs them).
        let ignore = course.read(".gitignore");
        assert!(
            ignore.contains("/.lecturegen/") && !ignore.contains("lectures"),
            "{ignore}"
        );
    }
    // Quarto runs lecturegen before rendering and copies the media as resources.
    let course = host_fixture(Generator::Quarto);
    integrate::integrate(Generator::Quarto, &course.root).unwrap();
    let quarto: serde_yaml::Value = serde_yaml::from_str(&course.read("_quarto.yml")).unwrap();
    assert_eq!(quarto["project"]["pre-render"], "lecturegen build --quiet");
    assert_eq!(quarto["project"]["resources"][0], "lectures/");
    assert_eq!(quarto["project"]["type"], "website");
    assert_eq!(quarto["website"]["title"], "A Quarto course");
    assert!(course
        .read("_extensions/lecturegen/lecture.lua")
        .contains("\"lectures/lectures.json\""));
}

/// A host site of `generator` built by lecturegen with the test configuration.
fn built_host(generator: lecturegen::config::Generator, page: &str, notes: &str) -> Course {
    let course = host_fixture(generator);
    integrate::integrate(generator, &course.root).unwrap();
    let config = course.read("lecturegen.toml");
    course.file("lecturegen.toml", &format!("{config}\n{TEST_CONFIG}"));
    course.file(page, notes);
    let (summary, collect) = course.build();
    assert_eq!(summary.built, 1, "{:?}", collect.errors());
    course
}

const ZOLA_PAGE: &str =
    "+++\ntitle = \"Diffusion\"\nweight = 2\n\n[extra]\nlecture = true\n+++\n\n\
{{ lecture() }}\n\n# Noise\n\nWe start from noise.\n\n# Steps\n\nThen we remove it.\n";

#[test]
fn zola_shortcode_renders_the_player_with_tera() {
    use lecturegen::config::Generator;
    // Zola cannot be installed here (not in Debian, no binary on crates.io or PyPI): its
    // shortcode is rendered with the tera crate, Zola's template engine, with Zola's two
    // functions it calls (`load_data`, `get_url`) given as Zola defines them.
    let course = built_host(Generator::Zola, "content/notes/diffusion.md", ZOLA_PAGE);
    assert!(course
        .path("static/lectures/notes-diffusion/lecture.mp4")
        .is_file());
    let shortcode = course.read("templates/shortcodes/lecture.html");
    let mut tera = tera::Tera::default();
    tera.add_raw_template("shortcodes/lecture.html", &shortcode)
        .unwrap();
    let root = course.root.clone();
    tera.register_function(
        "load_data",
        move |args: &std::collections::HashMap<String, Value>| {
            let path = args["path"].as_str().unwrap();
            match std::fs::read_to_string(root.join(path)) {
                Ok(text) => Ok(serde_json::from_str(&text).unwrap()),
                Err(_) if args.get("required") == Some(&Value::Bool(false)) => Ok(Value::Null),
                Err(e) => Err(tera::Error::msg(e.to_string())),
            }
        },
    );
    tera.register_function(
        "get_url",
        |args: &std::collections::HashMap<String, Value>| {
            let path = args["path"].as_str().unwrap().trim_start_matches('/');
            Ok(Value::String(format!("https://example.org/course/{path}")))
        },
    );
    let render = |context: &tera::Context| tera.render("shortcodes/lecture.html", context).unwrap();
    // The page's own lecture, found by its path under content/.
    let mut own = tera::Context::new();
    own.insert(
        "page",
        &serde_json::json!({"relative_path": "notes/diffusion.md"}),
    );
    let html = render(&own).replace("&#x2F;", "/");
    assert!(html.contains("<figure class=\"lecturegen\""), "{html}");
    assert!(
        html.contains("src=\"https://example.org/course/lectures/notes-diffusion/lecture.mp4?v="),
        "{html}"
    );
    assert!(html.contains("kind=\"chapters\""));
    assert!(!html.contains("@BASE@"));
    // Any lecture by its id.
    let mut by_id = tera::Context::new();
    by_id.insert("id", "notes-diffusion");
    assert_eq!(render(&by_id).replace("&#x2F;", "/"), html);
    // An unknown one: a note, not an error.
    let mut unknown = tera::Context::new();
    unknown.insert("id", "nope");
    assert!(render(&unknown).contains("lecturegen-missing"));
}

#[test]
fn watch_in_a_host_site_ignores_the_hosts_own_rebuilds() {
    use crate::support::Running;
    use lecturegen::config::Generator;
    let course = built_host(Generator::Hugo, "content/notes/diffusion.md", HUGO_PAGE);
    let root = course.root.to_string_lossy().into_owned();
    let watcher = Running::start(&course.root, &["watch", "--root", &root]);
    watcher.wait_line("the watcher to start", |l| l.starts_with("watching "));
    let before = watcher.lines().len();
    // What `hugo server` writes while it rebuilds, and the site's own files: not read.
    course.file("public/notes/diffusion/index.html", "<html></html>");
    course.file("public/lectures/notes-diffusion/lecture.mp4", "copied");
    course.file("resources/_gen/images/x.png", "png");
    course.file(".hugo_build.lock", "");
    course.file("hugo.toml", "baseURL = \"/\"\n");
    course.file("assets/site.css", "body {}");
    course.file("layouts/_default/single.html", "{{ .Content }}");
    // A page that is not a lecture: read (it could become one), but not news.
    course.file(
        "content/about.md",
        "---\ntitle: About\n---\n\nStill not a lecture.\n",
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(
        watcher.lines().len(),
        before,
        "no rebuild, no line: {:?}",
        watcher.lines()
    );
    // An edit to the lecture's page: one rebuild, one line.
    course.file(
        "content/notes/diffusion.md",
        &HUGO_PAGE.replace("We start from noise.", "We begin with noise."),
    );
    watcher.wait_builds(2);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(watcher.builds().len(), 2, "{:?}", watcher.lines());
    assert!(course
        .read("data/lectures.json")
        .contains("We begin with noise."));
}

/// `value` as a Lua expression (strings quoted, arrays and objects as tables).
fn lua(value: &Value) -> String {
    match value {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!(
            "\"{}\"",
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        ),
        Value::Array(items) => format!(
            "{{{}}}",
            items.iter().map(lua).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("[{}] = {}", lua(&Value::String(k.clone())), lua(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[test]
fn quarto_shortcode_finds_the_pages_lecture_in_lua() {
    use lecturegen::config::Generator;
    // Quarto cannot be installed here (PyPI's quarto-cli downloads its binary from GitHub at
    // install time): the extension's Lua runs in Lua 5.4 with the few Quarto and Pandoc calls
    // it makes given as Quarto documents them.
    if !crate::support::tool("lua5.4", "-v", "lua5.4") {
        return;
    }
    let page = HUGO_PAGE.replace("{{< lecture >}}", "{{< lecture >}}\n");
    let course = built_host(Generator::Quarto, "notes/diffusion.qmd", &page);
    assert!(course
        .path("lectures/notes-diffusion/lecture.mp4")
        .is_file());
    let manifest: Value = serde_json::from_str(&course.read("lectures/lectures.json")).unwrap();
    let root = course.root.to_string_lossy().into_owned();
    let harness = |args: &str, input: &str| {
        let script = format!(
            r#"
quarto = {{
  project = {{ directory = {root}, offset = ".." }},
  doc = {{ input_file = {input}, is_format = function(f) return f == "html" end }},
  json = {{ decode = function(text) assert(#text > 0); return {manifest} end }},
}}
pandoc = {{
  Null = function() return {{ text = "" }} end,
  RawBlock = function(kind, text) assert(kind == "html"); return {{ text = text }} end,
  utils = {{ stringify = function(x) return x end }},
}}
local shortcodes = dofile({lua_file})
io.write(shortcodes.lecture({args}, {{}}, {{}}).text)
"#,
            root = lua(&Value::String(root.clone())),
            input = lua(&Value::String(format!("{root}/{input}"))),
            manifest = lua(&manifest),
            lua_file = lua(&Value::String(
                course
                    .path("_extensions/lecturegen/lecture.lua")
                    .to_string_lossy()
                    .into_owned()
            )),
        );
        let out = crate::support::run_ok(&course.root, "lua5.4", &["-e", &script]);
        String::from_utf8(out).unwrap().replace("&#x2F;", "/")
    };
    // The page's own lecture, its URLs relative to the page (one folder down).
    let own = harness("{}", "notes/diffusion.qmd");
    assert!(own.starts_with("<figure class=\"lecturegen\""), "{own}");
    assert!(
        own.contains("src=\"../lectures/notes-diffusion/lecture.mp4?v="),
        "{own}"
    );
    assert!(own.contains("kind=\"chapters\"") && !own.contains("@BASE@"));
    // By id from another page; an unknown page gets the note.
    assert_eq!(harness("{\"notes-diffusion\"}", "index.qmd"), own);
    assert!(harness("{}", "about.qmd").contains("lecturegen-missing"));
}

#[test]
fn mdbook_lecture_never_built_shows_a_note() {
    let course = book();
    course.file(
        "src/diffusion/sampling.md",
        "---\ntitle: [broken\n---\n\n{{#lecture}}\n\n# A\n",
    );
    let collect = Collect::default();
    let outcome = mdbook::preprocess(&input(&course, "0.4"), &collect).unwrap();
    assert_eq!((outcome.players, outcome.failed), (0, 1));
    let book: Value = serde_json::from_slice(&outcome.book).unwrap();
    let content = chapters(&book)[2]["content"].as_str().unwrap().to_string();
    assert!(content.contains("lecturegen-missing"), "{content}");
    assert!(!content.contains("{{#lecture}}"));
}

/// Pages marked as lectures are found wherever they are, the media folder included: Jekyll's
/// and Quarto's default media folder is `lectures/`, the folder teachers keep lecture pages
/// in. Only the folders lecturegen made for its lectures are passed over, and a second build
/// finds the same pages.
#[test]
fn lecture_pages_in_the_media_folder_are_found() {
    use lecturegen::config::Generator;
    for generator in [Generator::Jekyll, Generator::Quarto] {
        let course = host_fixture(generator);
        integrate::integrate(generator, &course.root).unwrap();
        let config = course.read("lecturegen.toml");
        course.file("lecturegen.toml", &format!("{config}\n{TEST_CONFIG}"));
        let page = if generator == Generator::Quarto {
            "lectures/shell.qmd"
        } else {
            "lectures/shell.md"
        };
        course.file(
            page,
            "---\ntitle: The shell\nlecture: true\n---\n\n{% include lecture.html %}\n\n## Pipes\n\nA pipe joins two programs.\n",
        );
        // Jekyll's fixture has a lecture of its own, in `notes/`.
        let lectures = if generator == Generator::Jekyll { 2 } else { 1 };
        for build in ["first", "second"] {
            let (summary, collect) = course.build();
            assert_eq!(
                (summary.lectures, summary.built),
                (lectures, lectures),
                "{generator} {build}: {:?}",
                collect.warnings()
            );
        }
        assert!(
            course.path("lectures/lectures-shell/lecture.mp4").is_file(),
            "{generator}"
        );
    }
}

/// A host site where no page is marked as a lecture says so, and how many pages it read,
/// instead of a silent "built 0 of 0".
#[test]
fn a_host_site_without_a_marked_page_says_why() {
    let course = Course::new();
    course.file(
        "lecturegen.toml",
        &format!("{TEST_CONFIG}\n[site]\ngenerator = \"hugo\"\n"),
    );
    course.file("content/a.md", "---\ntitle: A\n---\n\nNot marked.\n");
    course.file("content/posts/b.md", "---\ntitle: B\n---\n\nNor this.\n");
    let (summary, collect) = course.build();
    assert_eq!(summary.lectures, 0);
    let warnings = collect.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("2 pages read, none marked") && w.contains("lecture: true")),
        "{warnings:?}"
    );
}
