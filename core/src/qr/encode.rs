//! The QR code symbol (ISO/IEC 18004): segment encoding, Reed–Solomon error correction,
//! module placement and mask selection by the standard penalty rules.
//!
//! Rows and columns are bit sets ([`Line`]), so masking and the penalty rules work on 64
//! modules at a time. The code is written for size first (it ships in the WebAssembly
//! package): plain loops, one copy of each rule, modes as indices into small tables.

use super::{EcLevel, QrError};
use alloc::vec;
use alloc::vec::Vec;

/// A row (or column) of modules as a bit set: bit `i` is module `i`, dark when set. 192 bits
/// hold the widest symbol (177 modules) with a 4-module margin on each side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Line(pub(crate) [u64; 3]);

impl Line {
    /// Whether module `i` is dark; false beyond the line.
    pub(crate) fn get(&self, i: usize) -> bool {
        self.0.get(i >> 6).is_some_and(|w| w >> (i & 63) & 1 != 0)
    }

    fn set(&mut self, i: usize, on: bool) {
        if let Some(w) = self.0.get_mut(i >> 6) {
            *w = *w & !(1 << (i & 63)) | u64::from(on) << (i & 63);
        }
    }

    /// The line with `mask` applied outside the function modules `function`.
    fn masked(self, mask: &Line, function: &Line) -> Line {
        let ([a, b, c], [m, n, o], [f, g, h]) = (self.0, mask.0, function.0);
        Line([a ^ (m & !f), b ^ (n & !g), c ^ (o & !h)])
    }

    /// Bits `from..from + 64` (zero beyond the line).
    fn window(&self, from: usize) -> u64 {
        let (w, k) = (from / 64, from % 64);
        let next = self.0.get(w + 1).map_or(0, |n| n << 1 << (63 - k));
        self.0.get(w).map_or(0, |l| l >> k) | next
    }
}

/// Error correction codewords per block, by level (L, M, Q, H) and version 1–40.
const ECC_PER_BLOCK: [[u8; 40]; 4] = [
    [
        7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30,
        30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
    ],
    [
        10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28,
        28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ],
    [
        13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30,
        30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
    ],
    [
        17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
    ],
];

/// Error correction blocks, by level (L, M, Q, H) and version 1–40.
const BLOCKS: [[u8; 40]; 4] = [
    [
        1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13,
        14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25,
    ],
    [
        1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23,
        25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ],
    [
        1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29,
        34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
    ],
    [
        1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35,
        37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
    ],
];

/// The QR alphanumeric character set, in code order (the digits first, so a digit's
/// numeric value is also its position here).
const ALPHANUMERIC: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// The most characters any symbol holds (numeric mode, version 40-L).
const MAX_CHARS: usize = 7089;

// Modes are indices: 0 numeric, 1 alphanumeric, 2 byte (mode indicator `1 << mode`).

/// Characters per group, and the bits of a group of 0 to 3 characters, by mode.
const GROUP: [usize; 3] = [3, 2, 1];
const GROUP_BITS: [[u8; 4]; 3] = [[0, 4, 7, 10], [0, 6, 11, 0], [0, 8, 0, 0]];

/// The position of `c` in [`ALPHANUMERIC`] (45 when not there).
fn alphanumeric(c: u8) -> u32 {
    ALPHANUMERIC.iter().position(|&a| a == c).unwrap_or(45) as u32
}

/// The lowest mode that can encode `c`: 0 for a digit, 1 for another alphanumeric
/// character, 2 otherwise (each mode encodes the characters of the ones below it).
fn class(c: u8) -> usize {
    /// The alphanumeric characters below 64 (digits and symbols) as a bit set.
    const LOW: u64 = {
        let mut set = 0;
        let mut i = 0;
        while i < ALPHANUMERIC.len() {
            if ALPHANUMERIC[i] < 64 {
                set |= 1 << ALPHANUMERIC[i];
            }
            i += 1;
        }
        set
    };
    if c.is_ascii_digit() {
        0
    } else if c.is_ascii_uppercase() || (c < 64 && LOW >> c & 1 != 0) {
        1
    } else {
        2
    }
}

