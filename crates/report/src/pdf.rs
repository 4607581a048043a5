//! PDF: the report on paper, written in-process with no dependency. A summary page
//! (counts and a bar chart), then a fixed number of findings per page
//! ([`PdfOptions::findings_per_page`]), each with its facts, message, code excerpt with
//! the flagged lines shaded, explanation, recommendation and triage. Text uses the
//! standard PDF fonts (Helvetica, Courier) in WinAnsi encoding, so nothing is embedded;
//! characters outside that encoding print as `?`. Long texts are cut to fit the
//! finding's share of the page, so the page count is known from the finding count.

use std::fmt::Write as _;

use detectors::Severity;

use crate::html::{Excerpt, HtmlOptions, by_severity};
use crate::model::{Report, ReportFinding};

/// What the PDF shows beyond the report, and how many findings go on one page.
#[derive(Clone, Debug)]
pub struct PdfOptions {
    /// Title, facts, excerpts and triage, as for HTML.
    pub content: HtmlOptions,
    /// Findings per page after the summary page (at least 1).
    pub findings_per_page: usize,
}

/// The default number of findings on one page.
pub const DEFAULT_FINDINGS_PER_PAGE: usize = 3;

impl Default for PdfOptions {
    fn default() -> Self {
        Self {
            content: HtmlOptions::default(),
            findings_per_page: DEFAULT_FINDINGS_PER_PAGE,
        }
    }
}

/// Pages of a report with `findings` findings: the summary page, then one page per
/// `per_page` findings.
pub fn pdf_page_count(findings: usize, per_page: usize) -> usize {
    1 + findings.div_ceil(per_page.max(1))
}

const PAGE_W: f32 = 595.0; // A4 in points
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;

#[derive(Clone, Copy)]
enum Font {
    Regular,
    Bold,
    Mono,
}

impl Font {
    fn name(self) -> &'static str {
        match self {
            Font::Regular => "/F1",
            Font::Bold => "/F2",
            Font::Mono => "/F3",
        }
    }

    /// A width per character that is at least Helvetica's average, so that wrapped
    /// lines never run past the margin in practice.
    fn char_width(self, size: f32) -> f32 {
        match self {
            Font::Regular => 0.53 * size,
            Font::Bold => 0.58 * size,
            Font::Mono => 0.6 * size,
        }
    }
}

/// One page's content stream under construction, with a cursor going down.
struct PageBuilder {
    ops: String,
    y: f32,
}

impl PageBuilder {
    fn new() -> Self {
        Self {
            ops: String::new(),
            y: PAGE_H - MARGIN,
        }
    }

    fn text_at(&mut self, x: f32, y: f32, font: Font, size: f32, text: &str) {
        let _ = writeln!(
            self.ops,
            "BT {} {size} Tf {x:.1} {y:.1} Td ({}) Tj ET",
            font.name(),
            pdf_string(text)
        );
    }

    /// One line at the cursor, then moves down.
    fn line(&mut self, font: Font, size: f32, text: &str) {
        self.text_at(MARGIN, self.y - size, font, size, text);
        self.y -= size * 1.35;
    }

    /// `text` wrapped to the text width, at most `max_lines` lines (the last cut with an
    /// ellipsis when there is more).
    fn paragraph(&mut self, font: Font, size: f32, text: &str, max_lines: usize) {
        let per_line = (TEXT_W / font.char_width(size)) as usize;
        for line in wrap(text, per_line, max_lines) {
            self.line(font, size, &line);
        }
    }

    fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        let _ = writeln!(
            self.ops,
            "q {:.3} {:.3} {:.3} rg {x:.1} {y:.1} {w:.1} {h:.1} re f Q",
            rgb.0, rgb.1, rgb.2
        );
    }

    fn rule(&mut self) {
        let _ = writeln!(
            self.ops,
            "q 0.8 0.82 0.86 RG 0.5 w {MARGIN} {y:.1} m {} {y:.1} l S Q",
            PAGE_W - MARGIN,
            y = self.y
        );
        self.y -= 6.0;
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }
}

