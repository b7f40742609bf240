//! The dashboard, sessions and KILL, top statements, the tuning advisor.

use crate::prelude::*;

/// One more reading of the server's counters, added to the profile's dashboard history.
#[tauri::command]
pub(crate) async fn monitor_dashboard(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Dashboard, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let sample = forgetting(&state, &name, monitor::status::sample(&server).await).await?;
    Ok(state.workspace.dashboard(&name, sample))
}

#[tauri::command]
pub(crate) async fn monitor_sessions(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    filter: SessionFilter,
    long_after_seconds: u64,
) -> Result<SessionsReport, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let report =
        monitor::sessions::report(&server, profile.actor(), &filter, long_after_seconds).await;
    forgetting(&state, &name, report).await
}

/// KILL QUERY or KILL CONNECTION, after the window asked; written to operation_logs.
#[tauri::command]
pub(crate) async fn monitor_kill(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    thread_id: Id<u64>,
    mode: KillMode,
) -> Result<Killed, UiError> {
    let thread_id = thread_id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let killed = monitor::sessions::kill(&server, profile.actor(), thread_id, mode).await;
    forgetting(&state, &name, killed).await
}

#[tauri::command]
pub(crate) async fn monitor_top(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    limit: u32,
) -> Result<TopReport, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let report = monitor::top::top(&server, profile.actor(), limit).await;
    forgetting(&state, &name, report).await
}

/// The MySQL settings' advice, then Redis's (an unreachable Redis is one Unknown line).
#[tauri::command]
pub(crate) async fn monitor_advice(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<Advice>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let mut advice = forgetting(&state, &name, advisor::mysql(&server).await).await?;
    match redis_of(&state, &profile).await {
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
