//! Per-profile sessions: each profile's passwords, read once from the keyring, and its open
//! MySQL pools. A profile's slot is locked only by that profile's calls, so a host that takes
//! five seconds to time out stalls nobody else. Everything is forgotten in one place: after an
//! authentication failure, a lost server, or an edit or removal of the profile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mindpal_core::mysql::{DEFAULT_CONNECT_TIMEOUT, MysqlServer, MysqlTarget};
use mindpal_core::profiles::Profile;
use mindpal_core::{Error, ErrorKind};

type Slot = Arc<tokio::sync::Mutex<Option<MysqlServer>>>;

#[derive(Default)]
pub struct Sessions {
    /// Open pools by key: the profile's name, or `name#replica`.
    pools: Mutex<HashMap<String, Slot>>,
    /// Each profile as stored, with its passwords filled in. Reused while the stored
    /// profile (which the CLI may edit too) is unchanged.
    resolved: Mutex<HashMap<String, (Profile, Profile)>>,
}

impl Sessions {
    /// The profile with its passwords: from this session when the stored profile has not
    /// changed since they were read, else through `resolve` (the keyring, off the async
    /// workers by the caller's choice) and kept.
    pub fn with_passwords(
        &self,
        stored: Profile,
        resolve: impl FnOnce(&mut Profile) -> Result<(), Error>,
    ) -> Result<Profile, Error> {
        if let Some((was, resolved)) = self.resolved.lock().expect("sessions").get(&stored.name)
            && *was == stored
        {
            return Ok(resolved.clone());
        }
        let mut resolved = stored.clone();
        resolve(&mut resolved)?;
        self.resolved
            .lock()
            .expect("sessions")
            .insert(stored.name.clone(), (stored, resolved.clone()));
        Ok(resolved)
    }

    /// The open pool of `key` for `target`, or a new one. Only calls for the same key wait
    /// while it connects.
    pub async fn pool(
        &self,
        key: &str,
        target: &MysqlTarget,
        size: u32,
    ) -> Result<MysqlServer, Error> {
        let slot = self
            .pools
            .lock()
            .expect("sessions")
            .entry(key.to_owned())
            .or_default()
            .clone();
        let mut open = slot.lock().await;
        if let Some(server) = open.as_ref()
            && server.target == *target
        {
            return Ok(server.clone());
        }
        let server = MysqlServer::connect(target, DEFAULT_CONNECT_TIMEOUT, size).await?;
        *open = Some(server.clone());
        Ok(server)
    }

    /// After an error: a lost server drops the profile's pools (the next call reconnects); a
    /// refused password drops its passwords too (the next call reads them again).
    pub fn after_error(&self, name: &str, error: &Error) {
        match error.kind() {
            ErrorKind::AuthFailed => self.forget(name),
            // A statement the server stopped at its limit leaves the connection healthy.
            _ if matches!(error, Error::StatementLimit { .. }) => {}
            ErrorKind::Unreachable | ErrorKind::Timeout => self.forget_pools(name),
            _ => {}
        }
    }

    /// Everything of profile `name`: after an edit or removal, or a refused password.
    pub fn forget(&self, name: &str) {
        self.forget_pools(name);
        self.resolved.lock().expect("sessions").remove(name);
    }

    fn forget_pools(&self, name: &str) {
        let replica = format!("{name}#replica");
        self.pools
            .lock()
            .expect("sessions")
            .retain(|key, _| key != name && *key != replica);
    }
}