fn severity_rgb(severity: Severity) -> (f32, f32, f32) {
    match severity {
        Severity::Critical => (0.557, 0.106, 0.227),
        Severity::High => (0.761, 0.255, 0.047),
        Severity::Medium => (0.718, 0.475, 0.122),
        Severity::Low => (0.145, 0.388, 0.659),
        Severity::Informational => (0.357, 0.392, 0.459),
    }
}

/// Renders `report` as a PDF document.
pub fn render_pdf(report: &Report, options: &PdfOptions) -> Vec<u8> {
    let per_page = options.findings_per_page.max(1);
    let content = &options.content;
    let title = content
        .title
        .clone()
        .unwrap_or_else(|| format!("{} report", report.tool.name));
    let ordered = by_severity(report);
    let total_pages = pdf_page_count(ordered.len(), per_page);

    let mut pages = vec![summary_page(report, content, &title, total_pages)];
    for (chunk_index, chunk) in ordered.chunks(per_page).enumerate() {
        let mut page = PageBuilder::new();
        // Each finding gets an equal share of the page; its texts are cut to fit.
        let share = (PAGE_H - 2.0 * MARGIN - 20.0) / per_page as f32;
        for (i, f) in chunk.iter().enumerate() {
            let number = chunk_index * per_page + i + 1;
            let top = PAGE_H - MARGIN - share * i as f32;
            page.y = top;
            finding_block(&mut page, report, content, number, f, top - share + 8.0);
        }
        footer(&mut page, &title, chunk_index + 2, total_pages);
        pages.push(page.ops);
    }
    assemble(&pages, &title, &report.tool.name)
}

/// A block of a plain document ([`render_document_pdf`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocBlock {
    /// A section heading; a section starting near the bottom of a page starts a new one.
    Heading(String),
    /// A paragraph, wrapped to the text width and carried over pages as needed.
    Text(String),
    /// One monospaced line, cut to the text width.
    Mono(String),
    /// A horizontal rule.
    Rule,
    /// Ends the page.
    PageBreak,
}

/// The lowest a line may go before the page is full (the footer sits below).
const DOC_BOTTOM: f32 = MARGIN + 8.0;

/// A plain document: `title` on top of the first page, then `blocks`, paginated on A4
/// with a footer "`title` - page N of M" on every page.
pub fn render_document_pdf(title: &str, producer: &str, blocks: &[DocBlock]) -> Vec<u8> {
    let mut pages: Vec<PageBuilder> = Vec::new();
    let mut page = PageBuilder::new();
    page.paragraph(Font::Bold, 16.0, title, 3);
    page.gap(6.0);
    let fits = |page: &PageBuilder, height: f32| page.y - height >= DOC_BOTTOM;
    for block in blocks {
        match block {
            DocBlock::Heading(text) => {
                // A heading keeps at least two lines of its section with it.
                if !fits(&page, 12.0 * 1.35 + 2.0 * 9.0 * 1.35 + 6.0) {
                    pages.push(std::mem::replace(&mut page, PageBuilder::new()));
                }
                page.gap(4.0);
                page.paragraph(Font::Bold, 12.0, text, 4);
                page.gap(2.0);
            }
            DocBlock::Text(text) => {
                let per_line = (TEXT_W / Font::Regular.char_width(9.0)) as usize;
                for line in wrap(text, per_line, usize::MAX) {
                    if !fits(&page, 9.0 * 1.35) {
                        pages.push(std::mem::replace(&mut page, PageBuilder::new()));
                    }
                    page.line(Font::Regular, 9.0, &line);
                }
            }
            DocBlock::Mono(text) => {
                if !fits(&page, 8.0 * 1.35) {
                    pages.push(std::mem::replace(&mut page, PageBuilder::new()));
                }
                let per_line = (TEXT_W / Font::Mono.char_width(8.0)) as usize;
                page.line(Font::Mono, 8.0, &cut(text, per_line));
            }
            DocBlock::Rule => {
                if fits(&page, 6.0) {
                    page.rule();
                }
            }
            DocBlock::PageBreak => {
                pages.push(std::mem::replace(&mut page, PageBuilder::new()));
            }
        }
    }
    pages.push(page);
    let total = pages.len();
    let pages: Vec<String> = pages
        .into_iter()
        .enumerate()
        .map(|(i, mut page)| {
            footer(&mut page, title, i + 1, total);
            page.ops
        })
        .collect();
    assemble(&pages, title, producer)
}

