//! Process ids: `id@ip:port`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// A libprocess process id: the actor `id` at `addr` (`slave(1)@127.0.0.1:5051`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Upid {
    pub id: String,
    pub addr: SocketAddr,
}

/// A string that is not `id@ip:port`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a libprocess process id (expected id@ip:port, e.g. slave(1)@10.0.0.5:5051): {why}")]
pub struct UpidError {
    pub text: String,
    pub why: &'static str,
}

impl Upid {
    pub fn new(id: impl Into<String>, addr: SocketAddr) -> Self {
        Self {
            id: id.into(),
            addr,
        }
    }
}

impl FromStr for Upid {
    type Err = UpidError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |why| UpidError {
            text: text.to_string(),
            why,
        };
        let text = text.trim();
        let (id, address) = text.split_once('@').ok_or_else(|| err("no '@'"))?;
        if id.is_empty() {
            return Err(err("the id before '@' is empty"));
        }
        if id
            .bytes()
            .any(|b| b.is_ascii_control() || b == b'/' || b == b' ')
        {
            return Err(err("the id has a '/', a space or a control character"));
        }
        let (host, port) = address
            .rsplit_once(':')
            .ok_or_else(|| err("no ':' before the port"))?;
        let port: u16 = port.parse().map_err(|_| err("the port is not 0-65535"))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let ip: IpAddr = host
            .parse()
            .map_err(|_| err("the address is not an IP address"))?;
        Ok(Self {
            id: id.to_string(),
            addr: SocketAddr::new(ip, port),
        })
    }
}

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // libprocess prints IPv6 addresses bare (`id@::1:5051`) but parses by the last ':';
        // brackets keep ours unambiguous and still parse there.
        match self.addr.ip() {
            IpAddr::V4(ip) => write!(f, "{}@{}:{}", self.id, ip, self.addr.port()),
            IpAddr::V6(ip) => write!(f, "{}@[{}]:{}", self.id, ip, self.addr.port()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let p: Upid = "slave(1)@127.0.0.1:5051".parse().unwrap();
        assert_eq!(p.id, "slave(1)");
        assert_eq!(p.addr, "127.0.0.1:5051".parse().unwrap());
        assert_eq!(p.to_string(), "slave(1)@127.0.0.1:5051");
        let p: Upid = " executor(1)@[::1]:7 ".parse().unwrap();
        assert_eq!(p.to_string(), "executor(1)@[::1]:7");
        assert_eq!(p.to_string().parse::<Upid>().unwrap(), p);
    }

    #[test]
    fn refuses_what_is_not_a_pid() {
        for bad in [
            "",
            "slave(1)",
            "@1.2.3.4:5",
            "s@1.2.3.4",
            "s@1.2.3.4:99999",
            "s@host:5051",
            "a/b@1.2.3.4:5",
            "a\nb@1.2.3.4:5",
        ] {
            let e = bad.parse::<Upid>().unwrap_err();
            assert!(e.to_string().contains("id@ip:port"), "{bad:?}: {e}");
        }
    }
}
