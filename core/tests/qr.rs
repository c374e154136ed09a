//! QR codes: every rendering decodes back to the exact input with independent decoders
//! (rqrr; resvg for the SVG; the png crate for the PNG), and the module matrix agrees with
//! the `qrcode` crate for the same version, level and mask.
#![cfg(feature = "qr")]

use base64::Engine as _;
use twostep::qr::{self, Color, EcLevel, QrCode, QrError, QrOptions};

const LEVELS: [EcLevel; 4] = [
    EcLevel::Low,
    EcLevel::Medium,
    EcLevel::Quartile,
    EcLevel::High,
];

/// The 124-character otpauth URI of the benchmarks.
const URI: &str = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6";

/// Byte capacity of versions 1, 2, 10 and 40 per level (ISO/IEC 18004 table 7).
const BYTE_CAPACITY: [(u8, [usize; 4]); 4] = [
    (1, [17, 14, 11, 7]),
    (2, [32, 26, 20, 14]),
    (10, [271, 213, 151, 119]),
    (40, [2953, 2331, 1663, 1273]),
];

fn texts() -> Vec<String> {
    let mut texts: Vec<String> = [
        "",
        "a",
        "Hello, world!",
        "01234567",
        "3141592653589793238462643383279502884197169399375105820974944592",
        "HELLO WORLD $%*+-./:",
        "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        "Grüße aus Köln — 日本語のテキスト — ключ — 🔐🌍",
        "tab\tnewline\nnul\0del\u{7f}\u{80}\u{ff}\u{fffd}",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(URI.len(), 124);
    texts.push(URI.to_string());
    texts.push(format!(
        "https://example.com/{}",
        "path/segment-".repeat(40)
    ));
    texts.push((1..=300u32).filter_map(char::from_u32).collect());
    texts
}

/// Decodes a bitmap with rqrr; exactly one code must be found. Returns its bytes and metadata.
fn rqrr_decode(
    width: usize,
    height: usize,
    dark: impl Fn(usize, usize) -> bool,
) -> (Vec<u8>, rqrr::MetaData) {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark(x, y) { 0 } else { 255 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "expected exactly one QR code in the image");
    let mut bytes = Vec::new();
    let meta = grids[0]
        .decode_to(&mut bytes)
        .expect("rqrr decodes the symbol");
    (bytes, meta)
}

/// The symbol's own modules, drawn 3 pixels per module with a 4-module quiet zone.
fn decode_modules(code: &QrCode) -> (Vec<u8>, rqrr::MetaData) {
    let side = (code.width() + 8) * 3;
    rqrr_decode(side, side, |x, y| {
        let (mx, my) = ((x / 3).wrapping_sub(4), (y / 3).wrapping_sub(4));
        code.is_dark(mx, my)
    })
}

/// Rasterises an SVG with resvg at 4 pixels per viewBox unit, over white.
fn rasterise_svg(svg: &str) -> (usize, usize, Vec<u8>) {
    let tree =
        resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("valid SVG");
    let size = tree.size();
    let (w, h) = ((size.width() * 4.0) as u32, (size.height() * 4.0) as u32);
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).expect("pixmap");
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(4.0, 4.0),
        &mut pixmap.as_mut(),
    );
    // Premultiplied RGBA composited over white, as grey.
    let grey = pixmap
        .data()
        .chunks_exact(4)
        .map(|p| {
            let over_white = |c: u8| u32::from(c) + 255 - u32::from(p[3]);
            ((over_white(p[0]) + over_white(p[1]) + over_white(p[2])) / 3) as u8
        })
        .collect();
    (w as usize, h as usize, grey)
}

fn decode_svg(svg: &str) -> (Vec<u8>, rqrr::MetaData) {
    let (w, h, grey) = rasterise_svg(svg);
    rqrr_decode(w, h, |x, y| grey[y * w + x] < 128)
}