fn footer(page: &mut PageBuilder, title: &str, number: usize, total: usize) {
    page.text_at(
        MARGIN,
        MARGIN - 20.0,
        Font::Regular,
        8.0,
        &format!("{title} - page {number} of {total}"),
    );
}

fn summary_page(report: &Report, content: &HtmlOptions, title: &str, total_pages: usize) -> String {
    let mut page = PageBuilder::new();
    page.line(Font::Bold, 20.0, title);
    page.line(
        Font::Regular,
        10.0,
        &format!("{} {}", report.tool.name, report.tool.version),
    );
    for (key, value) in &content.facts {
        page.line(Font::Regular, 10.0, &format!("{key}: {value}"));
    }
    page.gap(8.0);
    page.rule();
    page.line(Font::Bold, 14.0, "Summary by severity");
    page.gap(4.0);

    let max = Severity::ALL
        .iter()
        .map(|s| report.summary.count(*s))
        .max()
        .unwrap_or(0)
        .max(1);
    for severity in Severity::ALL {
        let count = report.summary.count(severity);
        let y = page.y - 14.0;
        page.text_at(MARGIN, y + 3.0, Font::Regular, 10.0, severity.as_str());
        page.fill_rect(MARGIN + 100.0, y, 240.0, 14.0, (0.965, 0.969, 0.976));
        if count > 0 {
            let width = (240.0 * count as f32 / max as f32).max(2.0);
            page.fill_rect(MARGIN + 100.0, y, width, 14.0, severity_rgb(severity));
        }
        page.text_at(
            MARGIN + 350.0,
            y + 3.0,
            Font::Bold,
            10.0,
            &count.to_string(),
        );
        page.y -= 20.0;
    }
    page.text_at(MARGIN, page.y - 10.0, Font::Bold, 10.0, "total");
    page.text_at(
        MARGIN + 350.0,
        page.y - 10.0,
        Font::Bold,
        10.0,
        &report.summary.total.to_string(),
    );
    page.gap(26.0);
    let s = &report.stats;
    page.line(
        Font::Regular,
        9.0,
        &format!(
            "{} files loaded, {} reported, {} bytes, analysed in {} ms.",
            s.files_loaded, s.files_reported, s.bytes, s.duration_ms
        ),
    );
    if content.triage.is_none() {
        page.line(
            Font::Regular,
            9.0,
            "Triage is not tracked in a command-line report.",
        );
    }
    if report.findings.is_empty() {
        page.gap(8.0);
        page.line(Font::Regular, 11.0, "No findings.");
    } else {
        page.gap(8.0);
        page.rule();
        page.line(Font::Bold, 12.0, "Findings");
        let ordered = by_severity(report);
        let room = ((page.y - MARGIN - 20.0) / (9.0 * 1.35)) as usize;
        let per_line = (TEXT_W / Font::Regular.char_width(9.0)) as usize;
        for (i, f) in ordered.iter().enumerate().take(room.saturating_sub(1)) {
            let line = format!(
                "{}. [{}] {} - {}:{}",
                i + 1,
                f.severity,
                f.title,
                f.location.file,
                f.location.start_line
            );
            page.line(Font::Regular, 9.0, &cut(&line, per_line));
        }
        if ordered.len() + 1 > room {
            page.line(
                Font::Regular,
                9.0,
                &format!(
                    "... and {} more",
                    ordered.len() - room.saturating_sub(1).min(ordered.len())
                ),
            );
        }
    }
    if !report.diagnostics.is_empty() {
        page.line(
            Font::Regular,
            9.0,
            &format!(
                "{} input diagnostics (see the JSON or HTML report).",
                report.diagnostics.len()
            ),
        );
    }
    footer(&mut page, title, 1, total_pages);
    page.ops
}

