//! The audit trail screen: one page of `operation_logs`, newest first.

use crate::prelude::*;

/// A page of the audit trail of profile `name`, filtered; support profiles get the trail of
/// reviews and exports only, masked.
#[tauri::command]
pub(crate) async fn find_audit(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: AuditSearch,
    after: Option<String>,
) -> Result<Page<AuditRow>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let page = read_within(
        &server,
        READ_DEADLINE,
        trail::find(&server, Actor::of(&profile), &search, after.as_deref()),
    )
    .await;
    forgetting(&state, &name, page).await
}
