//! Where, when and how a user JWT may connect: its source networks (`src`), its connect
//! times (`times` in `locale`) and its connection types (`allowed_connection_types`), as
//! the reference checks them at CONNECT.

use std::net::IpAddr;

use crate::auth::{CONNECTION_TYPES, allows_standard_connections};
use crate::jwt::UserClaims;

const SECONDS_PER_DAY: i64 = 86_400;

/// Checks the restrictions of `claims` for a standard client from `peer` at `now` (Unix
/// seconds). `Ok` carries the end of the connect-time window the client is in, when the
/// claims have windows: the connection must close then. The error is the reference's
/// debug line.
pub(super) fn check(claims: &UserClaims, peer: IpAddr, now: i64) -> Result<Option<i64>, String> {
    let networks = (claims.src.networks().into_iter())
        .map(|text| Network::parse(text).ok_or(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|bad| {
            format!("User JWT no longer valid: invalid cidr \"{bad}\" in user src limits")
        })?;
    let windows = (claims.times.iter())
        .map(Window::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|why| format!("User JWT no longer valid: {why}"))?;
    connection_type_allowed(&claims.allowed_connection_types)?;
    if !networks.is_empty() && !networks.iter().any(|network| network.contains(peer)) {
        return Err(format!("Bad src Ip {peer}"));
    }
    if windows.is_empty() {
        return Ok(None);
    }
    let offset = utc_offset(&claims.locale, now);
    let local_now = now + offset;
    let midnight = local_now - local_now.rem_euclid(SECONDS_PER_DAY);
    (windows.iter())
        .find_map(|window| window.end_if_open(midnight, local_now))
        .map(|local_end| Some(local_end - offset))
        .ok_or_else(|| "Outside connect times".to_owned())
}

/// Whether a standard client may connect with these allowed types (empty allows all);
/// unknown types are ignored unless they are all there is.
fn connection_type_allowed(types: &[String]) -> Result<(), String> {
    let known = (types.iter())
        .filter(|kind| {
            CONNECTION_TYPES
                .iter()
                .any(|k| k.eq_ignore_ascii_case(kind))
        })
        .count();
    if !types.is_empty() && known == 0 {
        return Err(format!("invalid connection types {types:?}"));
    }
    if allows_standard_connections(types) {
        Ok(())
    } else {
        Err("Connection type not allowed".to_owned())
    }
}

/// The offset from UTC (seconds) of `locale` at `now`: the named zone of the system's tz
/// database, else the server's local zone (as the reference falls back to).
fn utc_offset(locale: &str, now: i64) -> i64 {
    let zone = if locale.is_empty() {
        tz::TimeZone::local()
    } else {
        tz::TimeZone::from_posix_tz(locale).or_else(|_| tz::TimeZone::local())
    };
    zone.ok()
        .and_then(|zone| {
            zone.find_local_time_type(now)
                .ok()
                .map(|kind| i64::from(kind.ut_offset()))
        })
        .unwrap_or_default()
}

/// A network of `src`: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`).
struct Network {
    address: IpAddr,
    prefix: u32,
}

impl Network {
    /// The network `text` names; a bare address without a prefix is not one.
    fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = text.trim().split_once('/')?;
        let address: IpAddr = address.parse().ok()?;
        let prefix: u32 = prefix.parse().ok()?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then_some(Network { address, prefix })
    }

    /// Whether `peer` is in the network (an IPv4 peer seen as IPv6-mapped counts too).
    fn contains(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        match (self.address, peer) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => same_prefix(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` of `bits` bits of `a` and `b` agree.
fn same_prefix(a: u128, b: u128, bits: u32, prefix: u32) -> bool {
    let shift = bits - prefix.min(bits);
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

/// A connect-time window of `times`: seconds after local midnight.
struct Window {
    start: i64,
    end: i64,
}

impl Window {
    /// `{"start": "hh:mm:ss", "end": "hh:mm:ss"}`; the error is the reference's issue text.
    fn parse(value: &serde_json::Value) -> Result<Window, String> {
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).unwrap_or_default();
        let (start, end) = (field("start"), field("end"));
        match (seconds_of_day(start), seconds_of_day(end)) {
            (Some(start), Some(end)) => Ok(Window { start, end }),
            (None, Some(_)) => Err(format!("start in time range is invalid \"{start}\"")),
            (Some(_), None) => Err(format!("end in time range is invalid \"{end}\"")),
            (None, None) => Err(format!(
                "start in time range is invalid \"{start}\" end in time range is invalid \"{end}\""
            )),
        }
    }

    /// The window's end (local seconds) if `local_now` is within it today. A window whose
    /// start is after its end began the day before, as the reference reads it.
    fn end_if_open(&self, midnight: i64, local_now: i64) -> Option<i64> {
        let mut start = midnight + self.start;
        let end = midnight + self.end;
        if start > end {
            start -= SECONDS_PER_DAY;
        }
        (start <= local_now && local_now <= end).then_some(end)
    }
}

/// `hh:mm:ss` as seconds after midnight.
fn seconds_of_day(text: &str) -> Option<i64> {
    let mut parts = text.split(':');
    let mut field = |max: i64| {
        let part = parts.next()?;
        let value: i64 = (part.len() == 2).then(|| part.parse().ok()).flatten()?;
        (0..=max).contains(&value).then_some(value)
    };
    let (hours, minutes, seconds) = (field(23)?, field(59)?, field(59)?);
    parts
        .next()
        .is_none()
        .then_some(hours * 3600 + minutes * 60 + seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_contain_their_addresses_only() {
        let ip = |text: &str| text.parse::<IpAddr>().expect("address");
        let net = |text: &str| Network::parse(text).expect("network");
        assert!(net("127.0.0.0/8").contains(ip("127.1.2.3")));
        assert!(!net("10.0.0.0/8").contains(ip("127.0.0.1")));
        assert!(net("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(net("10.1.2.3/32").contains(ip("10.1.2.3")));
        assert!(net("10.0.0.0/8").contains(ip("::ffff:10.9.9.9")));
        assert!(
            net("fd00::/8").contains(ip("fd12::1")) && !net("fd00::/8").contains(ip("fe80::1"))
        );
        assert!(!net("::/0").contains(ip("1.2.3.4")));
        for bad in ["127.0.0.1", "10.0.0.0/33", "x/8", "::/129", ""] {
            assert!(Network::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn times_of_day_are_hh_mm_ss() {
        assert_eq!(seconds_of_day("00:00:00"), Some(0));
        assert_eq!(seconds_of_day("23:59:59"), Some(86_399));
        for bad in [
            "00:00",
            "24:00:00",
            "1:00:00",
            "00:60:00",
            "xx",
            "00:00:00:00",
            "",
        ] {
            assert_eq!(seconds_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn windows_that_wrap_began_the_day_before() {
        let window = Window {
            start: 22 * 3600,
            end: 2 * 3600,
        };
        assert_eq!(window.end_if_open(0, 3600), Some(2 * 3600));
        assert_eq!(window.end_if_open(0, 23 * 3600), None);
        let day = Window {
            start: 9 * 3600,
            end: 17 * 3600,
        };
        assert_eq!(day.end_if_open(0, 12 * 3600), Some(17 * 3600));
        assert_eq!(day.end_if_open(0, 18 * 3600), None);
    }

    #[test]
    fn connection_types_are_matched_without_case_and_unknown_ones_ignored() {
        let types = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(connection_type_allowed(&[]).is_ok());
        assert!(connection_type_allowed(&types(&["standard"])).is_ok());
        assert!(connection_type_allowed(&types(&["STANDARD", "BOGUS"])).is_ok());
        assert_eq!(
            connection_type_allowed(&types(&["WEBSOCKET"])),
            Err("Connection type not allowed".to_owned())
        );
        assert_eq!(
            connection_type_allowed(&types(&["BOGUS"])),
            Err("invalid connection types [\"BOGUS\"]".to_owned())
        );
    }
}