/// Decodes a PNG with the png crate into RGBA pixels.
fn png_rgba(bytes: &[u8]) -> (usize, usize, Vec<[u8; 4]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.ignore_checksums(false); // verify CRC-32 and Adler-32 too
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("valid PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("valid PNG data");
    let pixels = match info.color_type {
        png::ColorType::Rgb => buf[..info.buffer_size()]
            .chunks_exact(3)
            .map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::Rgba => buf[..info.buffer_size()]
            .chunks_exact(4)
            .map(|p| [p[0], p[1], p[2], p[3]])
            .collect(),
        other => panic!("unexpected colour type {other:?}"),
    };
    (info.width as usize, info.height as usize, pixels)
}

fn decode_png(bytes: &[u8]) -> (Vec<u8>, rqrr::MetaData) {
    let (w, h, pixels) = png_rgba(bytes);
    rqrr_decode(w, h, |x, y| {
        let p = pixels[y * w + x];
        let over_white = |c: u8| u32::from(c) * u32::from(p[3]) / 255 + 255 - u32::from(p[3]);
        over_white(p[0]) + over_white(p[1]) + over_white(p[2]) < 3 * 128
    })
}

/// Parses terminal half blocks back into rows of modules (true = light).
fn parse_terminal(text: &str) -> Vec<Vec<bool>> {
    let mut rows = Vec::new();
    for line in text.split_terminator('\n') {
        let (top, bottom): (Vec<bool>, Vec<bool>) = line
            .chars()
            .map(|c| match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected character {other:?} in terminal output"),
            })
            .unzip();
        rows.push(top);
        rows.push(bottom);
    }
    rows
}

fn decode_terminal(text: &str) -> (Vec<u8>, rqrr::MetaData) {
    assert!(text.ends_with('\n'));
    let mut rows = parse_terminal(text);
    // An odd number of module rows: the last half row is the terminal background (dark).
    let padding = rows.pop().expect("rows");
    assert!(
        padding.iter().all(|light| !light),
        "padding row must be blank"
    );
    let side = rows.len();
    assert!(
        rows.iter().all(|r| r.len() == side),
        "terminal rendering must be square"
    );
    rqrr_decode(side * 3, side * 3, |x, y| !rows[y / 3][x / 3])
}

/// rqrr's ecc_level is the 2-bit format field: L = 1, M = 0, Q = 3, H = 2.
fn format_level(ec: EcLevel) -> u16 {
    match ec {
        EcLevel::Low => 1,
        EcLevel::Medium => 0,
        EcLevel::Quartile => 3,
        EcLevel::High => 2,
    }
}

fn check_meta(meta: &rqrr::MetaData, code: &QrCode) {
    assert_eq!(meta.version.0, usize::from(code.version()));
    assert_eq!(meta.ecc_level, format_level(code.ec_level()));
    assert_eq!(meta.mask, u16::from(code.mask()));
}

#[test]
fn every_rendering_decodes_back_to_the_exact_text() {
    let mut checked = 0;
    for text in texts() {
        for ec in LEVELS {
            let options = QrOptions {
                ec,
                ..QrOptions::default()
            };
            let code = QrCode::encode(&text, ec).expect("fits");
            assert_eq!(code.width(), usize::from(code.version()) * 4 + 17);

            let (bytes, meta) = decode_modules(&code);
            assert_eq!(bytes, text.as_bytes(), "modules {text:?} {ec:?}");
            check_meta(&meta, &code);

            let svg = qr::svg(&text, &options).expect("svg");
            assert_eq!(svg, code.to_svg(&options));
            let (bytes, meta) = decode_svg(&svg);
            assert_eq!(bytes, text.as_bytes(), "svg {text:?} {ec:?}");
            check_meta(&meta, &code);

            let png = qr::png(&text, &options).expect("png");
            let (bytes, meta) = decode_png(&png);
            assert_eq!(bytes, text.as_bytes(), "png {text:?} {ec:?}");
            check_meta(&meta, &code);

            let terminal = qr::terminal(&text, &options).expect("terminal");
            let (bytes, meta) = decode_terminal(&terminal);
            assert_eq!(bytes, text.as_bytes(), "terminal {text:?} {ec:?}");
            check_meta(&meta, &code);

            let url = qr::data_url(&text, &options).expect("data url");
            let payload = url
                .strip_prefix("data:image/svg+xml;base64,")
                .expect("data URL prefix");
            let svg_bytes = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .expect("base64");
            assert_eq!(svg_bytes, svg.as_bytes());
            let (bytes, _) = decode_svg(std::str::from_utf8(&svg_bytes).expect("UTF-8 SVG"));
            assert_eq!(bytes, text.as_bytes(), "data URL {text:?} {ec:?}");
            checked += 1;
        }
    }
    assert!(checked >= 48);
}

