//! The mail server's state on any sequence of deliveries, connections, inbound SMTP,
//! prunes and reloads: no panic, times stay sorted and bounded, a host counted in the
//! tally is never counted down, and the saved form reloads into the same saved form.
#![no_main]

use kerio_native::smtp::MailServers;
use libfuzzer_sys::fuzz_target;

fn name(byte: u8) -> String {
    format!("h{}", byte % 8)
}

fn reload(m: &MailServers, now: i64) -> MailServers {
    let mut fresh = MailServers::new(m.need_matches, m.need_share);
    let deliveries = m
        .recent_deliveries(now)
        .into_iter()
        .map(|(r, t)| (r.to_owned(), t))
        .collect();
    let tally = m
        .tally
        .iter()
        .map(|(h, c)| (h.to_owned(), c[0], c[1]))
        .collect();
    let inbound = m
        .inbound
        .iter()
        .map(|(h, s)| (h.to_owned(), s.clone()))
        .collect();
    let inferred = m
        .inferred
        .iter()
        .map(|(h, i)| (h.to_owned(), i.since, i.why.clone()))
        .collect();
    fresh.load(deliveries, tally, inbound, inferred);
    fresh
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let mut m = MailServers::new(i64::from(first % 6), f64::from(first % 5) / 4.0);
    while let [op, a, b, t, tail @ ..] = rest {
        rest = tail;
        let ts = i64::from(*t) * 60 - 1000;
        let before = m.tally.get(&name(*a)).copied();
        match op % 7 {
            0 => m.delivered(&name(*b), ts),
            1 => {
                let _ = m.kerio_delivered(&name(*b), ts - 30, ts + 90);
            }
            2 => {
                let _ = m.outbound(&name(*a), b % 2 == 0, ts, op % 2 == 0);
            }
            3 => {
                let _ = m.carried(&name(*a), &name(*b), ts, ts - 30, ts + 90, op % 2 == 0);
            }
            4 => {
                let _ = m.received(&name(*a), &name(*b), ts);
            }
            5 => m.prune(ts),
            _ => {
                let again = reload(&m, ts);
                assert_eq!(again.recent_deliveries(ts), m.recent_deliveries(ts));
                m = again;
            }
        }
        if let (Some(old), Some(new)) = (before, m.tally.get(&name(*a))) {
            assert!(new[0] >= old[0] && new[1] >= old[1] && new[0] <= new[1]);
        }
        for (_, times) in m.deliveries.iter() {
            assert!(!times.is_empty() && times.len() <= 256);
            assert!(times.windows(2).all(|w| w[0] <= w[1]));
        }
        for (_, sources) in m.inbound.iter() {
            assert!(sources.len() <= 64);
        }
    }
});
