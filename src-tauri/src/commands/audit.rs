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
        trail::find(&server, profile.actor(), &search, after.as_deref()),
    )
    .await;
    forgetting(&state, &name, page).await
}

/// Writes every matching row of the audit trail of profile `name` (all pages) to the Downloads
/// folder as CSV or JSON lines; returns the file's path.
#[tauri::command]
pub(crate) async fn export_audit(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: AuditSearch,
    json: bool,
) -> Result<String, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let dir = dirs::download_dir()
        .or_else(dirs::home_dir)
        .ok_or_else(|| io_error("no Downloads or home folder to write to".into()))?;
    let path = dir.join(format!(
        "mindpal-audit-{}-{}.{}",
        profile
            .name
            .replace(|c: char| !c.is_alphanumeric() && c != '-', "_"),
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        if json { "jsonl" } else { "csv" }
    ));
    let tmp = path.with_extension("part");
    let file = std::fs::File::create(&tmp)
        .map_err(|e| io_error(format!("creating {}: {e}", tmp.display())))?;
    let mut out = std::io::BufWriter::new(file);
    let written = trail::export(&server, profile.actor(), &search, json, &mut out).await;
    drop(out);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return forgetting(&state, &name, Err(e)).await;
    }
    std::fs::rename(&tmp, &path)
        .map_err(|e| io_error(format!("writing {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}
