//! A TrueType font the tests write themselves: a few CJK ideographs and one emoji (🚀), each a
//! distinct pattern of filled cells, so tests can prove characters DejaVu lacks render when a
//! course font covers them, without a system font or a downloaded file.
//!
//! The font is glyf-based with the tables renderers need (head, hhea, maxp, OS/2, hmtx, cmap
//! formats 4 and 12, loca, glyf, name, post) and correct checksums.

use cosmic_text::fontdb;
use cosmic_text::skrifa::{self, MetadataProvider};

/// Family name of the generated font.
pub const FAMILY: &str = "Lecturegen Test CJK";

/// Characters the font covers, each with its picture: a 10x10 grid, `#` filled.
const GLYPHS: [(char, [&str; 10]); 5] = [
    (
        '漢',
        [
            "#...#..#..",
            ".#.######.",
            "....#..#..",
            "#..######.",
            ".#.#.##.#.",
            "...######.",
            "..#...#...",
            ".#.#######",
            ".#...#.#..",
            "#...#...#.",
        ],
    ),
    (
        '字',
        [
            "....##....",
            "##########",
            "#........#",
            "#.######.#",
            ".....#....",
            ".....#....",
            "##########",
            ".....#....",
            ".....#....",
            "...###....",
        ],
    ),
    (
        '学',
        [
            ".#..#..#..",
            "..#.#.#...",
            "##########",
            "#........#",
            "..######..",
            "......#...",
            "##########",
            ".....#....",
            ".....#....",
            "...###....",
        ],
    ),
    (
        '習',
        [
            "####.####.",
            "...#.#..#.",
            ".#.#.##.#.",
            "..##..#.#.",
            "...#....#.",
            ".######...",
            ".#....#...",
            ".######...",
            ".#....#...",
            ".######...",
        ],
    ),
    (
        '🚀',
        [
            "....##....",
            "...####...",
            "...#..#...",
            "...####...",
            "...####...",
            "..######..",
            ".##.##.##.",
            "##..##..##",
            "...#..#...",
            "..#....#..",
        ],
    ),
];

/// The characters the font covers, in glyph order.
pub fn covered() -> Vec<char> {
    GLYPHS.iter().map(|(c, _)| *c).collect()
}

const UNITS_PER_EM: u16 = 1000;
const ASCENDER: i16 = 880;
const DESCENDER: i16 = -120;
const ADVANCE: u16 = 1000;
/// Grid cell size in font units and the grid's left and top edges.
const CELL: i16 = 80;
const LEFT: i16 = 100;
const TOP: i16 = 800;

/// A glyph outline: closed rectangles `(x0, y0, x1, y1)`, y up.
type Outline = Vec<(i16, i16, i16, i16)>;

/// Each row's runs of filled cells become one rectangle.
fn outline(rows: &[&str; 10]) -> Outline {
    let mut rects = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let cells: Vec<bool> = row.chars().map(|c| c == '#').collect();
        let mut c = 0;
        while c < cells.len() {
            if !cells[c] {
                c += 1;
                continue;
            }
            let start = c;
            while c < cells.len() && cells[c] {
                c += 1;
            }
            let y1 = TOP - CELL * r as i16;
            rects.push((
                LEFT + CELL * start as i16,
                y1 - CELL,
                LEFT + CELL * c as i16,
                y1,
            ));
        }
    }
    rects
}

/// `.notdef`: a hollow box.
fn notdef() -> Outline {
    let (x0, y0, x1, y1, t) = (100, 0, 800, 700, 60);
    vec![
        (x0, y0, x1, y0 + t),
        (x0, y1 - t, x1, y1),
        (x0, y0 + t, x0 + t, y1 - t),
        (x1 - t, y0 + t, x1, y1 - t),
    ]
}

