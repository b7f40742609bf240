//! Backups, their catalog, verify, prune and restore; Redis persistence.

use crate::prelude::*;

/// Where backups go unless the operator picks another folder.
#[tauri::command]
pub(crate) fn backup_folder() -> Result<String, UiError> {
    let base =
        dirs::home_dir().ok_or_else(|| io_error("no home folder to put backups in".into()))?;
    Ok(base.join("mindpal-backups").display().to_string())
}

/// Backs up the profile's database into `out_dir`; progress on `on_event`, `cancel_job(job)`
/// stops it (and its statements on the server) and removes the partial folder.
#[tauri::command]
pub(crate) async fn start_backup(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    out_dir: String,
    jobs: usize,
    job: String,
    on_event: Channel<BackupProgress>,
) -> Result<BackupOutcome, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let running = state.workspace.jobs().start(&job)?;
    let cancel = running.token();
    let options = BackupOptions {
        jobs,
        ..BackupOptions::new(out_dir)
    };
    let outcome = backup::run(
        &server,
        profile.actor(),
        &options,
        &|p| {
            let _ = on_event.send(p);
        },
        &cancel,
    )
    .await;
    forgetting(&state, &name, outcome).await
}

#[tauri::command]
pub(crate) async fn list_backups(out_dir: String) -> Result<Vec<BackupEntry>, UiError> {
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
pub(crate) async fn verify_backup(path: String) -> Result<VerifyReport, UiError> {
    let dir = std::path::PathBuf::from(path);
    blocking(move || backup::verify(&dir)).await
}

/// Plans (`dry_run`) or removes old backups; a removal is recorded in the profile's
/// operation_logs before anything goes.
#[tauri::command]
pub(crate) async fn prune_backups(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    out_dir: String,
    keep_days: u32,
    dry_run: bool,
) -> Result<PruneReport, UiError> {
    let dir = std::path::PathBuf::from(out_dir);
    if dry_run {
        return blocking(move || backup::prune_plan(&dir, keep_days, chrono::Utc::now())).await;
    }
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let report = backup::prune(
        &server,
        profile.actor(),
        &dir,
        keep_days,
        chrono::Utc::now(),
        false,
    )
    .await;
    forgetting(&state, &name, report).await
}

/// Restores a backup into a database of the operator's choosing, then verifies every table.
#[tauri::command]
pub(crate) async fn restore_backup(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    path: String,
    options: RestoreOptions,
    job: String,
    on_event: Channel<BackupProgress>,
) -> Result<RestoreReport, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let running = state.workspace.jobs().start(&job)?;
    let cancel = running.token();
    let report = backup::restore(
        &server,
        profile.actor(),
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

/// The moments a backup can be restored to on the profile's server, or why there are none.
#[tauri::command]
pub(crate) async fn backup_window(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    path: String,
) -> Result<RestorableWindow, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let dir = std::path::PathBuf::from(path);
    let manifest = blocking(move || backup::manifest::read(&dir)).await?;
    forgetting(
        &state,
        &name,
        backup::pitr::window(&server, &manifest).await,
    )
    .await
}

#[tauri::command]
pub(crate) async fn redis_persistence(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Persistence, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let redis = profile_redis(&state, &profile).await?;
    forgetting(&state, &name, backup::redis::status(&redis).await).await
}

/// BGSAVE or BGREWRITEAOF on the profile's Redis master, recorded in operation_logs.
#[tauri::command]
pub(crate) async fn redis_persist(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    trigger: Trigger,
) -> Result<String, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let redis = profile_redis(&state, &profile).await?;
    let server = pool(&state, &profile).await.ok();
    let reply = backup::redis::trigger(&redis, profile.actor(), trigger, server.as_ref()).await;
    forgetting(&state, &name, reply).await
}
