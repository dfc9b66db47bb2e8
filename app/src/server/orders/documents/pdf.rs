//! Draws invoices and credit notes as A4 PDF with `krilla`, in DejaVu Sans (embedded, subset).
//! Layout happens first (text positions, page breaks), drawing second, so one document or many
//! (a bulk print) come out the same.
use std::sync::{Arc, LazyLock};

use krilla::{
    color::rgb,
    geom::{PathBuilder, Point, Rect},
    metadata::Metadata,
    page::PageSettings,
    paint::{Fill, Stroke},
    text::{Font, TextDirection},
    Document,
};
use skrifa::{instance::LocationRef, instance::Size, FontRef, MetadataProvider};

use super::DocumentContent;

static REGULAR_BYTES: &[u8] = include_bytes!("../../../../fonts/DejaVuSans.ttf");
static BOLD_BYTES: &[u8] = include_bytes!("../../../../fonts/DejaVuSans-Bold.ttf");

static FONTS: LazyLock<Option<(Font, Font)>> = LazyLock::new(|| {
    let regular = Font::new(Arc::new(REGULAR_BYTES.to_vec()).into(), 0)?;
    let bold = Font::new(Arc::new(BOLD_BYTES.to_vec()).into(), 0)?;
    Some((regular, bold))
});

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const BOTTOM: f32 = PAGE_H - 64.0;
const BRAND: (u8, u8, u8) = (4, 120, 87);
const MUTED: (u8, u8, u8) = (87, 83, 78);
const INK: (u8, u8, u8) = (28, 25, 23);

/// Why a PDF could not be made (the embedded fonts are part of the binary, so in practice only
/// the PDF writer itself can fail).
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded fonts could not be read")]
    Fonts,
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Weight {
    Regular,
    Bold,
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        color: (u8, u8, u8),
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
    },
    Band {
        y: f32,
        height: f32,
    },
}

/// Width of `text` at `size` points, from the font's advance widths.
fn text_width(text: &str, size: f32, weight: Weight) -> f32 {
    let bytes = match weight {
        Weight::Regular => REGULAR_BYTES,
        Weight::Bold => BOLD_BYTES,
    };
    let Ok(font) = FontRef::new(bytes) else {
        return 0.0;
    };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .filter_map(|c| charmap.map(c).and_then(|g| metrics.advance_width(g)))
        .sum()
}

/// Breaks `text` into lines no wider than `width` (words longer than a line are cut).
fn wrap(text: &str, size: f32, weight: Weight, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size, weight) <= width || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            }
            while text_width(&line, size, weight) > width && line.chars().count() > 1 {
                let mut cut = line.chars().count() - 1;
                while cut > 1
                    && text_width(&line.chars().take(cut).collect::<String>(), size, weight) > width
                {
                    cut -= 1;
                }
                lines.push(line.chars().take(cut).collect());
                line = line.chars().skip(cut).collect();
            }
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Pages of drawing operations.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page when `height` more points would not fit.
    fn room_for(&mut self, height: f32) -> bool {
        if self.y + height > BOTTOM {
            self.pages.push(Vec::new());
            self.y = MARGIN;
            return true;
        }
        false
    }

    fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, color: (u8, u8, u8), text: &str) {
        self.ops().push(Op::Text {
            x,
            y,
            size,
            weight,
            color,
            text: text.to_string(),
        });
    }

    fn right(&mut self, right: f32, y: f32, size: f32, weight: Weight, text: &str) {
        let x = right - text_width(text, size, weight);
        self.text(x, y, size, weight, INK, text);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32) {
        self.ops().push(Op::Rule { x1, x2, y, width });
    }
}

// Columns of the lines table.
const COL_SKU: f32 = MARGIN + 6.0;
const COL_ITEM: f32 = MARGIN + 100.0;
const COL_QTY_RIGHT: f32 = 390.0;
const COL_UNIT_RIGHT: f32 = 475.0;
const COL_AMOUNT_RIGHT: f32 = PAGE_W - MARGIN - 6.0;
const ITEM_WIDTH: f32 = COL_QTY_RIGHT - 40.0 - COL_ITEM;

