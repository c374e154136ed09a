//! PNG: a 1-bit palette image in a zlib stream compressed with fixed-Huffman deflate,
//! where repeated pixel rows and runs become back-references.

use super::render::next_run;
use super::{QrCode, QrError, QrOptions};
use alloc::vec::Vec;

pub(super) fn png(code: &QrCode, options: &QrOptions) -> Result<Vec<u8>, QrError> {
    if !(1..=64).contains(&options.scale) {
        return Err(QrError::InvalidScale);
    }
    let scale = usize::from(options.scale);
    let quiet = usize::from(options.quiet_zone);
    let modules = code.width() + 2 * quiet;
    let pixels = modules * scale;
    let stride = pixels.div_ceil(8) + 1;

    let mut z = Deflate::new(stride * modules / 4);
    let mut adler = Adler::default();
    let mut previous: Vec<u8> = Vec::new();
    for y in 0..modules {
        let mut row = alloc::vec![0u8; stride];
        if let Some(line) = y.checked_sub(quiet).and_then(|y| code.rows.get(y)) {
            let mut x = 0;
            while let Some((start, end)) = next_run(line, x, code.width()) {
                fill(
                    &mut row,
                    8 + (start + quiet) * scale,
                    8 + (end + quiet) * scale,
                );
                x = end;
            }
        }
        let repeats = if previous == row {
            scale
        } else {
            z.row(&row, &previous);
            scale - 1
        };
        z.repeat(repeats * stride, stride);
        adler.update(&row, scale);
        previous = row;
    }
    let idat = z.finish(adler.value());

    let mut out = Vec::with_capacity(idat.len() + 80);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let [a, b, c, d] = (pixels as u32).to_be_bytes();
    // Width, height, bit depth 1, colour type 3 (palette), default methods.
    let header = [a, b, c, d, a, b, c, d, 1, 3, 0, 0, 0];
    chunk(&mut out, b"IHDR", &header);
    let (light, dark) = (options.light, options.dark);
    chunk(
        &mut out,
        b"PLTE",
        &[light.r, light.g, light.b, dark.r, dark.g, dark.b],
    );
    if light.a != 255 || dark.a != 255 {
        chunk(&mut out, b"tRNS", &[light.a, dark.a]);
    }
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// The length of the common prefix of `a` and `b`, at most 258 (deflate's longest match).
fn common(a: &[u8], b: &[u8]) -> usize {
    let mut n = 0;
    while n < 258 && a.get(n).is_some_and(|x| b.get(n) == Some(x)) {
        n += 1;
    }
    n
}

/// Sets pixels `from..to` (bits, most significant first) of a packed row.
fn fill(bytes: &mut [u8], from: usize, to: usize) {
    for px in from..to {
        if let Some(byte) = bytes.get_mut(px / 8) {
            *byte |= 0x80 >> (px % 8);
        }
    }
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (ISO 3309, as PNG uses it), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = crc >> 1 ^ 0xEDB8_8320 & (crc & 1).wrapping_neg();
        }
    }
    !crc
}

/// Adler-32 (RFC 1950).
#[derive(Clone, Copy)]
struct Adler {
    a: u32,
    b: u32,
}

impl Default for Adler {
    fn default() -> Self {
        Adler { a: 1, b: 0 }
    }
}

impl Adler {
    /// Adds `data` repeated `times` times, at the cost of adding it once: appending a
    /// block of length n with byte sum S and weighted sum W = Σ (n - i)·dᵢ takes
    /// a to a + S and b to b + n·a + W.
    fn update(&mut self, data: &[u8], times: usize) {
        // A row is at most 5,497 bytes ((177 + 2 · 255) modules of 64 pixels, plus the
        // filter byte), so every intermediate value fits in 32 bits.
        const MOD: u32 = 65521;
        let n = data.len() as u32;
        let (mut sum, mut weighted) = (0, 0);
        let mut k = n;
        for &d in data {
            sum += u32::from(d);
            weighted = (weighted + k * u32::from(d)) % MOD;
            k -= 1;
        }
        for _ in 0..times {
            self.b = (self.b + n % MOD * self.a + weighted) % MOD;
            self.a = (self.a + sum) % MOD;
        }
    }

    fn value(self) -> u32 {
        self.b << 16 | self.a
    }
}

