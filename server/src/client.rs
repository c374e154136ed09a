//! Who is on the other end of a request, for the audit log: [`ClientInfo`] (ip address and
//! user agent) and the [`IpNet`] entries of the `trusted_proxies` configuration.
//!
//! The ip is the TCP peer's address, except when the peer is a configured trusted proxy:
//! then it is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy
//! (entries further left were written by the client and can say anything). Without any
//! trusted proxy configured, `X-Forwarded-For` is ignored.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// Longest user agent kept, in characters; longer ones are cut.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// The ip address and user agent of a request, as recorded in audit events.
///
/// As an extractor it never fails: what cannot be known is `None`. The server binary serves
/// with connect info, so the peer address is known there; a router driven in process
/// (`tower::ServiceExt::oneshot`) without a `ConnectInfo` extension yields `ip: None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's address (see the module docs for `X-Forwarded-For`).
    pub ip: Option<IpAddr>,
    /// The `User-Agent` header, without control characters, at most
    /// [`MAX_USER_AGENT_CHARS`] characters; None when absent or empty.
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// Replaces what the request said with what an endpoint's body says about the end user.
    ///
    /// For endpoints whose body describes the end user's client (`POST /v1/challenges`
    /// carries `ip` and `user_agent`: the product backend calls on the user's behalf, so the
    /// connection is the backend's). Each value given in the body wins; an absent one keeps
    /// the request's. A body `ip` that is not an IP address is a 400; the body user agent is
    /// cleaned like the header.
    pub fn with_body(
        self,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<ClientInfo, ApiError> {
        let ip = match ip {
            Some(text) => Some(
                parse_ip(text.trim())
                    .ok_or_else(|| ApiError::BadRequest("ip must be an IP address".into()))?,
            ),
            None => self.ip,
        };
        let user_agent = match user_agent {
            Some(text) => clean_user_agent(text),
            None => self.user_agent,
        };
        Ok(ClientInfo { ip, user_agent })
    }

    /// The client of a request that came from `peer` with `headers`, given the trusted
    /// proxies.
    pub fn from_request(
        peer: Option<IpAddr>,
        headers: &axum::http::HeaderMap,
        trusted_proxies: &[IpNet],
    ) -> ClientInfo {
        let ip = peer.map(|p| {
            let p = p.to_canonical();
            if is_trusted(trusted_proxies, p) {
                forwarded_for(headers, trusted_proxies).unwrap_or(p)
            } else {
                p
            }
        });
        let user_agent = headers
            .get(USER_AGENT)
            .and_then(|v| clean_user_agent(&String::from_utf8_lossy(v.as_bytes())));
        ClientInfo { ip, user_agent }
    }
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientInfo::from_request(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        ))
    }
}

fn is_trusted(trusted: &[IpNet], ip: IpAddr) -> bool {
    trusted.iter().any(|net| net.contains(ip))
}

/// Walks `X-Forwarded-For` (every such header, in order) from the right past trusted
/// proxies: the first other entry is the client. If every entry is a trusted proxy, the
/// left-most one is. None without entries, or when the entry found is not an address
/// (then only the peer is known for sure).
fn forwarded_for(headers: &axum::http::HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let mut last_trusted = None;
    for entry in entries.iter().rev() {
        let ip = parse_ip(entry)?;
        if !is_trusted(trusted, ip) {
            return Some(ip);
        }
        last_trusted = Some(ip);
    }
    last_trusted
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, or
/// `[2001:db8::1]:5678`; IPv4-mapped IPv6 addresses become IPv4.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let ip = IpAddr::from_str(text)
        .ok()
        .or_else(|| SocketAddr::from_str(text).ok().map(|s| s.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| IpAddr::from_str(t).ok())
        })?;
    Some(ip.to_canonical())
}

/// Drops control characters and surrounding spaces and keeps at most
/// [`MAX_USER_AGENT_CHARS`] characters; None when nothing is left.
fn clean_user_agent(text: &str) -> Option<String> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// An IP network of the `trusted_proxies` configuration: `10.0.0.0/8`, `2001:db8::/32`, or a
/// single address (`192.0.2.7`, `::1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// True when `ip` lies in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(text: &str) -> Result<IpNet, String> {
        let bad = || format!("{text:?} is not an IP address or network (a.b.c.d/n, x::y/n)");
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr = IpAddr::from_str(addr.trim())
            .map_err(|_| bad())?
            .to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(bad)?,
            None => max,
        };
        let net = IpNet { addr, prefix };
        let host_bits_set = match addr {
            IpAddr::V4(a) => !net.contains_bits(u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => !net.contains_bits(u128::from(a), 128),
        };
        if host_bits_set {
            return Err(format!(
                "{text:?} has bits set after its /{prefix} prefix: write the network address"
            ));
        }
        Ok(net)
    }
}

