//! The desktop shell: each command takes its arguments, calls the core and converts the
//! result for the UI. Profiles live in the tauri-plugin-store file the CLI also reads;
//! passwords in the OS keyring, or in this process's memory when the user asks for that.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod sessions;
mod wire;

use std::collections::HashMap;
use std::sync::Mutex;

use mindpal_core::access::{Actor, Permission};
use mindpal_core::backup::catalog::VerifyReport;
use mindpal_core::backup::redis::{Persistence, Trigger};
use mindpal_core::backup::{
    self, BackupEntry, BackupOptions, BackupOutcome, BackupProgress, PruneReport, RestoreOptions,
    RestoreReport,
};
use mindpal_core::cache::analyze::MemoryAnalysis;
use mindpal_core::cache::value::{KeyRequest, KeyView};
use mindpal_core::cache::{self as redis_cache, KeyChange, Nodes, ScanPage, ScanRequest};
use mindpal_core::conversations::export::{self, ExportFormat};
use mindpal_core::conversations::review::{self, Review, ReviewInput};
use mindpal_core::conversations::{
    self, ConversationDetail, ConversationRow, ConversationSearch, ThreadAnchor, ThreadPage,
};
use mindpal_core::directory::actions::{self, ActionOutcome, DigitalHumanAction, UserAction};
use mindpal_core::directory::cache::{self, TokenScan};
use mindpal_core::directory::digital_humans::{
    self, DigitalHumanDetail, DigitalHumanRow, DigitalHumanSearch, KnowledgeRow, KnowledgeSearch,
};
use mindpal_core::directory::users::{self, UserDetail, UserRow, UserSearch};
use mindpal_core::directory::{Page, Viewer};
use mindpal_core::explain::hot::HotQuery;
use mindpal_core::explain::{self, ExplainOptions, ExplainReport, HealthReport, SchemaNames};
use mindpal_core::indexes::{self, IndexReport};
use mindpal_core::monitor::advisor::{self, Advice};
use mindpal_core::monitor::redis::RedisStatus;
use mindpal_core::monitor::sessions::Killed;
use mindpal_core::monitor::{self, Dashboard, KillMode, SessionFilter, SessionsReport, TopReport};
use mindpal_core::mysql::{DEFAULT_CONNECT_TIMEOUT, MysqlServer};
use mindpal_core::profiles::secrets::{self, SessionSecrets};
use mindpal_core::profiles::{self, Profile, STORE_FILE};
use mindpal_core::redis::{RedisServer, connect_profile};
use mindpal_core::replication::{self, HeartbeatTable, ReplicationReport, Thresholds};
use mindpal_core::{CancellationToken, Error, ErrorKind, overview, sandbox, schema};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_store::StoreExt;
use wire::{JobEvent, Overview, ProfileInput, ProfileView, ServerCheck, UiError};

const PROFILES_KEY: &str = "profiles";

/// Built whole before the window opens.
#[derive(Default)]
struct AppState {
    session: Mutex<SessionSecrets>,
    /// Per-profile passwords and open pools, each profile locked on its own.
    sessions: sessions::Sessions,
    jobs: Mutex<HashMap<String, CancellationToken>>,
    /// The dashboard's last minutes per profile, kept while the app runs.
    dashboards: Mutex<HashMap<String, monitor::History>>,
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
    let stored = read_profiles(app)?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| UiError::from(Error::NotFound(format!("no profile named `{name}`"))))?;
    // The keyring is asked once per session of the profile, not on every poll.
    Ok(state.sessions.with_passwords(stored, |profile| {
        let session = state.session.lock().expect("session lock").clone();
        secrets::resolve(profile, &|slot| {
            session.get(&(name.to_owned(), slot)).cloned()
        })
    })?)
}

/// The open pool of `profile` (passwords already filled in), or a new one.
async fn pool(state: &AppState, profile: &Profile) -> Result<MysqlServer, UiError> {
    let opened = state.sessions.pool(&profile.name, &profile.mysql, 6).await;
    forgetting(state, &profile.name, opened).await
}

