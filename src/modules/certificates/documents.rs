//! The documents a certificate is handed out as: a printable PDF, and an Open Badges 3.0
//! badge image (PNG or SVG) with the signed credential baked in.
//!
//! Pure functions: no database, no HTTP, no clock, no file system, no system fonts. They are
//! CPU work (font subsetting, compression, pixel drawing), so callers run them on the
//! blocking pool; any [`DocumentError`] is a server fault (500), never the user's.
//!
//! - [`certificate_pdf`]: one landscape A4 page. The fonts are DejaVu, embedded from the
//!   `dejavu` crate and subset to the characters the page uses (so the file stays small),
//!   with a `ToUnicode` map so every word can be searched, copied and extracted. The QR code
//!   of the verification URL is drawn as vector squares.
//! - [`baked_png`] / [`baked_svg`]: the badge image with the VC-JWT baked in as the Open
//!   Badges 3.0 specification says (§5.3 "Baking": PNG `iTXt` chunk `openbadgecredential`,
//!   uncompressed; SVG `<openbadges:credential verify="…">` right after the `<svg>` tag).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use printpdf::{
    Color, Line, LinePoint, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rect, Rgb, TextItem, WindingOrder,
};

/// What a certificate PDF shows. Texts are printed as given (control characters dropped,
/// runs of white space collapsed); what does not fit is shrunk, wrapped or shortened with "…".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFields {
    /// The heading, e.g. "Certificate of Completion".
    pub title: String,
    /// The learner's name as it should be printed.
    pub holder_name: String,
    /// The course or achievement, e.g. "Introduction to Statistics".
    pub achievement_name: String,
    /// One or two sentences on what was achieved (wrapped to at most three lines).
    pub achievement_description: String,
    pub issued_on: NaiveDate,
    /// The issuing organization, printed under the date.
    pub issuer_name: String,
    /// Printed as "Grade: …" when present.
    pub grade: Option<String>,
    /// The short code a person can type on the verification page.
    pub verification_code: String,
    /// Encoded in the QR code and printed in the footer.
    pub verification_url: String,
}

/// Why a document could not be produced. Every variant is a server fault (500).
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// An embedded font could not be read or subset (a broken build, not bad input).
    #[error("font error: {0}")]
    Font(String),
    /// The verification URL is too long for a QR code (about 2,300 bytes at level M).
    #[error("verification URL cannot be encoded as a QR code: {0}")]
    QrCode(#[from] qrcode::types::QrError),
    /// The PDF writer reported an error.
    #[error("PDF rendering failed: {0}")]
    Pdf(String),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
}

// ---------------------------------------------------------------------------------------
// Certificate PDF
// ---------------------------------------------------------------------------------------

/// A4 landscape, in PDF points (1/72 inch).
const PAGE_W: f32 = 841.89;
const PAGE_H: f32 = 595.28;
const CENTER_X: f32 = PAGE_W / 2.0;

const NAVY: (f32, f32, f32) = (0.110, 0.204, 0.380);
const GOLD: (f32, f32, f32) = (0.765, 0.604, 0.220);
const INK: (f32, f32, f32) = (0.10, 0.10, 0.12);
const GREY: (f32, f32, f32) = (0.38, 0.38, 0.42);

/// How one kind of line is set: its face, its size and how far it may shrink to fit.
struct Style {
    face: Face,
    size: f32,
    /// Text wider than its room shrinks down to this size, then is shortened with "…".
    min_size: f32,
    color: (f32, f32, f32),
}

impl Style {
    const fn new(face: Face, size: f32, min_size: f32, color: (f32, f32, f32)) -> Self {
        Self {
            face,
            size,
            min_size,
            color,
        }
    }
}

