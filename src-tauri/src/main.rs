//! The desktop shell: each command takes its arguments, calls the core and converts the
//! result for the UI. Profiles live in the tauri-plugin-store file the CLI also reads;
//! passwords in the OS keyring, or in this process's memory when the user asks for that.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod wire;

use std::collections::HashMap;
use std::sync::Mutex;

use mindpal_core::mysql::{DEFAULT_CONNECT_TIMEOUT, MysqlServer};
use mindpal_core::profiles::secrets::{self, SessionSecrets};
use mindpal_core::profiles::{self, Profile, Role, STORE_FILE};
use mindpal_core::redis::connect_profile;
use mindpal_core::{CancellationToken, Error, ErrorKind, overview, sandbox, schema};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_store::StoreExt;
use wire::{JobEvent, Overview, ProfileInput, ServerCheck, UiError};

const PROFILES_KEY: &str = "profiles";

/// Built whole before the window opens.
#[derive(Default)]
struct AppState {
    session: Mutex<SessionSecrets>,
    /// Open MySQL pools per profile; dropped when they fail so the next call reconnects.
    pools: tokio::sync::Mutex<HashMap<String, MysqlServer>>,
    jobs: Mutex<HashMap<String, CancellationToken>>,
    next_job: std::sync::atomic::AtomicU64,
}

fn io_error(message: String) -> UiError {
    UiError {
        kind: ErrorKind::Io,
        message,
        fields: Vec::new(),
    }
}

/// The profiles as the store file holds them now (the CLI may have changed it).
fn read_profiles(app: &AppHandle) -> Result<Vec<Profile>, UiError> {
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

fn write_profiles(app: &AppHandle, list: &[Profile]) -> Result<(), UiError> {
    let store = app.store(STORE_FILE).map_err(|e| io_error(e.to_string()))?;
    store.set(
        PROFILES_KEY,
        serde_json::to_value(list).expect("profiles serialise"),
    );
    store.save().map_err(|e| io_error(e.to_string()))
}

/// The profile `name` with its passwords filled in from this session or the keyring.
fn profile_with_passwords(
    app: &AppHandle,
    state: &AppState,
    name: &str,
) -> Result<Profile, UiError> {
    let mut profile = read_profiles(app)?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| UiError::from(Error::NotFound(format!("no profile named `{name}`"))))?;
    let session = state.session.lock().expect("session lock").clone();
    secrets::resolve(&mut profile, &|slot| {
        session.get(&(name.to_owned(), slot)).cloned()
    })?;
    Ok(profile)
}

/// The open pool of `profile` (passwords already filled in), or a new one.
async fn pool(state: &AppState, profile: &Profile) -> Result<MysqlServer, UiError> {
    let mut pools = state.pools.lock().await;
    if let Some(server) = pools.get(&profile.name)
        && server.target == profile.mysql
    {
        return Ok(server.clone());
    }
    let server = MysqlServer::connect(&profile.mysql, DEFAULT_CONNECT_TIMEOUT, 6).await?;
    pools.insert(profile.name.clone(), server.clone());
    Ok(server)
}

/// Forgets a pool after a connection error so the next call connects afresh.
async fn forget_on_loss(state: &AppState, name: &str, error: &Error) {
    if matches!(
        error.kind(),
        ErrorKind::Unreachable | ErrorKind::Timeout | ErrorKind::AuthFailed
    ) {
        state.pools.lock().await.remove(name);
    }
}

#[tauri::command]
async fn list_profiles(app: AppHandle) -> Result<Vec<Profile>, UiError> {
    read_profiles(&app)
}

#[tauri::command]
async fn save_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    input: ProfileInput,
) -> Result<Profile, UiError> {
    let ProfileInput {
        mut profile,
        original_name,
        passwords,
        session_only,
    } = input;
    let mut list = read_profiles(&app)?;
    let problems = profiles::prepare_save(&mut profile, original_name.as_deref(), &list);
    if !problems.is_empty() {
        return Err(UiError::fields(problems));
    }
    {
        let mut session = state.session.lock().expect("session lock");
        secrets::keep(
            &mut profile,
            original_name.as_deref(),
            passwords.into_slots(),
            session_only,
            &mut session,
        )?;
    }
    profiles::replace_in(&mut list, original_name.as_deref(), profile.clone());
    write_profiles(&app, &list)?;
    let mut pools = state.pools.lock().await;
    pools.remove(&profile.name);
    if let Some(old) = original_name {
        pools.remove(&old);
    }
    Ok(profile)
}

#[tauri::command]
async fn delete_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<(), UiError> {
    let mut list = read_profiles(&app)?;
    let Some(profile) = list.iter().find(|p| p.name == name).cloned() else {
        return Err(Error::NotFound(format!("no profile named `{name}`")).into());
    };
    list.retain(|p| p.name != name);
    write_profiles(&app, &list)?;
    state.pools.lock().await.remove(&name);
    let mut session = state.session.lock().expect("session lock");
    // The profile is gone either way; a keyring that cannot be reached keeps its entries.
    let _ = secrets::forget(&profile, &mut session);
    Ok(())
}

