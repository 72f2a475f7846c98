//! The audit trail's tamper evidence.
//!
//! Events are appended to one of several independent hash chains (see ARCHITECTURE.md for why
//! not one global chain). Within a chain, event `n` stores `seq = n`, the previous event's
//! hash, and its own hash:
//!
//! ```text
//! hash_n = HMAC-SHA256(key, canonical(chain, seq, prev_hash, event fields))
//! ```
//!
//! The key lives outside the database, so whoever can rewrite rows cannot recompute the
//! chain. [`ChainVerifier`] walks the stored events in `(chain, seq)` order and detects an
//! edited event (hash mismatch), an inserted one (seq or link mismatch) and a deleted one (a
//! gap, or a chain head that no longer matches its last event).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of each chain's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether the policy let the request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }
}

/// What happened, before it is placed in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Microseconds since the Unix epoch, UTC (the precision both databases keep).
    pub at_micros: i64,
    pub actor_user_id: Option<Uuid>,
    /// The actor's role name, or `anonymous`/`system`.
    pub actor_role: String,
    /// A dotted verb such as `patient.read` or `episode.create`.
    pub action: String,
    pub patient_id: Option<Uuid>,
    /// The resource touched, e.g. `patients/0193…` or `patients?q` for a search.
    pub resource: String,
    pub outcome: Outcome,
    pub client_addr: String,
    /// Extra facts that are not patient data, e.g. `results=3` for a search.
    pub detail: String,
}

/// An event as stored: its place in a chain and its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub event: Event,
    pub chain: i32,
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// The last event of a chain, as recorded in the chain-head table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub chain: i32,
    pub last_seq: i64,
    pub last_hash: String,
}

/// The bytes the HMAC covers: every field, length-prefixed so no two events share them.
fn canonical(chain: i32, seq: i64, prev_hash: &str, e: &Event) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut field = |bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        out.extend_from_slice(bytes);
    };
    let opt = |id: Option<Uuid>| id.map(|u| u.to_string()).unwrap_or_default();
    field(b"openiop-audit-v1");
    field(&chain.to_be_bytes());
    field(&seq.to_be_bytes());
    field(prev_hash.as_bytes());
    field(e.id.as_bytes());
    field(e.organization_id.as_bytes());
    field(&e.at_micros.to_be_bytes());
    field(opt(e.actor_user_id).as_bytes());
    field(e.actor_role.as_bytes());
    field(e.action.as_bytes());
    field(opt(e.patient_id).as_bytes());
    field(e.resource.as_bytes());
    field(e.outcome.as_str().as_bytes());
    field(e.client_addr.as_bytes());
    field(e.detail.as_bytes());
    out
}

/// The hash of an event at a place in a chain, as lowercase hex.
pub fn seal_hash(key: &[u8], chain: i32, seq: i64, prev_hash: &str, event: &Event) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(&canonical(chain, seq, prev_hash, event));
    hex::encode(mac.finalize().into_bytes())
}

/// Places an event after `head` (or first in the chain when `head` is `None`).
pub fn seal(key: &[u8], chain: i32, head: Option<(i64, &str)>, event: Event) -> Sealed {
    let (seq, prev_hash) = match head {
        Some((last_seq, last_hash)) => (last_seq + 1, last_hash.to_owned()),
        None => (1, GENESIS.to_owned()),
    };
    let hash = seal_hash(key, chain, seq, &prev_hash, &event);
    Sealed {
        event,
        chain,
        seq,
        prev_hash,
        hash,
    }
}

