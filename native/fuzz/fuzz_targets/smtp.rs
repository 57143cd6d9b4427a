//! The mail server's state on any sequence of deliveries, connections, inbound SMTP,
//! prunes and reloads: no panic, times stay sorted and bounded, a host counted in the
//! tally is never counted down, and the saved form reloads into the same saved form.
//! Then `direct_smtp`'s pending connections on any sequence of connections (any
//! address text), deliveries, settling, benign machines and reloads: no
//! panic, each machine's waiting count is its connections in the queue, and every
//! connection handed back is from a LAN machine and not excluded.
#![no_main]

use std::collections::HashMap;
use std::convert::Infallible;

use kerio_native::smtp::MailServers;
use kerio_native::smtpnet::{EXTERNAL, LAN, Prefixes, SmtpNets, TO_EXCLUDED};
use kerio_native::smtpq::{Conn, Ctx, Queue};
use libfuzzer_sys::fuzz_target;

const ADDRESSES: [&str; 8] = [
    "192.168.1.2",
    "192.168.1.9",
    "192.168.1.5",
    "203.0.113.1",
    "203.0.113.7",
    "127.0.0.1",
    "192.168.01.2",
    "fd00::1",
];

fn address(byte: u8, data: &[u8]) -> String {
    match ADDRESSES.get(usize::from(byte % 10)) {
        Some(a) => (*a).to_owned(),
        None => {
            String::from_utf8_lossy(&data[..data.len().min(usize::from(byte % 7))]).into_owned()
        }
    }
}

/// Python's answer for a text that is no dotted quad, made up but fixed per text.
fn ask(host: &str) -> Result<u8, Infallible> {
    Ok(match host.len() % 3 {
        0 => LAN,
        1 => EXTERNAL | TO_EXCLUDED,
        _ => 0,
    })
}

fn queue_ops(mut rest: &[u8]) {
    let Some((&first, tail)) = rest.split_first() else {
        return;
    };
    rest = tail;
    let mut nets = SmtpNets {
        trusted: Prefixes::new(&[(0xc0a8_0000, 16)]),
        servers: Prefixes::new(&[(0xc0a8_0105, 32)]),
        relays: Prefixes::new(&[(0xcb00_7107, 32)]),
        ..SmtpNets::default()
    };
    let mut mail = MailServers::new(i64::from(first % 4), 0.5);
    let mut queue = Queue::new(i64::from(first % 3) * 45, first % 2 == 0);
    let mut clock: i64 = 1000;
    while let [op, a, b, t, tail @ ..] = rest {
        rest = tail;
        clock += i64::from(*t) - 40;
        let mut out = Vec::new();
        let mut cx = Ctx {
            nets: &mut nets,
            mail: &mut mail,
            ask,
        };
        match op % 6 {
            0 | 1 => {
                let conn = Conn {
                    ts: clock,
                    src: address(*a, tail),
                    dst: address(*b, tail),
                    sport: (op % 4 == 0).then_some(40000),
                    dport: Some(if op % 3 == 0 { 25 } else { 587 }),
                    action: if b % 2 == 0 { "allow" } else { "block" }.to_owned(),
                    raw: format!("line {op}"),
                };
                let _ = queue.connection(conn, &mut cx, &mut out);
            }
            2 => cx.mail.delivered(&address(*b, tail), clock),
            3 => {
                let _ = queue.settle_due(clock, &mut cx, &mut out);
            }
            4 => {
                cx.nets.benign = if a % 2 == 0 {
                    [address(*b, tail)].into_iter().collect()
                } else {
                    Default::default()
                };
            }
            _ => {
                let rows: Vec<Conn> = queue.pending.iter().cloned().collect();
                let mut again = Queue::new(queue.settle, queue.infer);
                again.load(rows);
                assert_eq!(again.pending, queue.pending);
                assert_eq!(again.waiting, queue.waiting);
                queue = again;
            }
        }
        let mut counts: HashMap<String, usize> = HashMap::new();
        for c in &queue.pending {
            *counts.entry(c.src.clone()).or_insert(0) += 1;
        }
        assert_eq!(counts, queue.waiting);
        for c in &out {
            let mut cx = Ctx {
                nets: &mut nets,
                mail: &mut mail,
                ask,
            };
            assert!(cx.nets.classify(&c.src, &mut cx.ask).unwrap() & LAN != 0);
            assert!(!cx.nets.excluded(&c.src, &c.dst, &mut cx.ask).unwrap());
        }
    }
}

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
    queue_ops(data);
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
