//! Reading and framing Kerio log files exactly as `sources/files.py` and
//! `formats/envelope.py` do: lines split on `\n`, decoded leniently (invalid UTF-8
//! replaced and counted; BOM, CR and NUL dropped; long lines cut), and the on-disk
//! `[DD/Mon/YYYY HH:MM:SS] ` prefix read into local wall-clock seconds.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::text::{char_len, take_chars};

/// Characters of one line that are processed (`files.MAX_LINE`).
pub const MAX_LINE: usize = 65536;
/// Bytes of one line that are read (`files.LINE_BYTES`): the rest of a longer line is
/// read and dropped, never held (a file of NUL bytes left by a power cut is one line).
pub const LINE_BYTES: usize = MAX_LINE * 4;
const BUFFER: usize = 256 * 1024;

/// What reading found, as `LogFile` counts it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Non-empty lines.
    pub lines: u64,
    /// Lines that were not valid UTF-8.
    pub decode_errors: u64,
    /// Lines cut to [`MAX_LINE`] characters.
    pub cut_lines: u64,
}

fn too_long(s: &str) -> bool {
    s.len() > MAX_LINE && char_len(s) > MAX_LINE
}

/// One line's bytes (with its `\n`, if any) -> text, as `read_records` decodes it.
pub fn decode<'a>(data: &'a [u8], counters: &mut Counters) -> Cow<'a, str> {
    if let Ok(s) = std::str::from_utf8(data) {
        let mut raw = s;
        if let Some(r) = raw.strip_suffix('\n') {
            raw = r.strip_suffix('\r').unwrap_or(r);
        }
        if !(too_long(raw)
            || memchr::memchr(0, raw.as_bytes()).is_some()
            || raw.starts_with('\u{feff}'))
        {
            return Cow::Borrowed(raw);
        }
    }
    Cow::Owned(decode_line(data, counters))
}