const TITLE: Style = Style::new(Face::Heading, 34.0, 20.0, NAVY);
const LEAD: Style = Style::new(Face::Body, 14.0, 14.0, GREY);
const HOLDER: Style = Style::new(Face::Heading, 32.0, 16.0, INK);
const ACHIEVEMENT: Style = Style::new(Face::BodyBold, 22.0, 14.0, NAVY);
const DESCRIPTION: Style = Style::new(Face::Body, 11.0, 11.0, GREY);
const GRADE: Style = Style::new(Face::BodyBold, 13.0, 10.0, INK);
const SIGNATURE: Style = Style::new(Face::BodyBold, 13.0, 10.0, INK);
const CAPTION: Style = Style::new(Face::Body, 9.0, 9.0, GREY);
const QR_CAPTION: Style = Style::new(Face::Body, 8.0, 8.0, GREY);
const FOOTER: Style = Style::new(Face::Body, 9.0, 6.0, GREY);

/// Renders the certificate as a one-page landscape A4 PDF.
///
/// Layout, top to bottom: title, "This is to certify that", the holder's name, "has
/// successfully completed", the achievement and its description, the grade when there is
/// one; at the bottom the issue date and issuer over signature lines, the QR code of
/// `verification_url` on the right, and a footer line with the verification code and URL.
/// The output is a few tens of kilobytes.
pub fn certificate_pdf(c: &CertificateFields) -> Result<Vec<u8>, DocumentError> {
    let fonts = fonts()?;
    let mut page = PageBuilder::new(fonts);

    // Frame: a navy border with a thin gold rule inside it.
    page.stroke_rect(18.0, 18.0, PAGE_W - 36.0, PAGE_H - 36.0, 3.0, NAVY);
    page.stroke_rect(28.0, 28.0, PAGE_W - 56.0, PAGE_H - 56.0, 0.8, GOLD);

    let room = 640.0;
    page.centered(CENTER_X, &TITLE, &c.title, 492.0, room);
    page.line(CENTER_X - 90.0, 474.0, CENTER_X + 90.0, 474.0, 1.2, GOLD);
    page.centered(CENTER_X, &LEAD, "This is to certify that", 440.0, room);
    page.centered(CENTER_X, &HOLDER, &c.holder_name, 396.0, room);
    page.line(CENTER_X - 180.0, 382.0, CENTER_X + 180.0, 382.0, 0.6, GREY);
    page.centered(CENTER_X, &LEAD, "has successfully completed", 354.0, room);
    page.centered(CENTER_X, &ACHIEVEMENT, &c.achievement_name, 320.0, room);
    let description = page.wrap(&DESCRIPTION, &c.achievement_description, 600.0, 3);
    for (i, text) in description.iter().enumerate() {
        let y = 294.0 - 15.0 * i as f32;
        page.centered(CENTER_X, &DESCRIPTION, text, y, 600.0);
    }
    if let Some(grade) = c.grade.as_deref().map(clean).filter(|g| !g.is_empty()) {
        page.centered(CENTER_X, &GRADE, &format!("Grade: {grade}"), 236.0, 400.0);
    }

    // Date and issuer over signature lines.
    let date = c.issued_on.format("%-d %B %Y").to_string();
    signature_block(&mut page, 200.0, &date, "Date of issue");
    signature_block(&mut page, 440.0, &c.issuer_name, "Issued by");

    // QR code of the verification URL; nothing else comes within its quiet zone.
    let qr_size = 96.0;
    let (qr_x, qr_y) = (PAGE_W - 60.0 - qr_size, 84.0);
    page.qr_code(&c.verification_url, qr_x, qr_y, qr_size)?;
    let qr_center = qr_x + qr_size / 2.0;
    page.centered(
        qr_center,
        &QR_CAPTION,
        "Scan to verify",
        qr_y - 14.0,
        qr_size + 20.0,
    );

    let footer = format!(
        "Verification code: {}  ·  {}",
        clean(&c.verification_code),
        clean(&c.verification_url)
    );
    page.centered(CENTER_X, &FOOTER, &footer, 46.0, 560.0);

    let title = format!("{} – {}", clean(&c.title), clean(&c.holder_name));
    page.finish(&title, c)
}

/// A value over a signature line, with a small caption under it, centred on `cx`.
fn signature_block(page: &mut PageBuilder, cx: f32, value: &str, caption: &str) {
    let width = 200.0;
    page.centered(cx, &SIGNATURE, value, 124.0, width);
    page.line(cx - width / 2.0, 116.0, cx + width / 2.0, 116.0, 0.6, GREY);
    page.centered(cx, &CAPTION, caption, 104.0, width);
}

