//! The workspace: the one owner of what lives longer than a call, for the window and the CLI
//! alike. It holds the profiles as stored, the passwords of each (read from the keyring once
//! per profile, or typed for this session only), each profile's MySQL pools and Redis
//! connections (each profile locked on its own, so a dead host stalls only its own calls),
//! the jobs that may be cancelled, the dashboards' recent minutes, and what to forget after
//! which error. The faces only turn its answers into their own (a window's reply, a line on a
//! terminal).

mod jobs;
mod sessions;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use jobs::{Job, Jobs};

use crate::cache::Nodes;
use crate::error::{Error, Result};
use crate::monitor::{Dashboard, History, StatusSample};
use crate::mysql::{DEFAULT_CONNECT_TIMEOUT, MysqlServer};
use crate::profiles::secrets::{self, SessionSecrets, Slot};
use crate::profiles::{self, FieldError, Profile};
use crate::redis::RedisServer;
use crate::secret::Secret;
use crate::ssh::TunnelState;
use sessions::Sessions;

/// Where profiles are kept. The CLI reads the file itself; the window goes through its store
/// plugin, which caches the same file.
pub trait ProfileStore: Send + Sync {
    fn load(&self) -> Result<Vec<Profile>>;
    fn save(&self, profiles: &[Profile]) -> Result<()>;
}

/// The profile store file, read afresh each time (another process may have changed it).
pub struct FileStore(pub PathBuf);

impl ProfileStore for FileStore {
    fn load(&self) -> Result<Vec<Profile>> {
        profiles::load(&self.0)
    }

    fn save(&self, list: &[Profile]) -> Result<()> {
        profiles::write_list(&self.0, list)
    }
}

/// Connections of one profile: the primary's pool is larger (the screens read it at once).
const PRIMARY_POOL: u32 = 6;
const REPLICA_POOL: u32 = 4;

/// What a save did: the profile as stored, or why the form cannot be saved.
#[derive(Debug)]
pub enum Saved {
    Profile(Box<Profile>),
    Invalid(Vec<FieldError>),
}

pub struct Workspace {
    store: Box<dyn ProfileStore>,
    /// Passwords typed for this session only, never written anywhere.
    typed: Mutex<SessionSecrets>,
    sessions: Sessions,
    jobs: Jobs,
    /// The dashboard's last minutes per profile, kept while the process runs.
    dashboards: Mutex<HashMap<String, History>>,
    connect_timeout: Duration,
}

impl Workspace {
    pub fn new(store: impl ProfileStore + 'static) -> Workspace {
        Workspace {
            store: Box::new(store),
            typed: Mutex::default(),
            sessions: Sessions::default(),
            jobs: Jobs::default(),
            dashboards: Mutex::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// How long a connection may take to open (the CLI's `--connect-timeout`).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Workspace {
        self.connect_timeout = timeout;
        self
    }

    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    /// Every profile as stored now.
    pub fn profiles(&self) -> Result<Vec<Profile>> {
        self.store.load()
    }

    /// The profile `name` as stored, without its passwords.
    pub fn stored(&self, name: &str) -> Result<Profile> {
        self.profiles()?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| Error::NotFound(format!("no profile named `{name}`")))
    }

    /// The profile `name` with its passwords and its bastion: from this session while the
    /// stored profile is unchanged, else from the keyring (asked once per profile) or what
    /// was typed for this session. Blocking: the store file and the keyring (D-Bus, which may
    /// wait on an unlock prompt) are read here; async callers use [`Workspace::profile`].
    pub fn profile_blocking(&self, name: &str) -> Result<Profile> {
        self.with_passwords(self.stored(name)?)
    }

    /// `stored` (the store's profile, perhaps changed by a command line) with its passwords
    /// and bastion, kept for the session like [`Workspace::profile_blocking`]. Blocking.
    pub fn with_passwords(&self, stored: Profile) -> Result<Profile> {
        let name = stored.name.clone();
        let timeout = self.connect_timeout;
        self.sessions.with_passwords(stored, |profile| {
            let typed = self.typed.lock().expect("typed passwords").clone();
            secrets::resolve(profile, &|slot| typed.get(&(name.clone(), slot)).cloned())?;
            // One SSH tunnel per profile session: made here, kept with the passwords.
            profiles::attach_bastion(profile, timeout)
        })
    }