/// `files.decode_line`: the careful path (invalid UTF-8, NUL, BOM, long lines; a
/// UTF-16 byte order mark is dropped before decoding).
pub fn decode_line(data: &[u8], counters: &mut Counters) -> String {
    let data = match data {
        [0xff, 0xfe, rest @ ..] | [0xfe, 0xff, rest @ ..] => rest,
        _ => data,
    };
    let text = match std::str::from_utf8(data) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            counters.decode_errors += 1;
            String::from_utf8_lossy(data)
        }
    };
    let text: Cow<'_, str> = if text.contains('\0') {
        Cow::Owned(text.replace('\0', ""))
    } else {
        text
    };
    let mut out = text.trim_end_matches(['\r', '\n']);
    if let Some(rest) = out.strip_prefix('\u{feff}') {
        out = rest;
    }
    if too_long(out) {
        counters.cut_lines += 1;
        out = take_chars(out, MAX_LINE);
    }
    out.to_owned()
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn two(b: &[u8]) -> Option<i64> {
    if b.len() == 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit() {
        Some(i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'))
    } else {
        None
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `StampParser.stamp`: local wall seconds of an on-disk line's prefix, or `None`.
pub fn stamp(raw: &str) -> Option<i64> {
    let b = raw.as_bytes();
    if b.len() < 22 || !b[..22].is_ascii() || b[0] != b'[' || b[21] != b']' || b[12] != b' ' {
        return None;
    }
    // day: text[1:12] = "DD/Mon/YYYY"
    let month = MONTHS.iter().position(|m| &b[4..7] == *m)? as i64 + 1;
    if b[3] != b'/' || b[7] != b'/' {
        return None;
    }
    let year = {
        let y = &b[8..12];
        if !y.iter().all(u8::is_ascii_digit) {
            return None;
        }
        y.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
    };
    let day = two(&b[1..3])?;
    if year < 1 || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // clock: text[13:21] = "HH:MM:SS"
    if b[15] != b':' || b[18] != b':' {
        return None;
    }
    let (h, m, s) = (two(&b[13..15])?, two(&b[16..18])?, two(&b[19..21])?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// `raw[23:]` of a line whose first 22 characters are its (ASCII) stamp.
pub fn message_of(raw: &str) -> &str {
    match raw[22..].chars().next() {
        Some(c) => &raw[22 + c.len_utf8()..],
        None => "",
    }
}

/// Lines of a file (plain or gzip), with their line numbers and end offsets.
///
/// Lines are handed out as slices of one large buffer (no copy per line); a line
/// longer than the buffer grows it.
pub struct LineSource {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Start and end of the unread bytes in `buf`.
    start: usize,
    end: usize,
    eof: bool,
    /// The first [`LINE_BYTES`] of the last line read, when it was longer.
    long: Vec<u8>,
    /// Lines read so far (`lineno` of the last line, counting empty ones).
    pub lineno: u64,
    /// Bytes (decompressed) consumed so far: the end offset of the last line.
    pub offset: u64,
    /// A read error that ended the file (`"read error: ..."` in Python).
    pub error: Option<String>,
}

impl LineSource {
    /// Open a file; `compressed` files are read through a gzip decoder (all members).
    pub fn open(path: &str, compressed: bool) -> io::Result<Self> {
        let file = File::open(path)?;
        let reader: Box<dyn Read + Send> = if compressed {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                BUFFER, file,
            )))
        } else {
            Box::new(file)
        };
        Ok(Self::new(reader))
    }

    /// Open a file to read from byte `offset` (decompressed) on, as `read_records` does
    /// after `handle.seek(offset)`: a plain file is read from there (a position past
    /// its end reads nothing, and stays the position); a compressed one is decompressed
    /// and the bytes before `offset` dropped (one that ends before it is at its end).
    /// Lines are numbered from 1 as if the file started there; a failed seek is a read
    /// error ([`LineSource::error`]), as Python's is.
    pub fn open_at(path: &str, compressed: bool, offset: u64) -> io::Result<Self> {
        if compressed {
            let mut src = Self::open(path, true)?;
            src.discard(offset);
            return Ok(src);
        }
        let mut file = File::open(path)?;
        match file.seek(SeekFrom::Start(offset)) {
            Ok(at) => {
                let mut src = Self::new(Box::new(file));
                src.offset = at;
                Ok(src)
            }
            Err(e) => {
                let mut src = Self::new(Box::new(io::empty()));
                src.eof = true;
                src.error = Some(e.to_string());
                Ok(src)
            }
        }
    }

    /// Lines of any reader.
    pub fn new(reader: Box<dyn Read + Send>) -> Self {
        Self::with_buffer(reader, BUFFER * 4)
    }

    /// Lines of any reader, starting with a buffer of `size` bytes (it grows for long lines).
    pub fn with_buffer(reader: Box<dyn Read + Send>, size: usize) -> Self {
        Self {
            reader,
            buf: vec![0; size.max(64)],
            start: 0,
            end: 0,
            eof: false,
            long: Vec::new(),
            lineno: 0,
            offset: 0,
            error: None,
        }
    }

    /// Lines of a byte buffer (tests, standard input).
    pub fn from_bytes(data: Vec<u8>) -> Self {
        let size = (data.len() + 1).min(BUFFER * 4);
        Self::with_buffer(Box::new(io::Cursor::new(data)), size)
    }

    /// Read more bytes after the unread ones; false at the end (or on an error).
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.end += n;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.error = Some(e.to_string());
                    return false;
                }
            }
        }
    }

    /// The next line's number and bytes (with its `\n` if it has one); `None` at the end.
    /// A line longer than [`LINE_BYTES`] is its first `LINE_BYTES` bytes, as
    /// `files.bounded_lines` reads it (without its `\n`): the rest is read and dropped.
    /// A run of [`NUL_RUN`] or more NUL bytes ends a line too (`sources/lineends.py`).
    pub fn next_line(&mut self) -> Option<(u64, &[u8])> {
        let mut scanned = self.start;
        let line_end = loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[scanned..self.end]) {
                break scanned + i + 1;
            }
            if self.end - self.start > LINE_BYTES {
                if let Some((at, after)) = nul_run(&self.buf[self.start..self.end]) {
                    return Some(self.ended_by_run(at, after));
                }
                return Some(self.long_line());
            }
            scanned = self.end;
            let before = self.start;
            if !self.fill() {
                if self.start == self.end {
                    return None;
                }
                break self.end; // an unterminated last line
            }
            scanned -= before - self.start;
        };
        if let Some((at, after)) = nul_run(&self.buf[self.start..line_end]) {
            return Some(self.ended_by_run(at, after));
        }
        let line = &self.buf[self.start..line_end];
        self.start = line_end;
        self.lineno += 1;
        self.offset += line.len() as u64;
        Some((self.lineno, line))
    }

    /// Read and drop the next `n` bytes (fewer at the end, or at a read error), before
    /// any line is read: where a compressed file cannot seek.
    pub fn discard(&mut self, n: u64) {
        let mut left = n;
        while left > 0 {
            if self.start == self.end && !self.fill() {
                return;
            }
            let take = (self.end - self.start).min(usize::try_from(left).unwrap_or(usize::MAX));
            self.consume(take);
            left -= take as u64;
        }
    }

    /// Pass over lines unread until `lines` are read in all (`files.lines_after`:
    /// framed to be counted, never decoded, not counted in [`Counters`]); how many
    /// were read in all (fewer at the end of the file or at a read error).
    pub fn pass_over(&mut self, lines: u64) -> u64 {
        while self.lineno < lines && self.next_line().is_some() {}
        self.lineno
    }

    /// Take the lines before this position as read: the next line is `lineno` + 1
    /// (after [`LineSource::open_at`], at the end of line `lineno`).
    pub fn number_from(&mut self, lineno: u64) {
        self.lineno = lineno;
    }

    /// Take `n` unread bytes as read.
    fn consume(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
    }

    /// A line ended by the NUL run at `at..after` of the unread bytes: its bytes before
    /// the run (at most [`LINE_BYTES`]); the run, and a `\n` right after it, consumed.
    fn ended_by_run(&mut self, at: usize, after: usize) -> (u64, &[u8]) {
        self.long.clear();
        self.long
            .extend_from_slice(&self.buf[self.start..self.start + at.min(LINE_BYTES)]);
        self.consume(after);
        self.skip_run();
        self.lineno += 1;
        (self.lineno, &self.long)
    }

    /// Consume the rest of a NUL run that ended a line, and a `\n` right after it.
    fn skip_run(&mut self) {
        loop {
            let nuls = self.buf[self.start..self.end]
                .iter()
                .take_while(|&&b| b == 0)
                .count();
            self.consume(nuls);
            if self.start < self.end {
                if self.buf[self.start] == b'\n' {
                    self.consume(1);
                }
                return;
            }
            if !self.fill() {
                return;
            }
        }
    }

    /// A line with more than [`LINE_BYTES`] bytes before its end (and no NUL run there):
    /// its first `LINE_BYTES` bytes, the rest up to its end (a `\n` or a NUL run,
    /// included) consumed unread.
    fn long_line(&mut self) -> (u64, &[u8]) {
        self.long.clear();
        self.long
            .extend_from_slice(&self.buf[self.start..self.start + LINE_BYTES]);
        // NUL bytes at the end of what was read may start a run: kept to be counted.
        let trail = trailing_nuls(&self.buf[self.start..self.end]);
        self.consume(LINE_BYTES.min(self.end - self.start - trail));
        loop {
            let window = &self.buf[self.start..self.end];
            let nl = memchr::memchr(b'\n', window);
            if let Some((_, after)) = nul_run(&window[..nl.unwrap_or(window.len())]) {
                self.consume(after);
                self.skip_run();
                break;
            }
            if let Some(i) = nl {
                self.consume(i + 1);
                break;
            }
            let trail = trailing_nuls(window);
            self.consume(window.len() - trail);
            if !self.fill() {
                self.consume(self.end - self.start);
                break;
            }
        }
        self.lineno += 1;
        (self.lineno, &self.long)
    }
}