/// The faces the certificate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Face {
    Heading,
    Body,
    BodyBold,
}

impl Face {
    const ALL: [Face; 3] = [Face::Heading, Face::Body, Face::BodyBold];

    fn bytes(self) -> &'static [u8] {
        match self {
            Face::Heading => dejavu::serif::bold(),
            Face::Body => dejavu::sans::regular(),
            Face::BodyBold => dejavu::sans::bold(),
        }
    }
}

/// The full fonts, parsed once: their character map and advance widths lay the text out.
struct Fonts {
    faces: [ParsedFont; 3],
}

impl Fonts {
    fn get(&self, face: Face) -> &ParsedFont {
        &self.faces[face as usize]
    }

    /// Width of `text` at `size` points, from the font's advance widths (no kerning).
    fn width(&self, face: Face, text: &str, size: f32) -> f32 {
        let font = self.get(face);
        let units: u32 = text
            .chars()
            .map(|ch| {
                let gid = font.lookup_glyph_index(u32::from(ch)).unwrap_or(0);
                u32::from(font.get_glyph_width(gid).unwrap_or(0))
            })
            .sum();
        units as f32 * size / f32::from(font.units_per_em.max(1))
    }
}

fn fonts() -> Result<&'static Fonts, DocumentError> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let parse = |face: Face| ParsedFont::from_bytes(face.bytes(), 0, &mut Vec::new());
            Some(Fonts {
                faces: [
                    parse(Face::Heading)?,
                    parse(Face::Body)?,
                    parse(Face::BodyBold)?,
                ],
            })
        })
        .as_ref()
        .ok_or_else(|| DocumentError::Font("an embedded DejaVu font did not parse".into()))
}

/// A font program holding only `chars` (plus `.notdef`), with a Unicode cmap, so that
/// printpdf maps the text onto it and writes a `ToUnicode` map for extraction.
fn subset_font(
    face: Face,
    full: &ParsedFont,
    chars: &BTreeSet<char>,
) -> Result<ParsedFont, DocumentError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile, subset};

    let font_error = |e: &dyn std::fmt::Display| DocumentError::Font(format!("{face:?}: {e}"));
    let used: BTreeSet<u16> = chars
        .iter()
        .filter_map(|ch| full.lookup_glyph_index(u32::from(*ch)))
        .filter(|gid| *gid != 0)
        .collect();
    // allsorts requires .notdef first and no duplicates.
    let glyph_ids: Vec<u16> = std::iter::once(0).chain(used).collect();

    let font_data = ReadScope::new(face.bytes())
        .read::<FontData<'_>>()
        .map_err(|e| font_error(&e))?;
    let provider = font_data.table_provider(0).map_err(|e| font_error(&e))?;
    let bytes = subset(
        &provider,
        &glyph_ids,
        &SubsetProfile::Pdf,
        CmapTarget::Unicode,
    )
    .map_err(|e| font_error(&e))?;
    ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
        .ok_or_else(|| font_error(&"the subset font did not parse"))
}

/// One line of text, placed by its left end on its baseline.
struct TextRun {
    face: Face,
    size: f32,
    x: f32,
    y: f32,
    text: String,
    color: (f32, f32, f32),
}

/// Collects the drawing and the text of the page; the fonts are subset and the text
/// placed once everything is known.
struct PageBuilder {
    fonts: &'static Fonts,
    shapes: Vec<Op>,
    texts: Vec<TextRun>,
}

impl PageBuilder {
    fn new(fonts: &'static Fonts) -> Self {
        Self {
            fonts,
            shapes: Vec::new(),
            texts: Vec::new(),
        }
    }

    /// `text` centred on `cx` with its baseline at `y`, at the style's size or, when wider
    /// than `max_width`, shrunk down to its `min_size` and then shortened with "…".
    fn centered(&mut self, cx: f32, style: &Style, text: &str, y: f32, max_width: f32) {
        let text = clean(text);
        if text.is_empty() {
            return;
        }
        let face = style.face;
        let natural = self.fonts.width(face, &text, style.size);
        let size = if natural > max_width {
            (style.size * max_width / natural).max(style.min_size)
        } else {
            style.size
        };
        let text = self.truncate(face, &text, size, max_width);
        let width = self.fonts.width(face, &text, size);
        self.texts.push(TextRun {
            face,
            size,
            x: cx - width / 2.0,
            y,
            text,
            color: style.color,
        });
    }