/// The server reads go to: the primary, or the profile's first replica when the user chose
/// "read from replica".
async fn reader(
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
async fn redis_of(profile: &Profile) -> Option<Result<RedisServer, Error>> {
    match &profile.redis {
        None => None,
        Some(r) => Some(connect_profile(r, DEFAULT_CONNECT_TIMEOUT).await),
    }
}

/// Runs a read and forgets the pool when the server went away, so the next call reconnects.
async fn forgetting<T>(
    state: &AppState,
    name: &str,
    result: Result<T, Error>,
) -> Result<T, UiError> {
    if let Err(e) = &result {
        state.sessions.after_error(name, e);
    }
    result.map_err(UiError::from)
}

#[tauri::command]
async fn list_profiles(app: AppHandle) -> Result<Vec<ProfileView>, UiError> {
    Ok(read_profiles(&app)?
        .into_iter()
        .map(ProfileView::from)
        .collect())
}

#[tauri::command]
async fn save_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    input: ProfileInput,
) -> Result<ProfileView, UiError> {
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
    state.sessions.forget(&profile.name);
    if let Some(old) = original_name {
        state.sessions.forget(&old);
    }
    Ok(profile.into())
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
    state.sessions.forget(&name);
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
                state.sessions.after_error(&name, e);
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
        can_migrate: Actor::of(&profile).may(Permission::Migrate),
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
    Actor::of(&profile).require(Permission::Migrate)?;
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
            Actor::of(&profile),
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

#[tauri::command]
async fn find_users(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: UserSearch,
    after: Option<String>,
    from_replica: bool,
) -> Result<Page<UserRow>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = users::find(&server, &search, after.as_deref(), profile.role).await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
async fn show_user(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    from_replica: bool,
) -> Result<UserDetail, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let redis = redis_of(&profile).await;
    let detail = users::show(&server, redis.as_ref(), id, profile.role).await;
    forgetting(&state, &name, detail).await
}

/// Token lookups walk the keyspace: at most this many SCAN calls of 1000 keys.
const TOKEN_SCAN_CALLS: u32 = 200;

#[tauri::command]
async fn find_user_tokens(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
) -> Result<TokenScan, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let Some(redis) = redis_of(&profile).await else {
        return Err(Error::InvalidInput(format!("profile `{name}` has no Redis")).into());
    };
    Ok(cache::find_tokens(&redis?, id, TOKEN_SCAN_CALLS, profile.role).await?)
}

#[tauri::command]
async fn user_action(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    expected_version: i32,
    action: UserAction,
) -> Result<ActionOutcome, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let redis = redis_of(&profile).await;
    let outcome = actions::user(
        &server,
        redis.as_ref(),
        Actor::of(&profile),
        id,
        expected_version,
        action,
    )
    .await;
    forgetting(&state, &name, outcome).await
}

#[tauri::command]
async fn invalidate_user_cache(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
) -> Result<ActionOutcome, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let Some(redis) = redis_of(&profile).await else {
        return Err(Error::InvalidInput(format!("profile `{name}` has no Redis")).into());
    };
    let outcome = actions::invalidate_user_cache(&server, &redis?, Actor::of(&profile), id).await;
    forgetting(&state, &name, outcome).await
}

#[tauri::command]
async fn find_digital_humans(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: DigitalHumanSearch,
    after: Option<String>,
    from_replica: bool,
) -> Result<Page<DigitalHumanRow>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = digital_humans::find(&server, &search, after.as_deref()).await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
async fn show_digital_human(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    from_replica: bool,
) -> Result<DigitalHumanDetail, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let viewer: Viewer = profile.role;
    let detail = digital_humans::show(&server, id, viewer).await;
    forgetting(&state, &name, detail).await
}

#[tauri::command]
async fn find_knowledge(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: KnowledgeSearch,
    after: Option<String>,
    from_replica: bool,
) -> Result<Page<KnowledgeRow>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = digital_humans::knowledge(&server, &search, after.as_deref()).await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
async fn digital_human_action(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    expected_version: i32,
    action: DigitalHumanAction,
) -> Result<ActionOutcome, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let outcome =
        actions::digital_human(&server, Actor::of(&profile), id, expected_version, action).await;
    forgetting(&state, &name, outcome).await
}

#[tauri::command]
async fn find_conversations(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: ConversationSearch,
    after: Option<String>,
    from_replica: bool,
) -> Result<Page<ConversationRow>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = conversations::find(&server, &search, after.as_deref()).await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
async fn show_conversation(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    from_replica: bool,
) -> Result<ConversationDetail, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let redis = redis_of(&profile).await;
    let detail = conversations::show(&server, redis.as_ref(), id, profile.role).await;
    forgetting(&state, &name, detail).await
}

#[tauri::command]
async fn conversation_thread(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    anchor: ThreadAnchor,
    limit: u32,
    from_replica: bool,
) -> Result<ThreadPage, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = conversations::thread(&server, id, anchor, limit).await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
async fn find_in_thread(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    text: String,
    from_replica: bool,
) -> Result<Vec<i64>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = reader(&state, &profile, from_replica).await?;
    let found = conversations::find_in_thread(&server, id, &text).await;
    forgetting(&state, &name, found).await
}

