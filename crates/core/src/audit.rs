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
    #[error("chain {chain}: events exist but the chain has no head")]
    MissingHead { chain: i32 },
}

/// The verified state: how many events, and one hash over every chain head for anchoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub events: u64,
    pub head_hash: String,
}

/// Checks stored events streamed in `(chain, seq)` order.
pub struct ChainVerifier<'k> {
    key: &'k [u8],
    current: Option<(i32, i64, String)>,
    finished: Vec<(i32, i64, String)>,
    events: u64,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k [u8]) -> Self {
        ChainVerifier {
            key,
            current: None,
            finished: Vec::new(),
            events: 0,
        }
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
        let mut digest = Sha256::new();
        for head in heads {
            let found = self.finished.iter().find(|(c, _, _)| *c == head.chain);
            let (found_seq, found_hash) = found
                .map(|(_, s, h)| (*s, h.as_str()))
                .unwrap_or((0, GENESIS));
            if found_seq != head.last_seq || found_hash != head.last_hash {
                return Err(Break::HeadMismatch {
                    chain: head.chain,
                    head_seq: head.last_seq,
                    found_seq,
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