fn table_header(layout: &mut Layout) {
    let y = layout.y;
    layout.ops().push(Op::Band {
        y: y - 12.0,
        height: 18.0,
    });
    layout.text(COL_SKU, y, 8.5, Weight::Bold, MUTED, "SKU");
    layout.text(COL_ITEM, y, 8.5, Weight::Bold, MUTED, "Item");
    layout.right(COL_QTY_RIGHT, y, 8.5, Weight::Bold, "Qty");
    layout.right(COL_UNIT_RIGHT, y, 8.5, Weight::Bold, "Unit price");
    layout.right(COL_AMOUNT_RIGHT, y, 8.5, Weight::Bold, "Amount");
    layout.y += 20.0;
}

/// Lays out one document from its stored content, on pages of its own.
fn lay_out(content: &DocumentContent, layout: &mut Layout) {
    let right = PAGE_W - MARGIN;
    let top = layout.y + 14.0;
    // Heading: the shop and seller on the left, the document's facts on the right.
    layout.text(MARGIN, top + 6.0, 20.0, Weight::Bold, BRAND, &content.shop);
    let title_y = top + 4.0;
    let title_x = right - text_width(&content.title, 16.0, Weight::Bold);
    layout.text(title_x, title_y, 16.0, Weight::Bold, INK, &content.title);
    let mut left_y = top + 28.0;
    layout.text(MARGIN, left_y, 9.5, Weight::Bold, INK, &content.seller_name);
    left_y += 13.0;
    for line in wrap(&content.seller_address, 8.5, Weight::Regular, 250.0) {
        layout.text(MARGIN, left_y, 8.5, Weight::Regular, MUTED, &line);
        left_y += 11.5;
    }
    if !content.seller_npwp.is_empty() {
        let npwp = format!("NPWP {}", content.seller_npwp);
        layout.text(MARGIN, left_y, 8.5, Weight::Regular, MUTED, &npwp);
        left_y += 11.5;
    }
    let mut right_y = top + 28.0;
    for fact in &content.facts {
        let label_x = 340.0;
        layout.text(label_x, right_y, 8.5, Weight::Regular, MUTED, &fact.label);
        layout.right(right, right_y, 8.5, Weight::Bold, &fact.value);
        right_y += 13.0;
    }
    layout.y = left_y.max(right_y) + 10.0;
    layout.rule(MARGIN, right, layout.y, 0.8);
    layout.y += 20.0;

    // Buyer.
    layout.text(
        MARGIN,
        layout.y,
        8.5,
        Weight::Bold,
        MUTED,
        &content.buyer_heading,
    );
    layout.y += 14.0;
    for (i, line) in content.buyer.iter().enumerate() {
        let weight = if i == 0 {
            Weight::Bold
        } else {
            Weight::Regular
        };
        for part in wrap(line, 9.5, weight, right - MARGIN) {
            layout.text(MARGIN, layout.y, 9.5, weight, INK, &part);
            layout.y += 12.5;
        }
    }
    layout.y += 14.0;

    // Lines, repeating the header on each new page.
    table_header(layout);
    for line in &content.lines {
        let name_lines = wrap(&line.name, 9.0, Weight::Regular, ITEM_WIDTH);
        let height = 12.0 * name_lines.len() as f32 + 6.0;
        if layout.room_for(height) {
            table_header(layout);
        }
        let y = layout.y;
        layout.text(COL_SKU, y, 8.0, Weight::Regular, MUTED, &line.sku);
        for (i, part) in name_lines.iter().enumerate() {
            layout.text(
                COL_ITEM,
                y + 12.0 * i as f32,
                9.0,
                Weight::Regular,
                INK,
                part,
            );
        }
        layout.right(
            COL_QTY_RIGHT,
            y,
            9.0,
            Weight::Regular,
            &line.quantity.to_string(),
        );
        layout.right(COL_UNIT_RIGHT, y, 9.0, Weight::Regular, &line.unit_price);
        layout.right(COL_AMOUNT_RIGHT, y, 9.0, Weight::Regular, &line.amount);
        layout.y += height;
        layout.rule(MARGIN, right, layout.y - 9.0, 0.3);
    }
    layout.y += 8.0;

    // Totals, the last one in bold.
    layout.room_for(16.0 * content.totals.len() as f32 + 10.0);
    for (i, total) in content.totals.iter().enumerate() {
        let last = i + 1 == content.totals.len();
        if last {
            layout.rule(330.0, right, layout.y - 10.0, 0.8);
            layout.y += 3.0;
        }
        let weight = if last { Weight::Bold } else { Weight::Regular };
        let size = if last { 11.0 } else { 9.0 };
        // The label ends left of its amount, however wide the amount is.
        let label_right =
            COL_UNIT_RIGHT.min(COL_AMOUNT_RIGHT - text_width(&total.value, size, weight) - 14.0);
        layout.right(label_right, layout.y, size, weight, &total.label);
        layout.right(COL_AMOUNT_RIGHT, layout.y, size, weight, &total.value);
        layout.y += if last { 18.0 } else { 14.0 };
    }
    layout.y += 12.0;

    // Notes: payment, tax, reason.
    for note in &content.notes {
        let parts = wrap(note, 8.5, Weight::Regular, right - MARGIN);
        layout.room_for(11.5 * parts.len() as f32 + 4.0);
        for part in parts {
            layout.text(MARGIN, layout.y, 8.5, Weight::Regular, MUTED, &part);
            layout.y += 11.5;
        }
        layout.y += 4.0;
    }
}

