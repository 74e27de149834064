//! The envelope of a message: what SNS says about it besides its body. "Delivery" in `incoming`
//! means only the Slack delivery (and the record of it on the issue); an SNS record is an envelope.

/// One SNS record: a message and what SNS says about it.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// The SNS `MessageId`: the same on every retry of the event.
    pub event_id: &'a str,
    /// When SNS accepted it (ISO 8601), if known: bounds the search for delivery records.
    pub published: Option<&'a str>,
    /// The message body.
    pub body: &'a str,
}

/// Age of an envelope past which it may be a retry: Lambda retries a failed event a minute later
/// at the earliest, while SNS hands a new message over within seconds.
pub const RETRY_AGE: std::time::Duration = std::time::Duration::from_secs(30);

impl Envelope<'_> {
    /// When SNS accepted it, if known and readable.
    pub fn published_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.published.and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok()).map(|p| p.to_utc())
    }

    /// When SNS accepted it in unix milliseconds, the precision SNS gives: what orders a resolve
    /// and a trigger of the same alarm.
    pub fn published_ms(&self) -> Option<i64> {
        self.published_at().map(|p| p.timestamp_millis())
    }

    /// [`Self::published_ms`], or now when unknown: the time a resolve records.
    pub fn published_ms_or_now(&self) -> i64 {
        self.published_ms().unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
    }

    /// The publication time to whole seconds, the form GitHub's `since` takes.
    pub fn since(&self) -> Option<String> {
        self.published_at().map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    /// Whether this may be a retry or a replay of an event already handled once: published more
    /// than [`RETRY_AGE`] ago, or published at an unknown time. Its own issue may then be closed
    /// and old, so the dedup lookup looks for it among closed issues too.
    pub fn may_be_a_retry(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        let published = self.published.and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok());
        published.is_none_or(|p| now.signed_duration_since(p).to_std().is_ok_and(|age| age > RETRY_AGE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(published: Option<&str>) -> Envelope<'_> {
        Envelope { event_id: "e-1", published, body: "{}" }
    }

    #[test]
    fn an_envelope_may_be_a_retry_when_older_than_the_retry_age_or_of_unknown_age() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T14:03:00Z").unwrap().to_utc();
        assert!(!at(Some("2026-11-27T14:02:45Z")).may_be_a_retry(now), "15 s old: new");
        assert!(at(Some("2026-11-27T14:02:00Z")).may_be_a_retry(now), "60 s old");
        assert!(at(None).may_be_a_retry(now), "unknown age");
        assert!(at(Some("yesterday")).may_be_a_retry(now), "unreadable age");
    }

    #[test]
    fn the_publication_time_keeps_its_milliseconds_for_ordering_and_drops_them_for_github() {
        let envelope = at(Some("2026-11-27T14:02:45.250Z"));
        assert_eq!(envelope.published_ms(), Some(1_795_788_165_250));
        assert_eq!(envelope.since().as_deref(), Some("2026-11-27T14:02:45Z"));
        assert_eq!(at(Some("yesterday")).published_ms(), None);
    }
}