/// Bits of the character count indicator of `mode` in `version`.
fn count_bits(mode: usize, version: usize) -> usize {
    let group = (version + 7) / 17; // 1–9, 10–26, 27–40
    if mode == 2 {
        if group == 0 { 8 } else { 16 }
    } else {
        10 - mode + 2 * group
    }
}

/// Bits of `len` characters in `mode` (after the header).
fn data_bits(mode: usize, len: usize) -> usize {
    let (g, bits) = (GROUP[mode], &GROUP_BITS[mode]);
    len / g * usize::from(bits[g]) + usize::from(bits[len % g])
}

/// The segmentation of `data` with the fewest bits in `version` (the count indicator
/// widths change at versions 10 and 27), as `(mode, length)` runs: dynamic programming
/// over the bytes, costs in sixths of a bit (a digit takes 10/3 bits, an alphanumeric
/// character 11/2).
fn segments(data: &[u8], version: usize) -> Vec<(usize, usize)> {
    const CHAR_COST: [u32; 3] = [20, 33, 48];
    const UNREACHABLE: u32 = 1 << 30;
    let mut head = [0u32; 3];
    for (m, h) in head.iter_mut().enumerate() {
        *h = (4 + count_bits(m, version) as u32) * 6;
    }
    let whole_bits = |c: u32| c.div_ceil(6) * 6;
    let mut cost = head;
    // For each byte and each mode it may end in, the mode of the byte before (two bits
    // per mode).
    let mut from: Vec<u8> = Vec::with_capacity(data.len());
    for &c in data {
        let mut next = [UNREACHABLE; 3];
        let mut back = 0;
        for j in class(c)..3 {
            let mut best = 0;
            for (k, &before) in cost.iter().enumerate() {
                let c = if k == j {
                    before
                } else {
                    whole_bits(before) + head[j]
                };
                if c < next[j] {
                    next[j] = c;
                    best = k;
                }
            }
            next[j] += CHAR_COST[j];
            back |= best << (2 * j);
        }
        cost = next;
        from.push(back as u8);
    }
    let mut mode = 0;
    for m in 1..3 {
        if whole_bits(cost[m]) < whole_bits(cost[mode]) {
            mode = m;
        }
    }
    // Back to front, each byte's back-pointers become its mode.
    for back in from.iter_mut().rev() {
        let m = mode as u8;
        mode = usize::from(*back >> (2 * m) & 3);
        *back = m;
    }
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &m in &from {
        let m = usize::from(m);
        match out.last_mut() {
            Some((last, len)) if *last == m => *len += 1,
            _ => out.push((m, 1)),
        }
    }
    out
}

/// Bits of the segments in `version`, or `None` when a count does not fit its indicator.
fn segments_bits(segments: &[(usize, usize)], version: usize) -> Option<usize> {
    let mut total = 0;
    for &(mode, len) in segments {
        let bits = count_bits(mode, version);
        if len >> bits != 0 {
            return None;
        }
        total += 4 + bits + data_bits(mode, len);
    }
    Some(total)
}

/// Modules available for codewords (data + error correction + remainder bits).
fn raw_modules(version: usize) -> usize {
    let mut n = (16 * version + 128) * version + 64;
    if version >= 2 {
        let align = version / 7 + 2;
        n -= (25 * align - 10) * align - 55;
        if version >= 7 {
            n -= 36;
        }
    }
    n
}

/// `(error correction codewords per block, blocks, data codewords)` of a version (1–40)
/// and level.
fn shape(version: usize, ec: EcLevel) -> (usize, usize, usize) {
    let (i, ec) = (version - 1, ec as usize);
    let per_block = usize::from(ECC_PER_BLOCK[ec][i]);
    let blocks = usize::from(BLOCKS[ec][i]);
    (
        per_block,
        blocks,
        raw_modules(version) / 8 - per_block * blocks,
    )
}

/// Big-endian bit writer.
struct Bits {
    bytes: Vec<u8>,
    /// Pending bits: at most 7 plus the 16 of the longest field.
    acc: u32,
    pending: u32,
}