/// How many pages `content` takes.
#[cfg(test)]
pub fn pages_needed(content: &DocumentContent) -> usize {
    let mut layout = Layout::new();
    lay_out(content, &mut layout);
    layout.pages.len()
}

#[allow(clippy::too_many_arguments)]
fn draw_text(
    surface: &mut krilla::surface::Surface<'_>,
    (regular, bold): (&Font, &Font),
    x: f32,
    y: f32,
    size: f32,
    weight: Weight,
    color: (u8, u8, u8),
    text: &str,
) {
    surface.set_stroke(None);
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        ..Fill::default()
    }));
    let font = match weight {
        Weight::Bold => bold.clone(),
        Weight::Regular => regular.clone(),
    };
    surface.draw_text(
        Point::from_xy(x, y),
        font,
        size,
        text,
        false,
        TextDirection::Auto,
    );
}

/// One PDF of these documents, each starting on a new page, every page footed with the
/// document's number and its page count.
pub fn render(contents: &[&DocumentContent], title: &str) -> Result<Vec<u8>, PdfError> {
    let (regular, bold) = FONTS.clone().ok_or(PdfError::Fonts)?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .creator("Pasar".to_string()),
    );
    for content in contents {
        let mut layout = Layout::new();
        lay_out(content, &mut layout);
        let count = layout.pages.len();
        for (index, ops) in layout.pages.into_iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
                .ok_or_else(|| PdfError::Write("bad page size".into()))?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            // Backgrounds first, then rules, then text on top.
            for op in &ops {
                if let Op::Band { y, height } = op {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(MARGIN, *y, PAGE_W - 2.0 * MARGIN, *height)
                    {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(Fill {
                            paint: rgb::Color::new(245, 245, 244).into(),
                            ..Fill::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
            }
            for op in &ops {
                if let Op::Rule { x1, x2, y, width } = op {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y);
                    path.line_to(*x2, *y);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(214, 211, 209).into(),
                            width: *width,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
            }
            let fonts = (&regular, &bold);
            let footer = format!("{} · page {} of {}", content.number, index + 1, count);
            let footer_x = PAGE_W - MARGIN - text_width(&footer, 7.5, Weight::Regular);
            let footers = [
                (MARGIN, content.footer.as_str()),
                (footer_x, footer.as_str()),
            ];
            for (x, text) in footers {
                let y = PAGE_H - 36.0;
                draw_text(&mut surface, fonts, x, y, 7.5, Weight::Regular, MUTED, text);
            }
            for op in &ops {
                if let Op::Text {
                    x,
                    y,
                    size,
                    weight,
                    color,
                    text,
                } = op
                {
                    draw_text(&mut surface, fonts, *x, *y, *size, *weight, *color, text);
                }
            }
            surface.finish();
            page.finish();
        }
    }
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}