#[tauri::command]
async fn review_conversation(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    input: ReviewInput,
) -> Result<Review, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let reviewer = format!("{}@{}", mindpal_core::audit::operator(), profile.name);
    let saved = review::record(&server, Actor::of(&profile), &reviewer, id, &input).await;
    forgetting(&state, &name, saved).await
}

/// Writes the export to the Downloads folder (or home) and returns where.
#[tauri::command]
async fn export_conversation(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: i64,
    format: ExportFormat,
) -> Result<String, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let dir = dirs::download_dir()
        .or_else(dirs::home_dir)
        .ok_or_else(|| io_error("no Downloads or home folder to write to".into()))?;
    let ext = match format {
        ExportFormat::Md => "md",
        ExportFormat::Json => "json",
        ExportFormat::Csv => "csv",
    };
    let path = dir.join(format!("mindpal-conversation-{id}.{ext}"));
    let tmp = path.with_extension(format!("{ext}.part"));
    let file = std::fs::File::create(&tmp)
        .map_err(|e| io_error(format!("creating {}: {e}", tmp.display())))?;
    let mut out = std::io::BufWriter::new(file);
    let written = export::export(&server, id, format, profile.role, &mut out).await;
    drop(out);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return forgetting(&state, &name, Err(e)).await;
    }
    std::fs::rename(&tmp, &path)
        .map_err(|e| io_error(format!("writing {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// Registers a cancellation token under the job id the window chose, for `cancel_job`. An id
/// still in use is refused: it would take over another job's Cancel.
struct JobGuard<'a> {
    state: &'a AppState,
    job: String,
}

impl<'a> JobGuard<'a> {
    fn new(state: &'a AppState, job: &str) -> Result<(Self, CancellationToken), UiError> {
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

/// Explains a statement on the profile's primary; `job` lets the window cancel it (which
/// also stops it on the server).
#[tauri::command]
async fn explain_statement(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    sql: String,
    options: ExplainOptions,
    job: String,
) -> Result<ExplainReport, UiError> {
    // The guard runs before any connection is made.
    let profile = profile_with_passwords(&app, &state, &name)?;
    let checked = explain::prepare(&sql, &options, Actor::of(&profile))?;
    let server = pool(&state, &profile).await?;
    let (_guard, cancel) = JobGuard::new(&state, &job)?;
    let report = explain::explain_checked(&server, &checked, options.time_limit_ms, &cancel).await;
    forgetting(&state, &name, report).await
}

/// Reads a plan pasted or opened from a file: no connection.
#[tauri::command]
fn explain_plan(text: String) -> Result<ExplainReport, UiError> {
    Ok(explain::explain_plan_text(&text)?)
}

#[tauri::command]
fn hot_queries() -> Vec<HotQuery> {
    explain::hot::queries()
}

#[tauri::command]
async fn schema_health(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    job: String,
    on_event: Channel<JobEvent>,
) -> Result<HealthReport, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let (_guard, cancel) = JobGuard::new(&state, &job)?;
    let total = explain::hot::queries().len() as u32;
    let _ = on_event.send(JobEvent::Started { total });
    let report = explain::schema_health(&server, &cancel, &|done, total| {
        let _ = on_event.send(JobEvent::Step {
            done: done as u32,
            total: total as u32,
            label: format!("explained {done} of {total}"),
        });
    })
    .await;
    let _ = on_event.send(match &report {
        Ok(r) => JobEvent::Finished {
            done: r.entries.len() as u32,
        },
        Err(e) => JobEvent::Failed {
            error: UiError {
                kind: e.kind(),
                message: e.to_string(),
                fields: Vec::new(),
            },
        },
    });
    forgetting(&state, &name, report).await
}

#[tauri::command]
async fn schema_names(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<SchemaNames, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let names = explain::schema_names(&server).await;
    forgetting(&state, &name, names).await
}

#[tauri::command]
async fn list_databases(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<String>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let list = indexes::databases(&server).await;
    forgetting(&state, &name, list).await
}

/// The index report of `database` (default: the profile's), from `information_schema`.
#[tauri::command]
async fn index_report(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    database: Option<String>,
) -> Result<IndexReport, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let database = match database {
        Some(d) => d,
        None => schema::current_database(&server).await?,
    };
    let report = indexes::report(&server, &database).await;
    forgetting(&state, &name, report).await
}

/// One health check of the profile's whole topology; the window calls it again only after
/// the last one answered, so a slow server never piles up requests.
#[tauri::command]
async fn replication_status(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    thresholds: Thresholds,
) -> Result<ReplicationReport, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    Ok(replication::check(&profile, &thresholds).await)
}

/// Creates `percona.heartbeat` on the primary (audited) and writes the first beat.
#[tauri::command]
async fn create_heartbeat(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<HeartbeatTable, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let made = async {
        let table = replication::heartbeat::create(&server, Actor::of(&profile)).await?;
        replication::heartbeat::beat(&server, Actor::of(&profile), &table).await?;
        Ok(table)
    }
    .await;
    forgetting(&state, &name, made).await
}

/// One beat of the heartbeat, while the Replication screen keeps it going.
#[tauri::command]
async fn beat_heartbeat(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<(), UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    // The table is found on the server, never named by the window.
    let beat = async {
        let table = replication::heartbeat::find(&server)
            .await?
            .ok_or_else(|| {
                Error::NotFound("no heartbeat table on the primary: create one first".into())
            })?;
        replication::heartbeat::beat(&server, Actor::of(&profile), &table).await
    }
    .await;
    forgetting(&state, &name, beat).await
}

/// Where backups go unless the operator picks another folder.
#[tauri::command]
fn backup_folder() -> Result<String, UiError> {
    let base =
        dirs::home_dir().ok_or_else(|| io_error("no home folder to put backups in".into()))?;
    Ok(base.join("mindpal-backups").display().to_string())
}

/// Backs up the profile's database into `out_dir`; progress on `on_event`, `cancel_job(job)`
/// stops it (and its statements on the server) and removes the partial folder.
#[tauri::command]
async fn start_backup(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    out_dir: String,
    jobs: usize,
    job: String,
    on_event: Channel<BackupProgress>,
) -> Result<BackupOutcome, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let (_guard, cancel) = JobGuard::new(&state, &job)?;
    let options = BackupOptions {
        jobs,
        ..BackupOptions::new(out_dir)
    };
    let outcome = backup::run(
        &server,
        Actor::of(&profile),
        &options,
        &|p| {
            let _ = on_event.send(p);
        },
        &cancel,
    )
    .await;
    forgetting(&state, &name, outcome).await
}