/// A simple glyph: every point on the curve, coordinates as 16-bit deltas, clockwise contours.
fn glyph_data(rects: &Outline) -> Vec<u8> {
    if rects.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let x_min = rects.iter().map(|r| r.0).min().unwrap_or(0);
    let y_min = rects.iter().map(|r| r.1).min().unwrap_or(0);
    let x_max = rects.iter().map(|r| r.2).max().unwrap_or(0);
    let y_max = rects.iter().map(|r| r.3).max().unwrap_or(0);
    i16s(&mut out, &[rects.len() as i16, x_min, y_min, x_max, y_max]);
    for i in 0..rects.len() {
        u16s(&mut out, &[(i * 4 + 3) as u16]);
    }
    u16s(&mut out, &[0]); // no instructions
    out.extend(std::iter::repeat_n(0x01u8, rects.len() * 4)); // on curve, long deltas
    let points: Vec<(i16, i16)> = rects
        .iter()
        .flat_map(|&(x0, y0, x1, y1)| [(x0, y0), (x0, y1), (x1, y1), (x1, y0)])
        .collect();
    let mut last = 0;
    for &(x, _) in &points {
        i16s(&mut out, &[x - last]);
        last = x;
    }
    last = 0;
    for &(_, y) in &points {
        i16s(&mut out, &[y - last]);
        last = y;
    }
    out
}

