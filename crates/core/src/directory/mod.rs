//! The directory of the platform's people and their digital humans: lists paged by keyset
//! over the indexes of `schema/`, detail views with the Redis entries beside the rows, and
//! the few guarded actions an operator takes on them.

pub mod actions;
pub mod cache;
pub mod digital_humans;
pub mod users;

use serde::{Deserialize, Serialize};

/// Soft-deleted rows: hidden (the default), only them, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Deleted {
    #[default]
    Hide,
    Only,
    Include,
}

impl Deleted {
    pub(crate) fn predicate(self, alias: &str) -> Option<String> {
        match self {
            Deleted::Hide => Some(format!("{alias}deleted_at IS NULL")),
            Deleted::Only => Some(format!("{alias}deleted_at IS NOT NULL")),
            Deleted::Include => None,
        }
    }
}