fn finding_block(
    page: &mut PageBuilder,
    report: &Report,
    content: &HtmlOptions,
    number: usize,
    f: &ReportFinding,
    floor: f32,
) {
    let l = &f.location;
    let rule = report.rules.iter().find(|r| r.id == f.rule_id);
    let badge_y = page.y - 13.0;
    page.fill_rect(MARGIN, badge_y - 2.0, 70.0, 14.0, severity_rgb(f.severity));
    let _ = writeln!(
        page.ops,
        "q 1 1 1 rg BT /F2 8 Tf {:.1} {:.1} Td ({}) Tj ET Q",
        MARGIN + 4.0,
        badge_y + 2.0,
        pdf_string(&f.severity.as_str().to_uppercase())
    );
    let heading = format!("{number}. {}", f.title);
    let per_line = ((TEXT_W - 78.0) / Font::Bold.char_width(11.0)) as usize;
    page.text_at(
        MARGIN + 78.0,
        badge_y + 1.0,
        Font::Bold,
        11.0,
        &cut(&heading, per_line),
    );
    page.y -= 20.0;

    let scope = f.contract.as_ref().map(|c| match f.function.as_deref() {
        Some(func) if !func.is_empty() => format!(" in {c}.{func}"),
        _ => format!(" in {c}"),
    });
    let triage = match content.triage.as_ref() {
        Some(t) => t
            .get(&f.fingerprint)
            .map_or_else(|| "open".to_owned(), |n| n.state.replace('_', " ")),
        None => "not tracked".to_owned(),
    };
    page.paragraph(
        Font::Regular,
        8.5,
        &format!(
            "{} | {}:{}:{}{} | confidence {} | {}{} | triage: {triage}",
            f.rule_id,
            l.file,
            l.start_line,
            l.start_column,
            scope.unwrap_or_default(),
            f.confidence,
            f.category,
            f.swc
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
        ),
        2,
    );
    page.paragraph(Font::Bold, 9.5, &f.message, 2);

    // The excerpt: up to seven lines, flagged ones shaded.
    let excerpt = content
        .excerpts
        .get(&f.fingerprint)
        .cloned()
        .unwrap_or_else(|| Excerpt {
            first_line: l.start_line,
            lines: l.snippet.lines().map(str::to_owned).collect(),
        });
    let mono = 7.5;
    let per_line = ((TEXT_W - 30.0) / Font::Mono.char_width(mono)) as usize;
    let shown = window(&excerpt, l.start_line, 7);
    page.gap(2.0);
    for (n, text) in shown {
        let flagged = n >= l.start_line && n <= l.end_line;
        let y = page.y - mono;
        if flagged {
            page.fill_rect(MARGIN, y - 2.0, TEXT_W, mono + 2.5, (1.0, 0.945, 0.761));
        }
        page.text_at(MARGIN, y, Font::Mono, mono, &format!("{n:>4}"));
        page.text_at(
            MARGIN + 30.0,
            y,
            Font::Mono,
            mono,
            &cut(&text.replace('\t', "    "), per_line),
        );
        page.y -= mono * 1.3;
    }
    page.gap(3.0);

    let mut rest: Vec<(Font, String)> = Vec::new();
    if let Some(rule) = rule {
        if !rule.description.trim().is_empty() {
            rest.push((Font::Regular, format!("Explanation: {}", rule.description)));
        }
        if !rule.recommendation.trim().is_empty() {
            rest.push((
                Font::Regular,
                format!("Recommendation: {}", rule.recommendation),
            ));
        }
        if !rule.references.is_empty() {
            rest.push((
                Font::Regular,
                format!("References: {}", rule.references.join(", ")),
            ));
        }
    }
    if let Some(note) = content.triage.as_ref().and_then(|t| t.get(&f.fingerprint)) {
        for c in note.comments.iter().rev().take(2) {
            if let Some(text) = &c.text {
                rest.push((
                    Font::Regular,
                    format!("Comment ({}, {}): {text}", c.author, c.at),
                ));
            }
        }
    }
    for (font, text) in rest {
        let room = ((page.y - floor) / (8.5 * 1.35)).floor().max(0.0) as usize;
        if room == 0 {
            break;
        }
        page.paragraph(font, 8.5, &text, room.min(3));
    }
}

