//! The shell's state and the few steps every command shares: the profile store, a profile's
//! passwords and pools (through `sessions`), errors that forget a lost server, jobs, and
//! file work off the async workers.

use crate::prelude::*;

pub(crate) const PROFILES_KEY: &str = "profiles";

/// Built whole before the window opens.
#[derive(Default)]
pub(crate) struct AppState {
    pub(crate) session: Mutex<SessionSecrets>,
    /// Per-profile passwords and open pools, each profile locked on its own.
    pub(crate) sessions: crate::sessions::Sessions,
    pub(crate) jobs: Mutex<HashMap<String, CancellationToken>>,
    /// The dashboard's last minutes per profile, kept while the app runs.
    pub(crate) dashboards: Mutex<HashMap<String, monitor::History>>,
    pub(crate) next_job: std::sync::atomic::AtomicU64,
}

pub(crate) fn io_error(message: String) -> UiError {
    UiError {
        kind: ErrorKind::Io,
        message,
        fields: Vec::new(),
        host_key: None,
    }
}

/// The profiles as the store file holds them now (the CLI may have changed it).
pub(crate) fn read_profiles(app: &AppHandle) -> Result<Vec<Profile>, UiError> {
    let store = app.store(STORE_FILE).map_err(|e| io_error(e.to_string()))?;
    let path = profiles::default_store_path()?;
    if path.exists() {
        store
            .reload_ignore_defaults()
            .map_err(|e| io_error(e.to_string()))?;
    }
    match store.get(PROFILES_KEY) {
        None => Ok(Vec::new()),
        Some(value) => serde_json::from_value(value)
            .map_err(|e| io_error(format!("the profile store is malformed: {e}"))),
    }
}

pub(crate) fn write_profiles(app: &AppHandle, list: &[Profile]) -> Result<(), UiError> {
    let store = app.store(STORE_FILE).map_err(|e| io_error(e.to_string()))?;
    store.set(
        PROFILES_KEY,
        serde_json::to_value(list).expect("profiles serialise"),
    );
    store.save().map_err(|e| io_error(e.to_string()))
}

/// The profile `name` with its passwords filled in from this session or the keyring. The
/// store file and the keyring (D-Bus, which may wait on an unlock prompt) are read on a
/// blocking thread, never on the async workers the other commands share.
pub(crate) async fn profile_with_passwords(
    app: &AppHandle,
    name: &str,
) -> Result<Profile, UiError> {
    let app = app.clone();
    let name = name.to_owned();
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let stored = read_profiles(&app)?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| UiError::from(Error::NotFound(format!("no profile named `{name}`"))))?;
        // The keyring is asked once per session of the profile, not on every poll.
        // One SSH tunnel per profile session: made here, with the passwords, and kept with them.
        Ok(state.sessions.with_passwords(stored, |profile| {
            let session = state.session.lock().expect("session lock").clone();
            secrets::resolve(profile, &|slot| session.get(&(name.clone(), slot)).cloned())?;
            mindpal_core::ssh::attach(profile, DEFAULT_CONNECT_TIMEOUT)
        })?)
    })
    .await
    .map_err(|e| io_error(e.to_string()))?
}

/// The open pool of `profile` (passwords already filled in), or a new one.
pub(crate) async fn pool(state: &AppState, profile: &Profile) -> Result<MysqlServer, UiError> {
    let opened = state.sessions.pool(&profile.name, &profile.mysql, 6).await;
    forgetting(state, &profile.name, opened).await
}

/// The server reads go to: the primary, or the profile's first replica when the user chose
/// "read from replica".
pub(crate) async fn reader(
    state: &AppState,
    profile: &Profile,
    from_replica: bool,
) -> Result<MysqlServer, UiError> {
    if !from_replica {
        return pool(state, profile).await;
    }
    let Some(replica) = profile.replicas.first() else {
        return Err(Error::InvalidInput(format!(
            "profile `{}` has no replica to read from",
            profile.name
        ))
        .into());
    };
    let key = format!("{}#replica", profile.name);
    let opened = state.sessions.pool(&key, replica, 4).await;
    forgetting(state, &profile.name, opened).await
}

/// The profile's Redis, or why it cannot be reached; `None` when it has none.
pub(crate) async fn redis_of(
    state: &AppState,
    profile: &Profile,
) -> Option<Result<RedisServer, Error>> {
    let redis = profile.redis.as_ref()?;
    let connected = state.sessions.redis(profile, redis).await;
    if let Err(e) = &connected {
        state.sessions.after_error(&profile.name, e);
    }
    Some(connected)
}

/// Runs a read and forgets the pool when the server went away, so the next call reconnects.
pub(crate) async fn forgetting<T>(
    state: &AppState,
    name: &str,
    result: Result<T, Error>,
) -> Result<T, UiError> {
    if let Err(e) = &result {
        state.sessions.after_error(name, e);
    }
    result.map_err(UiError::from)
}

/// Registers a cancellation token under the job id the window chose, for `cancel_job`. An id
/// still in use is refused: it would take over another job's Cancel.
pub(crate) struct JobGuard<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) job: String,
}

impl<'a> JobGuard<'a> {
    pub(crate) fn new(
        state: &'a AppState,
        job: &str,
    ) -> Result<(Self, CancellationToken), UiError> {
        let cancel = CancellationToken::new();
        let mut jobs = state.jobs.lock().expect("jobs lock");
        if jobs.contains_key(job) {
            return Err(Error::Conflict(format!("job `{job}` is still running")).into());
        }
        jobs.insert(job.to_owned(), cancel.clone());
        Ok((
            JobGuard {
                state,
                job: job.to_owned(),
            },
            cancel,
        ))
    }
}

impl Drop for JobGuard<'_> {
    fn drop(&mut self) {
        self.state.jobs.lock().expect("jobs lock").remove(&self.job);
    }
}

/// Runs file work (reading manifests, hashing, removing folders) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, UiError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| io_error(e.to_string()))?
        .map_err(UiError::from)
}

pub(crate) async fn profile_redis(
    state: &AppState,
    profile: &Profile,
) -> Result<RedisServer, UiError> {
    match redis_of(state, profile).await {
        None => Err(Error::NotFound(format!("profile `{}` has no Redis", profile.name)).into()),
        Some(r) => Ok(r?),
    }
}

pub(crate) async fn redis_nodes(
    state: &AppState,
    profile: &Profile,
) -> Result<std::sync::Arc<Nodes>, UiError> {
    let redis = profile
        .redis
        .as_ref()
        .ok_or_else(|| Error::NotFound(format!("profile `{}` has no Redis", profile.name)))?;
    let nodes = state.sessions.nodes(profile, redis).await;
    forgetting(state, &profile.name, nodes).await
}