/// Runs file work (reading manifests, hashing, removing folders) off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, UiError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| io_error(e.to_string()))?
        .map_err(UiError::from)
}

#[tauri::command]
async fn list_backups(out_dir: String) -> Result<Vec<BackupEntry>, UiError> {
    let dir = std::path::PathBuf::from(out_dir);
    blocking(move || {
        if !dir.exists() {
            return Ok(Vec::new());
        }
        backup::list(&dir)
    })
    .await
}

#[tauri::command]
async fn verify_backup(path: String) -> Result<VerifyReport, UiError> {
    let dir = std::path::PathBuf::from(path);
    blocking(move || backup::verify(&dir)).await
}

#[tauri::command]
async fn prune_backups(
    out_dir: String,
    keep_days: u32,
    dry_run: bool,
) -> Result<PruneReport, UiError> {
    let dir = std::path::PathBuf::from(out_dir);
    blocking(move || backup::prune(&dir, keep_days, chrono::Utc::now(), dry_run)).await
}

/// Restores a backup into a database of the operator's choosing, then verifies every table.
#[tauri::command]
async fn restore_backup(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    path: String,
    options: RestoreOptions,
    job: String,
    on_event: Channel<BackupProgress>,
) -> Result<RestoreReport, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let (_guard, cancel) = JobGuard::new(&state, &job)?;
    let report = backup::restore(
        &server,
        Actor::of(&profile),
        std::path::Path::new(&path),
        &options,
        &|p| {
            let _ = on_event.send(p);
        },
        &cancel,
    )
    .await;
    forgetting(&state, &name, report).await
}

async fn profile_redis(profile: &Profile) -> Result<RedisServer, UiError> {
    match redis_of(profile).await {
        None => Err(Error::NotFound(format!("profile `{}` has no Redis", profile.name)).into()),
        Some(r) => Ok(r?),
    }
}

#[tauri::command]
async fn redis_persistence(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Persistence, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let redis = profile_redis(&profile).await?;
    Ok(backup::redis::status(&redis).await?)
}

/// BGSAVE or BGREWRITEAOF on the profile's Redis master, recorded in operation_logs.
#[tauri::command]
async fn redis_persist(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    trigger: Trigger,
) -> Result<String, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let redis = profile_redis(&profile).await?;
    let server = pool(&state, &profile).await.ok();
    Ok(backup::redis::trigger(&redis, Actor::of(&profile), trigger, server.as_ref()).await?)
}

/// One more reading of the server's counters, added to the profile's dashboard history.
#[tauri::command]
async fn monitor_dashboard(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Dashboard, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let sample = forgetting(&state, &name, monitor::status::sample(&server).await).await?;
    let mut dashboards = state.dashboards.lock().expect("dashboard lock");
    Ok(dashboards.entry(name).or_default().push(sample))
}