/// A zlib stream with one final fixed-Huffman deflate block (RFC 1950, RFC 1951).
struct Deflate {
    out: Vec<u8>,
    /// Pending bits: at most 7 plus the 13 of the longest field.
    acc: u32,
    bits: u32,
}

impl Deflate {
    fn new(capacity: usize) -> Deflate {
        let mut out = Vec::with_capacity(capacity);
        out.extend_from_slice(&[0x78, 0x01]);
        let mut z = Deflate {
            out,
            acc: 0,
            bits: 0,
        };
        z.put(0b011, 3); // BFINAL = 1, BTYPE = 01 (fixed Huffman)
        z
    }

    /// Appends `count` bits of `value`, least significant first.
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= value << self.bits;
        self.bits += count;
        while self.bits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }

    /// Appends a Huffman code, most significant bit first.
    fn code(&mut self, code: u32, mut len: u32) {
        while len > 0 {
            len -= 1;
            self.put(code >> len & 1, 1);
        }
    }

    /// Appends a literal/length symbol (0–287) with its fixed code.
    fn symbol(&mut self, s: u32) {
        match s {
            0..=143 => self.code(0x30 + s, 8),
            144..=255 => self.code(0x190 + s - 144, 9),
            256..=279 => self.code(s - 256, 7),
            _ => self.code(0xC0 + s - 280, 8),
        }
    }

    /// Appends a back-reference: `len` (3–258) bytes from `dist` (1–32768) bytes back.
    fn copy(&mut self, len: usize, dist: usize) {
        let v = (len - 3) as u32;
        if len == 258 {
            self.symbol(285);
        } else if v < 8 {
            self.symbol(257 + v);
        } else {
            let extra = 29 - v.leading_zeros(); // floor(log2 v) - 2
            self.symbol(257 + 4 * extra + (v >> extra));
            self.put(v & ((1 << extra) - 1), extra);
        }
        let v = (dist - 1) as u32;
        if v < 4 {
            self.code(v, 5);
        } else {
            let extra = 30 - v.leading_zeros(); // floor(log2 v) - 1
            self.code(2 * extra + (v >> extra), 5);
            self.put(v & ((1 << extra) - 1), extra);
        }
    }

    /// Appends `total` bytes repeating the last `dist` bytes, as back-references.
    fn repeat(&mut self, mut total: usize, dist: usize) {
        while total > 0 {
            let take = match total {
                0..=258 => total,
                259..=260 => total - 3,
                _ => 258,
            };
            self.copy(take, dist);
            total -= take;
        }
    }

    /// Appends a pixel row: greedily, the longest of a match with the row above (empty
    /// for the first row), a run of the previous byte, or a literal.
    fn row(&mut self, row: &[u8], above: &[u8]) {
        let mut i = 0;
        while let Some(&byte) = row.get(i) {
            let rest = row.get(i..).unwrap_or_default();
            let same_as_above = common(above.get(i..).unwrap_or_default(), rest);
            // A run repeats the byte before: the row compared with itself one byte back.
            let run = i
                .checked_sub(1)
                .map_or(0, |p| common(row.get(p..).unwrap_or_default(), rest));
            if same_as_above.max(run) >= 3 {
                let (len, dist) = if same_as_above >= run {
                    (same_as_above, row.len())
                } else {
                    (run, 1)
                };
                self.copy(len, dist);
                i += len;
            } else {
                self.symbol(u32::from(byte));
                i += 1;
            }
        }
    }

    fn finish(mut self, adler: u32) -> Vec<u8> {
        self.symbol(256);
        self.put(0, 7); // flush the last partial byte
        self.out.extend_from_slice(&adler.to_be_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_and_crc32_match_known_values() {
        // The example of RFC 1950's Wikipedia article and the CRC-32 check value of "123456789".
        let mut adler = Adler::default();
        adler.update(b"Wikipedia", 1);
        assert_eq!(adler.value(), 0x11E6_0398);
        let mut repeated = Adler::default();
        repeated.update(b"Wiki", 3);
        let mut once = Adler::default();
        once.update(b"WikiWikiWiki", 1);
        assert_eq!(repeated.value(), once.value());
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn fill_sets_exactly_the_pixel_range() {
        for from in 0..24 {
            for to in from..=24 {
                let mut bytes = [0u8; 3];
                fill(&mut bytes, from, to);
                let bits = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
                let expected = (from..to).fold(0u32, |b, px| b | 1 << (23 - px));
                assert_eq!(bits, expected, "{from}..{to}");
            }
        }
    }
}
