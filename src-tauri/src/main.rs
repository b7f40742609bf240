//! The desktop shell: each command takes its arguments, calls one core function and converts
//! the result for the UI. Nothing else lives here.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod wire;

use mindpal_core::mysql::DEFAULT_CONNECT_TIMEOUT;
use mindpal_core::profiles;
use wire::{ProfileSummary, ServerCheck, UiError};

/// The saved connection profiles (the same store the CLI reads).
#[tauri::command]
async fn list_profiles() -> Result<Vec<ProfileSummary>, UiError> {
    let path = profiles::default_store_path()?;
    Ok(profiles::load(&path)?
        .iter()
        .map(ProfileSummary::from)
        .collect())
}

/// Tests every server of a profile side by side.
#[tauri::command]
async fn check_profile(name: String) -> Result<Vec<ServerCheck>, UiError> {
    let profile = profiles::find(&profiles::default_store_path()?, &name)?;
    let checks = profiles::check(&profile, DEFAULT_CONNECT_TIMEOUT).await;
    Ok(checks.into_iter().map(ServerCheck::from).collect())
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![list_profiles, check_profile])
        .run(tauri::generate_context!())
        .expect("the MindPal Admin window opens");
}