impl Bits {
    fn push(&mut self, value: u32, count: u32) {
        self.acc = self.acc << count | value;
        self.pending += count;
        while self.pending >= 8 {
            self.pending -= 8;
            self.bytes.push((self.acc >> self.pending) as u8);
        }
    }
}

/// The data codewords: the segments, terminator and padding.
fn data_stream(
    mut data: &[u8],
    segments: &[(usize, usize)],
    version: usize,
    capacity: usize,
) -> Vec<u8> {
    let mut bits = Bits {
        bytes: Vec::with_capacity(capacity),
        acc: 0,
        pending: 0,
    };
    for &(mode, len) in segments {
        let (text, rest) = data.split_at(len.min(data.len()));
        data = rest;
        bits.push(1 << mode, 4);
        bits.push(len as u32, count_bits(mode, version) as u32);
        for group in text.chunks(GROUP[mode]) {
            let mut value = 0;
            for &c in group {
                value = if mode == 2 {
                    u32::from(c)
                } else {
                    value * [10, 45][mode] + alphanumeric(c)
                };
            }
            bits.push(value, u32::from(GROUP_BITS[mode][group.len()]));
        }
    }
    // Terminator (up to four zero bits), then zero bits to the byte boundary.
    let used = bits.bytes.len() * 8 + bits.pending as usize;
    bits.push(0, (capacity * 8 - used).min(4) as u32);
    bits.push(0, (8 - bits.pending) % 8);
    // Pad codewords alternate 0xEC, 0x11.
    let mut pad = 0xEC;
    while bits.bytes.len() < capacity {
        bits.bytes.push(pad);
        pad ^= 0xEC ^ 0x11;
    }
    bits.bytes
}

/// The Reed–Solomon generator polynomial (x - a^0)(x - a^1)…(x - a^(degree-1)) over
/// GF(2^8) (polynomial x^8 + x^4 + x^3 + x^2 + 1) as the logarithms of its coefficients,
/// highest degree first and the leading 1 left out, with the field's antilogarithm (twice
/// over, so sums of two logarithms need no reduction) and logarithm tables.
struct Rs {
    exp: [u8; 512],
    log: [u8; 256],
    generator: [u8; 30],
    degree: usize,
}

impl Rs {
    fn new(degree: usize) -> Rs {
        let mut rs = Rs {
            exp: [0; 512],
            log: [0; 256],
            generator: [0; 30],
            degree: degree.min(30),
        };
        let mut x = 1usize;
        for i in 0..510 {
            rs.exp[i] = x as u8;
            rs.log[x] = (i % 255) as u8;
            x <<= 1;
            if x > 255 {
                x ^= 0x11D;
            }
        }
        // The coefficients (none of which is zero), multiplied out one root at a time.
        let g = &mut rs.generator;
        let d = rs.degree;
        if let Some(last) = d.checked_sub(1) {
            g[last] = 1;
        }
        for root in 0..d {
            for j in 0..d {
                g[j] = if g[j] == 0 {
                    0
                } else {
                    rs.exp[usize::from(rs.log[usize::from(g[j])]) + root]
                };
                if j + 1 < d {
                    g[j] ^= g[j + 1];
                }
            }
        }
        for c in g.iter_mut() {
            *c = rs.log[usize::from(*c)];
        }
        rs
    }

    /// The Reed–Solomon remainder of `data` (its error correction codewords) in the first
    /// `degree` bytes.
    fn remainder(&self, data: &[u8]) -> [u8; 31] {
        let mut rem = [0u8; 31];
        for &b in data {
            let factor = b ^ rem[0];
            rem.copy_within(1.., 0);
            if factor != 0 {
                let lf = usize::from(self.log[usize::from(factor)]);
                for (r, &g) in rem.iter_mut().zip(&self.generator[..self.degree]) {
                    *r ^= self.exp[lf + usize::from(g)];
                }
            }
        }
        rem
    }
}

