//! The shell's glue to the core's workspace: the store plugin as the profile store, and the
//! few one-line steps every command shares (a profile, its servers, a job), each turning the
//! core's error into the window's.

use std::sync::Arc;

use mindpal_core::workspace::{ProfileStore, Workspace};

use crate::prelude::*;

pub(crate) const PROFILES_KEY: &str = "profiles";

/// Built in the app's setup, once the store plugin is there.
pub(crate) struct AppState {
    pub(crate) workspace: Arc<Workspace>,
}

impl AppState {
    pub(crate) fn new(app: &AppHandle) -> AppState {
        AppState {
            workspace: Arc::new(Workspace::new(PluginStore(app.clone()))),
        }
    }
}

pub(crate) fn io_error(message: String) -> UiError {
    UiError {
        kind: ErrorKind::Io,
        message,
        fields: Vec::new(),
        host_key: None,
    }
}

fn store_error(e: tauri_plugin_store::Error) -> Error {
    Error::io("the profile store", std::io::Error::other(e.to_string()))
}

/// The profiles in tauri-plugin-store's file, reloaded before each read (the CLI may have
/// changed it).
struct PluginStore(AppHandle);

impl ProfileStore for PluginStore {
    fn load(&self) -> mindpal_core::Result<Vec<Profile>> {
        let store = self.0.store(STORE_FILE).map_err(store_error)?;
        if profiles::default_store_path()?.exists() {
            store.reload_ignore_defaults().map_err(store_error)?;
        }
        match store.get(PROFILES_KEY) {
            None => Ok(Vec::new()),
            Some(value) => serde_json::from_value(value)
                .map_err(|e| Error::Damaged(format!("the profile store is malformed: {e}"))),
        }
    }

    fn save(&self, list: &[Profile]) -> mindpal_core::Result<()> {
        let store = self.0.store(STORE_FILE).map_err(store_error)?;
        store.set(
            PROFILES_KEY,
            serde_json::to_value(list).expect("profiles serialise"),
        );
        store.save().map_err(store_error)
    }
}

/// The profiles as stored now.
pub(crate) fn read_profiles(app: &AppHandle) -> Result<Vec<Profile>, UiError> {
    Ok(app.state::<AppState>().workspace.profiles()?)
}

/// The profile `name` with its passwords (the keyring asked once per profile session).
pub(crate) async fn profile_with_passwords(
    app: &AppHandle,
    name: &str,
) -> Result<Profile, UiError> {
    Ok(app.state::<AppState>().workspace.profile(name).await?)
}

/// The primary's open pool, or a new one.
pub(crate) async fn pool(state: &AppState, profile: &Profile) -> Result<MysqlServer, UiError> {
    Ok(state.workspace.primary(profile).await?)
}

/// The primary, or the profile's first replica when the user chose "read from replica".
pub(crate) async fn reader(
    state: &AppState,
    profile: &Profile,
    from_replica: bool,
) -> Result<MysqlServer, UiError> {
    Ok(state.workspace.reader(profile, from_replica).await?)
}

/// The profile's Redis, or why it cannot be reached; `None` when it has none.
pub(crate) async fn redis_of(
    state: &AppState,
    profile: &Profile,
) -> Option<Result<RedisServer, Error>> {
    state.workspace.redis(profile).await
}

pub(crate) async fn profile_redis(
    state: &AppState,
    profile: &Profile,
) -> Result<RedisServer, UiError> {
    Ok(state.workspace.require_redis(profile).await?)
}

pub(crate) async fn redis_nodes(
    state: &AppState,
    profile: &Profile,
) -> Result<std::sync::Arc<Nodes>, UiError> {
    Ok(state.workspace.redis_nodes(profile).await?)
}

/// A call's result, with the workspace told what the error says is gone.
pub(crate) async fn forgetting<T>(
    state: &AppState,
    name: &str,
    result: Result<T, Error>,
) -> Result<T, UiError> {
    Ok(state.workspace.settle(name, result)?)
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
