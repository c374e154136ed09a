//! The QR code symbol (ISO/IEC 18004): segment encoding, Reed–Solomon error correction,
//! module placement and mask selection by the standard penalty rules.
//!
//! Rows and columns are bit sets ([`Line`]), so masking and the penalty rules work on 64
//! modules at a time.

use super::{EcLevel, QrError};
use alloc::vec;
use alloc::vec::Vec;
use core::ops::{BitAnd, BitOr, BitXor, Not};

/// A row (or column) of modules as a bit set: bit `i` is module `i`, dark when set. 192 bits
/// hold the widest symbol (177 modules) with a 4-module margin on each side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Line(pub(crate) [u64; 3]);

macro_rules! line_op {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for Line {
            type Output = Line;
            #[inline]
            fn $method(self, o: Line) -> Line {
                let [a, b, c] = self.0;
                let [x, y, z] = o.0;
                Line([a $op x, b $op y, c $op z])
            }
        }
    };
}
line_op!(BitAnd, bitand, &);
line_op!(BitOr, bitor, |);
line_op!(BitXor, bitxor, ^);

impl Not for Line {
    type Output = Line;
    #[inline]
    fn not(self) -> Line {
        let [a, b, c] = self.0;
        Line([!a, !b, !c])
    }
}

/// What the penalty rules need of a line: bitwise logic, shifts and a population count.
/// Versions 1–9 (up to 53 modules plus margins) fit one `u64`, which is three times
/// cheaper than a [`Line`].
trait Lane:
    Copy
    + Default
    + PartialEq
    + BitAnd<Output = Self>
    + BitOr<Output = Self>
    + BitXor<Output = Self>
    + Not<Output = Self>
{
    /// The first bits of `line`, as many as the lane holds.
    fn from_line(line: Line) -> Self;
    /// Bit `i` of the result is bit `i + k` of `self` (`0 < k < 64`).
    fn shr(self, k: u32) -> Self;
    /// Bit `i + k` of the result is bit `i` of `self` (`0 < k < 64`).
    fn shl(self, k: u32) -> Self;
    fn count(self) -> u32;
}

impl Lane for u64 {
    #[inline]
    fn from_line(line: Line) -> u64 {
        line.0[0]
    }
    #[inline]
    fn shr(self, k: u32) -> u64 {
        self >> k
    }
    #[inline]
    fn shl(self, k: u32) -> u64 {
        self << k
    }
    #[inline]
    fn count(self) -> u32 {
        self.count_ones()
    }
}

impl Lane for Line {
    #[inline]
    fn from_line(line: Line) -> Line {
        line
    }

    #[inline]
    fn shr(self, k: u32) -> Line {
        let [a, b, c] = self.0;
        Line([a >> k | b << (64 - k), b >> k | c << (64 - k), c >> k])
    }

    #[inline]
    fn shl(self, k: u32) -> Line {
        let [a, b, c] = self.0;
        Line([a << k, b << k | a >> (64 - k), c << k | b >> (64 - k)])
    }

