//! The MindPal Admin core: everything the console does to MySQL/MariaDB and Redis, with no
//! GUI dependency. The desktop shell and the `mindpal-admin` CLI are thin faces over it.

pub mod access;
pub mod app;
pub mod audit;
pub mod backup;
pub mod cache;
pub mod conversations;
pub mod diagnostics;
pub mod directory;
pub mod error;
pub mod explain;
pub mod fleet;
pub mod indexes;
pub mod keyset;
pub mod logs;
pub mod monitor;
pub mod mysql;
pub mod net;
pub mod overview;
pub mod profiles;
pub mod redis;
pub mod replication;
pub mod sandbox;
pub mod schema;
pub mod secret;
pub mod seed;
pub mod servers;
pub mod ssh;
pub mod wire;
pub mod workspace;

pub use error::{Error, ErrorKind, Result};
pub use tokio_util::sync::CancellationToken;