#[test]
fn capacity_boundaries_pick_the_smallest_version() {
    for (version, capacities) in BYTE_CAPACITY {
        for (ec, capacity) in LEVELS.into_iter().zip(capacities) {
            let fits = "a".repeat(capacity);
            let code = QrCode::encode(&fits, ec).expect("fits");
            assert_eq!(code.version(), version, "{capacity} bytes at {ec:?}");
            let (bytes, _) = decode_modules(&code);
            assert_eq!(bytes, fits.as_bytes());

            let over = "a".repeat(capacity + 1);
            match QrCode::encode(&over, ec) {
                Ok(code) => {
                    assert_eq!(
                        code.version(),
                        version + 1,
                        "{} bytes at {ec:?}",
                        capacity + 1
                    );
                    let (bytes, _) = decode_modules(&code);
                    assert_eq!(bytes, over.as_bytes());
                }
                Err(e) => {
                    assert_eq!(version, 40);
                    assert_eq!(e, QrError::DataTooLong);
                }
            }
        }
    }
    // Numeric and alphanumeric mode capacities of version 1-L and 40-L.
    for (text, version) in [
        ("1".repeat(41), 1),
        ("1".repeat(42), 2),
        ("A".repeat(25), 1),
        ("A".repeat(26), 2),
        ("1".repeat(7089), 40),
        ("A".repeat(4296), 40),
    ] {
        let code = QrCode::encode(&text, EcLevel::Low).expect("fits");
        assert_eq!(code.version(), version, "{} characters", text.len());
        assert_eq!(decode_modules(&code).0, text.as_bytes());
    }
}

#[test]
fn too_long_is_an_error_for_every_rendering() {
    assert!(QrCode::encode(&"a".repeat(2953), EcLevel::Low).is_ok());
    let long = "a".repeat(2954);
    let options = QrOptions {
        ec: EcLevel::Low,
        ..QrOptions::default()
    };
    assert_eq!(
        QrCode::encode(&long, EcLevel::Low),
        Err(QrError::DataTooLong)
    );
    assert_eq!(qr::svg(&long, &options), Err(QrError::DataTooLong));
    assert_eq!(qr::png(&long, &options), Err(QrError::DataTooLong));
    assert_eq!(qr::terminal(&long, &options), Err(QrError::DataTooLong));
    assert_eq!(qr::data_url(&long, &options), Err(QrError::DataTooLong));
    for (text, ec) in [
        ("é".repeat(1477), EcLevel::Low),
        ("a".repeat(2332), EcLevel::Medium),
        ("a".repeat(1664), EcLevel::Quartile),
        ("a".repeat(1274), EcLevel::High),
        ("1".repeat(7090), EcLevel::Low),
        ("A".repeat(4297), EcLevel::Low),
        ("x".repeat(1 << 20), EcLevel::Low),
    ] {
        assert_eq!(
            QrCode::encode(&text, ec),
            Err(QrError::DataTooLong),
            "{} bytes",
            text.len()
        );
    }
    assert_eq!(QrError::DataTooLong.code(), "data_too_long");
    assert_eq!(QrError::InvalidColor.code(), "invalid_color");
    assert_eq!(QrError::InvalidScale.code(), "invalid_scale");
    assert!(QrError::DataTooLong.to_string().contains("too long"));
}

#[test]
fn colours_parse_from_css_hex() {
    assert_eq!("#000".parse(), Ok(Color::BLACK));
    assert_eq!("#FFFFFF".parse(), Ok(Color::WHITE));
    assert_eq!("#00000000".parse(), Ok(Color::TRANSPARENT));
    assert_eq!("#1a2B3c".parse(), Ok(Color::rgb(0x1a, 0x2b, 0x3c)));
    assert_eq!("#f80".parse(), Ok(Color::rgb(0xff, 0x88, 0x00)));
    assert_eq!(
        "#f808".parse(),
        Ok(Color {
            r: 0xff,
            g: 0x88,
            b: 0,
            a: 0x88
        })
    );
    assert_eq!(
        "#12345678".parse(),
        Ok(Color {
            r: 0x12,
            g: 0x34,
            b: 0x56,
            a: 0x78
        })
    );
    for bad in [
        "",
        "#",
        "000",
        "#12",
        "#12345",
        "#1234567",
        "#123456789",
        "#ggg",
        "# 123",
        "#ＦＦＦ",
        "red",
        "#-12",
    ] {
        assert_eq!(bad.parse::<Color>(), Err(QrError::InvalidColor), "{bad:?}");
    }
}

