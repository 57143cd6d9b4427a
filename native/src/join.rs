//! The Queue-ID join of `enrich/messages.py` (`MessageTracker`): each queued
//! message's `Recv:` and `Sent:` lines, with bounded memory (the oldest messages are
//! forgotten first), so deliveries are attributed to the account that sent them.

use std::collections::{BTreeSet, HashMap, VecDeque};

/// What is known about one queued message (`MessageState`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageState {
    pub ts: i64,
    pub account: Option<String>,
    pub sender: String,
    pub accepted: u64,
    pub delivered: u64,
    pub failed: u64,
    pub delayed: u64,
    pub final_: BTreeSet<String>,
}

/// Queue-ID -> [`MessageState`] in insertion order, bounded to `limit` messages.
#[derive(Debug)]
pub struct QueueJoin {
    pub limit: usize,
    map: HashMap<String, MessageState>,
    order: VecDeque<String>,
    /// Messages forgotten because the join was full.
    pub evicted: u64,
}

impl QueueJoin {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            map: HashMap::new(),
            order: VecDeque::new(),
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn contains(&self, qid: &str) -> bool {
        self.map.contains_key(qid)
    }

    pub fn get(&self, qid: &str) -> Option<&MessageState> {
        self.map.get(qid)
    }

    fn pop_oldest(&mut self) -> bool {
        match self.order.pop_front() {
            Some(qid) => {
                self.map.remove(&qid);
                true
            }
            None => false,
        }
    }

    /// A `Recv:` line of an account's message; true when it is the message's first.
    pub fn received(
        &mut self,
        qid: &str,
        ts: i64,
        account: Option<&str>,
        sender: &str,
        recipients: u64,
    ) -> bool {
        let new = !self.map.contains_key(qid);
        if new {
            let state = MessageState {
                ts,
                account: account.map(str::to_owned),
                sender: sender.to_owned(),
                ..MessageState::default()
            };
            self.map.insert(qid.to_owned(), state);
            self.order.push_back(qid.to_owned());
            if self.map.len() > self.limit {
                self.pop_oldest();
                self.evicted += 1;
            }
        }
        if let Some(state) = self.map.get_mut(qid) {
            state.accepted += recipients;
        }
        new
    }

    /// A `Sent:` line; the message it belongs to, if known.
    pub fn delivered(
        &mut self,
        qid: &str,
        result: &str,
        status: Option<&str>,
        recipient: &str,
        failure: bool,
    ) -> Option<&MessageState> {
        let state = self.map.get_mut(qid)?;
        if result == "delayed" || (status.unwrap_or("").starts_with('4') && result != "delivered") {
            state.delayed += 1;
        } else if failure {
            state.failed += 1;
            state.final_.insert(recipient.to_owned());
        } else {
            state.delivered += 1;
            state.final_.insert(recipient.to_owned());
        }
        Some(state)
    }

    /// Queue-IDs of messages accepted before `older_than` with recipients not final.
    pub fn pending(&self, older_than: i64) -> Vec<&str> {
        let mut out = Vec::new();
        for qid in &self.order {
            let state = &self.map[qid];
            if state.ts >= older_than {
                break;
            }
            if state.accepted > state.final_.len() as u64 {
                out.push(qid.as_str());
            }
        }
        out
    }

    /// The newest messages (at most `limit`, younger than `max_age` at `now`), oldest first.
    pub fn dump(&self, now: i64, max_age: i64, limit: usize) -> Vec<(&str, &MessageState)> {
        let edge = now - max_age;
        let mut out = Vec::new();
        for qid in self.order.iter().rev().take(limit) {
            let state = &self.map[qid];
            if state.ts < edge {
                break;
            }
            out.push((qid.as_str(), state));
        }
        out.reverse();
        out
    }

    /// Add saved messages in their order (an existing Queue-ID keeps its place).
    pub fn restore(&mut self, rows: Vec<(String, MessageState)>) {
        for (qid, state) in rows {
            if !self.map.contains_key(&qid) {
                self.order.push_back(qid.clone());
            }
            self.map.insert(qid, state);
        }
        while self.map.len() > self.limit && self.pop_oldest() {}
    }

    /// Drop messages older than `ts`.
    pub fn forget_before(&mut self, ts: i64) {
        while let Some(qid) = self.order.front() {
            if self.map[qid].ts >= ts {
                break;
            }
            self.pop_oldest();
        }
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_evicts() {
        let mut j = QueueJoin::new(2);
        assert!(j.received("a", 1, Some("u"), "s", 2));
        assert!(!j.received("a", 1, Some("u"), "s", 1));
        assert_eq!(j.get("a").unwrap().accepted, 3);
        let st = j
            .delivered("a", "failed", Some("5.1.1"), "r", true)
            .unwrap();
        assert_eq!((st.failed, st.final_.len()), (1, 1));
        assert!(j.delivered("zz", "delivered", None, "r", false).is_none());
        j.received("b", 2, None, "s", 1);
        j.received("c", 3, None, "s", 1);
        assert!(!j.contains("a"));
        assert_eq!(j.evicted, 1);
        assert_eq!(j.pending(10), vec!["b", "c"]);
        assert_eq!(j.dump(3, 1, 10).len(), 2);
        j.forget_before(3);
        assert_eq!(j.len(), 1);
    }
}
