//! What operators watch between incidents: the server's load and settings, its sessions and
//! costliest statements, and the Redis cache's health.

pub mod advisor;
pub mod redis;
pub mod sessions;
pub mod status;
pub mod top;

pub use sessions::{KillMode, SessionFilter, SessionsReport};
pub use status::{Dashboard, DashboardPoint, History, StatusSample};
pub use top::{TopReport, TopSource};