#[test]
fn quiet_zone_and_colours_appear_in_the_outputs() {
    let dark: Color = "#1e3a8a".parse().expect("colour");
    let light: Color = "#fef3c7".parse().expect("colour");
    let code = QrCode::encode(URI, EcLevel::Medium).expect("fits");
    let n = code.width();
    for quiet in [0u8, 1, 4, 10] {
        let options = QrOptions {
            quiet_zone: quiet,
            dark,
            light,
            scale: 3,
            ..QrOptions::default()
        };
        let q = usize::from(quiet);
        let side = n + 2 * q;

        let svg = code.to_svg(&options);
        assert!(
            svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)),
            "{svg}"
        );
        assert!(svg.contains(r#"shape-rendering="crispEdges""#));
        assert!(svg.contains(r##"fill="#fef3c7""##) && svg.contains(r##"stroke="#1e3a8a""##));
        assert_eq!(svg.matches("<path").count(), 2);
        // Rasterised: the corner is light, the top-left finder's corner is dark.
        let (w, _, grey) = rasterise_svg(&svg);
        assert_eq!(w, side * 4);
        let (w2, h2, pixels) = png_rgba(&code.to_png(&options).expect("png"));
        assert_eq!((w2, h2), (side * 3, side * 3));
        let at = |mx: usize, my: usize| pixels[(my * 3 + 1) * w2 + mx * 3 + 1];
        for my in 0..side {
            for mx in 0..side {
                let expected = if code.is_dark(mx.wrapping_sub(q), my.wrapping_sub(q)) {
                    dark
                } else {
                    light
                };
                assert_eq!(
                    at(mx, my),
                    [expected.r, expected.g, expected.b, 255],
                    "module ({mx}, {my}), quiet {quiet}"
                );
                let svg_dark = grey[(my * 4 + 2) * w + mx * 4 + 2] < 128;
                assert_eq!(
                    svg_dark,
                    expected == dark,
                    "svg module ({mx}, {my}), quiet {quiet}"
                );
            }
        }
        let rows = parse_terminal(&code.to_terminal(&options));
        assert_eq!(rows.len(), side + 1);
        for (my, row) in rows.iter().take(side).enumerate() {
            assert_eq!(row.len(), side);
            for (mx, &is_light) in row.iter().enumerate() {
                assert_eq!(
                    is_light,
                    !code.is_dark(mx.wrapping_sub(q), my.wrapping_sub(q))
                );
            }
        }
    }
    // Transparent light: no background in the SVG, alpha in the PNG palette.
    let options = QrOptions {
        light: Color::TRANSPARENT,
        dark: "#00008080".parse().expect("colour"),
        ..QrOptions::default()
    };
    let svg = code.to_svg(&options);
    assert_eq!(svg.matches("<path").count(), 1);
    assert!(
        svg.contains(r##"stroke="#000080" stroke-opacity="0.502""##),
        "{svg}"
    );
    let (w, _, pixels) = png_rgba(&code.to_png(&options).expect("png"));
    assert_eq!(pixels[0][3], 0);
    assert_eq!(pixels[(4 * 8 + 1) * w + 4 * 8 + 1], [0, 0, 0x80, 0x80]);
}

#[test]
fn png_scale_is_validated() {
    let code = QrCode::encode("scale", EcLevel::Medium).expect("fits");
    for scale in [0, 65, u16::MAX] {
        let options = QrOptions {
            scale,
            ..QrOptions::default()
        };
        assert_eq!(code.to_png(&options), Err(QrError::InvalidScale));
        assert_eq!(qr::png("scale", &options), Err(QrError::InvalidScale));
    }
    for scale in [1, 2, 7, 64] {
        let options = QrOptions {
            scale,
            ..QrOptions::default()
        };
        let png = code.to_png(&options).expect("png");
        let (w, h, _) = png_rgba(&png);
        assert_eq!(
            (w, h),
            ((21 + 8) * usize::from(scale), (21 + 8) * usize::from(scale))
        );
        let (bytes, _) = decode_png(&png);
        assert_eq!(bytes, b"scale");
    }
}

#[test]
fn is_dark_outside_the_symbol_is_false() {
    let code = QrCode::encode("edge", EcLevel::Low).expect("fits");
    let n = code.width();
    assert!(code.is_dark(0, 0) && code.is_dark(n - 1, 0) && code.is_dark(0, n - 1));
    for (x, y) in [
        (n, 0),
        (0, n),
        (n, n),
        (usize::MAX, 0),
        (0, usize::MAX),
        (192, 0),
        (200, 3),
    ] {
        assert!(!code.is_dark(x, y), "({x}, {y})");
    }
}

// ---------------------------------------------------------------------------------------
// Cross-check with the `qrcode` crate and an independent, module-by-module penalty score.

/// Segments as `(mode, bytes)`: `N`umeric, `A`lphanumeric or `B`yte.
type Segments = Vec<(char, usize)>;

/// Texts and their optimal segmentation (single-mode texts, and the benchmark URI as the
/// npm `qrcode` package segments it).
fn cross_check_cases() -> Vec<(String, Segments)> {
    let single = |text: String, mode: char| {
        let len = text.len();
        (text, vec![(mode, len)])
    };
    vec![
        single("a".into(), 'B'),
        single("Hello, world!".into(), 'B'),
        single("01234567".into(), 'N'),
        single(
            "3141592653589793238462643383279502884197169399375105820974944592".into(),
            'N',
        ),
        single("HELLO WORLD $%*+-./:".into(), 'A'),
        single(
            "Grüße aus Köln — 日本語のテキスト — ключ — 🔐🌍".into(),
            'B',
        ),
        single(
            "tab\tnewline\nnul\0del\u{7f}\u{80}\u{ff}\u{fffd}".into(),
            'B',
        ),
        single(
            format!("https://example.com/{}", "path/segment-".repeat(40)),
            'B',
        ),
        single("a".repeat(500), 'B'),
        single("9".repeat(1000), 'N'),
        single("HTTPS://EXAMPLE.COM/".repeat(20), 'A'),
        (URI.into(), vec![('B', 51), ('A', 32), ('B', 41)]),
        (
            "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
                .into(),
            vec![('B', 48), ('A', 16), ('B', 15)],
        ),
    ]
}

fn push_segments(bits: &mut qrcode::bits::Bits, text: &str, segments: &Segments) {
    let mut rest = text.as_bytes();
    for &(mode, len) in segments {
        let (part, tail) = rest.split_at(len);
        match mode {
            'N' => bits.push_numeric_data(part).expect("numeric"),
            'A' => bits.push_alphanumeric_data(part).expect("alphanumeric"),
            _ => bits.push_byte_data(part).expect("bytes"),
        }
        rest = tail;
    }
    assert!(rest.is_empty());
}

/// The `qrcode` crate's matrix for `text` at a given version, level and mask.
fn qrcode_matrix(text: &str, segments: &Segments, version: u8, ec: EcLevel, mask: u8) -> Vec<bool> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let version = qrcode::Version::Normal(i16::from(version));
    let level = match ec {
        EcLevel::Low => qrcode::EcLevel::L,
        EcLevel::Medium => qrcode::EcLevel::M,
        EcLevel::Quartile => qrcode::EcLevel::Q,
        EcLevel::High => qrcode::EcLevel::H,
    };
    let mut bits = qrcode::bits::Bits::new(version);
    push_segments(&mut bits, text, segments);
    bits.push_terminator(level).expect("terminator");
    let (data, ecc) =
        qrcode::ec::construct_codewords(&bits.into_bytes(), version, level).expect("codewords");
    let mut canvas = Canvas::new(version, level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ecc);
    canvas.apply_mask(
        [
            MaskPattern::Checkerboard,
            MaskPattern::HorizontalLines,
            MaskPattern::VerticalLines,
            MaskPattern::DiagonalLines,
            MaskPattern::LargeCheckerboard,
            MaskPattern::Fields,
            MaskPattern::Diamonds,
            MaskPattern::Meadow,
        ][usize::from(mask)],
    );
    canvas
        .into_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect()
}

/// ISO/IEC 18004 penalty score, computed module by module: N1 = 3 + (run - 5) for each run
/// of five or more same-coloured modules in a row or column; N2 = 3 for each 2×2 block of
/// one colour; N3 = 40 for each 1011101 with four light modules before it and for each
/// with four after it (outside the symbol counts as light); N4 = 10 per 5% of deviation of
/// the dark share from 50%.
fn naive_penalty(m: &[bool], n: usize) -> usize {
    let at = |x: usize, y: usize| m[y * n + x];
    let mut score = 0;
    for transpose in [false, true] {
        let get = |i: usize, j: usize| if transpose { at(i, j) } else { at(j, i) };
        for line in 0..n {
            let mut run = 1;
            for i in 1..=n {
                if i < n && get(line, i) == get(line, i - 1) {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            let dark = |i: isize| i >= 0 && (i as usize) < n && get(line, i as usize);
            for i in -4..n as isize {
                let core = [true, false, true, true, true, false, true]
                    .iter()
                    .enumerate()
                    .all(|(k, &d)| dark(i + k as isize) == d);
                if core {
                    if (1..=4).all(|k| !dark(i - k)) {
                        score += 40;
                    }
                    if (7..=10).all(|k| !dark(i + k)) {
                        score += 40;
                    }
                }
            }
        }
    }
    for y in 0..n - 1 {
        for x in 0..n - 1 {
            let c = at(x, y);
            if at(x + 1, y) == c && at(x, y + 1) == c && at(x + 1, y + 1) == c {
                score += 3;
            }
        }
    }
    let dark = m.iter().filter(|&&d| d).count();
    score + (dark * 20).abs_diff(n * n * 10) / (n * n) * 10
}

#[test]
fn matrix_matches_the_qrcode_crate_and_mask_has_the_lowest_penalty() {
    for (text, segments) in &cross_check_cases() {
        for ec in LEVELS {
            let code = QrCode::encode(text, ec).expect("fits");
            let n = code.width();
            let penalties: Vec<usize> = (0..8)
                .map(|mask| {
                    naive_penalty(&qrcode_matrix(text, segments, code.version(), ec, mask), n)
                })
                .collect();
            let lowest = penalties
                .iter()
                .position(|p| p == penalties.iter().min().expect("8 masks"))
                .expect("min");
            assert_eq!(
                usize::from(code.mask()),
                lowest,
                "{text:?} {ec:?} penalties {penalties:?}"
            );
            let reference = qrcode_matrix(text, segments, code.version(), ec, code.mask());
            for y in 0..n {
                for x in 0..n {
                    assert_eq!(
                        code.is_dark(x, y),
                        reference[y * n + x],
                        "module ({x}, {y}) of {text:?} {ec:?}"
                    );
                }
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(96))]

    /// Arbitrary text, with runs of digits and of alphanumeric characters mixed into
    /// other characters so that segmentation is exercised, decodes back exactly.
    #[test]
    fn random_text_decodes_back(
        text in "(\\PC{0,30}|[0-9]{0,50}|[A-Z0-9 $%*+./:-]{0,50}|[a-z&=?]{0,20}){0,8}",
        level in 0usize..4,
    ) {
        let code = QrCode::encode(&text, LEVELS[level]).expect("fits");
        let (bytes, meta) = decode_modules(&code);
        proptest::prop_assert_eq!(bytes, text.as_bytes());
        check_meta(&meta, &code);
    }
}

#[test]
fn large_quiet_zone_and_scale_make_a_valid_png() {
    let options = QrOptions {
        quiet_zone: 255,
        scale: 4,
        ..QrOptions::default()
    };
    let png = qr::png("big", &options).expect("png");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(&png));
    decoder.ignore_checksums(false);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("valid PNG header");
    let side = (21 + 2 * 255) * 4;
    assert_eq!((reader.info().width, reader.info().height), (side, side));
    // Read row by row: every row of the top quiet zone is white.
    let mut rows = 0;
    while let Some(row) = reader.next_row().expect("valid PNG data") {
        if rows < 255 * 4 {
            assert!(row.data().iter().all(|&v| v == 255));
        }
        rows += 1;
    }
    assert_eq!(rows, side);
}

#[test]
fn ec_levels_parse_from_their_letters() {
    use twostep::qr::{EcLevel, QrError};
    for (text, level) in [
        ("L", EcLevel::Low),
        ("m", EcLevel::Medium),
        ("Q", EcLevel::Quartile),
        ("h", EcLevel::High),
    ] {
        assert_eq!(text.parse::<EcLevel>(), Ok(level));
    }
    for bad in ["", "X", "LOW", " M", "M "] {
        assert_eq!(
            bad.parse::<EcLevel>(),
            Err(QrError::InvalidEcLevel),
            "{bad:?}"
        );
    }
    assert_eq!(QrError::InvalidEcLevel.code(), "invalid_ec_level");
}
