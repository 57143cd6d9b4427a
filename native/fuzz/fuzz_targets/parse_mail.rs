//! The mail.log parser on any text, after each of the prefixes it dispatches on.
#![no_main]

use kerio_native::mail::{Mail, parse, sent_key};
use libfuzzer_sys::fuzz_target;

const HEADS: [&str; 4] = ["Recv: ", "Sent: ", "Recv: Queue-ID: ", "Sent: Queue-ID: "];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let message = match first % 5 {
        4 => text.to_owned(),
        i => format!("{}{text}", HEADS[i as usize]),
    };
    match parse(&message) {
        Mail::Recv(r) => {
            let _ = r.is_dsn();
            assert!(
                r.recipients
                    .iter()
                    .all(|a| !a.is_empty() || r.recipients.len() > 1)
            );
        }
        Mail::Sent(s) => {
            let _ = s.is_failure();
        }
        Mail::Unparsed(reason) => assert!(!reason.is_empty()),
        Mail::Defer | Mail::Other => {}
    }
    if let Some(key) = sent_key(&message) {
        assert!(key.chars().count() <= 17);
    }
});
