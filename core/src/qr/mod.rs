//! QR codes for pairing an authenticator app (feature `qr`): an own ISO/IEC 18004 encoder
//! (versions 1–40, all four error correction levels) with SVG, PNG, terminal and `data:` URL
//! renderings.
//!
//! ```
//! use twostep::qr::{self, QrOptions};
//!
//! let uri = "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";
//! let svg = qr::svg(uri, &QrOptions::default())?;
//! assert!(svg.starts_with("<svg"));
//! let png = qr::png(uri, &QrOptions::default())?;
//! assert_eq!(&png[1..4], b"PNG");
//! # Ok::<(), twostep::qr::QrError>(())
//! ```
//!
//! The text is encoded as given (its UTF-8 bytes), split into numeric, alphanumeric and
//! byte segments wherever that takes fewer bits (the upper-case base32 secret of a key URI
//! becomes one alphanumeric segment), in the smallest version that holds it, with the mask
//! of the lowest penalty score.

mod encode;
mod png;
mod render;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;
use encode::Line;

/// How much of the symbol may be damaged and still decode; higher levels make bigger symbols.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EcLevel {
    /// About 7% of codewords can be restored.
    Low,
    /// About 15% of codewords can be restored; the default.
    #[default]
    Medium,
    /// About 25% of codewords can be restored.
    Quartile,
    /// About 30% of codewords can be restored.
    High,
}

impl FromStr for EcLevel {
    type Err = QrError;

    /// `L`, `M`, `Q` or `H` (either case), the letters the standard uses.
    fn from_str(s: &str) -> Result<Self, QrError> {
        match s.as_bytes() {
            [c] => match c | 0x20 {
                b'l' => Ok(EcLevel::Low),
                b'm' => Ok(EcLevel::Medium),
                b'q' => Ok(EcLevel::Quartile),
                b'h' => Ok(EcLevel::High),
                _ => Err(QrError::InvalidEcLevel),
            },
            _ => Err(QrError::InvalidEcLevel),
        }
    }
}

/// An sRGB colour with alpha (255 = opaque).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Opacity, 0 (transparent) to 255 (opaque).
    pub a: u8,
}

impl Color {
    /// Opaque black, the default colour of dark modules.
    pub const BLACK: Color = Color::rgb(0, 0, 0);
    /// Opaque white, the default colour of light modules.
    pub const WHITE: Color = Color::rgb(255, 255, 255);
    /// Fully transparent: as the light colour, no background is drawn.
    pub const TRANSPARENT: Color = Color {
        r: 0,
        g: 0,
        b: 0,
        a: 0,
    };

    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color { r, g, b, a: 255 }
    }
}

impl FromStr for Color {
    type Err = QrError;

    /// Parses CSS hex notation: `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`, either letter case.
    fn from_str(s: &str) -> Result<Color, QrError> {
        let [b'#', hex @ ..] = s.as_bytes() else {
            return Err(QrError::InvalidColor);
        };
        let n = hex.len();
        if !matches!(n, 3 | 4 | 6 | 8) {
            return Err(QrError::InvalidColor);
        }
        // One or two hex digits per channel (`two` is 1 for two); alpha defaults to opaque.
        let two = usize::from(n >= 6);
        let mut channels = [255u8; 4];
        for (i, &c) in hex.iter().enumerate() {
            let lower = c | 0x20;
            let d = match (c, lower) {
                (b'0'..=b'9', _) => c - b'0',
                (_, b'a'..=b'f') => lower - b'a' + 10,
                _ => return Err(QrError::InvalidColor),
            };
            if let Some(channel) = channels.get_mut(i >> two) {
                *channel = if two == 0 {
                    d * 17
                } else if i & 1 == 0 {
                    d << 4
                } else {
                    *channel | d
                };
            }
        }
        let [r, g, b, a] = channels;
        Ok(Color { r, g, b, a })
    }
}

/// How a QR code is drawn. Every field is public; start from [`QrOptions::default`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QrOptions {
    /// Error correction level (default [`EcLevel::Medium`]).
    pub ec: EcLevel,
    /// Light border around the symbol, in modules (default 4, what the standard asks for;
    /// scanners struggle with less).
    pub quiet_zone: u8,
    /// Colour of dark modules (default black). Ignored by the terminal rendering.
    pub dark: Color,
    /// Colour of light modules and the quiet zone (default white; transparent draws no
    /// background). Ignored by the terminal rendering.
    pub light: Color,
    /// PNG pixels per module, 1 to 64 (default 8); other values are
    /// [`QrError::InvalidScale`]. SVG output is sized in modules and scales freely.
    pub scale: u16,
}

impl Default for QrOptions {
    fn default() -> Self {
        QrOptions {
            ec: EcLevel::Medium,
            quiet_zone: 4,
            dark: Color::BLACK,
            light: Color::WHITE,
            scale: 8,
        }
    }
}