/// All codewords in placement order: data blocks interleaved (the longer blocks' extra
/// byte last), then their error correction codewords interleaved.
fn codewords(data: &[u8], version: usize, ec: EcLevel) -> Vec<u8> {
    let (per_block, blocks, data_len) = shape(version, ec);
    let total = raw_modules(version) / 8;
    let short_blocks = blocks - total % blocks;
    let short_len = total / blocks - per_block;
    let rs = Rs::new(per_block);
    let mut out = vec![0u8; total];
    let mut start = 0;
    for k in 0..blocks {
        let len = short_len + usize::from(k >= short_blocks);
        let block = data.get(start..start + len).unwrap_or_default();
        start += len;
        for (i, &b) in block.iter().enumerate() {
            let skip = if i == short_len { short_blocks } else { 0 };
            if let Some(o) = out.get_mut(i * blocks + k - skip) {
                *o = b;
            }
        }
        for (i, &e) in rs.remainder(block).iter().take(per_block).enumerate() {
            if let Some(o) = out.get_mut(data_len + i * blocks + k) {
                *o = e;
            }
        }
    }
    out
}

/// Sets bit `j` of line `i`, if there is such a line.
fn put(lines: &mut [Line], i: usize, j: usize, on: bool) {
    if let Some(line) = lines.get_mut(i) {
        line.set(j, on);
    }
}

/// The symbol being built: dark modules and function-pattern modules, each kept both by
/// row and by column.
struct Grid {
    size: usize,
    rows: Vec<Line>,
    fn_rows: Vec<Line>,
    cols: Vec<Line>,
    fn_cols: Vec<Line>,
}

impl Grid {
    /// Sets a function module.
    fn set(&mut self, x: usize, y: usize, dark: bool) {
        put(&mut self.rows, y, x, dark);
        put(&mut self.cols, x, y, dark);
        put(&mut self.fn_rows, y, x, true);
        put(&mut self.fn_cols, x, y, true);
    }

    /// Draws the square rings `-r..=r` around `(cx, cy)`, clipped: the ring at distance `d`
    /// is dark when bit `d` of `dark_rings` is set.
    fn square(&mut self, cx: usize, cy: usize, r: usize, dark_rings: u32) {
        for y in cy.saturating_sub(r)..cy + r + 1 {
            for x in cx.saturating_sub(r)..cx + r + 1 {
                if x < self.size && y < self.size {
                    let d = x.abs_diff(cx).max(y.abs_diff(cy));
                    self.set(x, y, dark_rings >> d & 1 != 0);
                }
            }
        }
    }

    /// Draws both copies of the format information (level and mask) and the dark module.
    fn draw_format(&mut self, mask: u8, ec: EcLevel) {
        let data = ((ec as u32) ^ 1) << 3 | u32::from(mask);
        let mut rem = data;
        for _ in 0..10 {
            rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        }
        let bits = (data << 10 | rem) ^ 0x5412;
        let size = self.size;
        for i in 0..15 {
            let dark = bits >> i & 1 != 0;
            // Along column 8 down to row 8, then along row 8 to the left, skipping the
            // timing patterns.
            let p = i + usize::from(i >= 6) + usize::from(i >= 9);
            let (x, y) = if p <= 8 { (8, p) } else { (16 - p, 8) };
            self.set(x, y, dark);
            let (x, y) = if i < 8 {
                (size - 1 - i, 8)
            } else {
                (8, size - 15 + i)
            };
            self.set(x, y, dark);
        }
        self.set(8, size - 8, true);
    }
}

/// Whether mask `mask` inverts the module at column `x`, row `y`.
const fn mask_bit(mask: usize, x: usize, y: usize) -> bool {
    let (sum, product) = (x + y, x * y);
    match mask {
        0 => sum.is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => sum.is_multiple_of(3),
        4 => (y / 2 + x / 3).is_multiple_of(2),
        5 => product % 2 + product % 3 == 0,
        6 => (product % 2 + product % 3).is_multiple_of(2),
        _ => (sum % 2 + product % 3).is_multiple_of(2),
    }
}