    #[inline]
    fn count(self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

impl Line {
    /// Whether module `i` is dark; false beyond the line.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> bool {
        self.0.get(i >> 6).is_some_and(|w| w >> (i & 63) & 1 != 0)
    }

    #[inline]
    fn set(&mut self, i: usize, on: bool) {
        if let Some(w) = self.0.get_mut(i >> 6) {
            let bit = 1 << (i & 63);
            if on { *w |= bit } else { *w &= !bit }
        }
    }

    /// Bits `from..to` set.
    fn range(from: usize, to: usize) -> Line {
        let mut l = Line::default();
        for i in from..to {
            l.set(i, true);
        }
        l
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

/// The QR alphanumeric character set, in code order.
const ALPHANUMERIC: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// The most characters any symbol holds (numeric mode, version 40-L).
const MAX_CHARS: usize = 7089;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Numeric,
    Alphanumeric,
    Byte,
}

impl Mode {
    /// Bits of the character count indicator in `version`.
    fn count_bits(self, version: usize) -> usize {
        let group = (version + 7) / 17; // 1–9, 10–26, 27–40
        match self {
            Mode::Numeric => 10 + 2 * group,
            Mode::Alphanumeric => 9 + 2 * group,
            Mode::Byte => {
                if group == 0 {
                    8
                } else {
                    16
                }
            }
        }
    }

    /// Bits of the encoded characters (after the header).
    fn data_bits(self, len: usize) -> usize {
        match self {
            Mode::Numeric => len / 3 * 10 + (len % 3 * 3 + 1) * usize::from(!len.is_multiple_of(3)),
            Mode::Alphanumeric => len / 2 * 11 + len % 2 * 6,
            Mode::Byte => len * 8,
        }
    }
}

/// A run of the text encoded in one mode: `data[start..end]`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    mode: Mode,
    start: usize,
    end: usize,
}

const MODES: [Mode; 3] = [Mode::Numeric, Mode::Alphanumeric, Mode::Byte];

/// The segmentation of `data` with the fewest bits in `version` (the count indicator
/// widths change at versions 10 and 27): dynamic programming over the bytes, costs in
/// sixths of a bit (a digit takes 10/3 bits, an alphanumeric character 11/2).
fn segments(data: &[u8], version: usize) -> Vec<Segment> {
    const CHAR_COST: [u32; 3] = [20, 33, 48];
    const UNREACHABLE: u32 = 1 << 30;
    let head = MODES.map(|m| (4 + m.count_bits(version) as u32) * 6);
    let whole_bits = |c: u32| c.div_ceil(6) * 6;
    let mut cost = head;
    // For each byte and each mode it may end in, the mode of the byte before.
    let mut from: Vec<[u8; 3]> = Vec::with_capacity(data.len());
    for &c in data {
        let allowed = [c.is_ascii_digit(), ALPHANUMERIC.contains(&c), true];
        let mut next = [UNREACHABLE; 3];
        let mut back = [0u8; 3];
        for (j, ok) in allowed.into_iter().enumerate() {
            if !ok {
                continue;
            }
            for (k, &before) in cost.iter().enumerate() {
                let c = if k == j {
                    before
                } else {
                    whole_bits(before) + head[j]
                };
                if c < next[j] {
                    next[j] = c;
                    back[j] = k as u8;
                }
            }
            next[j] += CHAR_COST[j];
        }
        cost = next;
        from.push(back);
    }
    let mut mode = (0..3).min_by_key(|&m| whole_bits(cost[m])).unwrap_or(2);
    let mut out: Vec<Segment> = Vec::new();
    for (i, back) in from.iter().enumerate().rev() {
        match out.last_mut() {
            Some(seg) if seg.mode == MODES[mode] => seg.start = i,
            _ => out.push(Segment {
                mode: MODES[mode],
                start: i,
                end: i + 1,
            }),
        }
        mode = usize::from(back[mode]);
    }
    out.reverse();
    out
}

/// Bits of the segments in `version`, or `None` when a count does not fit its indicator.
fn segments_bits(segments: &[Segment], version: usize) -> Option<usize> {
    segments.iter().try_fold(0, |total, s| {
        let (bits, len) = (s.mode.count_bits(version), s.end - s.start);
        (len < 1 << bits).then(|| total + 4 + bits + s.mode.data_bits(len))
    })
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

/// `(error correction codewords per block, blocks)` of a version and level.
fn ecc_shape(version: usize, ec: EcLevel) -> (usize, usize) {
    let i = version - 1;
    let ec = ec as usize;
    (
        usize::from(ECC_PER_BLOCK[ec][i]),
        usize::from(BLOCKS[ec][i]),
    )
}

fn data_codewords(version: usize, ec: EcLevel) -> usize {
    let (per_block, blocks) = ecc_shape(version, ec);
    raw_modules(version) / 8 - per_block * blocks
}

/// Big-endian bit writer.
struct Bits {
    bytes: Vec<u8>,
    acc: u64,
    pending: u32,
}

impl Bits {
    fn push(&mut self, value: u32, count: u32) {
        self.acc = self.acc << count | u64::from(value);
        self.pending += count;
        while self.pending >= 8 {
            self.pending -= 8;
            self.bytes.push((self.acc >> self.pending) as u8);
        }
    }
}

/// The data codewords: the segments, terminator and padding.
fn data_stream(data: &[u8], segments: &[Segment], version: usize, capacity: usize) -> Vec<u8> {
    let mut bits = Bits {
        bytes: Vec::with_capacity(capacity),
        acc: 0,
        pending: 0,
    };
    for segment in segments {
        let text = data.get(segment.start..segment.end).unwrap_or_default();
        let mode = segment.mode;
        bits.push(
            match mode {
                Mode::Numeric => 1,
                Mode::Alphanumeric => 2,
                Mode::Byte => 4,
            },
            4,
        );
        bits.push(text.len() as u32, mode.count_bits(version) as u32);
        match mode {
            Mode::Numeric => {
                for group in text.chunks(3) {
                    let value = group.iter().fold(0, |v, &d| v * 10 + u32::from(d - b'0'));
                    bits.push(value, 3 * group.len() as u32 + 1);
                }
            }
            Mode::Alphanumeric => {
                let code = |c: &u8| ALPHANUMERIC.iter().position(|a| a == c).unwrap_or(0) as u32;
                for pair in text.chunks(2) {
                    match pair {
                        [a, b] => bits.push(code(a) * 45 + code(b), 11),
                        [a] => bits.push(code(a), 6),
                        _ => {}
                    }
                }
            }
            Mode::Byte => {
                for &b in text {
                    bits.push(u32::from(b), 8);
                }
            }
        }
    }
    // Terminator (up to four zero bits), then zero bits to the byte boundary.
    let used = bits.bytes.len() * 8 + bits.pending as usize;
    let terminator = (capacity * 8 - used).min(4) as u32;
    bits.push(0, terminator);
    bits.push(0, (8 - bits.pending) % 8);
    // Pad codewords alternate 0xEC, 0x11.
    let mut pad = 0xEC;
    while bits.bytes.len() < capacity {
        bits.bytes.push(pad);
        pad ^= 0xEC ^ 0x11;
    }
    bits.bytes
}

/// GF(2^8) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1, as log/antilog tables.
struct Gf {
    exp: [u8; 512],
    log: [u8; 256],
}

impl Gf {
    fn new() -> Gf {
        let mut gf = Gf {
            exp: [0; 512],
            log: [0; 256],
        };
        let mut x: u16 = 1;
        for i in 0..255 {
            gf.exp[i] = x as u8;
            gf.exp[i + 255] = x as u8;
            gf.log[usize::from(x)] = i as u8;
            x <<= 1;
            if x & 0x100 != 0 {
                x ^= 0x11D;
            }
        }
        gf
    }

    fn mul(&self, a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            0
        } else {
            self.exp[usize::from(self.log[usize::from(a)]) + usize::from(self.log[usize::from(b)])]
        }
    }

    /// The coefficients (highest degree first, leading 1 omitted) of the Reed–Solomon
    /// generator polynomial (x - a^0)(x - a^1)…(x - a^(degree-1)).
    fn generator(&self, degree: usize) -> [u8; 30] {
        let mut g = [0u8; 30];
        let degree = degree.min(30);
        if let Some(last) = degree.checked_sub(1) {
            g[last] = 1;
        }
        let mut root = 1u8;
        for _ in 0..degree {
            for j in 0..degree {
                g[j] = self.mul(g[j], root);
                if j + 1 < degree {
                    g[j] ^= g[j + 1];
                }
            }
            root = self.mul(root, 2);
        }
        g
    }

    /// Appends the Reed–Solomon remainder of `data` (the error correction codewords), given
    /// the logarithms of the generator's coefficients (none of which is zero).
    fn remainder(&self, data: &[u8], generator: &[u8; 30], degree: usize, out: &mut Vec<u8>) {
        let mut rem = [0u8; 30];
        let rem_len = degree.min(30);
        for &b in data {
            let factor = b ^ rem[0];
            rem.copy_within(1.., 0);
            rem[29] = 0;
            if factor != 0 {
                let lf = usize::from(self.log[usize::from(factor)]);
                for (r, &g) in rem.iter_mut().zip(&generator[..rem_len]) {
                    *r ^= self.exp[lf + usize::from(g)];
                }
            }
        }
        out.extend_from_slice(&rem[..rem_len]);
    }
}

/// All codewords in placement order: data blocks interleaved, then their error correction
/// codewords interleaved.
fn codewords(data: &[u8], version: usize, ec: EcLevel) -> Vec<u8> {
    let (per_block, blocks) = ecc_shape(version, ec);
    let total = raw_modules(version) / 8;
    let short_blocks = blocks - total % blocks;
    let short_len = total / blocks - per_block;
    let gf = Gf::new();
    let generator = gf.generator(per_block).map(|c| gf.log[usize::from(c)]);
    let block = |k: usize| {
        let start = k * short_len + k.saturating_sub(short_blocks);
        let len = short_len + usize::from(k >= short_blocks);
        data.get(start..start + len).unwrap_or_default()
    };
    let mut ecc = Vec::with_capacity(per_block * blocks);
    for k in 0..blocks {
        gf.remainder(block(k), &generator, per_block, &mut ecc);
    }
    let mut out = Vec::with_capacity(total);
    for i in 0..=short_len {
        for k in 0..blocks {
            if let Some(&b) = block(k).get(i) {
                out.push(b);
            }
        }
    }
    for i in 0..per_block {
        out.extend(ecc.iter().skip(i).step_by(per_block).take(blocks));
    }
    out
}

/// The symbol being built: dark modules and function-pattern modules, each kept both by
/// row and by column.
struct Grid {
    size: usize,
    rows: Vec<Line>,
    cols: Vec<Line>,
    fn_rows: Vec<Line>,
    fn_cols: Vec<Line>,
}

fn set_in(lines: &mut [Line], i: usize, j: usize, on: bool) {
    if let Some(line) = lines.get_mut(i) {
        line.set(j, on);
    }
}

impl Grid {
    fn new(size: usize) -> Grid {
        // Bits beyond the symbol count as function modules, so masks never touch them.
        let outside = !Line::range(0, size);
        Grid {
            size,
            rows: vec![Line::default(); size],
            cols: vec![Line::default(); size],
            fn_rows: vec![outside; size],
            fn_cols: vec![outside; size],
        }
    }

