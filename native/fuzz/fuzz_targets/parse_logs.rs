//! The parsers of filter.log (Kerio Control), operations.log and audit.log on any
//! text, after each of the prefixes they dispatch on.
#![no_main]

use kerio_native::audit;
use kerio_native::control::{self, Line};
use kerio_native::ops;
use kerio_native::parsed::Parsed;
use libfuzzer_sys::fuzz_target;

const HEADS: [&str; 9] = [
    "PERMIT '",
    "DROP \"r\" packet to ",
    "[ID] ",
    "ALLOW URL ",
    "{MOVE} ",
    "{DELETE_FOLDER} Folder: ",
    "IMAP: User ",
    "HTTP/WebMail: User a authenticated from IP address ",
    "",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let message = format!("{}{text}", HEADS[first as usize % HEADS.len()]);
    match control::parse(&message) {
        Parsed::Event(Line::Conn(c)) => {
            assert!(c.source_port.is_none_or(|p| p <= 65535));
            assert!(c.destination_port.is_none_or(|p| p <= 65535));
            assert!(c.interface.is_none_or(|i| !i.is_empty()));
        }
        Parsed::Event(Line::Notice { detail, .. }) => assert!(!detail.is_empty()),
        Parsed::Unparsed(reason) => assert!(!reason.is_empty()),
        Parsed::Defer | Parsed::Other => {}
    }
    match ops::parse(&message) {
        Parsed::Event(o) => {
            assert!(!o.action.is_empty());
            assert!(o.items.is_none_or(|n| n >= 0));
        }
        Parsed::Unparsed(reason) => assert!(!reason.is_empty()),
        Parsed::Defer | Parsed::Other => {}
    }
    match audit::parse(&message) {
        Parsed::Event(l) => {
            assert!(!l.protocol.is_empty() && !l.user.is_empty() && !l.source.is_empty());
            assert!(l.user_agent.is_none_or(|ua| !ua.is_empty()));
        }
        Parsed::Unparsed(reason) => assert!(!reason.is_empty()),
        Parsed::Defer | Parsed::Other => {}
    }
});