/// Why a QR code could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrError {
    /// The text does not fit in a version 40 symbol at the chosen error correction level
    /// (at level Low: 2953 bytes of UTF-8, 4296 alphanumeric or 7089 numeric characters).
    DataTooLong,
    /// A colour is not `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`.
    InvalidColor,
    /// The PNG scale is outside 1..=64 pixels per module.
    InvalidScale,
    /// An error correction level is not `L`, `M`, `Q` or `H`.
    InvalidEcLevel,
}

impl QrError {
    /// The stable machine-readable code of this error, shared by every binding.
    pub const fn code(&self) -> &'static str {
        match self {
            QrError::DataTooLong => "data_too_long",
            QrError::InvalidColor => "invalid_color",
            QrError::InvalidScale => "invalid_scale",
            QrError::InvalidEcLevel => "invalid_ec_level",
        }
    }
}

impl fmt::Display for QrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QrError::DataTooLong => {
                "data too long for a QR code: shorten the text or lower the error correction level"
            }
            QrError::InvalidColor => "invalid colour: use #rgb, #rgba, #rrggbb or #rrggbbaa",
            QrError::InvalidScale => "invalid scale: use 1 to 64 pixels per module",
            QrError::InvalidEcLevel => "invalid error correction level: use L, M, Q or H",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for QrError {}

/// An encoded QR code symbol: a square of dark and light modules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrCode {
    version: u8,
    ec: EcLevel,
    mask: u8,
    rows: Vec<Line>,
}

impl QrCode {
    /// Encodes `text` (its UTF-8 bytes) at error correction level `ec` in the smallest
    /// version that holds it.
    pub fn encode(text: &str, ec: EcLevel) -> Result<QrCode, QrError> {
        let symbol = encode::encode(text.as_bytes(), ec)?;
        Ok(QrCode {
            version: symbol.version,
            ec,
            mask: symbol.mask,
            rows: symbol.rows,
        })
    }

    /// The version, 1 to 40.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The error correction level.
    pub fn ec_level(&self) -> EcLevel {
        self.ec
    }

    /// The mask pattern chosen by the penalty rules, 0 to 7.
    pub fn mask(&self) -> u8 {
        self.mask
    }

    /// Modules per side (without the quiet zone): 21 to 177.
    pub fn width(&self) -> usize {
        self.rows.len()
    }

    /// Whether the module at column `x`, row `y` (from the top left) is dark; `false`
    /// outside the symbol.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width() && self.rows.get(y).is_some_and(|row| row.get(x))
    }

    /// The code as SVG text (see [`svg`]).
    pub fn to_svg(&self, options: &QrOptions) -> String {
        render::svg(self, options)
    }

    /// The code as a PNG image (see [`png()`]).
    pub fn to_png(&self, options: &QrOptions) -> Result<Vec<u8>, QrError> {
        png::png(self, options)
    }

    /// The code as terminal text (see [`terminal`]).
    pub fn to_terminal(&self, options: &QrOptions) -> String {
        render::terminal(self, options)
    }

    /// The SVG as a `data:image/svg+xml;base64,…` URL (see [`data_url`]).
    pub fn to_data_url(&self, options: &QrOptions) -> String {
        render::data_url(self.to_svg(options))
    }
}

/// `text` as an SVG document: a square `viewBox` one unit per module (quiet zone included),
/// the light background as one rectangle (left out when the light colour is transparent)
/// and all dark modules as one stroked `<path>` of horizontal runs. It has no `width` or
/// `height`, so it fills whatever box it is put in.
pub fn svg(text: &str, options: &QrOptions) -> Result<String, QrError> {
    Ok(QrCode::encode(text, options.ec)?.to_svg(options))
}

/// `text` as a PNG image: 1-bit palette (light = index 0, dark = index 1, with
/// transparency when a colour is not opaque), `scale` pixels per module, quiet zone
/// included.
pub fn png(text: &str, options: &QrOptions) -> Result<Vec<u8>, QrError> {
    QrCode::encode(text, options.ec)?.to_png(options)
}

/// `text` as lines of Unicode half blocks (`█`, `▀`, `▄` and spaces), two module rows per
/// line, each line ending in `\n`, quiet zone included.
///
/// Made for the usual dark terminal: **light** modules are drawn as blocks (the terminal's
/// light foreground) and dark modules as spaces (its dark background). On a terminal with
/// a light background the code appears inverted and many scanners will not read it.
pub fn terminal(text: &str, options: &QrOptions) -> Result<String, QrError> {
    Ok(QrCode::encode(text, options.ec)?.to_terminal(options))
}

/// [`svg`] as a `data:image/svg+xml;base64,…` URL, for an `<img src>`.
pub fn data_url(text: &str, options: &QrOptions) -> Result<String, QrError> {
    svg(text, options).map(render::data_url)
}