    fn set(&mut self, x: usize, y: usize, dark: bool) {
        set_in(&mut self.rows, y, x, dark);
        set_in(&mut self.cols, x, y, dark);
    }

    fn set_function(&mut self, x: usize, y: usize, dark: bool) {
        self.set(x, y, dark);
        set_in(&mut self.fn_rows, y, x, true);
        set_in(&mut self.fn_cols, x, y, true);
    }

    /// Draws the square rings `-r..=r` around `(cx, cy)`, clipped: the ring at distance `d`
    /// is dark when bit `d` of `dark_rings` is set.
    fn square(&mut self, cx: usize, cy: usize, r: usize, dark_rings: u32) {
        for y in cy.saturating_sub(r)..=(cy + r).min(self.size - 1) {
            for x in cx.saturating_sub(r)..=(cx + r).min(self.size - 1) {
                let d = x.abs_diff(cx).max(y.abs_diff(cy));
                self.set_function(x, y, dark_rings >> d & 1 != 0);
            }
        }
    }

    fn draw_function_patterns(&mut self, version: usize) {
        let size = self.size;
        for i in 0..size {
            self.set_function(6, i, i % 2 == 0);
            self.set_function(i, 6, i % 2 == 0);
        }
        let far = size - 4;
        for (x, y) in [(3, 3), (far, 3), (3, far)] {
            // Finder: dark centre (rings 0 and 1), light, dark, light separator.
            self.square(x, y, 4, 0b01011);
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
                        self.square(position(i), position(j), 2, 0b101);
                    }
                }
            }
        }
        self.draw_format(0, EcLevel::Medium);
        if version >= 7 {
            let mut rem = version as u32;
            for _ in 0..12 {
                rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
            }
            let bits = (version as u32) << 12 | rem;
            for i in 0..18 {
                let dark = bits >> i & 1 != 0;
                let (a, b) = (size - 11 + i % 3, i / 3);
                self.set_function(a, b, dark);
                self.set_function(b, a, dark);
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
        let bit = |i: usize| bits >> i & 1 != 0;
        let size = self.size;
        for i in 0..6 {
            self.set_function(8, i, bit(i));
        }
        self.set_function(8, 7, bit(6));
        self.set_function(8, 8, bit(7));
        self.set_function(7, 8, bit(8));
        for i in 9..15 {
            self.set_function(14 - i, 8, bit(i));
        }
        for i in 0..8 {
            self.set_function(size - 1 - i, 8, bit(i));
        }
        for i in 8..15 {
            self.set_function(8, size - 15 + i, bit(i));
        }
        self.set_function(8, size - 8, true);
    }

    /// Places the codewords in the zigzag order of the standard, skipping function modules
    /// (left-over modules stay light), then copies the data modules into the columns.
    fn draw_codewords(&mut self, codewords: &[u8]) {
        let size = self.size;
        let mut i = 0usize;
        let mut right = size - 1;
        'place: loop {
            if right == 6 {
                right = 5;
            }
            let upward = (right + 1) & 2 == 0;
            for vert in 0..size {
                let y = if upward { size - 1 - vert } else { vert };
                let (Some(row), Some(function)) = (self.rows.get_mut(y), self.fn_rows.get(y))
                else {
                    break 'place;
                };
                for x in [right, right - 1] {
                    if !function.get(x) {
                        let Some(&byte) = codewords.get(i >> 3) else {
                            break 'place;
                        };
                        if byte << (i & 7) & 0x80 != 0 {
                            row.set(x, true);
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
        for (y, (&row, &function)) in self.rows.iter().zip(&self.fn_rows).enumerate() {
            for (w, mut word) in (row & !function).0.into_iter().enumerate() {
                while word != 0 {
                    set_in(
                        &mut self.cols,
                        w * 64 + word.trailing_zeros() as usize,
                        y,
                        true,
                    );
                    word &= word - 1;
                }
            }
        }
    }
}

/// Whether mask `mask` inverts the module at column `x`, row `y`.
fn mask_bit(mask: u8, x: usize, y: usize) -> bool {
    match mask {
        0 => (x + y).is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => (x + y).is_multiple_of(3),
        4 => (y / 2 + x / 3).is_multiple_of(2),
        5 => x * y % 2 + x * y % 3 == 0,
        6 => (x * y % 2 + x * y % 3).is_multiple_of(2),
        _ => ((x + y) % 2 + x * y % 3).is_multiple_of(2),
    }
}

/// A 12-periodic bit pattern repeated along a whole line.
fn repeat12(pattern: u64) -> Line {
    const EVERY_12: u64 = 0x1001_0010_0100_1001;
    let phase = |k: u32| ((pattern >> k) | (pattern << (12 - k))) & 0xFFF;
    Line([
        pattern.wrapping_mul(EVERY_12),
        phase(4).wrapping_mul(EVERY_12),
        phase(8).wrapping_mul(EVERY_12),
    ])
}

/// The lines of a mask: every mask repeats with period 12 (or a divisor) along both axes,
/// so 12 row patterns and 12 column patterns describe it.
fn mask_lines(mask: u8) -> ([Line; 12], [Line; 12]) {
    let mut by_row = [0u64; 12];
    for (y, row) in by_row.iter_mut().enumerate() {
        for x in 0..12 {
            *row |= u64::from(mask_bit(mask, x, y)) << x;
        }
    }
    let by_col: [u64; 12] = core::array::from_fn(|x| {
        by_row
            .iter()
            .enumerate()
            .fold(0, |col, (y, row)| col | (row >> x & 1) << y)
    });
    (by_row.map(repeat12), by_col.map(repeat12))
}

/// Penalty points of lines (rows or columns) after masking: rule 1 (runs of five or more
/// modules of one colour), rule 3 (1:1:3:1:1 finder-like patterns with four light modules
/// on one side, the quiet zone counting as light) and, for rows, rule 2 (2×2 blocks of one
/// colour). Also returns the number of dark modules (rule 4).
fn penalty<L: Lane>(
    lines: &[Line],
    functions: &[Line],
    mask: &[Line; 12],
    size: usize,
    blocks: bool,
) -> (u32, u32) {
    // Lines are shifted by 4 so the quiet zone fits left of the symbol.
    let valid = L::from_line(Line::range(4, size + 3));
    let zero = L::default();
    let mut points = 0;
    let mut dark = 0;
    let mut previous = zero;
    for (i, (&line, &function)) in lines.iter().zip(functions).enumerate() {
        let masked = L::from_line(line ^ (mask[i % 12] & !function));
        dark += masked.count();
        let d = masked.shl(4);
        let (d1, d2, d3) = (d.shr(1), d.shr(2), d.shr(3));
        // Rule 1: a run of length n >= 5 scores n - 2 = (windows of five) + 2.
        // (Both this and rule 3 are usually empty: skip the counting then.)
        let same = !(d ^ d1) & valid;
        let fives = same & same.shr(1) & same.shr(2) & same.shr(3);
        if fives != zero {
            points += fives.count() + 2 * (fives & !fives.shl(1)).count();
        }
        // Rule 3: dark-light-dark×3-light-dark with four light modules before or after.
        let core = d & !d1 & d2 & d3 & d.shr(4) & !d.shr(5) & d.shr(6);
        if core != zero {
            let light4 = !(d | d1 | d2 | d3);
            points += 40 * ((core & light4.shr(7)).count() + (core & light4.shl(4)).count());
        }
        // Rule 2: 2×2 blocks of one colour.
        if blocks && i > 0 {
            let vertical = !(d ^ previous);
            points += 3 * (vertical & vertical.shr(1) & same).count();
        }
        previous = d;
    }
    (points, dark)
}

/// The penalty score of the grid under `mask` (format information drawn for it).
fn score<L: Lane>(grid: &Grid, mask: u8) -> u32 {
    let size = grid.size;
    let (by_row, by_col) = mask_lines(mask);
    let (row_points, dark) = penalty::<L>(&grid.rows, &grid.fn_rows, &by_row, size, true);
    let (col_points, _) = penalty::<L>(&grid.cols, &grid.fn_cols, &by_col, size, false);
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
    let mut found = None;
    for version in 1..=40 {
        if matches!(version, 1 | 10 | 27) {
            segs = segments(data, version);
        }
        if segments_bits(&segs, version).is_some_and(|bits| bits <= data_codewords(version, ec) * 8)
        {
            found = Some(version);
            break;
        }
    }
    let version = found.ok_or(QrError::DataTooLong)?;
    let stream = data_stream(data, &segs, version, data_codewords(version, ec));
    let all = codewords(&stream, version, ec);

    let size = version * 4 + 17;
    let mut grid = Grid::new(size);
    grid.draw_function_patterns(version);
    grid.draw_codewords(&all);

    let mut best = (u32::MAX, 0u8);
    for mask in 0..8 {
        grid.draw_format(mask, ec);
        // The one-word lane is a native speed-up; WebAssembly keeps one copy of the rules.
        let points = if cfg!(not(target_arch = "wasm32")) && size + 8 <= 64 {
            score::<u64>(&grid, mask)
        } else {
            score::<Line>(&grid, mask)
        };
        if points < best.0 {
            best = (points, mask);
        }
    }
    let mask = best.1;
    grid.draw_format(mask, ec);
    let (by_row, _) = mask_lines(mask);
    let rows = grid
        .rows
        .iter()
        .zip(&grid.fn_rows)
        .enumerate()
        .map(|(y, (&line, &function))| line ^ (by_row[y % 12] & !function))
        .collect();
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
        assert_eq!(data_codewords(1, EcLevel::Low), 19);
        assert_eq!(data_codewords(1, EcLevel::High), 9);
        assert_eq!(data_codewords(10, EcLevel::Medium), 216);
        assert_eq!(data_codewords(40, EcLevel::Low), 2956);
        assert_eq!(data_codewords(40, EcLevel::High), 1276);
        assert_eq!(raw_modules(40) / 8, 3706);
    }

    #[test]
    fn generator_polynomials_have_no_zero_coefficient() {
        // The remainder loop works with logarithms, defined only for non-zero coefficients.
        let gf = Gf::new();
        for degree in ECC_PER_BLOCK.iter().flatten() {
            let degree = usize::from(*degree);
            assert!(
                gf.generator(degree)[..degree].iter().all(|&c| c != 0),
                "{degree}"
            );
        }
    }

    #[test]
    fn segmentation_switches_modes_where_it_saves_bits() {
        let shape = |text: &str| {
            segments(text.as_bytes(), 1)
                .iter()
                .map(|s| (s.mode, s.end - s.start))
                .collect::<Vec<_>>()
        };
        // The npm `qrcode` package segments the benchmark URI the same way.
        let uri = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6";
        assert_eq!(
            shape(uri),
            [(Mode::Byte, 51), (Mode::Alphanumeric, 32), (Mode::Byte, 41)]
        );
        assert_eq!(shape("0123456789"), [(Mode::Numeric, 10)]);
        assert_eq!(shape("HELLO WORLD"), [(Mode::Alphanumeric, 11)]);
        assert_eq!(shape("Hello, World 42!"), [(Mode::Byte, 16)]);
        assert_eq!(shape(""), []);
    }

    #[test]
    fn reed_solomon_matches_iso_annex_example() {
        // ISO/IEC 18004 annex I: "01234567" in version 1-M.
        let data = [
            16, 32, 12, 86, 97, 128, 236, 17, 236, 17, 236, 17, 236, 17, 236, 17,
        ];
        let gf = Gf::new();
        let mut ecc = Vec::new();
        let generator = gf.generator(10).map(|c| gf.log[usize::from(c)]);
        gf.remainder(&data, &generator, 10, &mut ecc);
        assert_eq!(ecc, [165, 36, 212, 193, 237, 54, 199, 135, 44, 85]);
    }
}