/// NUL bytes in a row that end a line (`lineends.NUL_RUN`): a power cut leaves a block
/// of them, often from the middle of a line, and the server writes on after it.
pub const NUL_RUN: usize = 8;

/// The first run of [`NUL_RUN`] or more NUL bytes in `data`: (start, end).
fn nul_run(data: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(0, &data[from..]) {
        let at = from + i;
        let len = data[at..].iter().take_while(|&&b| b == 0).count();
        if len >= NUL_RUN {
            return Some((at, at + len));
        }
        from = at + len;
    }
    None
}

/// NUL bytes at the end of `data`.
fn trailing_nuls(data: &[u8]) -> usize {
    data.iter().rev().take_while(|&&b| b == 0).count()
}

/// Read everything of a reader (used by tests).
pub fn read_all(mut r: impl Read) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps() {
        assert_eq!(stamp("[24/Aug/2022 16:28:11] x"), Some(1_661_358_491));
        assert_eq!(stamp("[29/Feb/2023 16:28:11] x"), None);
        assert_eq!(stamp("[29/Feb/2024 16:28:60] x"), Some(1_709_224_140));
        assert_eq!(stamp("[24/aug/2022 16:28:11] x"), None);
        assert_eq!(stamp("[24/Aug/0000 16:28:11] x"), None);
        assert_eq!(stamp("[01/Jan/0001 00:00:00]"), Some(-62_135_596_800));
        assert_eq!(stamp("[24/Aug/2022 24:28:11] x"), None);
        assert_eq!(stamp("[24/Aug/2022 16:28:11"), None);
    }

    #[test]
    fn messages() {
        assert_eq!(message_of("[24/Aug/2022 16:28:11] Recv: x"), "Recv: x");
        assert_eq!(message_of("[24/Aug/2022 16:28:11]"), "");
        assert_eq!(message_of("[24/Aug/2022 16:28:11]äb"), "b");
    }

    #[test]
    fn decoding() {
        let mut c = Counters::default();
        assert_eq!(decode(b"abc\r\n", &mut c), "abc");
        assert_eq!(decode(b"abc\r\r\n", &mut c), "abc\r");
        assert_eq!(decode(b"a\0bc\r\r\n", &mut c), "abc");
        assert_eq!(decode(b"\xef\xbb\xbfabc\n", &mut c), "abc");
        assert_eq!(c.decode_errors, 0);
        assert_eq!(decode(b"a\xffb\r\r\n", &mut c), "a\u{fffd}b");
        assert_eq!(c.decode_errors, 1);
        let long = "é".repeat(MAX_LINE + 1);
        assert_eq!(decode(long.as_bytes(), &mut c).chars().count(), MAX_LINE);
        assert_eq!(c.cut_lines, 1);
    }

    #[test]
    fn tiny_buffers_grow() {
        let mut src = LineSource::with_buffer(Box::new(io::Cursor::new(b"abc\n".repeat(100))), 0);
        let mut n = 0;
        while let Some((_, line)) = src.next_line() {
            assert_eq!(line, b"abc\n");
            n += 1;
        }
        assert_eq!(n, 100);
    }

    #[test]
    fn long_lines_are_cut_when_read() {
        for len in [LINE_BYTES - 1, LINE_BYTES, LINE_BYTES + 1, BUFFER * 9] {
            let mut data = vec![b'x'; len];
            data.extend_from_slice(b"\nshort\n");
            let mut src = LineSource::with_buffer(Box::new(io::Cursor::new(data)), 4096);
            let (n, line) = src.next_line().unwrap();
            // Found whole in the buffer, a line a little longer is taken whole (its
            // text is cut to MAX_LINE characters all the same); a longer one never.
            let whole = line.len() == len + 1;
            assert!(n == 1 && (whole || line.len() == LINE_BYTES), "{len}");
            assert!(whole || len >= LINE_BYTES);
            assert!(!whole || len <= 2 * LINE_BYTES);
            assert_eq!(src.offset, len as u64 + 1);
            assert!(
                src.buf.len() <= 2 * LINE_BYTES + 8192,
                "held {}",
                src.buf.len()
            );
            assert_eq!(src.next_line(), Some((2, &b"short\n"[..])));
            assert_eq!((src.lineno, src.offset), (2, len as u64 + 7));
            assert_eq!(src.next_line(), None);
        }
        let mut src = LineSource::from_bytes(vec![b'x'; LINE_BYTES * 3]);
        assert_eq!(
            src.next_line().map(|(n, l)| (n, l.len())),
            Some((1, LINE_BYTES))
        );
        assert_eq!((src.offset, src.next_line()), (LINE_BYTES as u64 * 3, None));
    }

    fn all_lines(data: &[u8], buffer: usize) -> (Vec<(u64, Vec<u8>)>, u64) {
        let mut src = LineSource::with_buffer(Box::new(io::Cursor::new(data.to_vec())), buffer);
        let mut out = Vec::new();
        while let Some((n, line)) = src.next_line() {
            out.push((n, line.to_vec()));
        }
        (out, src.offset)
    }

    #[test]
    fn nul_runs_end_lines() {
        for n in [8, 100, 5000, LINE_BYTES - 3, LINE_BYTES + 3, 3 * LINE_BYTES] {
            let nuls = vec![0u8; n];
            let long = vec![b'x'; LINE_BYTES + 10];
            let data = [
                &b"A\n[cut"[..],
                &nuls,
                b"B\n\0\0\0\0\0\0\0C\nD",
                &nuls,
                b"\n",
                &nuls,
                b"E\n",
                &long,
                &nuls,
                b"F\nG",
                &nuls,
            ]
            .concat();
            for buffer in [64, 4096, BUFFER * 4] {
                let (lines, offset) = all_lines(&data, buffer);
                let want: Vec<(u64, Vec<u8>)> = [
                    &b"A\n"[..],
                    b"[cut",
                    b"B\n",
                    b"\0\0\0\0\0\0\0C\n",
                    b"D",
                    b"",
                    b"E\n",
                    &long[..LINE_BYTES],
                    b"F\n",
                    b"G",
                ]
                .iter()
                .enumerate()
                .map(|(i, l)| (i as u64 + 1, l.to_vec()))
                .collect();
                assert!(lines == want, "{n} NUL bytes, buffer {buffer}");
                assert_eq!(offset, data.len() as u64);
            }
        }
        // Fewer than NUL_RUN, even across reads, end nothing.
        let data = [&[b'y'; 100][..], &[0; 7], b"z\n"].concat();
        let (lines, _) = all_lines(&data, 64);
        assert_eq!(lines, vec![(1, data.clone())]);
    }

    fn rest(mut src: LineSource) -> (Vec<(u64, Vec<u8>)>, u64) {
        let mut out = Vec::new();
        while let Some((n, line)) = src.next_line() {
            out.push((n, line.to_vec()));
        }
        (out, src.offset)
    }

    fn temp_file(name: &str, data: &[u8]) -> String {
        let path = std::env::temp_dir().join(format!("kerio-frame-{}-{name}", std::process::id()));
        std::fs::write(&path, data).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn gzipped(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn lines_passed_over_are_numbered_not_returned() {
        let nuls = vec![0u8; 20];
        let long = vec![b'y'; LINE_BYTES + 5];
        let data = [&b"a\n\nb"[..], &nuls, b"c\n", &long, b"\nd\ne"].concat();
        for buffer in [64, 4096, BUFFER * 4] {
            let (all, end) = all_lines(&data, buffer);
            for start in 0..=all.len() as u64 + 1 {
                let mut src =
                    LineSource::with_buffer(Box::new(io::Cursor::new(data.clone())), buffer);
                assert_eq!(src.pass_over(start), start.min(all.len() as u64));
                let (after, offset) = rest(src);
                let from = (start as usize).min(all.len());
                assert_eq!(after, all[from..], "start {start}, buffer {buffer}");
                assert_eq!(offset, end);
            }
        }
    }

    #[test]
    fn a_file_is_read_from_an_offset() {
        let data = b"[24/Aug/2022 16:28:11] a\n\n\xffb\r\nc\nlast".to_vec();
        let (all, _) = all_lines(&data, 64);
        let ends: Vec<u64> = {
            let mut src = LineSource::from_bytes(data.clone());
            let mut ends = Vec::new();
            while src.next_line().is_some() {
                ends.push(src.offset);
            }
            ends
        };
        let plain = temp_file("plain", &data);
        let packed = temp_file("gz", &[gzipped(&data[..9]), gzipped(&data[9..])].concat());
        for (path, compressed) in [(&plain, false), (&packed, true)] {
            for (i, &end) in ends.iter().enumerate() {
                let mut src = LineSource::open_at(path, compressed, end).unwrap();
                src.number_from(i as u64 + 1);
                let (after, offset) = rest(src);
                assert_eq!(after, all[i + 1..], "from line {}", i + 1);
                assert_eq!(offset, data.len() as u64);
            }
            // past the end: nothing read; a plain file stays at the offset, as Python's
            // seek does, a compressed one is at its end (GzipFile.tell())
            let src = LineSource::open_at(path, compressed, 1000).unwrap();
            let want = if compressed { data.len() as u64 } else { 1000 };
            assert_eq!((rest(src), compressed), ((vec![], want), compressed));
        }
        // a damaged archive: a read error, no line
        let cut = gzipped(&b"x\n".repeat(100_000));
        let damaged = temp_file("damaged", &cut[..cut.len() / 2]);
        let mut src = LineSource::open_at(&damaged, true, 200_000).unwrap();
        assert!(src.error.is_some() && src.next_line().is_none() && src.lineno == 0);
        for path in [plain, packed, damaged] {
            std::fs::remove_file(path).unwrap();
        }
    }

    #[test]
    fn lines_and_offsets() {
        let mut src = LineSource::from_bytes(b"a\n\nbc".to_vec());
        assert_eq!(src.next_line(), Some((1, &b"a\n"[..])));
        assert_eq!((src.lineno, src.offset), (1, 2));
        assert_eq!(src.next_line(), Some((2, &b"\n"[..])));
        assert_eq!(src.next_line(), Some((3, &b"bc"[..])));
        assert_eq!((src.lineno, src.offset), (3, 5));
        assert_eq!(src.next_line(), None);
    }
}