    /// `text` unchanged when it fits in `max_width`, else cut at a character boundary and
    /// ended with "…" so that it does.
    fn truncate(&self, face: Face, text: &str, size: f32, max_width: f32) -> String {
        if self.fonts.width(face, text, size) <= max_width {
            text.to_owned()
        } else {
            self.ellipsize(face, text, size, max_width)
        }
    }

    /// The longest prefix of `text` that fits in `max_width` together with a final "…".
    fn ellipsize(&self, face: Face, text: &str, size: f32, max_width: f32) -> String {
        let budget = max_width - self.fonts.width(face, "…", size);
        let mut out = String::new();
        let mut width = 0.0;
        for ch in text.chars() {
            let w = self.fonts.width(face, ch.encode_utf8(&mut [0; 4]), size);
            if width + w > budget {
                break;
            }
            width += w;
            out.push(ch);
        }
        format!("{}…", out.trim_end())
    }

    /// Greedy word wrap into at most `max_lines` lines of `max_width`; the last line is
    /// shortened with "…" when text remains.
    fn wrap(&self, style: &Style, text: &str, max_width: f32, max_lines: usize) -> Vec<String> {
        let (face, size) = (style.face, style.size);
        let text = clean(text);
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        for word in text.split(' ') {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || self.fonts.width(face, &candidate, size) <= max_width {
                current = candidate;
            } else {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                *last = self.ellipsize(face, last, size, max_width);
            }
        }
        // A single word wider than the line: shorten it rather than run off the page.
        lines
            .into_iter()
            .map(|line| self.truncate(face, &line, size, max_width))
            .collect()
    }