/// Up to `max` lines of `excerpt` around `start`, numbered.
fn window(excerpt: &Excerpt, start: u32, max: usize) -> Vec<(u32, String)> {
    let numbered: Vec<(u32, String)> = excerpt
        .lines
        .iter()
        .enumerate()
        .map(|(i, t)| (excerpt.first_line + i as u32, t.clone()))
        .collect();
    let at = numbered.iter().position(|(n, _)| *n == start).unwrap_or(0);
    let from = at.saturating_sub(2).min(numbered.len().saturating_sub(max));
    numbered.into_iter().skip(from).take(max).collect()
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Greedy word wrap into at most `max_lines` lines of at most `width` characters.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while current.chars().count() > width {
            let head: String = current.chars().take(width).collect();
            current = current.chars().skip(width).collect();
            lines.push(head);
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = cut(&format!("{last} …"), width);
        }
    }
    lines
}

/// A PDF string literal in WinAnsi encoding, as bytes written with Latin-1 escapes.
fn pdf_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let byte: u32 = match c {
            '…' => 0x85,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '→' => {
                out.push_str("->");
                continue;
            }
            c if (' '..='~').contains(&c) => c as u32,
            c if ('\u{a0}'..='\u{ff}').contains(&c) => c as u32,
            _ => u32::from(b'?'),
        };
        match byte {
            0x28 => out.push_str("\\("),
            0x29 => out.push_str("\\)"),
            0x5c => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from_u32(byte).unwrap_or('?')),
            _ => {
                let _ = write!(out, "\\{byte:03o}");
            }
        }
    }
    out
}

/// The document: catalog, pages, three standard fonts, an info dictionary, the pages
/// with their content streams, the cross-reference table and the trailer.
fn assemble(pages: &[String], title: &str, producer: &str) -> Vec<u8> {
    let mut objects: Vec<String> = Vec::new();
    // 1 catalog, 2 pages, 3..=5 fonts, 6 info; page i is 7 + 2i, its content 8 + 2i.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 7 + 2 * i))
        .collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        pages.len()
    ));
    for base in ["Helvetica", "Helvetica-Bold", "Courier"] {
        objects.push(format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>"
        ));
    }
    objects.push(format!(
        "<< /Title ({}) /Producer ({}) >>",
        pdf_string(title),
        pdf_string(producer)
    ));
    for (i, ops) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] \
             /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents {} 0 R >>",
            8 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{ops}endstream",
            ops.len()
        ));
    }

    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(xref.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_and_encoded() {
        assert_eq!(pdf_string("a(b)c\\"), "a\\(b\\)c\\\\");
        assert_eq!(pdf_string("x…é→漢"), "x\\205\\351->?");
    }

    #[test]
    fn wrap_cuts_at_the_line_limit() {
        let lines = wrap("one two three four five six seven", 10, 2);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "one two");
        assert!(lines[1].ends_with('…'));
    }

    #[test]
    fn documents_flow_over_pages_with_numbered_footers() {
        let mut blocks = vec![DocBlock::Heading("Section".into())];
        blocks.extend((0..200).map(|i| DocBlock::Mono(format!("line {i}"))));
        blocks.push(DocBlock::PageBreak);
        blocks.push(DocBlock::Text("last page".into()));
        let pdf = render_document_pdf("Doc", "test", &blocks);
        let text = String::from_utf8_lossy(&pdf);
        // 200 lines of 10.8 points: three pages, then the forced break.
        assert!(text.contains("/Count 5"), "{text}");
        assert!(text.contains("(Doc - page 5 of 5)"));
        assert!(text.contains("(line 199)"));
    }

    #[test]
    fn page_count_is_the_summary_plus_one_per_chunk() {
        assert_eq!(pdf_page_count(0, 3), 1);
        assert_eq!(pdf_page_count(3, 3), 2);
        assert_eq!(pdf_page_count(7, 3), 4);
    }
}
