//! Replication health and the heartbeat.

use crate::prelude::*;

/// One health check of the profile's whole topology; the window calls it again only after
/// the last one answered, so a slow server never piles up requests.
#[tauri::command]
pub(crate) async fn replication_status(
    app: AppHandle,
    name: String,
    thresholds: Thresholds,
) -> Result<ReplicationReport, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    Ok(replication::check(&profile.servers(), &thresholds).await)
}

/// Creates `percona.heartbeat` on the primary (audited) and writes the first beat.
#[tauri::command]
pub(crate) async fn create_heartbeat(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<HeartbeatTable, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let made = async {
        let table = replication::heartbeat::create(&server, profile.actor()).await?;
        replication::heartbeat::beat(&server, profile.actor(), &table).await?;
        Ok(table)
    }
    .await;
    forgetting(&state, &name, made).await
}

/// One beat of the heartbeat, while the Replication screen keeps it going.
#[tauri::command]
pub(crate) async fn beat_heartbeat(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<(), UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    // The table is found on the server, never named by the window.
    let beat = async {
        let table = replication::heartbeat::find(&server)
            .await?
            .ok_or_else(|| {
                Error::NotFound("no heartbeat table on the primary: create one first".into())
            })?;
        replication::heartbeat::beat(&server, profile.actor(), &table).await
    }
    .await;
    forgetting(&state, &name, beat).await
}
