//! Text renderings: SVG, `data:` URL and terminal half blocks.

use super::{Color, Line, QrCode, QrOptions};
use alloc::string::String;
use alloc::vec::Vec;

/// Appends the decimal digits of `n`, with a minus sign when negative.
fn push_int(out: &mut Vec<u8>, n: isize) {
    if n < 0 {
        out.push(b'-');
    }
    let n = n.unsigned_abs();
    if n >= 10 {
        push_int(out, (n / 10) as isize);
    }
    out.push(b'0' + (n % 10) as u8);
}

fn push_hex(out: &mut Vec<u8>, nibble: u8) {
    out.push(b"0123456789abcdef"[usize::from(nibble & 15)]);
}

/// ` {attribute}="#rgb"` (or `#rrggbb`), plus ` {attribute}-opacity="0.5"` when not opaque.
fn push_paint(out: &mut Vec<u8>, attribute: &str, c: Color) {
    out.push(b' ');
    out.extend_from_slice(attribute.as_bytes());
    out.extend_from_slice(b"=\"#");
    // Each channel's two hex digits equal: `#rgb`.
    let short = (c.r ^ c.r >> 4 | c.g ^ c.g >> 4 | c.b ^ c.b >> 4) & 15 == 0;
    for &v in &[c.r, c.g, c.b] {
        if !short {
            push_hex(out, v >> 4);
        }
        push_hex(out, v);
    }
    out.push(b'"');
    if c.a != 255 {
        out.push(b' ');
        out.extend_from_slice(attribute.as_bytes());
        out.extend_from_slice(b"-opacity=\"");
        // Three decimals, trailing zeros dropped: 128 -> "0.502", 0 -> "0".
        let mut thousandths = (usize::from(c.a) * 1000 + 127) / 255;
        out.push(b'0');
        if thousandths != 0 {
            out.push(b'.');
            while thousandths != 0 {
                push_hex(out, (thousandths / 100) as u8);
                thousandths = thousandths % 100 * 10;
            }
        }
        out.push(b'"');
    }
}

pub(super) fn svg(code: &QrCode, options: &QrOptions) -> String {
    let quiet = usize::from(options.quiet_zone);
    let size = code.width() + 2 * quiet;
    let mut out = Vec::with_capacity(160 + code.width() * code.width() / 2);
    out.extend_from_slice(br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#);
    push_int(&mut out, size as isize);
    out.push(b' ');
    push_int(&mut out, size as isize);
    out.extend_from_slice(br#"" shape-rendering="crispEdges">"#);
    if options.light.a != 0 {
        out.extend_from_slice(b"<path");
        push_paint(&mut out, "fill", options.light);
        out.extend_from_slice(br#" d="M0 0h"#);
        push_int(&mut out, size as isize);
        out.push(b'v');
        push_int(&mut out, size as isize);
        out.extend_from_slice(br#"H0z"/>"#);
    }
    out.extend_from_slice(b"<path");
    push_paint(&mut out, "stroke", options.dark);
    out.extend_from_slice(br#" d=""#);
    // Each run of dark modules is a horizontal stroke of width 1 through the middle of its
    // row; the pen moves relatively between runs.
    let (mut pen_x, mut pen_y) = (0isize, 0isize);
    let mut first = true;
    for (y, row) in code.rows.iter().enumerate() {
        let y = (y + quiet) as isize;
        let mut x = 0;
        while let Some((start, end)) = next_run(row, x, code.width()) {
            // The first move is absolute (from the origin, so the same numbers) and puts
            // the pen in the middle of the row.
            out.push(if first { b'M' } else { b'm' });
            push_int(&mut out, (start + quiet) as isize - pen_x);
            out.push(b' ');
            push_int(&mut out, y - pen_y);
            if first {
                out.extend_from_slice(b".5");
                first = false;
            }
            out.push(b'h');
            push_int(&mut out, (end - start) as isize);
            pen_x = (end + quiet) as isize;
            pen_y = y;
            x = end;
        }
    }
    out.extend_from_slice(br#""/></svg>"#);
    // Only ASCII was written.
    String::from_utf8(out).unwrap_or_default()
}

/// The next run of dark modules at or after `from` in a row of `width` modules, as
/// `(start, end)` with `end` exclusive.
pub(super) fn next_run(row: &Line, from: usize, width: usize) -> Option<(usize, usize)> {
    let start = find(row, from, true);
    (start < width).then(|| (start, find(row, start, false).min(width)))
}

/// The first module at or after `from` that is dark (or light), or 192 when none is.
fn find(row: &Line, from: usize, dark: bool) -> usize {
    let mut i = from >> 6;
    let mut mask = !0u64 << (from & 63);
    while let Some(&word) = row.0.get(i) {
        let word = if dark { word } else { !word } & mask;
        if word != 0 {
            return i * 64 + word.trailing_zeros() as usize;
        }
        mask = !0;
        i += 1;
    }
    192
}

/// `svg` as a `data:image/svg+xml;base64,…` URL.
pub(super) fn data_url(svg: String) -> String {
    let mut out = String::with_capacity(26 + svg.len().div_ceil(3) * 4);
    out.push_str("data:image/svg+xml;base64,");
    crate::base64::encode_into(svg.as_bytes(), &mut out);
    out
}

pub(super) fn terminal(code: &QrCode, options: &QrOptions) -> String {
    let quiet = usize::from(options.quiet_zone);
    let size = code.width() + 2 * quiet;
    // Light modules (and the quiet zone) are blocks; anything below the last row is dark.
    let light = |x: usize, y: usize| {
        y < size && !code.is_dark(x.wrapping_sub(quiet), y.wrapping_sub(quiet))
    };
    let mut out = String::with_capacity(size.div_ceil(2) * (size * 3 + 1));
    for y in (0..size).step_by(2) {
        for x in 0..size {
            out.push(match (light(x, y), light(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    out
}
