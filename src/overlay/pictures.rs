//! Pictures on a slide: figures scaled to their share of the body, diagrams drawn in the
//! theme's colours, typeset formulas, the side picture of a split slide; and the text that
//! stands in for one that cannot be drawn.

use cosmic_text::{Align, Buffer};
use image::RgbaImage;

use super::items::Item;
use super::placed::Placed;
use super::spec::{BodySpec, Spec};
use super::Draw;
use crate::content::Span;
use crate::fonts::SANS;

/// For `![bg left](...)` / `![bg right:40%](...)`: moves the text boxes into the other side
/// (keeping their proportions) and returns the pictures covering their side with its left edge,
/// or a warning when the picture cannot be read (the text still keeps to its side).
pub(super) fn side_picture(
    split: &crate::content::Split,
    width: u32,
    height: u32,
    specs: &mut [&mut Spec],
) -> (Option<(RgbaImage, f32)>, Option<String>) {
    let side_w = (width as f32 * split.fraction)
        .round()
        .clamp(1.0, width as f32 - 1.0);
    let (free_x, side_x) = if split.left {
        (side_w, 0.0)
    } else {
        (0.0, width as f32 - side_w)
    };
    let k = (width as f32 - side_w) / width as f32;
    let squeeze = |x: &mut f32, w: &mut f32| {
        *x = free_x + *x * k;
        *w *= k;
    };
    for spec in specs.iter_mut() {
        squeeze(&mut spec.title.x, &mut spec.title.width);
        for line in [
            spec.subtitle.as_mut(),
            spec.header.as_mut(),
            spec.footer.as_mut(),
            spec.page.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            squeeze(&mut line.x, &mut line.width);
        }
        squeeze(&mut spec.body.x, &mut spec.body.width);
    }
    let backdrop = &split.backdrop;
    let picture =
        crate::media::cover_files(&backdrop.images, backdrop.vertical, side_w as u32, height);
    match picture {
        Ok(rgb) => (
            Some((image::DynamicImage::ImageRgb8(rgb).to_rgba8(), side_x)),
            None,
        ),
        Err(e) => (None, Some(format!("side picture cannot be drawn: {e:#}"))),
    }
}

impl Draw<'_> {
    /// An item drawn as `picture`, or as the text standing in for it (with its warning).
    pub(super) fn picture_or_text(
        &mut self,
        item: Item,
        marker: Option<Buffer>,
        picture: Result<RgbaImage, StandIn>,
        width: f32,
        body: &BodySpec,
        size: f32,
    ) -> Placed {
        match picture {
            Ok(image) => Placed::picture(item, image, marker),
            Err(stand_in) => {
                self.warnings.push(stand_in.warning);
                let buffer = self.text_buffer(
                    &[stand_in.text],
                    size,
                    body.line_height,
                    width,
                    stand_in.align,
                    (body.color, body.accent),
                );
                Placed::text(item, buffer, marker)
            }
        }
    }

    /// A display formula, typeset; if it cannot be, its text (with a warning).
    pub(super) fn formula(
        &self,
        tex: &str,
        line: usize,
        width: f32,
        body: &BodySpec,
        size: f32,
    ) -> Result<RgbaImage, StandIn> {
        crate::math::typeset(tex, size * 1.15, body.color, width, true)
            .map(|formula| formula.image)
            .map_err(|e| StandIn {
                warning: format!(
                    "the formula on line {line} cannot be typeset ({e}); it is shown as text"
                ),
                text: Span {
                    text: crate::math::to_unicode(tex),
                    ..Span::default()
                },
                align: Align::Center,
            })
    }

    /// A figure scaled to fit its share of the body; if it cannot be read, its alt text (with
    /// a warning).
    pub(super) fn figure(
        &mut self,
        path: &std::path::Path,
        alt: &str,
        width: f32,
        body: &BodySpec,
    ) -> Result<RgbaImage, StandIn> {
        let max_h = body.height * self.image_share;
        let mut warnings = Vec::new();
        let fitted = crate::media::fit(path, width, max_h, self.fs.db(), &mut |w| warnings.push(w));
        self.warnings.extend(warnings);
        fitted.map_err(|e| {
            let warning = format!(
                "image {} cannot be drawn ({e:#}); its alt text is shown instead",
                path.display()
            );
            self.stand_in(body, warning, format!("[{alt}]"), false)
        })
    }

    /// A diagram drawn in the theme's colours on its code panel, fitted like a figure; its
    /// source stands in when it cannot be drawn.
    pub(super) fn diagram(
        &mut self,
        kind: crate::diagram::Kind,
        source: &str,
        width: f32,
        body: &BodySpec,
    ) -> Result<RgbaImage, StandIn> {
        let colours = crate::diagram::Colours {
            text: body.color,
            panel: body.code_background,
            font: SANS.to_string(),
        };
        let max_h = body.height * self.image_share;
        let mut warnings = Vec::new();
        let drawn = crate::diagram::svg(kind, source, &colours)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .and_then(|svg| {
                crate::media::draw_svg(
                    &format!("{} diagram", kind.as_str()),
                    svg.as_bytes(),
                    width,
                    max_h,
                    self.fs.db(),
                    &mut |w| warnings.push(w),
                )
            });
        self.warnings.extend(warnings);
        drawn.map_err(|e| {
            let warning = format!(
                "a {} diagram cannot be drawn ({e:#}); its source is shown instead",
                kind.as_str()
            );
            self.stand_in(body, warning, source.to_string(), true)
        })
    }

    /// `text` standing in for a picture (in italics, or as code), with the warning saying why.
    fn stand_in(&self, body: &BodySpec, warning: String, text: String, code: bool) -> StandIn {
        StandIn {
            warning,
            text: Span {
                text,
                italic: !code,
                code,
                ..Span::default()
            },
            align: self.align(body.align),
        }
    }
}

/// Text drawn where a picture cannot be, and the warning that says why.
pub(super) struct StandIn {
    warning: String,
    text: Span,
    align: Align,
}
