//! The item lists [`crate::call`]'s arguments and results are made of, read and written the
//! same way by `js/api.js`.
//!
//! An item is `N:TEXT`, where `N` is the length of `TEXT` in UTF-16 code units (JavaScript's
//! `length`) in decimal, or a lone `:` for an absent item (`undefined`). Items follow each
//! other without separator, so any text crosses unchanged: empty, `:`, `%`, `&`, `=`,
//! control characters, any Unicode. (JavaScript text with an unpaired surrogate becomes
//! U+FFFD in UTF-8, one code unit for one, so the lengths still agree.)

use alloc::string::String;
use alloc::vec::Vec;

/// Reads the items of a list in order.
pub struct Items<'a>(&'a str);

impl<'a> Items<'a> {
    /// The items of `list`.
    pub fn new(list: &'a str) -> Items<'a> {
        Items(list)
    }

    /// The next item; `None` if it is absent or the list has ended.
    #[allow(clippy::should_implement_trait)] // absent items in the middle do not end the list
    pub fn next(&mut self) -> Option<&'a str> {
        let colon = self.0.bytes().position(|b| b == b':')?;
        let len = self.0.get(..colon).and_then(decimal);
        let rest = self.0.get(colon + 1..).unwrap_or_default();
        self.0 = rest;
        let mut units = len?;
        let mut end = 0;
        for c in rest.chars() {
            if units == 0 {
                break;
            }
            units = units.saturating_sub(c.len_utf16() as u64);
            end += c.len_utf8();
        }
        self.0 = rest.get(end..).unwrap_or_default();
        rest.get(..end)
    }

    /// The next item, empty if absent.
    pub fn text(&mut self) -> &'a str {
        self.next().unwrap_or_default()
    }

    /// The next item as a `String`, empty if absent.
    pub fn string(&mut self) -> String {
        String::from(self.text())
    }

    /// The next item as a whole number (the layer writes only decimal digits there).
    pub fn number(&mut self) -> Option<u64> {
        self.next().and_then(decimal)
    }
}

/// The value of decimal digits, `None` for none. The layer sends numbers up to
/// `Number.MAX_SAFE_INTEGER` only; anything else gives some number, never a panic.
fn decimal(digits: &str) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, b| {
        n.wrapping_mul(10)
            .wrapping_add(u64::from(b.wrapping_sub(b'0')))
    }))
}

/// `n` in decimal digits, at the end of `buf`.
fn digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    while i > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or_default()
}

/// An operation's output: bytes, or a list of items.
#[derive(Default)]
pub struct Out(pub Vec<u8>);

impl Out {
    /// Appends bytes as they are (an output that is not a list).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn prefix(&mut self, units: usize) {
        self.decimal(units as u64);
        self.0.push(b':');
    }

    /// Appends an item, absent for `None`.
    pub fn item(&mut self, text: Option<&str>) {
        match text {
            Some(t) => {
                self.prefix(t.chars().map(char::len_utf16).sum());
                self.raw(t.as_bytes());
            }
            None => self.0.push(b':'),
        }
    }

    /// Appends a present item.
    pub fn text(&mut self, text: &str) {
        self.item(Some(text));
    }

    /// Appends `n` in decimal digits as they are (an output that is not a list).
    pub fn decimal(&mut self, n: u64) {
        let mut buf = [0; 20];
        self.raw(digits(n, &mut buf));
    }

    /// Appends a number in decimal, absent for `None`.
    pub fn number(&mut self, n: Option<u64>) {
        match n {
            Some(n) => {
                let mut buf = [0; 20];
                let d = digits(n, &mut buf);
                self.prefix(d.len());
                self.raw(d);
            }
            None => self.0.push(b':'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nastiest texts cross unchanged, each with its UTF-16 length.
    #[test]
    fn items_round_trip() {
        let texts = [
            "",
            ":",
            "1:",
            "%&=?#",
            "a\u{0}b\u{1f}\n",
            "\u{e9}\u{1f600}",
            "12:x",
            "::",
        ];
        let mut out = Out::default();
        for t in texts {
            out.text(t);
        }
        out.item(None);
        out.number(Some(u64::MAX));
        out.number(None);
        out.number(Some(0));
        let list = String::from_utf8(out.0).unwrap();
        assert!(list.starts_with("0:1::2:1:5:%&=?#"));
        assert!(list.contains("3:\u{e9}\u{1f600}"));
        let mut items = Items::new(&list);
        for t in texts {
            assert_eq!(items.next(), Some(t));
        }
        assert_eq!(items.next(), None);
        assert_eq!(items.number(), Some(u64::MAX));
        assert_eq!(items.number(), None);
        assert_eq!(items.number(), Some(0));
        assert_eq!(items.next(), None);
        assert_eq!(items.text(), "");
    }

    /// A malformed list (the layer never sends one) reads as absent or short items.
    #[test]
    fn malformed_lists_do_not_panic() {
        for list in ["9:ab", "x", "5", "3:\u{1f600}", "1:\u{1f600}z"] {
            let mut items = Items::new(list);
            for _ in 0..4 {
                items.next();
            }
        }
        assert_eq!(Items::new("3:\u{1f600}z").next(), Some("\u{1f600}z"));
        assert_eq!(Items::new("1:\u{1f600}z").next(), Some("\u{1f600}"));
    }
}