/// The row and column patterns of the eight masks, worked out at compile time: every mask
/// repeats with period 12 (or a divisor) along both axes, so 12 row and 12 column patterns
/// of 12 bits describe it.
const MASKS: [[[u16; 12]; 2]; 8] = {
    let mut patterns = [[[0u16; 12]; 2]; 8];
    let mut m = 0;
    while m < 8 {
        let mut i = 0;
        while i < 12 {
            let mut j = 0;
            while j < 12 {
                if mask_bit(m, j, i) {
                    patterns[m][0][i] |= 1 << j;
                    patterns[m][1][j] |= 1 << i;
                }
                j += 1;
            }
            i += 1;
        }
        m += 1;
    }
    patterns
};

/// 12 patterns each repeated along a whole line (by multiplication).
fn mask_lines(patterns: &[u16; 12]) -> [Line; 12] {
    const EVERY_12: u64 = 0x1001_0010_0100_1001;
    let mut out = [Line::default(); 12];
    for (line, &pattern) in out.iter_mut().zip(patterns) {
        // The pattern twice over, so any 12 bits of it are a rotation.
        let twice = u64::from(pattern) * 0x1001;
        for (w, word) in line.0.iter_mut().enumerate() {
            // Word `w` starts at bit 64·w, 4·w (mod 12) into the pattern.
            *word = (twice >> (4 * w) & 0xFFF).wrapping_mul(EVERY_12);
        }
    }
    out
}

/// Penalty points of lines (rows or columns) after masking: rule 1 (runs of five or more
/// modules of one colour), rule 3 (1:1:3:1:1 finder-like patterns with four light modules
/// on one side, the quiet zone counting as light) and, for rows, rule 2 (2×2 blocks of one
/// colour). Also returns the number of dark modules (rule 4).
///
/// Lines are shifted by 4 so the quiet zone fits left of the symbol, then scored 64 bits
/// at a time: a position's rules look at most 4 modules back and 10 ahead, so windows
/// starting every 50 bits each own the 50 positions 4..54 (one window up to version 8).
fn penalty(
    lines: &[Line],
    functions: &[Line],
    mask: &[Line; 12],
    size: usize,
    blocks: bool,
) -> (u32, u32) {
    const OWN: u64 = (1 << 54) - (1 << 4);
    // The positions of modules whose rule 1 and 2 comparisons stay inside the symbol,
    // 4..size + 3, in each window.
    let mut valid = [0u64; 4];
    for (k, v) in valid.iter_mut().enumerate() {
        let from = 50 * k;
        let (lo, hi) = (
            4usize.saturating_sub(from),
            (size + 3).saturating_sub(from).min(64),
        );
        if hi > lo {
            *v = !0 >> (64 - (hi - lo)) << lo;
        }
    }
    let mut points = 0;
    let mut dark = 0;
    let windows = size.div_ceil(50);
    let mut previous = [0u64; 4];
    for (i, (line, function)) in lines.iter().zip(functions).enumerate() {
        let masked = line.masked(&mask[i % 12], function);
        let [a, b, c] = masked.0;
        if blocks {
            dark += a.count_ones() + b.count_ones() + c.count_ones();
        }
        for k in 0..windows {
            // Modules from - 4.. of the line: the four before the first are light.
            let d = match k {
                0 => a << 4,
                _ => masked.window(50 * k - 4),
            };
            let (d1, d2, d3) = (d >> 1, d >> 2, d >> 3);
            // Rule 1: a run of length n >= 5 scores n - 2 = (windows of five) + 2.
            // (Both this and rule 3 are usually empty: skip the counting then.)
            let same = !(d ^ d1) & valid[k];
            let fives = same & same >> 1 & same >> 2 & same >> 3;
            if fives != 0 {
                points +=
                    (fives & OWN).count_ones() + 2 * (fives & !(fives << 1) & OWN).count_ones();
            }
            // Rule 3: dark-light-dark×3-light-dark with four light modules before or after.
            let core = d & !d1 & d2 & d3 & d >> 4 & !(d >> 5) & d >> 6 & OWN;
            if core != 0 {
                let light4 = !(d | d1 | d2 | d3);
                points +=
                    40 * ((core & light4 >> 7).count_ones() + (core & light4 << 4).count_ones());
            }
            // Rule 2: 2×2 blocks of one colour.
            if blocks && i > 0 {
                let vertical = !(d ^ previous[k]);
                points += 3 * (vertical & vertical >> 1 & same & OWN).count_ones();
            }
            previous[k] = d;
        }
    }
    (points, dark)
}

