//! Reading, decoding, framing, parsing and joining any bytes (plain or gzip).
#![no_main]

use std::io::Cursor;

use kerio_native::frame::LineSource;
use kerio_native::join::QueueJoin;
use kerio_native::scan::scan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut src = if data.starts_with(b"\x1f\x8b") {
        LineSource::new(Box::new(flate2::read::MultiGzDecoder::new(Cursor::new(
            data.to_vec(),
        ))))
    } else {
        LineSource::from_bytes(data.to_vec())
    };
    let summary = scan(&mut src, &mut QueueJoin::new(4));
    let c = summary.counters;
    assert!(c.lines == summary.framed + summary.unframed);
    assert!(c.decode_errors <= c.lines + 1 && c.cut_lines <= c.lines);
    let parsed = summary.recv + summary.sent + summary.unparsed + summary.deferred + summary.other;
    assert_eq!(parsed, summary.framed);
    assert!(summary.joined <= summary.sent);
    if !data.starts_with(b"\x1f\x8b") {
        assert_eq!(src.offset, data.len() as u64);
    }
});
