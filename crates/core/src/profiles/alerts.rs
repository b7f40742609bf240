//! The thresholds each profile keeps for its own figures on the fleet overview.

use serde::{Deserialize, Serialize};

/// When a profile's figures become a warning or an alarm. Each profile keeps its own: a
/// staging replica may lag an hour, production's not ten seconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Alerts {
    /// A replica further behind than this is a warning (a delayed replica: past its delay).
    pub lag_warning_s: f64,
    /// … and further than this an alarm.
    pub lag_critical_s: f64,
    /// The newest backup in the profile's backup folder older than this is a warning …
    pub backup_warning_hours: f64,
    /// … and older than this an alarm.
    pub backup_critical_hours: f64,
    /// Redis memory above this share of `maxmemory` is a warning, above the next an alarm.
    pub redis_memory_warning_pct: f64,
    pub redis_memory_critical_pct: f64,
    /// Redis hits below this share of reads is a warning (once it has served enough reads).
    pub redis_hit_rate_warning_pct: f64,
    /// More statements running at once than this is a warning.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub threads_running_warning: u64,
    /// How long the whole check of this profile may take.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timeout_ms: u64,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            lag_warning_s: 10.0,
            lag_critical_s: 300.0,
            backup_warning_hours: 26.0,
            backup_critical_hours: 50.0,
            redis_memory_warning_pct: 80.0,
            redis_memory_critical_pct: 95.0,
            redis_hit_rate_warning_pct: 80.0,
            threads_running_warning: 32,
            timeout_ms: 5_000,
        }
    }
}

// Thresholds are typed numbers, never NaN: a profile compares equal to itself.
impl Eq for Alerts {}

impl Alerts {
    pub fn is_default(&self) -> bool {
        *self == Alerts::default()
    }
}
