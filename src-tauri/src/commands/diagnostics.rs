//! The app's log folder and the diagnostics an operator sends when something goes wrong.

use crate::prelude::*;

/// Where the app writes its log.
#[tauri::command]
pub(crate) fn log_folder() -> Result<String, UiError> {
    Ok(mindpal_core::logs::default_dir()?.display().to_string())
}

/// Opens the log folder in the desktop's file manager.
#[tauri::command]
pub(crate) async fn open_log_folder() -> Result<(), UiError> {
    let dir = mindpal_core::logs::default_dir()?;
    tauri::async_runtime::spawn_blocking(move || {
        std::process::Command::new("xdg-open")
            .arg(&dir)
            .status()
            .map_err(|e| {
                io_error(format!(
                    "cannot run xdg-open: {e}; the logs are in {}",
                    dir.display()
                ))
            })
            .and_then(|status| {
                status.success().then_some(()).ok_or_else(|| {
                    io_error(format!(
                        "no file manager opened the folder; the logs are in {}",
                        dir.display()
                    ))
                })
            })
    })
    .await
    .map_err(|e| io_error(e.to_string()))?
}

/// Writes the diagnostics (versions, system, WebKit settings, keyring, profiles without
/// secrets, the end of the log) to the Downloads folder; returns the file's path.
#[tauri::command]
pub(crate) async fn save_diagnostics() -> Result<String, UiError> {
    tauri::async_runtime::spawn_blocking(|| {
        let logs = mindpal_core::logs::default_dir().ok();
        let store = profiles::default_store_path()?;
        let report = mindpal_core::diagnostics::collect("app", &store, logs.as_deref());
        let dir = dirs::download_dir()
            .or_else(dirs::home_dir)
            .ok_or_else(|| io_error("no Downloads or home folder to write to".into()))?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| io_error(format!("creating {}: {e}", dir.display())))?;
        let path = dir.join(format!(
            "mindpal-admin-diagnostics-{}.txt",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::write(&path, report.text())
            .map_err(|e| io_error(format!("writing {}: {e}", path.display())))?;
        tracing::info!("diagnostics saved to {}", path.display());
        Ok(path.display().to_string())
    })
    .await
    .map_err(|e| io_error(e.to_string()))?
}