    fn stroke_rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        thickness: f32,
        color: (f32, f32, f32),
    ) {
        self.shapes.extend([
            Op::SetOutlineColor { col: rgb(color) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(x),
                    y: Pt(y),
                    width: Pt(w),
                    height: Pt(h),
                    mode: Some(PaintMode::Stroke),
                    winding_order: Some(WindingOrder::NonZero),
                },
            },
        ]);
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32, color: (f32, f32, f32)) {
        let point = |x: f32, y: f32| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        self.shapes.extend([
            Op::SetOutlineColor { col: rgb(color) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(x1, y1), point(x2, y2)],
                    is_closed: false,
                },
            },
        ]);
    }

    /// The QR code of `data` as one filled path (one rectangle per run of dark modules in
    /// a row), `size` points square with its lower-left corner at (`x`, `y`). One path
    /// rather than many rectangles, so viewers show no hairline seams between modules.
    fn qr_code(&mut self, data: &str, x: f32, y: f32, size: f32) -> Result<(), DocumentError> {
        let code =
            qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)?;
        let n = code.width();
        let modules = code.to_colors();
        let m = size / n as f32;
        let mut rings = Vec::new();
        for row in 0..n {
            let top = y + size - row as f32 * m;
            let mut col = 0;
            while col < n {
                if modules[row * n + col] != qrcode::Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && modules[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                let (x0, x1) = (x + start as f32 * m, x + col as f32 * m);
                let corner = |x: f32, y: f32| LinePoint {
                    p: Point { x: Pt(x), y: Pt(y) },
                    bezier: false,
                };
                rings.push(PolygonRing {
                    points: vec![
                        corner(x0, top - m),
                        corner(x1, top - m),
                        corner(x1, top),
                        corner(x0, top),
                    ],
                });
            }
        }
        self.shapes.extend([
            Op::SetFillColor { col: rgb(INK) },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings,
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
        Ok(())
    }

    /// Subsets and embeds the fonts, places the text and writes the PDF.
    fn finish(self, document_title: &str, c: &CertificateFields) -> Result<Vec<u8>, DocumentError> {
        let mut doc = PdfDocument::new(document_title);
        let info = &mut doc.metadata.info;
        info.author = clean(&c.issuer_name);
        info.subject = clean(&c.achievement_name);
        info.creator = "Azora".into();
        info.producer = "Azora".into();
        if let Some(issued) = c.issued_on.and_hms_opt(0, 0, 0)
            && let Ok(date) =
                printpdf::OffsetDateTime::from_unix_timestamp(issued.and_utc().timestamp())
        {
            info.creation_date = date;
            info.modification_date = date;
            info.metadata_date = date;
        }

        let mut chars: BTreeMap<Face, BTreeSet<char>> = BTreeMap::new();
        for run in &self.texts {
            chars.entry(run.face).or_default().extend(run.text.chars());
        }
        let mut font_ids = BTreeMap::new();
        for face in Face::ALL {
            if let Some(used) = chars.get(&face) {
                let font = subset_font(face, self.fonts.get(face), used)?;
                font_ids.insert(face, doc.add_font(&font));
            }
        }

        let mut ops = self.shapes;
        for run in self.texts {
            let Some(font_id) = font_ids.get(&run.face) else {
                continue;
            };
            ops.extend([
                Op::StartTextSection,
                Op::SetFillColor {
                    col: rgb(run.color),
                },
                Op::SetFont {
                    font: PdfFontHandle::External(font_id.clone()),
                    size: Pt(run.size),
                },
                Op::SetTextCursor {
                    pos: Point {
                        x: Pt(run.x),
                        y: Pt(run.y),
                    },
                },
                Op::ShowText {
                    items: vec![TextItem::Text(run.text)],
                },
                Op::EndTextSection,
            ]);
        }

        let page = PdfPage::new(Pt(PAGE_W).into(), Pt(PAGE_H).into(), ops);
        let mut warnings = Vec::new();
        let bytes = doc
            .with_pages(vec![page])
            .save(&PdfSaveOptions::default(), &mut warnings);
        if let Some(error) = warnings
            .iter()
            .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
        {
            return Err(DocumentError::Pdf(error.msg.clone()));
        }
        Ok(bytes)
    }
}

fn rgb((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb::new(r, g, b, None))
}

/// Drops control characters and collapses white space, so one field is one line.
fn clean(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|ch| !ch.is_control())
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------
// Baked badge images (Open Badges 3.0, §5.3)
// ---------------------------------------------------------------------------------------

/// The `iTXt` keyword Open Badges 3.0 bakes a credential under.
pub const PNG_CREDENTIAL_KEYWORD: &str = "openbadgecredential";
/// The XML namespace of the `<openbadges:credential>` element in a baked SVG.
pub const OPENBADGES_NAMESPACE: &str = "https://purl.imsglobal.org/ob/v3p0";

/// Side of the square badge, in pixels (PNG) or user units (SVG).
const BADGE_SIZE: u32 = 256;
const BADGE_NAVY: (u8, u8, u8) = (28, 52, 97);
const BADGE_GOLD: (u8, u8, u8) = (195, 154, 56);
const BADGE_WHITE: (u8, u8, u8) = (255, 255, 255);
/// Radii of the design, centred in the badge: gold rim, navy disc, thin gold ring, star.
const RIM_R: f32 = 124.0;
const DISC_R: f32 = 114.0;
const RING_OUTER_R: f32 = 104.0;
const RING_INNER_R: f32 = 100.0;
const STAR_OUTER_R: f32 = 70.0;
const STAR_INNER_R: f32 = 28.0;

/// A 256×256 RGBA PNG of the badge (a gold-rimmed navy disc with a white star on a
/// transparent background) carrying `jwt` in an uncompressed `iTXt` chunk with keyword
/// `openbadgecredential`, empty language tag and translated keyword, before the image data.
pub fn baked_png(jwt: &str) -> Result<Vec<u8>, DocumentError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, BADGE_SIZE, BADGE_SIZE);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    // `ITXtChunk::new` leaves the text uncompressed, as the specification requires.
    encoder.add_itxt_chunk(PNG_CREDENTIAL_KEYWORD.to_owned(), jwt.to_owned())?;
    let mut writer = encoder.write_header()?;
    writer.write_image_data(badge_pixels())?;
    writer.finish()?;
    Ok(out)
}

