//! iCalendar (RFC 5545) feeds of a patient's or a clinician's sessions. Calendars sync to
//! outside services, so by default an event says only what kind of meeting it is, its time
//! and its room: never a title or topic that reveals treatment.

use time::OffsetDateTime;

/// One event as the feed shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub uid: String,
    pub starts: OffsetDateTime,
    pub ends: OffsetDateTime,
    pub summary: String,
    pub location: Option<String>,
}

/// What an event may say about a session of `kind` titled `title`: the full title only when
/// its owner opted in; otherwise "Appointment" (one-to-one kinds) or "Group session".
pub fn summary(kind: &str, title: &str, full_titles: bool) -> String {
    if full_titles {
        return title.to_owned();
    }
    crate::session_kind::SessionKind::parse(kind)
        .map_or("Group session", |k| k.private_summary())
        .into()
}

/// Escapes a TEXT value (RFC 5545 3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character (RFC 5545 3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn utc(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The whole calendar: CRLF line ends, folded lines, times in UTC.
pub fn render(name: &str, events: &[Event], now: OffsetDateTime) -> String {
    let mut out = String::new();
    let mut line = |l: String| fold(&l, &mut out);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//OpenIOP//Schedule//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&e.uid)));
        line(format!("DTSTAMP:{}", utc(now)));
        line(format!("DTSTART:{}", utc(e.starts)));
        line(format!("DTEND:{}", utc(e.ends)));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(location) = &e.location {
            line(format!("LOCATION:{}", escape(location)));
        }
        line("CLASS:PRIVATE".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn titles_stay_private_unless_opted_in() {
        assert_eq!(
            summary("group_therapy", "Opioid relapse group", false),
            "Group session"
        );
        assert_eq!(summary("family", "Family session", false), "Appointment");
        assert_eq!(summary("psychoeducation", "Naloxone", true), "Naloxone");
    }

    #[test]
    fn lines_are_escaped_folded_and_in_utc() {
        let event = Event {
            uid: "a@openiop".into(),
            starts: datetime!(2026-11-23 18:00 -6),
            ends: datetime!(2026-11-23 21:00 -6),
            summary: "Group session".into(),
            location: Some(format!("Room A, 2nd floor; {}", "é".repeat(60))),
        };
        let text = render("My schedule", &[event], datetime!(2026-11-20 12:00 UTC));
        assert!(text.contains("DTSTART:20261124T000000Z\r\n"));
        assert!(text.contains("LOCATION:Room A\\, 2nd floor\\; "));
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        // Unfolding restores the value.
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&"é".repeat(60)));
    }
}
