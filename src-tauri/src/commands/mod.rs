//! The commands the window invokes, one file per screen: each takes the profile's session,
//! makes one core call and returns its result.

pub(crate) mod audit;
pub(crate) mod backup;
pub(crate) mod cache;
pub(crate) mod conversations;
pub(crate) mod diagnostics;
pub(crate) mod directory;
pub(crate) mod explain;
pub(crate) mod fleet;
pub(crate) mod monitor;
pub(crate) mod overview;
pub(crate) mod profiles;
pub(crate) mod queue;
pub(crate) mod replication;
