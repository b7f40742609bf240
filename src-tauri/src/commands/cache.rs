//! The Redis key browser: node status, SCAN pages, key views, changes, memory by shape.

use crate::prelude::*;

/// Every data node's status: one, or each cluster master.
#[tauri::command]
pub(crate) async fn redis_status(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<RedisStatus>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let nodes = redis_nodes(&state, &profile).await?;
    let mut out = Vec::new();
    for server in &nodes.servers {
        out.push(
            forgetting(
                &state,
                &name,
                monitor::redis::status(server, profile.actor()).await,
            )
            .await?,
        );
    }
    Ok(out)
}

#[tauri::command]
pub(crate) async fn cache_scan(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    request: ScanRequest,
) -> Result<ScanPage, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let nodes = redis_nodes(&state, &profile).await?;
    forgetting(&state, &name, redis_cache::scan(&nodes, &request).await).await
}

#[tauri::command]
pub(crate) async fn cache_get(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    request: KeyRequest,
) -> Result<KeyView, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let nodes = redis_nodes(&state, &profile).await?;
    forgetting(
        &state,
        &name,
        redis_cache::value::get(&nodes, &request).await,
    )
    .await
}

/// Deletes or re-expires a key after the window asked; written to operation_logs.
#[tauri::command]
pub(crate) async fn cache_change(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    key: String,
    change: KeyChange,
) -> Result<bool, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let nodes = redis_nodes(&state, &profile).await?;
    let server = pool(&state, &profile).await?;
    forgetting(
        &state,
        &name,
        redis_cache::change(&nodes, profile.actor(), &key, change, &server).await,
    )
    .await
}

#[tauri::command]
pub(crate) async fn cache_analyze(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    sample: u32,
) -> Result<MemoryAnalysis, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let nodes = redis_nodes(&state, &profile).await?;
    forgetting(
        &state,
        &name,
        redis_cache::analyze::analyze(&nodes, sample).await,
    )
    .await
}