    /// [`Workspace::profile_blocking`] off the async workers the other calls share.
    pub async fn profile(self: &Arc<Self>, name: &str) -> Result<Profile> {
        let this = self.clone();
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || this.profile_blocking(&name))
            .await
            .map_err(|e| Error::io("reading the profile", std::io::Error::other(e)))?
    }

    /// Saves a profile from the form: checked against the others, its passwords to the
    /// keyring (or this session only), the list written, and the old session forgotten.
    pub fn save_profile(
        &self,
        mut profile: Profile,
        original_name: Option<&str>,
        passwords: Vec<(Slot, Secret)>,
        session_only: bool,
    ) -> Result<Saved> {
        let mut list = self.profiles()?;
        let problems = profiles::prepare_save(&mut profile, original_name, &list);
        if !problems.is_empty() {
            return Ok(Saved::Invalid(problems));
        }
        {
            let mut typed = self.typed.lock().expect("typed passwords");
            secrets::keep(
                &mut profile,
                original_name,
                passwords,
                session_only,
                &mut typed,
            )?;
        }
        profiles::replace_in(&mut list, original_name, profile.clone());
        self.store.save(&list)?;
        self.sessions.forget(&profile.name);
        if let Some(old) = original_name {
            self.sessions.forget(old);
        }
        Ok(Saved::Profile(Box::new(profile)))
    }

    /// Removes profile `name`, its session and its saved passwords (a keyring that cannot
    /// be reached keeps its entries; the profile is gone either way).
    pub fn delete_profile(&self, name: &str) -> Result<()> {
        let mut list = self.profiles()?;
        let Some(profile) = list.iter().find(|p| p.name == name).cloned() else {
            return Err(Error::NotFound(format!("no profile named `{name}`")));
        };
        list.retain(|p| p.name != name);
        self.store.save(&list)?;
        self.sessions.forget(name);
        let mut typed = self.typed.lock().expect("typed passwords");
        let _ = secrets::forget(&profile, &mut typed);
        Ok(())
    }

    /// The primary's open pool, or a new one.
    pub async fn primary(&self, profile: &Profile) -> Result<MysqlServer> {
        let opened = self
            .sessions
            .pool(
                &profile.name,
                &profile.mysql,
                PRIMARY_POOL,
                self.connect_timeout,
            )
            .await;
        self.settle(&profile.name, opened)
    }

    /// The server reads go to: the primary, or the profile's first replica when asked.
    pub async fn reader(&self, profile: &Profile, from_replica: bool) -> Result<MysqlServer> {
        if !from_replica {
            return self.primary(profile).await;
        }
        let Some(replica) = profile.replicas.first() else {
            return Err(Error::NotFound(format!(
                "profile `{}` has no replica to read from",
                profile.name
            )));
        };
        let key = format!("{}#replica", profile.name);
        let opened = self
            .sessions
            .pool(&key, replica, REPLICA_POOL, self.connect_timeout)
            .await;
        self.settle(&profile.name, opened)
    }

    /// The profile's Redis, or why it cannot be reached; `None` when it has none.
    pub async fn redis(&self, profile: &Profile) -> Option<Result<RedisServer>> {
        let redis = profile.redis.as_ref()?;
        let connected = self
            .sessions
            .redis(profile, redis, self.connect_timeout)
            .await;
        Some(self.settle(&profile.name, connected))
    }

    /// The profile's Redis, where a profile without one is an error.
    pub async fn require_redis(&self, profile: &Profile) -> Result<RedisServer> {
        match self.redis(profile).await {
            None => Err(no_redis(profile)),
            Some(r) => r,
        }
    }

    /// The profile's Redis data nodes for the key browser (every master of a cluster).
    pub async fn redis_nodes(&self, profile: &Profile) -> Result<Arc<Nodes>> {
        let redis = profile.redis.as_ref().ok_or_else(|| no_redis(profile))?;
        let nodes = self
            .sessions
            .nodes(profile, redis, self.connect_timeout)
            .await;
        self.settle(&profile.name, nodes)
    }

    /// Passes a call's result through, forgetting what the error says is gone: a lost
    /// server's pools (the next call reconnects), a refused password's passwords too.
    pub fn settle<T>(&self, name: &str, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.sessions.after_error(name, e);
        }
        result
    }

    /// The path and state of profile `name`'s SSH tunnel in this session, when it has one.
    pub fn tunnel(&self, name: &str) -> Option<(String, TunnelState)> {
        self.sessions.tunnel(name)
    }

    /// Adds a status sample to profile `name`'s dashboard and returns the dashboard.
    pub fn dashboard(&self, name: &str, sample: StatusSample) -> Dashboard {
        let mut dashboards = self.dashboards.lock().expect("dashboards");
        dashboards.entry(name.to_owned()).or_default().push(sample)
    }
}

fn no_redis(profile: &Profile) -> Error {
    Error::NotFound(format!("profile `{}` has no Redis", profile.name))
}
