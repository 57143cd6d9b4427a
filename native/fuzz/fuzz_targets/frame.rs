//! Reading, decoding, framing, parsing and joining any bytes (plain or gzip).
#![no_main]

use std::io::Cursor;

use kerio_native::frame::LineSource;
use kerio_native::join::QueueJoin;
use kerio_native::scan::scan;
use libfuzzer_sys::fuzz_target;

/// Every line of a source: number, bytes, end offset.
fn lines(mut src: LineSource) -> Vec<(u64, Vec<u8>, u64)> {
    let mut out = Vec::new();
    while let Some((n, line)) = src.next_line() {
        let line = line.to_vec();
        out.push((n, line, src.offset));
    }
    out
}

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
        // Read from a position: the lines after the first `k`, passed over or from the
        // byte where they end, are those of the whole file.
        let all = lines(LineSource::from_bytes(data.to_vec()));
        let k = u64::from(data.last().copied().unwrap_or(0) % 8);
        let mut passed = LineSource::from_bytes(data.to_vec());
        let n = passed.pass_over(k);
        assert_eq!(n, k.min(all.len() as u64));
        let n = n as usize;
        assert_eq!(lines(passed), all[n..]);
        if n > 0 {
            let mut from = LineSource::from_bytes(data.to_vec());
            from.discard(all[n - 1].2);
            from.number_from(n as u64);
            assert_eq!(lines(from), all[n..]);
        }
    }
});