/// An SVG of the badge (the same design as [`baked_png`]) with `jwt` baked in: the root
/// declares `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` and its first child is
/// `<openbadges:credential verify="JWT"></openbadges:credential>`, which is how Open Badges
/// 3.0 §5.3.2.1 bakes a VC-JWT (the element body is reserved for a credential with an
/// embedded proof). `title` becomes the image's accessible name. Every text is XML-escaped.
pub fn baked_svg(jwt: &str, title: &str) -> String {
    let c = BADGE_SIZE as f32 / 2.0;
    let hex = |(r, g, b): (u8, u8, u8)| format!("#{r:02x}{g:02x}{b:02x}");
    let star = star_points()
        .iter()
        .map(|(x, y)| format!("{:.2},{:.2}", c + x, c + y))
        .collect::<Vec<_>>()
        .join(" ");
    let title = xml_escape(&clean(title));
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{ns}" "#,
            r#"width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" aria-label="{title}">"#,
            r#"<openbadges:credential verify="{jwt}"></openbadges:credential>"#,
            "\n<title>{title}</title>\n",
            r#"<circle cx="{c}" cy="{c}" r="{rim}" fill="{gold}"/>"#,
            "\n",
            r#"<circle cx="{c}" cy="{c}" r="{disc}" fill="{navy}"/>"#,
            "\n",
            r#"<circle cx="{c}" cy="{c}" r="{ring}" fill="none" stroke="{gold}" stroke-width="{ring_w}"/>"#,
            "\n",
            r#"<polygon points="{star}" fill="{white}"/>"#,
            "\n</svg>\n",
        ),
        ns = OPENBADGES_NAMESPACE,
        size = BADGE_SIZE,
        title = title,
        jwt = xml_escape(jwt),
        c = c,
        rim = RIM_R,
        disc = DISC_R,
        ring = (RING_OUTER_R + RING_INNER_R) / 2.0,
        ring_w = RING_OUTER_R - RING_INNER_R,
        gold = hex(BADGE_GOLD),
        navy = hex(BADGE_NAVY),
        white = hex(BADGE_WHITE),
        star = star,
    )
}

/// The badge's RGBA pixels, drawn once: 4×4 samples per pixel for smooth edges.
fn badge_pixels() -> &'static [u8] {
    static PIXELS: OnceLock<Vec<u8>> = OnceLock::new();
    PIXELS.get_or_init(|| {
        const SAMPLES: u32 = 4;
        let star = star_points();
        let center = BADGE_SIZE as f32 / 2.0;
        let mut pixels = Vec::with_capacity((BADGE_SIZE * BADGE_SIZE * 4) as usize);
        for py in 0..BADGE_SIZE {
            for px in 0..BADGE_SIZE {
                // Sum of premultiplied colour and of coverage over the samples.
                let (mut r, mut g, mut b, mut covered) = (0u32, 0u32, 0u32, 0u32);
                for sy in 0..SAMPLES {
                    for sx in 0..SAMPLES {
                        let x = px as f32 + (sx as f32 + 0.5) / SAMPLES as f32 - center;
                        let y = py as f32 + (sy as f32 + 0.5) / SAMPLES as f32 - center;
                        if let Some((cr, cg, cb)) = badge_color_at(x, y, &star) {
                            r += u32::from(cr);
                            g += u32::from(cg);
                            b += u32::from(cb);
                            covered += 1;
                        }
                    }
                }
                if covered == 0 {
                    pixels.extend([0, 0, 0, 0]);
                } else {
                    let alpha = covered * 255 / (SAMPLES * SAMPLES);
                    let channel = |sum: u32| (sum / covered) as u8;
                    pixels.extend([channel(r), channel(g), channel(b), alpha as u8]);
                }
            }
        }
        pixels
    })
}

/// The design's colour at (`x`, `y`) from the centre, or `None` outside the badge.
fn badge_color_at(x: f32, y: f32, star: &[(f32, f32)]) -> Option<(u8, u8, u8)> {
    let d = (x * x + y * y).sqrt();
    if d > RIM_R {
        None
    } else if d > DISC_R || (RING_INNER_R..=RING_OUTER_R).contains(&d) {
        Some(BADGE_GOLD)
    } else if inside_polygon(x, y, star) {
        Some(BADGE_WHITE)
    } else {
        Some(BADGE_NAVY)
    }
}

