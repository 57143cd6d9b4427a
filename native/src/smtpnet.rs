//! `direct_smtp`'s address tests (the second stage of its connection state in the
//! core): is an address on the LAN (inside the trusted networks), outside them, or
//! excluded by `[firewall]`'s `mail_servers`, `relays` and `allowed_hosts`.
//!
//! A dotted quad as `kerio_watch/enrich/network.py`'s `network_of` reads one (four
//! parts of one to three ASCII digits, no leading zero, at most 255: what `ipaddress`
//! accepts and writes back) is answered here from IPv4 prefix tables, exactly as
//! `Networks.is_trusted` answers it (a loopback address is inside every table). Any
//! other text (IPv6, an IPv4-mapped address, a host name, a malformed address) is
//! asked of Python once and its answer kept. The machines an administrator marked
//! benign are pushed from Python at each hourly refresh.

use std::collections::{HashMap, HashSet};

/// Inside the trusted networks and an IP address (`_lan`).
pub const LAN: u8 = 1;
/// Outside every trusted network (`Networks.is_external`).
pub const EXTERNAL: u8 = 2;
/// A connection from it is not counted (`Exclusions.source`).
pub const FROM_EXCLUDED: u8 = 4;
/// A connection to it is not counted (`Exclusions.destination`).
pub const TO_EXCLUDED: u8 = 8;
/// Answers kept for texts that are no dotted quad before the table is emptied.
pub const MAX_KNOWN: usize = 100_000;

/// IPv4 networks as (network address, mask) pairs.
#[derive(Debug, Clone, Default)]
pub struct Prefixes(Vec<(u32, u32)>);

impl Prefixes {
    /// The networks `(address, prefix length)`, host bits dropped (`strict=False`).
    pub fn new(networks: &[(u32, u8)]) -> Self {
        Self(
            networks
                .iter()
                .map(|&(net, len)| {
                    let mask = if len == 0 {
                        0
                    } else {
                        u32::MAX << (32 - u32::from(len.min(32)))
                    };
                    (net & mask, mask)
                })
                .collect(),
        )
    }

    /// `address.is_loopback or any(address in net for net in networks)`.
    pub fn contains(&self, address: u32) -> bool {
        address >> 24 == 127 || self.0.iter().any(|&(net, mask)| address & mask == net)
    }
}

/// The address of a dotted quad `network_of` reads as one, else None.
pub fn dotted_quad(host: &str) -> Option<u32> {
    let mut address: u32 = 0;
    let mut parts = 0;
    for part in host.as_bytes().split(|&b| b == b'.') {
        parts += 1;
        if parts > 4
            || part.is_empty()
            || part.len() > 3
            || !part.iter().all(u8::is_ascii_digit)
            || (part[0] == b'0' && part.len() > 1)
        {
            return None;
        }
        let value = part.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        if value > 255 {
            return None;
        }
        address = address << 8 | value;
    }
    (parts == 4).then_some(address)
}

/// The trusted networks, the configured exclusions and the benign machines.
#[derive(Debug, Clone, Default)]
pub struct SmtpNets {
    pub trusted: Prefixes,
    pub servers: Prefixes,
    pub relays: Prefixes,
    pub allowed: Prefixes,
    /// Python's answers for texts that are no dotted quad.
    pub known: HashMap<String, u8>,
    /// Machines an administrator marked benign.
    pub benign: HashSet<String>,
}

impl SmtpNets {
    /// The answers for a dotted quad's address.
    pub fn answer(&self, address: u32) -> u8 {
        let mut out = if self.trusted.contains(address) {
            LAN
        } else {
            EXTERNAL
        };
        if self.servers.contains(address) || self.allowed.contains(address) {
            out |= FROM_EXCLUDED;
        }
        if self.servers.contains(address) || self.relays.contains(address) {
            out |= TO_EXCLUDED;
        }
        out
    }

    /// The answers for `host`: a dotted quad's here, any other text's from `ask` (once;
    /// the answer is kept, the table emptied past [`MAX_KNOWN`] texts).
    pub fn classify<E>(
        &mut self,
        host: &str,
        ask: &mut impl FnMut(&str) -> Result<u8, E>,
    ) -> Result<u8, E> {
        if let Some(address) = dotted_quad(host) {
            return Ok(self.answer(address));
        }
        if let Some(&known) = self.known.get(host) {
            return Ok(known);
        }
        let answer = ask(host)?;
        if self.known.len() > MAX_KNOWN {
            self.known.clear();
        }
        self.known.insert(host.to_owned(), answer);
        Ok(answer)
    }

    /// A connection from `host` to `dst` is not counted (`_excluded`).
    pub fn excluded<E>(
        &mut self,
        host: &str,
        dst: &str,
        ask: &mut impl FnMut(&str) -> Result<u8, E>,
    ) -> Result<bool, E> {
        Ok(self.classify(host, ask)? & FROM_EXCLUDED != 0
            || self.benign.contains(host)
            || self.classify(dst, ask)? & TO_EXCLUDED != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    #[test]
    fn dotted_quads_as_network_of_reads_them() {
        assert_eq!(dotted_quad("192.168.1.2"), Some(0xc0a8_0102));
        assert_eq!(dotted_quad("0.0.0.0"), Some(0));
        assert_eq!(dotted_quad("255.255.255.255"), Some(u32::MAX));
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.256",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1..3.4",
            "1.2.3.",
            "1.2.3.1000",
            "::1",
            "١.2.3.4",
            "+1.2.3.4",
        ] {
            assert_eq!(dotted_quad(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn answers_from_the_tables_and_asked_once() {
        let mut nets = SmtpNets {
            trusted: Prefixes::new(&[(0xc0a8_0000, 16)]),
            servers: Prefixes::new(&[(0xc0a8_0105, 32)]),
            relays: Prefixes::new(&[(0xcb00_7107, 32)]),
            ..SmtpNets::default()
        };
        let mut asked = 0;
        let mut ask = |_: &str| -> Result<u8, Infallible> {
            asked += 1;
            Ok(EXTERNAL)
        };
        assert_eq!(nets.classify("192.168.9.9", &mut ask), Ok(LAN));
        assert_eq!(
            nets.classify("192.168.1.5", &mut ask),
            Ok(LAN | FROM_EXCLUDED | TO_EXCLUDED)
        );
        assert_eq!(
            nets.classify("203.0.113.7", &mut ask),
            Ok(EXTERNAL | TO_EXCLUDED)
        );
        assert_eq!(
            nets.classify("127.0.0.1", &mut ask),
            Ok(LAN | FROM_EXCLUDED | TO_EXCLUDED)
        );
        assert_eq!(nets.classify("mx.example.com", &mut ask), Ok(EXTERNAL));
        assert_eq!(nets.classify("mx.example.com", &mut ask), Ok(EXTERNAL));
        assert_eq!(asked, 1);
    }
}