impl IpNet {
    /// True when `bits` (of a `width`-bit address) has no bit set after the prefix.
    fn contains_bits(&self, bits: u128, width: u32) -> bool {
        let host = width - u32::from(self.prefix);
        host == 0 || bits & (u128::MAX >> (128 - host)) == 0
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl<'de> serde::Deserialize<'de> for IpNet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IpNet, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().expect("net")).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn networks_parse_strictly_and_match() {
        let n: IpNet = "10.0.0.0/8".parse().expect("v4 net");
        assert!(n.contains(ip("10.255.1.2")) && !n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.2.3")), "mapped v4 is v4");
        let one: IpNet = "192.0.2.7".parse().expect("single");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: IpNet = "2001:db8::/32".parse().expect("v6 net");
        assert!(v6.contains(ip("2001:db8:1::9")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: IpNet = "0.0.0.0/0".parse().expect("all v4");
        assert!(all.contains(ip("203.0.113.9")));
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0.1/8",
            "::1/129",
            "host",
            "10.0.0.0/x",
            "1.2.3",
        ] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let trusted = nets(&["10.0.0.0/8"]);
        let headers = xff(&["198.51.100.1, 203.0.113.5", "10.0.0.3"]);
        // Untrusted peer: its own address, whatever the header says.
        let c = ClientInfo::from_request(Some(ip("192.0.2.1")), &headers, &trusted);
        assert_eq!(c.ip, Some(ip("192.0.2.1")));
        // Trusted peer: right-most entry that is not a trusted proxy.
        let c = ClientInfo::from_request(Some(ip("10.0.0.2")), &headers, &trusted);
        assert_eq!(c.ip, Some(ip("203.0.113.5")));
        // No trusted proxies configured: ignored.
        let c = ClientInfo::from_request(Some(ip("10.0.0.2")), &headers, &[]);
        assert_eq!(c.ip, Some(ip("10.0.0.2")));
        // Trusted peer without the header, or with only trusted entries.
        let c = ClientInfo::from_request(Some(ip("10.0.0.2")), &HeaderMap::new(), &trusted);
        assert_eq!(c.ip, Some(ip("10.0.0.2")));
        let c = ClientInfo::from_request(Some(ip("10.0.0.2")), &xff(&["10.9.9.9"]), &trusted);
        assert_eq!(c.ip, Some(ip("10.9.9.9")));
        // Garbage where the client should be: only the peer is known.
        let c = ClientInfo::from_request(Some(ip("10.0.0.2")), &xff(&["1.1.1.1, x"]), &trusted);
        assert_eq!(c.ip, Some(ip("10.0.0.2")));
        // Ports and brackets as some proxies write them.
        let c =
            ClientInfo::from_request(Some(ip("10.0.0.2")), &xff(&["[2001:db8::7]:443"]), &trusted);
        assert_eq!(c.ip, Some(ip("2001:db8::7")));
        let c =
            ClientInfo::from_request(Some(ip("::ffff:10.0.0.2")), &xff(&["1.2.3.4:80"]), &trusted);
        assert_eq!(c.ip, Some(ip("1.2.3.4")));
        assert_eq!(ClientInfo::from_request(None, &headers, &trusted).ip, None);
    }

    #[test]
    fn user_agent_is_cleaned_and_bounded() {
        let mut h = HeaderMap::new();
        h.insert(
            USER_AGENT,
            HeaderValue::from_bytes(b"  Mozilla/5.0\t(X11) caf\xc3\xa9 ").expect("value"),
        );
        let c = ClientInfo::from_request(None, &h, &[]);
        assert_eq!(c.user_agent.as_deref(), Some("Mozilla/5.0(X11) café"));
        h.insert(
            USER_AGENT,
            HeaderValue::from_str(&"a".repeat(1000)).expect("value"),
        );
        let c = ClientInfo::from_request(None, &h, &[]);
        assert_eq!(c.user_agent.map(|u| u.len()), Some(MAX_USER_AGENT_CHARS));
        h.insert(USER_AGENT, HeaderValue::from_static("   "));
        assert_eq!(ClientInfo::from_request(None, &h, &[]).user_agent, None);
    }

    #[test]
    fn body_values_win() {
        let from_request = ClientInfo {
            ip: Some(ip("10.0.0.2")),
            user_agent: Some("backend/1.0".into()),
        };
        let c = from_request
            .clone()
            .with_body(Some("203.0.113.9"), Some("Firefox\n"))
            .expect("valid");
        assert_eq!(c.ip, Some(ip("203.0.113.9")));
        assert_eq!(c.user_agent.as_deref(), Some("Firefox"));
        assert_eq!(
            from_request.clone().with_body(None, None).expect("valid"),
            from_request
        );
        assert!(from_request.with_body(Some("not an ip"), None).is_err());
    }
}
