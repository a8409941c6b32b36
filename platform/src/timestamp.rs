//! A point in time, stored as unix milliseconds and shown the way
//! Algorithmia's API shows it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the unix epoch, UTC.
///
/// Stored as a plain integer so every database orders and compares it
/// natively; [`Display`](fmt::Display) writes Algorithmia's
/// `YYYY-MM-DDTHH:MM:SS.fffZ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time. A clock set before 1970 reads as the epoch: a
    /// wrong clock must not stop the registry from recording anything.
    pub fn now() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
            });
        Self(millis)
    }

    /// The time `millis` milliseconds after the epoch (before it if negative).
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MILLIS_PER_DAY: i64 = 86_400_000;
        let days = self.0.div_euclid(MILLIS_PER_DAY);
        let in_day = self.0.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (seconds, millis) = (in_day / 1000, in_day % 1000);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The proleptic Gregorian date `days` days after 1970-01-01.
///
/// Howard Hinnant's `civil_from_days`: it counts in 400-year eras starting
/// on March 1st, so the leap day is the last day of its year and needs no
/// special case. A chrono dependency for this one conversion is not worth
/// its build time.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1..=31 and 1..=12).
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use crate::timestamp::*;

    #[test]
    fn formats_known_dates() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_557_263_803_121, "2019-05-07T21:16:43.121Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
        ];
        for (millis, text) in cases {
            assert_eq!(Timestamp::from_millis(millis).to_string(), text, "{millis}");
        }
    }

    #[test]
    fn serializes_as_text() {
        let json = serde_json::to_string(&Timestamp::from_millis(1_557_263_803_121)).unwrap();
        assert_eq!(json, "\"2019-05-07T21:16:43.121Z\"");
    }

    #[test]
    fn now_is_after_2020() {
        assert!(Timestamp::now().as_millis() > 1_577_836_800_000);
    }
}
