//! The sandbox's clock: the wall clock plus an offset tests can move forward, rendered in the
//! company's time zone the way QBO renders times (`2015-07-24T10:33:39-07:00`).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;

/// A shared, advanceable clock in the company's time zone.
#[derive(Clone, Debug)]
pub struct Clock {
    offset: Arc<Mutex<Duration>>,
    tz: Tz,
}

impl Clock {
    /// A clock for a company in `tz`.
    pub fn new(tz: Tz) -> Self {
        Self {
            offset: Arc::new(Mutex::new(Duration::zero())),
            tz,
        }
    }

    /// Now, as the sandbox sees it.
    pub fn now(&self) -> DateTime<Utc> {
        let off = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        Utc::now() + off
    }

    /// Moves the sandbox's time forward (tokens expire, `changedSince` windows move).
    pub fn advance(&self, by: Duration) {
        let mut off = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *off += by;
    }

    /// `MetaData` times: seconds, with the company's UTC offset.
    pub fn meta(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz)
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    }

    /// A response's `time`: milliseconds, with the company's UTC offset.
    pub fn response_time(&self) -> String {
        self.now()
            .with_timezone(&self.tz)
            .to_rfc3339_opts(SecondsFormat::Millis, false)
    }

    /// Today's date in the company's time zone.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&self.tz).date_naive()
    }
}

/// Parses a QBO date-time (`2015-07-24T10:33:39-07:00`, `…Z`, or a bare date, read as
/// midnight UTC).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::<FixedOffset>::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_qbo() {
        let c = Clock::new(chrono_tz::America::Los_Angeles);
        let t = parse_datetime("2015-07-24T17:33:39Z").unwrap_or_default();
        assert_eq!(c.meta(t), "2015-07-24T10:33:39-07:00");
        assert!(parse_datetime("2015-07-24").is_some());
        let before = c.now();
        c.advance(Duration::hours(2));
        assert!(c.now() - before >= Duration::hours(2));
    }
}