/// Why verification failed, naming the first bad event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error("event {id} (chain {chain}, seq {seq}): hash does not match its content (edited)")]
    Edited { id: Uuid, chain: i32, seq: i64 },
    #[error(
        "event {id} (chain {chain}, seq {seq}): expected seq {expected} (an event was inserted or deleted)"
    )]
    OutOfSequence {
        id: Uuid,
        chain: i32,
        seq: i64,
        expected: i64,
    },
    #[error(
        "event {id} (chain {chain}, seq {seq}): does not link to the event before it (inserted or deleted)"
    )]
    Unlinked { id: Uuid, chain: i32, seq: i64 },
    #[error(
        "chain {chain}: head says {head_seq} events but {found_seq} were found (events deleted at the end)"
    )]
    HeadMismatch {
        chain: i32,
        head_seq: i64,
        found_seq: i64,
    },
    #[error(
        "chain {chain}: head says {head_seq} events but {found_seq} were found (the head row was rewound, or events were appended without it)"
    )]
    HeadBehind {
        chain: i32,
        head_seq: i64,
        found_seq: i64,
    },
    #[error(
        "chain {chain}: the head row's hash is not that of the chain's last event {seq} (the head row was edited)"
    )]
    HeadEdited { chain: i32, seq: i64 },
    #[error(
        "chain {chain}: the anchor names event {anchored_seq} but the chain ends at {found_seq} (events deleted since the anchor was taken)"
    )]
    BeforeAnchor {
        chain: i32,
        anchored_seq: i64,
        found_seq: i64,
    },
    #[error(
        "chain {chain}: event {seq} is not the one the anchor names (the chain was rewritten since the anchor was taken)"
    )]
    AnchorDiffers { chain: i32, seq: i64 },
    #[error("chain {chain}: events exist but the chain has no head")]
    MissingHead { chain: i32 },
}

/// The verified state: how many events, and one hash over every chain head for anchoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub events: u64,
    pub head_hash: String,
}

/// A signed record of every chain's head at one moment, to keep outside the database (a
/// ticket, an e-mail, a log service). `audit verify --anchor` then proves that every event up
/// to it is still there unchanged, which the database alone cannot prove against someone who
/// deletes a chain's newest events and rewinds its head row. Its text:
///
/// ```text
/// openiop-audit-anchor v1
/// at 1765132800000000
/// events 396
/// chain 0 24 <hash of event 24 of chain 0>
/// ...
/// mac <HMAC-SHA256 with the audit key over every line above>
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// When it was taken, in microseconds since the Unix epoch (UTC).
    pub at_micros: i64,
    pub events: u64,
    pub heads: Vec<Head>,
}

const ANCHOR_MAGIC: &str = "openiop-audit-anchor v1";

impl Anchor {
    fn body(&self) -> String {
        let mut out = format!(
            "{ANCHOR_MAGIC}\nat {}\nevents {}\n",
            self.at_micros, self.events
        );
        for h in &self.heads {
            out.push_str(&format!(
                "chain {} {} {}\n",
                h.chain, h.last_seq, h.last_hash
            ));
        }
        out
    }

    fn mac(key: &[u8], body: &str) -> Option<Hmac<Sha256>> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
        mac.update(b"openiop-audit-anchor");
        mac.update(body.as_bytes());
        Some(mac)
    }

    /// The anchor as text, signed with the audit key.
    pub fn to_signed_text(&self, key: &[u8]) -> String {
        let body = self.body();
        let mac = Anchor::mac(key, &body)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{body}mac {mac}\n")
    }

    /// Reads an anchor, checking its signature with the audit key.
    pub fn parse_signed(text: &str, key: &[u8]) -> Result<Anchor, String> {
        let bad = |why: &str| format!("not an OpenIOP audit anchor: {why}");
        let (body, mac_line) = text
            .trim_end_matches('\n')
            .rsplit_once('\n')
            .ok_or_else(|| bad("too short"))?;
        let body = format!("{body}\n");
        let mac = mac_line
            .strip_prefix("mac ")
            .ok_or_else(|| bad("no signature line"))?;
        let signed = hex::decode(mac).map_err(|_| bad("the signature is not hex"))?;
        // `verify_slice` compares in constant time.
        if Anchor::mac(key, &body).is_none_or(|m| m.verify_slice(&signed).is_err()) {
            return Err(
                "the anchor's signature does not match this audit key (altered, or another key)"
                    .into(),
            );
        }
        let mut lines = body.lines();
        if lines.next() != Some(ANCHOR_MAGIC) {
            return Err(bad("unknown format"));
        }
        let number = |line: Option<&str>, name: &str| -> Result<i64, String> {
            line.and_then(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| bad(name.trim()))
        };
        let at_micros = number(lines.next(), "at ")?;
        let events = u64::try_from(number(lines.next(), "events ")?).map_err(|_| bad("events"))?;
        let mut heads = Vec::new();
        for line in lines {
            let mut parts = line
                .strip_prefix("chain ")
                .ok_or_else(|| bad(line))?
                .split(' ');
            let (Some(chain), Some(seq), Some(hash), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad(line));
            };
            heads.push(Head {
                chain: chain.parse().map_err(|_| bad(line))?,
                last_seq: seq.parse().map_err(|_| bad(line))?,
                last_hash: hash.to_owned(),
            });
        }
        Ok(Anchor {
            at_micros,
            events,
            heads,
        })
    }
}

