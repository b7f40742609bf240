//! The sandbox's five servers: their names, ports and files.

use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    Primary,
    Replica,
    RedisMaster,
    RedisReplica,
    Sentinel,
}

impl Component {
    pub const ALL: [Component; 5] = [
        Component::Primary,
        Component::Replica,
        Component::RedisMaster,
        Component::RedisReplica,
        Component::Sentinel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Component::Primary => "primary",
            Component::Replica => "replica",
            Component::RedisMaster => "redis-master",
            Component::RedisReplica => "redis-replica",
            Component::Sentinel => "sentinel",
        }
    }

    /// Five consecutive ports from the base, in this order.
    pub fn port(self, base: u16) -> u16 {
        base + self as u16
    }

    pub(super) fn is_mariadb(self) -> bool {
        matches!(self, Component::Primary | Component::Replica)
    }

    /// The folder the process runs in (its data folder).
    pub(super) fn workdir(self, dir: &Path) -> PathBuf {
        if self.is_mariadb() {
            dir.join(self.name()).join("data")
        } else {
            dir.join(self.name())
        }
    }

    pub(super) fn pid_file(self, dir: &Path) -> PathBuf {
        dir.join(self.name()).join("server.pid")
    }

    pub(super) fn log_file(self, dir: &Path) -> PathBuf {
        dir.join(self.name()).join("server.log")
    }

    pub(super) fn socket(self, dir: &Path) -> PathBuf {
        dir.join(self.name()).join("mysqld.sock")
    }
}