/// The sandbox's profile, when the sandbox runs and no profile of that name exists yet.
#[tauri::command]
async fn sandbox_offer(app: AppHandle) -> Result<Option<Profile>, UiError> {
    let dir = sandbox::default_dir()?;
    let Ok(status) = sandbox::status(&dir).await else {
        return Ok(None);
    };
    let taken = read_profiles(&app)?
        .iter()
        .any(|p| p.name == sandbox::PROFILE_NAME);
    Ok((status.all_running() && !taken).then(|| sandbox::sandbox_profile(&status)))
}

/// Whether passwords can be saved in the OS keyring.
#[tauri::command]
async fn keyring_status() -> Result<(), UiError> {
    tauri::async_runtime::spawn_blocking(secrets::probe)
        .await
        .map_err(|e| io_error(e.to_string()))??;
    Ok(())
}

#[tauri::command]
async fn test_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<ServerCheck>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let checks = profiles::check(&profile, DEFAULT_CONNECT_TIMEOUT).await;
    Ok(checks.into_iter().map(ServerCheck::from).collect())
}

#[tauri::command]
async fn load_overview(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Overview, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let database = match pool(&state, &profile).await {
        Ok(server) => {
            let loaded = overview::database(&server).await;
            if let Err(e) = &loaded {
                forget_on_loss(&state, &name, e).await;
            }
            loaded.map_err(UiError::from)
        }
        Err(e) => Err(e),
    };
    let redis = match &profile.redis {
        None => None,
        Some(r) => Some(match connect_profile(r, DEFAULT_CONNECT_TIMEOUT).await {
            Ok(server) => overview::redis(&server).await.map_err(UiError::from),
            Err(e) => Err(UiError::from(e)),
        }),
    };
    let (database, database_error) = match database {
        Ok(d) => (Some(d), None),
        Err(e) => (None, Some(e)),
    };
    let (redis, redis_error) = match redis {
        None => (None, None),
        Some(Ok(r)) => (Some(r), None),
        Some(Err(e)) => (None, Some(e)),
    };
    Ok(Overview {
        profile: name,
        can_migrate: profile.role == Role::Operator && !profile.read_only,
        database,
        database_error,
        redis,
        redis_error,
    })
}

/// Applies pending migrations as a job: returns its id at once, reports each step on
/// `on_event`, stops before the next step when cancelled.
#[tauri::command]
async fn apply_migrations(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    on_event: Channel<JobEvent>,
) -> Result<String, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    if profile.role != Role::Operator || profile.read_only {
        return Err(Error::PrivilegeMissing {
            server: profile.mysql.address(),
            message:
                "this profile is read-only or for support; migrations need an operator profile"
                    .into(),
        }
        .into());
    }
    let pending = schema::status(&server)
        .await?
        .into_iter()
        .filter(|m| !m.applied)
        .count() as u32;
    let job = format!(
        "migrate-{}",
        state
            .next_job
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let cancel = CancellationToken::new();
    state
        .jobs
        .lock()
        .expect("jobs lock")
        .insert(job.clone(), cancel.clone());
    let _ = on_event.send(JobEvent::Started { total: pending });
    let state_jobs = app.clone();
    let job_id = job.clone();
    tauri::async_runtime::spawn(async move {
        let done = std::sync::atomic::AtomicU32::new(0);
        let events = on_event.clone();
        let result = schema::migrate_with_progress(
            &server,
            &|m| {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let _ = events.send(JobEvent::Step {
                    done: n,
                    total: pending,
                    label: wire::step_label(m),
                });
            },
            &cancel,
        )
        .await;
        let _ = match result {
            Ok(applied) => on_event.send(JobEvent::Finished {
                done: applied.len() as u32,
            }),
            Err(e) => on_event.send(JobEvent::Failed {
                error: UiError::from(e),
            }),
        };
        let state = state_jobs.state::<AppState>();
        state.jobs.lock().expect("jobs lock").remove(&job_id);
    });
    Ok(job)
}

#[tauri::command]
async fn cancel_job(state: State<'_, AppState>, job: String) -> Result<bool, UiError> {
    Ok(match state.jobs.lock().expect("jobs lock").get(&job) {
        Some(token) => {
            token.cancel();
            true
        }
        None => false,
    })
}

fn main() {
    let state = AppState::default();
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            list_profiles,
            save_profile,
            delete_profile,
            sandbox_offer,
            keyring_status,
            test_profile,
            load_overview,
            apply_migrations,
            cancel_job,
        ])
        .run(tauri::generate_context!())
        .expect("the MindPal Admin window opens");
}
