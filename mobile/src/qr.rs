//! QR codes for pairing, drawn on the device (the secret never leaves it).

use crate::error::TwostepError;
use twostep::qr;

/// How much of a QR symbol may be damaged and still decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum QrEcLevel {
    /// About 7%.
    Low,
    /// About 15% (the default).
    Medium,
    /// About 25%.
    Quartile,
    /// About 30%.
    High,
}

/// How a QR code is drawn; every field has the core's default.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QrOptions {
    /// Error correction level; none means the core's default (medium).
    #[uniffi(default = None)]
    pub ec_level: Option<QrEcLevel>,
    /// Light border in modules (4 is what scanners expect).
    #[uniffi(default = 4)]
    pub quiet_zone: u8,
    /// Colour of dark modules, CSS hex (`#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`).
    #[uniffi(default = "#000000")]
    pub dark: String,
    /// Colour of light modules and the border; fully transparent draws no background.
    #[uniffi(default = "#ffffff")]
    pub light: String,
    /// PNG pixels per module, 1 to 64.
    #[uniffi(default = 8)]
    pub scale: u16,
}

/// `text` (usually a key URI) as an SVG document.
#[uniffi::export(default(options = None))]
pub fn qr_svg(text: String, options: Option<QrOptions>) -> Result<String, TwostepError> {
    Ok(qr::svg(&text, &core_options(options)?)?)
}

/// `text` (usually a key URI) as PNG bytes.
#[uniffi::export(default(options = None))]
pub fn qr_png(text: String, options: Option<QrOptions>) -> Result<Vec<u8>, TwostepError> {
    Ok(qr::png(&text, &core_options(options)?)?)
}

fn core_options(options: Option<QrOptions>) -> Result<qr::QrOptions, TwostepError> {
    let defaults = qr::QrOptions::default();
    let Some(o) = options else {
        return Ok(defaults);
    };
    Ok(qr::QrOptions {
        ec: match o.ec_level {
            None => defaults.ec,
            Some(QrEcLevel::Low) => qr::EcLevel::Low,
            Some(QrEcLevel::Medium) => qr::EcLevel::Medium,
            Some(QrEcLevel::Quartile) => qr::EcLevel::Quartile,
            Some(QrEcLevel::High) => qr::EcLevel::High,
        },
        quiet_zone: o.quiet_zone,
        dark: o.dark.parse()?,
        light: o.light.parse()?,
        scale: o.scale,
    })
}