fn u16s(out: &mut Vec<u8>, values: &[u16]) {
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn i16s(out: &mut Vec<u8>, values: &[i16]) {
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn u32s(out: &mut Vec<u8>, values: &[u32]) {
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// The OpenType checksum: the sum of big-endian 32-bit words, the last one zero-padded.
pub fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// Binary-search fields of a table directory or cmap format 4: (range, selector, shift).
fn search_fields(count: u16, unit: u16) -> (u16, u16, u16) {
    let mut power = 1u16;
    let mut selector = 0u16;
    while power * 2 <= count {
        power *= 2;
        selector += 1;
    }
    (power * unit, selector, count * unit - power * unit)
}

fn cmap(mappings: &[(u32, u16)]) -> Vec<u8> {
    // Format 4 for the Basic Multilingual Plane: one segment per character, plus the end one.
    let bmp: Vec<(u32, u16)> = mappings.iter().copied().filter(|m| m.0 <= 0xFFFF).collect();
    let seg_count = bmp.len() as u16 + 1;
    let (range, selector, shift) = search_fields(seg_count, 2);
    let mut f4 = Vec::new();
    u16s(
        &mut f4,
        &[
            4,
            16 + 8 * seg_count,
            0,
            seg_count * 2,
            range,
            selector,
            shift,
        ],
    );
    for &(c, _) in &bmp {
        u16s(&mut f4, &[c as u16]);
    }
    u16s(&mut f4, &[0xFFFF, 0]);
    for &(c, _) in &bmp {
        u16s(&mut f4, &[c as u16]);
    }
    u16s(&mut f4, &[0xFFFF]);
    for &(c, g) in &bmp {
        u16s(&mut f4, &[g.wrapping_sub(c as u16)]);
    }
    u16s(&mut f4, &[1]);
    u16s(&mut f4, &vec![0; seg_count as usize]);
    // Format 12 for every character, the emoji beyond the BMP included.
    let mut f12 = Vec::new();
    u16s(&mut f12, &[12, 0]);
    u32s(
        &mut f12,
        &[16 + 12 * mappings.len() as u32, 0, mappings.len() as u32],
    );
    for &(c, g) in mappings {
        u32s(&mut f12, &[c, c, u32::from(g)]);
    }
    let mut out = Vec::new();
    u16s(&mut out, &[0, 2]);
    u16s(&mut out, &[3, 1]);
    u32s(&mut out, &[20]);
    u16s(&mut out, &[3, 10]);
    u32s(&mut out, &[20 + f4.len() as u32]);
    out.extend(f4);
    out.extend(f12);
    out
}

fn name_table() -> Vec<u8> {
    let names: [(u16, &str); 5] = [
        (1, FAMILY),
        (2, "Regular"),
        (3, "Lecturegen Test CJK Regular 1.0"),
        (4, "Lecturegen Test CJK Regular"),
        (6, "LecturegenTestCJK-Regular"),
    ];
    let mut strings = Vec::new();
    let mut records = Vec::new();
    for (id, text) in names {
        let utf16: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        u16s(
            &mut records,
            &[3, 1, 0x0409, id, utf16.len() as u16, strings.len() as u16],
        );
        strings.extend(utf16);
    }
    let mut out = Vec::new();
    u16s(&mut out, &[0, names.len() as u16, 6 + records.len() as u16]);
    out.extend(records);
    out.extend(strings);
    out
}

/// Writes the font: `.notdef`, space, then the glyphs of [`covered`].
pub fn cjk_font() -> Vec<u8> {
    let mut outlines: Vec<Outline> = vec![notdef(), Vec::new()];
    let mut mappings: Vec<(u32, u16)> = vec![(0x20, 1)];
    for (i, (c, rows)) in GLYPHS.iter().enumerate() {
        outlines.push(outline(rows));
        mappings.push((*c as u32, i as u16 + 2));
    }
    mappings.sort();
    let num_glyphs = outlines.len() as u16;

    let mut glyf = Vec::new();
    let mut loca = Vec::new();
    for o in &outlines {
        u32s(&mut loca, &[glyf.len() as u32]);
        glyf.extend(glyph_data(o));
        while glyf.len() % 4 != 0 {
            glyf.push(0);
        }
    }
    u32s(&mut loca, &[glyf.len() as u32]);

    let all = outlines.iter().flatten();
    let x_min = all.clone().map(|r| r.0).min().unwrap_or(0);
    let y_min = all.clone().map(|r| r.1).min().unwrap_or(0);
    let x_max = all.clone().map(|r| r.2).max().unwrap_or(0);
    let y_max = all.map(|r| r.3).max().unwrap_or(0);
    let max_contours = outlines.iter().map(Vec::len).max().unwrap_or(0) as u16;

    let mut hmtx = Vec::new();
    let mut min_lsb = i16::MAX;
    let mut min_rsb = i16::MAX;
    let mut max_extent = i16::MIN;
    for o in &outlines {
        let lsb = o.iter().map(|r| r.0).min().unwrap_or(0);
        let right = o.iter().map(|r| r.2).max().unwrap_or(0);
        u16s(&mut hmtx, &[ADVANCE]);
        i16s(&mut hmtx, &[lsb]);
        if !o.is_empty() {
            min_lsb = min_lsb.min(lsb);
            min_rsb = min_rsb.min(ADVANCE as i16 - right);
            max_extent = max_extent.max(right);
        }
    }

    let mut head = Vec::new();
    u32s(&mut head, &[0x0001_0000, 0x0001_0000, 0, 0x5F0F_3CF5]);
    u16s(&mut head, &[0x000B, UNITS_PER_EM]);
    u32s(&mut head, &[0, 0, 0, 0]); // created, modified
    i16s(&mut head, &[x_min, y_min, x_max, y_max]);
    u16s(&mut head, &[0, 8]); // macStyle, lowestRecPPEM
    i16s(&mut head, &[2, 1, 0]); // direction hint, long loca, glyph data format

    let mut hhea = Vec::new();
    u32s(&mut hhea, &[0x0001_0000]);
    i16s(&mut hhea, &[ASCENDER, DESCENDER, 0]);
    u16s(&mut hhea, &[ADVANCE]);
    i16s(
        &mut hhea,
        &[min_lsb, min_rsb, max_extent, 1, 0, 0, 0, 0, 0, 0, 0],
    );
    u16s(&mut hhea, &[num_glyphs]);

    let mut maxp = Vec::new();
    u32s(&mut maxp, &[0x0001_0000]);
    u16s(
        &mut maxp,
        &[
            num_glyphs,
            max_contours * 4,
            max_contours,
            0,
            0,
            2,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ],
    );

    let mut os2 = Vec::new();
    u16s(&mut os2, &[4]);
    i16s(&mut os2, &[ADVANCE as i16]);
    u16s(&mut os2, &[400, 5, 0]);
    i16s(&mut os2, &[650, 600, 0, 75, 650, 600, 0, 350, 50, 300, 0]);
    os2.extend([2, 0, 5, 0, 0, 0, 0, 0, 0, 0]); // panose
                                                // Unicode ranges: CJK Unified Ideographs (59) and beyond the BMP (57).
    u32s(&mut os2, &[1, (1 << 27) | (1 << 25), 0, 0]);
    os2.extend_from_slice(b"LGTF");
    let first = mappings.first().map_or(0, |m| m.0) as u16;
    let last = mappings.last().map_or(0, |m| m.0).min(0xFFFF) as u16;
    u16s(&mut os2, &[0x00C0, first, last]); // fsSelection: regular, typographic metrics
    i16s(&mut os2, &[ASCENDER, DESCENDER, 0]);
    u16s(&mut os2, &[ASCENDER as u16, (-DESCENDER) as u16]);
    u32s(&mut os2, &[1 << 17, 0]); // code pages: Japanese
    i16s(&mut os2, &[500, 700]);
    u16s(&mut os2, &[0, 0x20, 0]);

    let mut post = Vec::new();
    u32s(&mut post, &[0x0003_0000, 0]);
    i16s(&mut post, &[-100, 50]);
    u32s(&mut post, &[0, 0, 0, 0, 0]);

    let tables: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"OS/2", os2),
        (b"cmap", cmap(&mappings)),
        (b"glyf", glyf),
        (b"head", head),
        (b"hhea", hhea),
        (b"hmtx", hmtx),
        (b"loca", loca),
        (b"maxp", maxp),
        (b"name", name_table()),
        (b"post", post),
    ];
    let count = tables.len() as u16;
    let (range, selector, shift) = search_fields(count, 16);
    let mut font = Vec::new();
    u32s(&mut font, &[0x0001_0000]);
    u16s(&mut font, &[count, range, selector, shift]);
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = 0;
    for (tag, data) in &tables {
        if *tag == b"head" {
            head_at = offset;
        }
        font.extend_from_slice(*tag);
        u32s(
            &mut font,
            &[checksum(data), offset as u32, data.len() as u32],
        );
        offset += data.len().next_multiple_of(4);
    }
    for (_, data) in &tables {
        font.extend_from_slice(data);
        while font.len() % 4 != 0 {
            font.push(0);
        }
    }
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&font));
    font[head_at + 8..head_at + 12].copy_from_slice(&adjustment.to_be_bytes());
    font
}

