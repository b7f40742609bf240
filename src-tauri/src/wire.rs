//! The types the UI receives: camelCase, 64-bit numbers as strings, no secrets. TypeScript
//! declarations are generated from them into `ui/src/bindings/` (`make bindings`).

use mindpal_core::profiles::{self, Profile, RedisMode, Role};
use mindpal_core::{Error, ErrorKind};
use serde::Serialize;
use ts_rs::TS;

/// Every command error crosses as `{ kind, message }`.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct UiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl From<Error> for UiError {
    fn from(e: Error) -> Self {
        UiError {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProfileSummary {
    pub name: String,
    pub role: String,
    pub read_only: bool,
    pub mysql_address: String,
    pub replica_addresses: Vec<String>,
    /// `standalone`, `sentinel` or `cluster`; absent when the profile has no Redis.
    pub redis_mode: Option<String>,
}

impl From<&Profile> for ProfileSummary {
    fn from(p: &Profile) -> Self {
        ProfileSummary {
            name: p.name.clone(),
            role: match p.role {
                Role::Operator => "operator",
                Role::Support => "support",
            }
            .into(),
            read_only: p.read_only,
            mysql_address: p.mysql.address(),
            replica_addresses: p.replicas.iter().map(|r| r.address()).collect(),
            redis_mode: p.redis.as_ref().map(|r| {
                match r.mode {
                    RedisMode::Standalone => "standalone",
                    RedisMode::Sentinel => "sentinel",
                    RedisMode::Cluster => "cluster",
                }
                .into()
            }),
        }
    }
}

/// One server of a profile as the connection test saw it.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ServerCheck {
    pub role: String,
    pub address: String,
    pub product: Option<String>,
    pub version: Option<String>,
    pub tls: Option<bool>,
    pub round_trip_ms: Option<f64>,
    pub error: Option<UiError>,
}

impl From<profiles::ServerCheck> for ServerCheck {
    fn from(c: profiles::ServerCheck) -> Self {
        let (summary, error) = match c.outcome {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(UiError::from(e))),
        };
        ServerCheck {
            role: c.role,
            address: c.address,
            product: summary.as_ref().map(|s| s.product.clone()),
            version: summary.as_ref().map(|s| s.version.clone()),
            tls: summary.as_ref().map(|s| s.tls),
            round_trip_ms: summary.as_ref().map(|s| s.round_trip_ms),
            error,
        }
    }
}