/// A five-pointed star around the origin, point up (y grows downwards, as in images).
fn star_points() -> Vec<(f32, f32)> {
    (0..10)
        .map(|i| {
            let radius = if i % 2 == 0 {
                STAR_OUTER_R
            } else {
                STAR_INNER_R
            };
            let angle = (-90.0 + 36.0 * i as f32).to_radians();
            (radius * angle.cos(), radius * angle.sin())
        })
        .collect()
}

/// Even-odd point-in-polygon test.
fn inside_polygon(x: f32, y: f32, polygon: &[(f32, f32)]) -> bool {
    let mut inside = false;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (xi, yi) = polygon[i];
        let (xj, yj) = polygon[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Escapes text for XML content and attribute values, dropping the characters XML 1.0
/// cannot hold at all (C0 controls other than tab, newline and carriage return).
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if c.is_control() && u32::from(c) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A header.payload.signature shaped like a real VC-JWT (base64url parts).
    const JWT: &str = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2F6b3JhLmV4YW1wbGUiLCJ2YWxpZEZyb20iOiIyMDI2LTA1LTA0VDAwOjAwOjAwWiJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMTIzNDU2Nzg5MA";

    fn fields() -> CertificateFields {
        CertificateFields {
            title: "Certificate of Completion".into(),
            holder_name: "Thandi Nkosi-Müller".into(),
            achievement_name: "Introduction to Statistics".into(),
            achievement_description: "Completed all twelve modules and the final assessment, \
                covering descriptive statistics, probability, sampling distributions, \
                hypothesis testing and linear regression."
                .into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 5, 4).unwrap(),
            issuer_name: "Azora Academy".into(),
            grade: Some("Distinction (92%)".into()),
            verification_code: "AZR-7K4M-Q2XD".into(),
            verification_url: "https://azora.example/verify/AZR-7K4M-Q2XD".into(),
        }
    }

    fn pdf_text(bytes: &[u8]) -> String {
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
        doc.extract_text(&[1]).unwrap()
    }

    #[test]
    fn certificate_pdf_text_is_extractable_including_non_ascii_names() {
        let bytes = certificate_pdf(&fields()).unwrap();

        let text = pdf_text(&bytes);
        for expected in [
            "Certificate of Completion",
            "Thandi Nkosi-Müller",
            "AZR-7K4M-Q2XD",
            "Introduction to Statistics",
            "4 May 2026",
            "Azora Academy",
            "Grade: Distinction (92%)",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} not found in {text:?}"
            );
        }
    }

    #[test]
    fn certificate_pdf_is_landscape_a4_with_embedded_subset_fonts() {
        let bytes = certificate_pdf(&fields()).unwrap();
        let doc = lopdf::Document::load_mem(&bytes).unwrap();

        let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
        let media_box = doc
            .get_object(page_id)
            .unwrap()
            .as_dict()
            .unwrap()
            .get(b"MediaBox")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_float().unwrap())
            .collect::<Vec<_>>();
        assert!((media_box[2] - 841.89).abs() < 0.5 && (media_box[3] - 595.28).abs() < 0.5);

        let mut embedded = 0;
        for object in doc.objects.values() {
            let Ok(dict) = object.as_dict() else { continue };
            if let Ok(base_font) = dict.get(b"BaseFont").and_then(|f| f.as_name()) {
                let name = String::from_utf8_lossy(base_font);
                for base14 in ["Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats"] {
                    assert!(!name.starts_with(base14), "base-14 font {name} used");
                }
            }
            if dict.has(b"FontFile2") {
                embedded += 1;
            }
        }
        assert_eq!(embedded, 3, "three embedded TrueType programs");
        // Subset fonts: the full DejaVu files alone would be ~1.8 MB.
        assert!(bytes.len() < 120_000, "PDF is {} bytes", bytes.len());
    }

    #[test]
    fn certificate_pdf_omits_a_missing_grade_and_survives_long_and_odd_input() {
        let mut c = fields();
        c.grade = None;
        c.holder_name =
            "Maria\u{7} de los Ángeles\tRodríguez-Ó'Súilleabháin Żółć Ωμέγα Пётр ".repeat(3);
        c.achievement_description = "word ".repeat(400) + &"x".repeat(500);
        c.title = String::new();

        let text = pdf_text(&certificate_pdf(&c).unwrap());

        assert!(!text.contains("Grade"));
        assert!(text.contains("Maria de los Ángeles Rodríguez"), "{text}");
        assert!(text.contains('…'));
    }

    #[test]
    fn certificate_pdf_refuses_a_url_too_long_for_a_qr_code() {
        let mut c = fields();
        c.verification_url = format!("https://azora.example/{}", "a".repeat(5000));

        let result = certificate_pdf(&c);

        assert!(matches!(result, Err(DocumentError::QrCode(_))));
    }

    #[test]
    fn baked_png_carries_the_jwt_in_an_uncompressed_itxt_chunk() {
        let bytes = baked_png(JWT).unwrap();

        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut pixels).unwrap();
        reader.finish().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (256, 256));
        let chunks: Vec<_> = info
            .utf8_text
            .iter()
            .filter(|c| c.keyword == PNG_CREDENTIAL_KEYWORD)
            .collect();
        assert_eq!(chunks.len(), 1);
        let chunk = chunks[0];
        assert!(!chunk.compressed);
        assert_eq!(chunk.language_tag, "");
        assert_eq!(chunk.translated_keyword, "");
        assert_eq!(chunk.get_text().unwrap(), JWT);
        // Transparent corner, opaque navy-ish centre ring area, white star centre.
        assert_eq!(pixels[3], 0);
        let center = ((128 * 256 + 128) * 4) as usize;
        assert_eq!(&pixels[center..center + 4], &[255, 255, 255, 255]);
    }

    #[test]
    fn baked_png_chunk_precedes_the_image_data() {
        let bytes = baked_png(JWT).unwrap();

        let itxt = bytes.windows(4).position(|w| w == b"iTXt").unwrap();
        let idat = bytes.windows(4).position(|w| w == b"IDAT").unwrap();
        assert!(itxt < idat);
        // keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL.
        let expected = [
            PNG_CREDENTIAL_KEYWORD.as_bytes(),
            b"\0\0\0\0\0",
            JWT.as_bytes(),
        ]
        .concat();
        assert_eq!(&bytes[itxt + 4..itxt + 4 + expected.len()], &expected[..]);
    }

    #[test]
    fn baked_svg_carries_the_jwt_as_the_first_child_of_the_root() {
        let svg = baked_svg(JWT, "Introduction to Statistics");

        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.lookup_namespace_uri(Some("openbadges")),
            Some(OPENBADGES_NAMESPACE)
        );
        let first = root.first_element_child().unwrap();
        assert_eq!(first.tag_name().namespace(), Some(OPENBADGES_NAMESPACE));
        assert_eq!(first.tag_name().name(), "credential");
        assert_eq!(first.attribute("verify"), Some(JWT));
        let credentials = root
            .descendants()
            .filter(|n| n.tag_name().name() == "credential")
            .count();
        assert_eq!(credentials, 1);
        assert!(svg.contains(r#"xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0""#));
    }

    #[test]
    fn baked_svg_escapes_every_text() {
        let jwt = r#"a.b.c"/><script>alert('x')</script>&amp;"#;
        let title = "Tom & \"Jerry\" <3 'quotes'\u{1}";

        let svg = baked_svg(jwt, title);

        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(
            root.first_element_child().unwrap().attribute("verify"),
            Some(jwt)
        );
        let svg_title = root
            .children()
            .find(|n| n.tag_name().name() == "title")
            .and_then(|n| n.text())
            .unwrap();
        assert_eq!(svg_title, "Tom & \"Jerry\" <3 'quotes'");
        assert_eq!(root.attribute("aria-label"), Some(svg_title));
        assert!(root.descendants().all(|n| n.tag_name().name() != "script"));
    }

    #[test]
    fn clean_collapses_white_space_and_drops_controls() {
        assert_eq!(clean("  a\tb\n\u{7}c  d\u{0}e "), "a b c de");
    }
}
