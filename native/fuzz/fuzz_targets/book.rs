//! Address books on any sequence of sightings and loads: the memo gives the digest's
//! key, a book never holds more than its limit, answers what it was told last, and its
//! saved form loads into the same book.
#![no_main]

use kerio_native::book::{Book, key_of, key_of_cached};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&limit, mut rest)) = data.split_first() else {
        return;
    };
    let limit = usize::from(limit % 16) + 1;
    let mut book = Book::new(limit);
    let mut ts = 0i64;
    while let Some((&head, tail)) = rest.split_first() {
        let len = usize::from(head % 24).min(tail.len());
        let (address, next) = tail.split_at(len);
        rest = next;
        let key = key_of_cached(address);
        assert_eq!(key, key_of(address));
        ts += i64::from(head % 3);
        if head % 7 == 0 {
            book.load([(key, ts)]);
        } else {
            book.see(key, ts);
        }
        assert!(book.len() <= limit);
        assert!(!book.contains(key) || book.dump().contains(&(key, ts)));
    }
    let mut again = Book::new(limit);
    again.load(book.dump());
    assert_eq!(again.dump(), book.dump());
});
