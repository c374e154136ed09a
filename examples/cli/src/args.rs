//! A small, strict argument reader: `--flag value` options and positionals, each at most once,
//! and nothing left over.

use twostep::Zeroizing;

/// Why the command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// A usage or input error: one line on stderr, exit status 2.
    Usage(String),
    /// `verify` found no match: exit status 1.
    Mismatch,
}

pub fn usage(message: String) -> Failure {
    Failure::Usage(message)
}

/// The command line, consumed piece by piece. Values may be secrets: wiped on drop.
pub struct Args {
    items: Vec<Option<Zeroizing<String>>>,
}

impl Args {
    pub fn new(argv: Vec<String>) -> Args {
        Args {
            items: argv.into_iter().map(|a| Some(Zeroizing::new(a))).collect(),
        }
    }

    /// The next positional argument (not an option, not an option's value).
    pub fn positional(&mut self, what: &str) -> Result<String, Failure> {
        let mut i = 0;
        while i < self.items.len() {
            match &self.items[i] {
                Some(a) if a.starts_with("--") && a.len() > 2 => i += 2,
                Some(_) => {
                    let taken = self.items[i].take().unwrap_or_default();
                    return Ok(taken.to_string());
                }
                None => i += 1,
            }
        }
        Err(usage(format!("missing {what}")))
    }

    /// The value of `--name VALUE` (or `--name=VALUE`), if given; given twice is an error.
    pub fn value(&mut self, name: &str) -> Result<Option<String>, Failure> {
        let mut found = None;
        let mut i = 0;
        while i < self.items.len() {
            let Some(item) = &self.items[i] else {
                i += 1;
                continue;
            };
            let inline = item
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_owned);
            let value = if let Some(v) = inline {
                self.items[i] = None;
                v
            } else if item.as_str() == name {
                self.items[i] = None;
                match self.items.get_mut(i + 1).and_then(Option::take) {
                    Some(v) => v.to_string(),
                    None => return Err(usage(format!("{name} needs a value"))),
                }
            } else {
                i += 1;
                continue;
            };
            if found.replace(value).is_some() {
                return Err(usage(format!("{name} given more than once")));
            }
            i += 1;
        }
        Ok(found)
    }

    /// Whether the switch `name` (an option without a value) is present; removes it.
    pub fn flag(&mut self, name: &str) -> bool {
        let mut found = false;
        for item in &mut self.items {
            if item.as_ref().is_some_and(|a| a.as_str() == name) {
                *item = None;
                found = true;
            }
        }
        found
    }

    /// A required option.
    pub fn required(&mut self, name: &str) -> Result<String, Failure> {
        self.value(name)?
            .ok_or_else(|| usage(format!("{name} is required")))
    }

    /// An option whose value is a whole number from 0 to 2^64-1.
    pub fn number(&mut self, name: &str) -> Result<Option<u64>, Failure> {
        match self.value(name)? {
            None => Ok(None),
            Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => v
                .parse()
                .map(Some)
                .map_err(|_| usage(format!("{name} is too large: {v}"))),
            Some(v) => Err(usage(format!("{name} needs a whole number, not {v:?}"))),
        }
    }

    /// Fails on anything not consumed.
    pub fn finish(&self) -> Result<(), Failure> {
        match self.items.iter().flatten().next() {
            Some(extra) if extra.starts_with("--") => {
                Err(usage(format!("unknown option {}", extra.as_str())))
            }
            Some(extra) => Err(usage(format!("unexpected argument {:?}", extra.as_str()))),
            None => Ok(()),
        }
    }
}