/// Checks stored events streamed in `(chain, seq)` order.
pub struct ChainVerifier<'k> {
    key: &'k [u8],
    current: Option<(i32, i64, String)>,
    finished: Vec<(i32, i64, String)>,
    events: u64,
    anchor: Vec<Head>,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k [u8]) -> Self {
        ChainVerifier {
            key,
            current: None,
            finished: Vec::new(),
            events: 0,
            anchor: Vec::new(),
        }
    }

    /// Also proves that every event the anchor names is still there, unchanged: so nothing
    /// before it was removed since it was taken, even with the head rows rewound.
    pub fn with_anchor(mut self, anchor: &Anchor) -> Self {
        self.anchor = anchor.heads.clone();
        self
    }

    /// Checks the next stored event.
    pub fn push(&mut self, stored: &Sealed) -> Result<(), Break> {
        let (id, chain, seq) = (stored.event.id, stored.chain, stored.seq);
        let (expected_seq, expected_prev) = match &self.current {
            Some((c, last_seq, last_hash)) if *c == chain => (last_seq + 1, last_hash.clone()),
            _ => {
                if let Some(done) = self.current.take() {
                    self.finished.push(done);
                }
                (1, GENESIS.to_owned())
            }
        };
        if seq != expected_seq {
            return Err(Break::OutOfSequence {
                id,
                chain,
                seq,
                expected: expected_seq,
            });
        }
        if stored.prev_hash != expected_prev {
            return Err(Break::Unlinked { id, chain, seq });
        }
        let hash = seal_hash(self.key, chain, seq, &stored.prev_hash, &stored.event);
        if hash != stored.hash {
            return Err(Break::Edited { id, chain, seq });
        }
        if let Some(anchored) = self
            .anchor
            .iter()
            .find(|h| h.chain == chain && h.last_seq == seq)
            && anchored.last_hash != hash
        {
            return Err(Break::AnchorDiffers { chain, seq });
        }
        self.current = Some((chain, seq, hash));
        self.events += 1;
        Ok(())
    }

    /// Compares what was walked with the recorded chain heads.
    pub fn finish(mut self, heads: &[Head]) -> Result<Summary, Break> {
        if let Some(done) = self.current.take() {
            self.finished.push(done);
        }
        if let Some((chain, _, _)) = self
            .finished
            .iter()
            .find(|(chain, _, _)| !heads.iter().any(|h| h.chain == *chain))
        {
            return Err(Break::MissingHead { chain: *chain });
        }
        let found_seq = |chain: i32| {
            self.finished
                .iter()
                .find(|(c, _, _)| *c == chain)
                .map_or(0, |(_, s, _)| *s)
        };
        for anchored in &self.anchor {
            let found = found_seq(anchored.chain);
            if found < anchored.last_seq {
                return Err(Break::BeforeAnchor {
                    chain: anchored.chain,
                    anchored_seq: anchored.last_seq,
                    found_seq: found,
                });
            }
        }
        let mut digest = Sha256::new();
        for head in heads {
            let found = self.finished.iter().find(|(c, _, _)| *c == head.chain);
            let (found_seq, found_hash) = found
                .map(|(_, s, h)| (*s, h.as_str()))
                .unwrap_or((0, GENESIS));
            if found_seq > head.last_seq {
                return Err(Break::HeadBehind {
                    chain: head.chain,
                    head_seq: head.last_seq,
                    found_seq,
                });
            }
            if found_seq != head.last_seq {
                return Err(Break::HeadMismatch {
                    chain: head.chain,
                    head_seq: head.last_seq,
                    found_seq,
                });
            }
            if found_hash != head.last_hash {
                return Err(Break::HeadEdited {
                    chain: head.chain,
                    seq: head.last_seq,
                });
            }
            digest.update(head.chain.to_be_bytes());
            digest.update(head.last_seq.to_be_bytes());
            digest.update(head.last_hash.as_bytes());
        }
        Ok(Summary {
            events: self.events,
            head_hash: hex::encode(digest.finalize()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn event(n: u128) -> Event {
        Event {
            id: Uuid::from_u128(n),
            organization_id: Uuid::from_u128(1),
            at_micros: 1_764_000_000_000_000 + n as i64,
            actor_user_id: Some(Uuid::from_u128(2)),
            actor_role: "clinician".into(),
            action: "patient.read".into(),
            patient_id: Some(Uuid::from_u128(3)),
            resource: "patients/3".into(),
            outcome: Outcome::Allowed,
            client_addr: "127.0.0.1".into(),
            detail: String::new(),
        }
    }

    /// Two chains of three events each, and their heads.
    fn trail() -> (Vec<Sealed>, Vec<Head>) {
        let mut all = Vec::new();
        let mut heads = Vec::new();
        for chain in [0, 1] {
            let mut head: Option<(i64, String)> = None;
            for n in 0..3 {
                let s = seal(
                    KEY,
                    chain,
                    head.as_ref().map(|(q, h)| (*q, h.as_str())),
                    event(chain as u128 * 10 + n),
                );
                head = Some((s.seq, s.hash.clone()));
                all.push(s);
            }
            let (last_seq, last_hash) = head.unwrap();
            heads.push(Head {
                chain,
                last_seq,
                last_hash,
            });
        }
        (all, heads)
    }

    fn verify(events: &[Sealed], heads: &[Head], key: &[u8]) -> Result<Summary, Break> {
        let mut v = ChainVerifier::new(key);
        for e in events {
            v.push(e)?;
        }
        v.finish(heads)
    }

    #[test]
    fn an_intact_trail_verifies_and_names_its_head() {
        let (events, heads) = trail();
        let summary = verify(&events, &heads, KEY).unwrap();
        assert_eq!(summary.events, 6);
        assert_eq!(summary.head_hash.len(), 64);
    }

    #[test]
    fn an_empty_trail_verifies() {
        assert_eq!(verify(&[], &[], KEY).unwrap().events, 0);
    }

    #[test]
    fn an_edited_event_is_caught() {
        let (mut events, heads) = trail();
        events[1].event.patient_id = Some(Uuid::from_u128(99));
        assert!(matches!(
            verify(&events, &heads, KEY),
            Err(Break::Edited { seq: 2, .. })
        ));
        let (mut events, heads) = trail();
        events[4].event.outcome = Outcome::Denied;
        assert!(matches!(
            verify(&events, &heads, KEY),
            Err(Break::Edited { chain: 1, .. })
        ));
    }

    #[test]
    fn a_deleted_event_is_caught() {
        let (mut events, heads) = trail();
        events.remove(1);
        assert!(matches!(
            verify(&events, &heads, KEY),
            Err(Break::OutOfSequence { .. })
        ));
        let (mut events, heads) = trail();
        events.remove(2);
        assert!(matches!(
            verify(&events, &heads, KEY),
            Err(Break::HeadMismatch { chain: 0, .. })
        ));
        let (mut events, heads) = trail();
        events.remove(0);
        assert!(verify(&events, &heads, KEY).is_err());
    }

    #[test]
    fn an_inserted_event_is_caught() {
        let (mut events, heads) = trail();
        let forged = seal(b"not the key", 0, Some((1, &events[0].hash)), event(77));
        events.insert(1, forged);
        assert!(verify(&events, &heads, KEY).is_err());
    }

    #[test]
    fn an_anchor_proves_nothing_was_removed_before_it() {
        let (events, heads) = trail();
        let anchor = Anchor {
            at_micros: 1,
            events: events.len() as u64,
            heads: heads.clone(),
        };
        let text = anchor.to_signed_text(KEY);
        let read = Anchor::parse_signed(&text, KEY).expect("signed");
        assert_eq!(read, anchor);
        assert!(Anchor::parse_signed(&text, b"another key").is_err());
        assert!(Anchor::parse_signed(&text.replacen("events ", "events 1", 1), KEY).is_err());
        let anchored = |events: &[Sealed], heads: &[Head]| {
            let mut v = ChainVerifier::new(KEY).with_anchor(&read);
            for e in events {
                v.push(e)?;
            }
            v.finish(heads)
        };
        assert!(anchored(&events, &heads).is_ok());
        // The newest event of a chain deleted and its head rewound: the trail alone looks
        // intact, the anchor does not.
        let last = events.last().unwrap().clone();
        let cut: Vec<Sealed> = events[..events.len() - 1].to_vec();
        let mut rewound = heads.clone();
        let h = rewound.iter_mut().find(|h| h.chain == last.chain).unwrap();
        h.last_seq -= 1;
        h.last_hash = cut
            .iter()
            .rev()
            .find(|e| e.chain == last.chain)
            .map(|e| e.hash.clone())
            .unwrap_or_else(|| GENESIS.to_owned());
        assert!(
            verify(&cut, &rewound, KEY).is_ok(),
            "the known limit without an anchor"
        );
        assert!(matches!(
            anchored(&cut, &rewound),
            Err(Break::BeforeAnchor { .. })
        ));
        // Events after the anchor are fine.
        assert!(matches!(anchored(&events, &heads), Ok(s) if s.events == events.len() as u64));
    }

    #[test]
    fn a_head_row_edited_alone_says_so() {
        let (events, mut heads) = trail();
        heads[0].last_hash = "f".repeat(64);
        assert!(matches!(
            verify(&events, &heads, KEY),
            Err(Break::HeadEdited { .. })
        ));
        let (events, mut heads) = trail();
        heads[0].last_seq -= 1;
        let err = verify(&events, &heads, KEY).unwrap_err();
        assert!(matches!(err, Break::HeadBehind { .. }), "{err}");
    }

    #[test]
    fn a_wrong_key_fails() {
        let (events, heads) = trail();
        assert!(matches!(
            verify(&events, &heads, b"another key"),
            Err(Break::Edited { .. })
        ));
    }

    #[test]
    fn renumbered_chain_after_a_deletion_is_caught_by_its_links() {
        let (mut events, heads) = trail();
        events.remove(1);
        events[1].seq = 2;
        assert!(matches!(
            verify(&events, &heads, KEY),
            Err(Break::Unlinked { .. })
        ));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_event() -> impl Strategy<Value = Event> {
        (
            any::<u128>(),
            any::<i64>(),
            "[a-z._]{1,20}",
            "[ -~]{0,40}",
            any::<bool>(),
            "[ -~]{0,30}",
        )
            .prop_map(|(id, at, action, resource, allowed, detail)| Event {
                id: Uuid::from_u128(id),
                organization_id: Uuid::from_u128(1),
                at_micros: at,
                actor_user_id: None,
                actor_role: "admin".into(),
                action,
                patient_id: Some(Uuid::from_u128(id ^ 7)),
                resource,
                outcome: if allowed {
                    Outcome::Allowed
                } else {
                    Outcome::Denied
                },
                client_addr: "::1".into(),
                detail,
            })
    }

    fn chain(events: Vec<Event>) -> (Vec<Sealed>, Vec<Head>) {
        let key = b"property key";
        let mut sealed: Vec<Sealed> = Vec::new();
        for e in events {
            let head = sealed.last().map(|s| (s.seq, s.hash.as_str()));
            let next = seal(key, 3, head, e);
            sealed.push(next);
        }
        let heads = sealed
            .last()
            .map(|s| {
                vec![Head {
                    chain: 3,
                    last_seq: s.seq,
                    last_hash: s.hash.clone(),
                }]
            })
            .unwrap_or_default();
        (sealed, heads)
    }

    fn verify(events: &[Sealed], heads: &[Head]) -> Result<Summary, Break> {
        let mut v = ChainVerifier::new(b"property key");
        for e in events {
            v.push(e)?;
        }
        v.finish(heads)
    }

    proptest! {
        #[test]
        fn any_chain_verifies(events in proptest::collection::vec(any_event(), 1..20)) {
            let (sealed, heads) = chain(events);
            prop_assert_eq!(verify(&sealed, &heads).map(|s| s.events), Ok(sealed.len() as u64));
        }

        #[test]
        fn any_single_edit_is_caught(
            events in proptest::collection::vec(any_event(), 1..12),
            which in any::<prop::sample::Index>(),
            field in 0..5usize,
        ) {
            let (mut sealed, heads) = chain(events);
            let i = which.index(sealed.len());
            let e = &mut sealed[i].event;
            match field {
                0 => e.at_micros = e.at_micros.wrapping_add(1),
                1 => e.action.push('x'),
                2 => e.patient_id = None,
                3 => e.outcome = if e.outcome == Outcome::Allowed { Outcome::Denied } else { Outcome::Allowed },
                _ => e.detail.push('!'),
            }
            prop_assert!(verify(&sealed, &heads).is_err());
        }

        #[test]
        fn any_single_deletion_is_caught(
            events in proptest::collection::vec(any_event(), 1..12),
            which in any::<prop::sample::Index>(),
        ) {
            let (mut sealed, heads) = chain(events);
            let i = which.index(sealed.len());
            sealed.remove(i);
            prop_assert!(verify(&sealed, &heads).is_err());
        }
    }
}