/// The penalty score of the grid under `mask` (format information drawn for it).
fn score(grid: &Grid, [by_row, by_col]: &[[u16; 12]; 2]) -> u32 {
    let size = grid.size;
    let (row_points, dark) = penalty(&grid.rows, &grid.fn_rows, &mask_lines(by_row), size, true);
    let (col_points, _) = penalty(&grid.cols, &grid.fn_cols, &mask_lines(by_col), size, false);
    // Rule 4: 10 points per full 5% that the dark share deviates from 50%.
    let total = size * size;
    let deviation = (dark as usize * 20).abs_diff(total * 10);
    row_points + col_points + deviation.div_ceil(total).saturating_sub(1) as u32 * 10
}

/// An encoded symbol: version, mask and the module rows.
pub(crate) struct Symbol {
    pub(crate) version: u8,
    pub(crate) mask: u8,
    pub(crate) rows: Vec<Line>,
}

/// Encodes `data` in the smallest version that holds it at level `ec`, with the mask of
/// the lowest penalty.
pub(crate) fn encode(data: &[u8], ec: EcLevel) -> Result<Symbol, QrError> {
    if data.len() > MAX_CHARS {
        return Err(QrError::DataTooLong);
    }
    // The best segmentation changes only where the count indicators widen.
    let mut segs = Vec::new();
    let mut version = 0;
    let capacity = loop {
        version += 1;
        if version > 40 {
            return Err(QrError::DataTooLong);
        }
        if matches!(version, 1 | 10 | 27) {
            segs = segments(data, version);
        }
        let capacity = shape(version, ec).2;
        if segments_bits(&segs, version).is_some_and(|bits| bits <= capacity * 8) {
            break capacity;
        }
    };
    let all = codewords(&data_stream(data, &segs, version, capacity), version, ec);

    let size = version * 4 + 17;
    // Bits beyond the symbol count as function modules, so masks never touch them.
    let mut outside = Line([!0; 3]);
    for i in 0..size {
        outside.set(i, false);
    }
    let mut grid = Grid {
        size,
        rows: vec![Line::default(); size],
        fn_rows: vec![outside; size],
        cols: vec![Line::default(); size],
        fn_cols: vec![outside; size],
    };
    // Function patterns: timing, finders, alignment, format and version information.
    for i in 0..size {
        grid.set(6, i, i % 2 == 0);
        grid.set(i, 6, i % 2 == 0);
    }
    let far = size - 4;
    for &(x, y) in &[(3, 3), (far, 3), (3, far)] {
        // Finder: dark centre (rings 0 and 1), light, dark, light separator.
        grid.square(x, y, 4, 0b01011);
    }
    if version > 1 {
        let count = version / 7 + 2;
        let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2;
        let position = |i: usize| {
            if i == 0 {
                6
            } else {
                size - 7 - (count - 1 - i) * step
            }
        };
        for i in 0..count {
            for j in 0..count {
                // The three corners hold finder patterns.
                let corner = (i == 0 || j == 0) && (i + j == 0 || i + j == count - 1);
                if !corner {
                    // Alignment: dark centre, light ring, dark ring.
                    grid.square(position(i), position(j), 2, 0b101);
                }
            }
        }
    }
    grid.draw_format(0, ec);
    if version >= 7 {
        let mut rem = version as u32;
        for _ in 0..12 {
            rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
        }
        let bits = (version as u32) << 12 | rem;
        for i in 0..18 {
            let dark = bits >> i & 1 != 0;
            let (a, b) = (size - 11 + i % 3, i / 3);
            grid.set(a, b, dark);
            grid.set(b, a, dark);
        }
    }

    // The codewords in the zigzag order of the standard, skipping function modules
    // (left-over modules stay light).
    let mut i = 0usize;
    let mut right = size - 1;
    'place: loop {
        if right == 6 {
            right = 5;
        }
        let upward = (right + 1) & 2 == 0;
        for vert in 0..size {
            let y = if upward { size - 1 - vert } else { vert };
            for &x in &[right, right - 1] {
                if !grid.fn_rows[y].get(x) {
                    let Some(&byte) = all.get(i >> 3) else {
                        break 'place;
                    };
                    if byte << (i & 7) & 0x80 != 0 {
                        put(&mut grid.rows, y, x, true);
                        put(&mut grid.cols, x, y, true);
                    }
                    i += 1;
                }
            }
        }
        if right < 3 {
            break;
        }
        right -= 2;
    }

    let mut best = (u32::MAX, 0u8);
    for (mask, p) in (0..8).zip(&MASKS) {
        grid.draw_format(mask, ec);
        let points = score(&grid, p);
        if points < best.0 {
            best = (points, mask);
        }
    }
    let mask = best.1;
    grid.draw_format(mask, ec);
    let by_row = mask_lines(&MASKS[usize::from(mask)][0]);
    let mut rows = grid.rows;
    for (y, (row, &function)) in rows.iter_mut().zip(&grid.fn_rows).enumerate() {
        *row = row.masked(&by_row[y % 12], &function);
    }
    Ok(Symbol {
        version: version as u8,
        mask,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_match_the_standard() {
        // ISO/IEC 18004 table 7: data codewords of selected versions and levels.
        assert_eq!(shape(1, EcLevel::Low).2, 19);
        assert_eq!(shape(1, EcLevel::High).2, 9);
        assert_eq!(shape(10, EcLevel::Medium).2, 216);
        assert_eq!(shape(40, EcLevel::Low).2, 2956);
        assert_eq!(shape(40, EcLevel::High).2, 1276);
        assert_eq!(raw_modules(40) / 8, 3706);
    }

    #[test]
    fn generator_polynomials_vanish_at_their_roots() {
        // The remainder loop works with logarithms, defined only for non-zero coefficients:
        // a zero coefficient would be stored as the logarithm of 1 and break this.
        for degree in ECC_PER_BLOCK.iter().flatten() {
            let rs = Rs::new(usize::from(*degree));
            for root in 0..rs.degree {
                // g(a^root) = a^(root·d) + Σ c_j·a^(root·(d-1-j)), by Horner's rule.
                let mut value = 1u8;
                for &c in &rs.generator[..rs.degree] {
                    if value != 0 {
                        value = rs.exp[usize::from(rs.log[usize::from(value)]) + root];
                    }
                    value ^= rs.exp[usize::from(c)];
                }
                assert_eq!(value, 0, "degree {degree}, root {root}");
            }
        }
    }

    #[test]
    fn segmentation_switches_modes_where_it_saves_bits() {
        let shape = |text: &str| segments(text.as_bytes(), 1);
        let (numeric, alphanumeric, byte) = (0, 1, 2);
        // The npm `qrcode` package segments the benchmark URI the same way.
        let uri = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6";
        assert_eq!(shape(uri), [(byte, 51), (alphanumeric, 32), (byte, 41)]);
        assert_eq!(shape("0123456789"), [(numeric, 10)]);
        assert_eq!(shape("HELLO WORLD"), [(alphanumeric, 11)]);
        assert_eq!(shape("Hello, World 42!"), [(byte, 16)]);
        assert_eq!(shape(""), []);
    }

    #[test]
    fn reed_solomon_matches_iso_annex_example() {
        // ISO/IEC 18004 annex I: "01234567" in version 1-M.
        let data = [
            16, 32, 12, 86, 97, 128, 236, 17, 236, 17, 236, 17, 236, 17, 236, 17,
        ];
        let ecc = Rs::new(10).remainder(&data);
        assert_eq!(ecc[..10], [165, 36, 212, 193, 237, 54, 199, 135, 44, 85]);
    }
}
