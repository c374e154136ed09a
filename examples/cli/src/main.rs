//! `twostep`: one-time passwords from the command line. See `twostep help`.

mod args;

use args::{Args, Failure, usage};
use std::io::Write;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};
use twostep::qr::{self, QrError, QrOptions};
use twostep::{
    Algorithm, Digits, Hotp, KeyUri, KeyUriFields, OtpKind, Period, Secret, Totp, migration,
};

const HELP: &str = "\
twostep secret [--bytes N]                      print a new base32 secret
twostep code --secret B32 [--algorithm A] [--digits N] [--period S] [--time UNIX]
twostep code --secret B32 --counter C [--algorithm A] [--digits N]   (HOTP)
twostep code --uri URI [--time UNIX]
twostep verify --uri URI --code CODE [--time UNIX] [--window W]
                                                exit 0 and print the matched step, or exit 1
twostep uri parse URI                           print the KeyUri as one JSON object
twostep uri build --secret B32 --account A [--issuer I] [--algorithm A] [--digits N] [--period S]
twostep qr URI (--svg FILE | --png FILE | --terminal) [--ec L|M|Q|H] [--quiet-zone N] [--scale PX] [--dark #RGB] [--light #RGB]
twostep import MIGRATION_URI                    print one otpauth:// URI per line
";

fn main() -> ExitCode {
    // Nothing here should panic; if something ever does, say so in one line, not a backtrace.
    std::panic::set_hook(Box::new(|_| {
        eprintln!("twostep: internal error");
        std::process::exit(2);
    }));
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match run(argv) {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            eprintln!("twostep: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Mismatch) => ExitCode::from(1),
    }
}

fn run(argv: Vec<String>) -> Result<ExitCode, Failure> {
    let mut args = Args::new(argv);
    let command = args.positional("a command (secret, code, verify, uri, qr, import)")?;
    let out = match command.as_str() {
        "secret" => secret(&mut args)?,
        "code" => code(&mut args)?,
        "verify" => verify(&mut args)?,
        "uri" => {
            let sub = args.positional("uri parse|build")?;
            match sub.as_str() {
                "parse" => uri_parse(&mut args)?,
                "build" => uri_build(&mut args)?,
                other => {
                    return Err(usage(format!(
                        "unknown command 'uri {other}' (parse, build)"
                    )));
                }
            }
        }
        "qr" => qr(&mut args)?,
        "import" => import(&mut args)?,
        "help" | "--help" | "-h" => HELP.trim_end().to_owned(),
        other => {
            return Err(usage(format!(
                "unknown command '{other}'; try 'twostep help'"
            )));
        }
    };
    args.finish()?;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is not worth a panic.
    if !out.is_empty() {
        let _ = writeln!(stdout, "{out}");
    }
    Ok(ExitCode::SUCCESS)
}

fn secret(args: &mut Args) -> Result<String, Failure> {
    let bytes = args
        .number("--bytes")?
        .map_or(Ok(Secret::DEFAULT_LEN), usize::try_from)
        .map_err(|_| usage("--bytes is too large".into()))?;
    let secret = Secret::generate_len(bytes).map_err(|e| usage(e.to_string()))?;
    Ok(secret.to_base32().as_str().to_owned())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn params(args: &mut Args) -> Result<(Algorithm, Digits), Failure> {
    let algorithm = match args.value("--algorithm")? {
        Some(a) => a
            .parse()
            .map_err(|e: twostep::ParamError| usage(e.to_string()))?,
        None => Algorithm::default(),
    };
    let digits = match args.number("--digits")? {
        Some(d) => u32::try_from(d)
            .ok()
            .and_then(|d| Digits::new(d).ok())
            .ok_or_else(|| usage(twostep::ParamError::InvalidDigits.to_string()))?,
        None => Digits::default(),
    };
    Ok((algorithm, digits))
}

fn period(args: &mut Args) -> Result<Period, Failure> {
    match args.number("--period")? {
        Some(p) => u32::try_from(p)
            .ok()
            .and_then(|p| Period::new(p).ok())
            .ok_or_else(|| usage(twostep::ParamError::InvalidPeriod.to_string())),
        None => Ok(Period::default()),
    }
}

fn parse_uri(text: &str) -> Result<KeyUri, Failure> {
    KeyUri::parse(text).map_err(|e| usage(e.to_string()))
}

fn code(args: &mut Args) -> Result<String, Failure> {
    if let Some(uri) = args.value("--uri")? {
        let uri = parse_uri(&uri)?;
        let time = args.number("--time")?;
        return Ok(match uri.kind() {
            OtpKind::Totp { .. } => totp_of(&uri)?.code_at(time.unwrap_or_else(now)).to_string(),
            OtpKind::Hotp { counter } => {
                if time.is_some() {
                    return Err(usage("--time does not apply to an hotp URI".into()));
                }
                hotp_of(&uri)?.code(counter).to_string()
            }
        });
    }
    let secret = args.required("--secret")?;
    let secret = Secret::from_base32(&secret).map_err(|e| usage(e.to_string()))?;
    let (algorithm, digits) = params(args)?;
    if let Some(counter) = args.number("--counter")? {
        return Ok(Hotp::new(&secret, algorithm, digits)
            .code(counter)
            .to_string());
    }
    let period = period(args)?;
    let time = args.number("--time")?.unwrap_or_else(now);
    Ok(Totp::new(&secret, algorithm, digits, period)
        .code_at(time)
        .to_string())
}

fn totp_of(uri: &KeyUri) -> Result<Totp, Failure> {
    Totp::from_key_uri(uri).map_err(|e| usage(e.to_string()))
}

fn hotp_of(uri: &KeyUri) -> Result<Hotp, Failure> {
    Hotp::from_key_uri(uri).map_err(|e| usage(e.to_string()))
}

fn verify(args: &mut Args) -> Result<String, Failure> {
    let uri = parse_uri(&args.required("--uri")?)?;
    let code = args.required("--code")?;
    let time = args.number("--time")?;
    let window = args.number("--window")?;
    let matched = match uri.kind() {
        OtpKind::Totp { .. } => {
            let window = u8::try_from(window.unwrap_or(1))
                .map_err(|_| usage("--window must be 0 to 255 steps".into()))?;
            totp_of(&uri)?.verify(&code, time.unwrap_or_else(now), window)
        }
        OtpKind::Hotp { counter } => {
            if time.is_some() {
                return Err(usage("--time does not apply to an hotp URI".into()));
            }
            let look_ahead = u16::try_from(window.unwrap_or(0))
                .map_err(|_| usage("--window must be 0 to 65535 counters for hotp".into()))?;
            hotp_of(&uri)?.verify(&code, counter, look_ahead)
        }
    };
    matched.map(|m| m.to_string()).ok_or(Failure::Mismatch)
}

fn uri_parse(args: &mut Args) -> Result<String, Failure> {
    let uri = parse_uri(&args.positional("the key URI to parse")?)?;
    serde_json::to_string(&KeyUriFields::from(&uri))
        .map_err(|e| usage(format!("cannot print the URI as JSON: {e}")))
}

fn uri_build(args: &mut Args) -> Result<String, Failure> {
    let secret =
        Secret::from_base32(&args.required("--secret")?).map_err(|e| usage(e.to_string()))?;
    let account = args.required("--account")?;
    let issuer = args.value("--issuer")?;
    let (algorithm, digits) = params(args)?;
    let kind = match args.number("--counter")? {
        Some(counter) => OtpKind::Hotp { counter },
        None => OtpKind::Totp {
            period: period(args)?,
        },
    };
    let mut uri = KeyUri::new(kind, secret, &account)
        .map_err(|e| usage(e.to_string()))?
        .with_algorithm(algorithm)
        .with_digits(digits);
    if let Some(issuer) = issuer {
        uri = uri.with_issuer(&issuer).map_err(|e| usage(e.to_string()))?;
    }
    Ok(uri.to_string())
}

fn qr(args: &mut Args) -> Result<String, Failure> {
    let text = args.positional("the text or URI to encode")?;
    let mut options = QrOptions::default();
    if let Some(ec) = args.value("--ec")? {
        options.ec = ec.parse().map_err(|e: QrError| usage(e.to_string()))?;
    }
    if let Some(q) = args.number("--quiet-zone")? {
        options.quiet_zone =
            u8::try_from(q).map_err(|_| usage("--quiet-zone is at most 255".into()))?;
    }
    if let Some(s) = args.number("--scale")? {
        options.scale = u16::try_from(s).map_err(|_| usage("--scale is too large".into()))?;
    }
    for (flag, slot) in [
        ("--dark", &mut options.dark),
        ("--light", &mut options.light),
    ] {
        if let Some(c) = args.value(flag)? {
            *slot = c
                .parse()
                .map_err(|e: QrError| usage(format!("{flag}: {e}")))?;
        }
    }
    let svg = args.value("--svg")?;
    let png = args.value("--png")?;
    let terminal = args.flag("--terminal");
    let to_usage = |e: QrError| usage(e.to_string());
    match (svg, png, terminal) {
        (Some(path), None, false) => write_file(
            &path,
            qr::svg(&text, &options).map_err(to_usage)?.as_bytes(),
        ),
        (None, Some(path), false) => {
            write_file(&path, &qr::png(&text, &options).map_err(to_usage)?)
        }
        (None, None, true) => Ok(qr::terminal(&text, &options)
            .map_err(to_usage)?
            .trim_end()
            .to_owned()),
        _ => Err(usage(
            "choose exactly one of --svg FILE, --png FILE, --terminal".into(),
        )),
    }
}

fn write_file(path: &str, bytes: &[u8]) -> Result<String, Failure> {
    std::fs::write(path, bytes).map_err(|e| usage(format!("cannot write {path}: {e}")))?;
    Ok(String::new())
}

fn import(args: &mut Args) -> Result<String, Failure> {
    let uri = args.positional("the otpauth-migration:// URI")?;
    let keys = migration::import(&uri).map_err(|e| usage(e.to_string()))?;
    Ok(keys
        .iter()
        .map(KeyUri::to_string)
        .collect::<Vec<_>>()
        .join("\n"))
}