#[tauri::command]
async fn monitor_sessions(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    filter: SessionFilter,
    long_after_seconds: u64,
) -> Result<SessionsReport, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let report =
        monitor::sessions::report(&server, Actor::of(&profile), &filter, long_after_seconds).await;
    forgetting(&state, &name, report).await
}

/// KILL QUERY or KILL CONNECTION, after the window asked; written to operation_logs.
#[tauri::command]
async fn monitor_kill(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    thread_id: u64,
    mode: KillMode,
) -> Result<Killed, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let killed = monitor::sessions::kill(&server, Actor::of(&profile), thread_id, mode).await;
    forgetting(&state, &name, killed).await
}

#[tauri::command]
async fn monitor_top(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    limit: u32,
) -> Result<TopReport, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let report = monitor::top::top(&server, Actor::of(&profile), limit).await;
    forgetting(&state, &name, report).await
}

/// The MySQL settings' advice, then Redis's (an unreachable Redis is one Unknown line).
#[tauri::command]
async fn monitor_advice(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<Advice>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let server = pool(&state, &profile).await?;
    let mut advice = forgetting(&state, &name, advisor::mysql(&server).await).await?;
    match redis_of(&profile).await {
        None => {}
        Some(Ok(redis)) => advice.extend(advisor::redis(&redis).await),
        Some(Err(e)) => advice.push(Advice {
            server: "redis".into(),
            setting: "(all)".into(),
            current: "unreachable".into(),
            recommended: "reachable".into(),
            verdict: advisor::Verdict::Unknown,
            why: e.to_string(),
        }),
    }
    Ok(advice)
}

async fn redis_nodes(profile: &Profile) -> Result<Nodes, UiError> {
    let redis = profile
        .redis
        .as_ref()
        .ok_or_else(|| Error::NotFound(format!("profile `{}` has no Redis", profile.name)))?;
    Ok(redis_cache::nodes(redis, Actor::of(profile), DEFAULT_CONNECT_TIMEOUT).await?)
}

/// Every data node's status: one, or each cluster master.
#[tauri::command]
async fn redis_status(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<RedisStatus>, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let nodes = redis_nodes(&profile).await?;
    let mut out = Vec::new();
    for server in &nodes.servers {
        out.push(monitor::redis::status(server).await?);
    }
    Ok(out)
}

#[tauri::command]
async fn cache_scan(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    request: ScanRequest,
) -> Result<ScanPage, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let nodes = redis_nodes(&profile).await?;
    Ok(redis_cache::scan(&nodes, &request).await?)
}

#[tauri::command]
async fn cache_get(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    request: KeyRequest,
) -> Result<KeyView, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let nodes = redis_nodes(&profile).await?;
    Ok(redis_cache::value::get(&nodes, &request).await?)
}

/// Deletes or re-expires a key after the window asked; written to operation_logs.
#[tauri::command]
async fn cache_change(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    key: String,
    change: KeyChange,
) -> Result<bool, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let nodes = redis_nodes(&profile).await?;
    let server = pool(&state, &profile).await?;
    Ok(redis_cache::change(&nodes, Actor::of(&profile), &key, change, &server).await?)
}

#[tauri::command]
async fn cache_analyze(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    sample: u32,
) -> Result<MemoryAnalysis, UiError> {
    let profile = profile_with_passwords(&app, &state, &name)?;
    let nodes = redis_nodes(&profile).await?;
    Ok(redis_cache::analyze::analyze(&nodes, sample).await?)
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
            find_users,
            show_user,
            find_user_tokens,
            user_action,
            invalidate_user_cache,
            find_digital_humans,
            show_digital_human,
            find_knowledge,
            digital_human_action,
            find_conversations,
            show_conversation,
            conversation_thread,
            find_in_thread,
            review_conversation,
            export_conversation,
            explain_statement,
            explain_plan,
            hot_queries,
            schema_health,
            schema_names,
            list_databases,
            index_report,
            replication_status,
            create_heartbeat,
            beat_heartbeat,
            backup_folder,
            start_backup,
            list_backups,
            verify_backup,
            prune_backups,
            restore_backup,
            redis_persistence,
            redis_persist,
            monitor_dashboard,
            monitor_sessions,
            monitor_kill,
            monitor_top,
            monitor_advice,
            redis_status,
            cache_scan,
            cache_get,
            cache_change,
            cache_analyze,
        ])
        .run(tauri::generate_context!())
        .expect("the MindPal Admin window opens");
}