#[test]
fn the_generated_font_is_valid_and_covers_what_dejavu_lacks() {
    let font = cjk_font();
    // Checksums: every table's, and the whole file's through head.checkSumAdjustment.
    assert_eq!(checksum(&font), 0xB1B0_AFBA);
    let count = u16::from_be_bytes([font[4], font[5]]) as usize;
    for i in 0..count {
        let record = &font[12 + 16 * i..28 + 16 * i];
        let field = |at: usize| u32::from_be_bytes(record[at..at + 4].try_into().unwrap());
        let (sum, offset, len) = (field(4), field(8) as usize, field(12) as usize);
        let mut data = font[offset..offset + len].to_vec();
        if &record[..4] == b"head" {
            data[8..12].fill(0);
        }
        assert_eq!(
            checksum(&data),
            sum,
            "{}",
            String::from_utf8_lossy(&record[..4])
        );
    }

    // fontdb reads it as one regular face of its family.
    let mut db = fontdb::Database::new();
    db.load_font_data(font.clone());
    let faces: Vec<_> = db.faces().collect();
    assert_eq!(faces.len(), 1);
    assert_eq!(faces[0].families[0].0, FAMILY);
    assert_eq!(faces[0].weight, fontdb::Weight::NORMAL);
    assert_eq!(faces[0].style, fontdb::Style::Normal);

    // Each character maps to its own glyph with an outline; no bundled DejaVu face has any.
    let parsed = skrifa::FontRef::new(&font).unwrap();
    let bundled: Vec<_> = [
        dejavu::sans::regular(),
        dejavu::sans::bold(),
        dejavu::sans::oblique(),
        dejavu::sans::bold_oblique(),
        dejavu::sans_mono::regular(),
        dejavu::sans_mono::bold(),
    ]
    .into_iter()
    .map(|data| skrifa::FontRef::new(data).unwrap())
    .collect();
    let outlines = parsed.outline_glyphs();
    let mut glyphs = Vec::new();
    for c in covered() {
        let glyph = parsed
            .charmap()
            .map(c)
            .unwrap_or_else(|| panic!("{c} unmapped"));
        assert_ne!(glyph.to_u32(), 0, "{c}");
        assert!(outlines.get(glyph).is_some(), "{c} has no outline");
        // Not even 😀: DejaVu Sans has it, so the emoji here is a rocket.
        for face in &bundled {
            assert_eq!(face.charmap().map(c), None, "a bundled DejaVu face has {c}");
        }
        glyphs.push(glyph.to_u32());
    }
    glyphs.sort_unstable();
    glyphs.dedup();
    assert_eq!(glyphs.len(), covered().len());
    let patterns: std::collections::HashSet<_> = GLYPHS.iter().map(|g| g.1).collect();
    assert_eq!(patterns.len(), GLYPHS.len(), "two glyphs look the same");
}
