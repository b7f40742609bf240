//! How the sandbox's servers are reached: the targets its profile names, and the ones a run
//! of `up` dials with the secure sandbox's passwords.

use std::path::{Path, PathBuf};

use super::{Component, DATABASE, secure};
use crate::mysql::{MysqlTarget, TlsMode};
use crate::redis::RedisTarget;

/// A sandbox MariaDB: plain, or (secure) TLS verified against the sandbox's CA and for
/// 127.0.0.1, with the password kept in the keyring.
pub(super) fn sandbox_mysql_target(port: u16, ca_file: Option<&Path>) -> MysqlTarget {
    let mut target = MysqlTarget::new("127.0.0.1", port, "root").with_database(DATABASE);
    match ca_file {
        Some(ca) => {
            target.tls = TlsMode::VerifyIdentity;
            target.ca_file = Some(ca.to_owned());
            target.password_saved = true;
        }
        None => target.tls = TlsMode::Disabled,
    }
    target
}

/// A sandbox Redis data node: plain, or (secure) `rediss://` with the sandbox's CA and the
/// password kept in the keyring. Sentinels take TLS but no password.
pub(super) fn sandbox_redis_target(port: u16, ca_file: Option<&Path>) -> RedisTarget {
    let mut target = RedisTarget::new("127.0.0.1", port);
    if let Some(ca) = ca_file {
        target.tls = true;
        target.ca_file = Some(ca.to_owned());
        target.password_saved = true;
    }
    target
}

/// How one run of `up` reaches the sandbox's servers: open, or with TLS and the passwords.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    pub ca_file: Option<PathBuf>,
    pub credentials: Option<secure::Credentials>,
}

impl Access {
    pub(super) fn mysql(&self, port: u16) -> MysqlTarget {
        let mut target = sandbox_mysql_target(port, self.ca_file.as_deref());
        target.password = self.credentials.as_ref().map(|c| c.mysql.clone());
        target
    }

    pub(super) fn redis(&self, component: Component, base_port: u16) -> RedisTarget {
        let mut target = sandbox_redis_target(component.port(base_port), self.ca_file.as_deref());
        if component != Component::Sentinel {
            target.password = self.credentials.as_ref().map(|c| c.redis.clone());
        }
        target.password_saved = target.password.is_some();
        target
    }
}
