//! Connection profiles: the list, saving (passwords to the keyring or this session), removal, the sandbox offer, the keyring probe and *Test connection*.

use crate::prelude::*;

#[tauri::command]
pub(crate) async fn list_profiles(app: AppHandle) -> Result<Vec<ProfileView>, UiError> {
    Ok(read_profiles(&app)?
        .into_iter()
        .map(ProfileView::from)
        .collect())
}

#[tauri::command]
pub(crate) async fn save_profile(
    state: State<'_, AppState>,
    input: ProfileInput,
) -> Result<ProfileView, UiError> {
    let ProfileInput {
        profile,
        original_name,
        passwords,
        session_only,
    } = input;
    let workspace = state.workspace.clone();
    let saved = blocking(move || {
        workspace.save_profile(
            profile,
            original_name.as_deref(),
            passwords.into_slots(),
            session_only,
        )
    })
    .await?;
    match saved {
        Saved::Profile(profile) => Ok((*profile).into()),
        Saved::Invalid(problems) => Err(UiError::fields(problems)),
    }
}

#[tauri::command]
pub(crate) async fn delete_profile(
    state: State<'_, AppState>,
    name: String,
) -> Result<(), UiError> {
    let workspace = state.workspace.clone();
    blocking(move || workspace.delete_profile(&name)).await
}

/// The sandbox's profile, when the sandbox runs and no profile of that name exists yet.
#[tauri::command]
pub(crate) async fn sandbox_offer(app: AppHandle) -> Result<Option<Profile>, UiError> {
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
pub(crate) async fn keyring_status() -> Result<(), UiError> {
    blocking(mindpal_core::profiles::secrets::probe).await
}

#[tauri::command]
pub(crate) async fn test_profile(
    app: AppHandle,
    name: String,
) -> Result<Vec<ServerCheck>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let checks = profiles::check(&profile, DEFAULT_CONNECT_TIMEOUT).await;
    Ok(checks.into_iter().map(ServerCheck::from).collect())
}

/// Trusts the host key an SSH hop offered with `fingerprint` (the one the window showed, and
/// only that one): it is written to the console's known-hosts file and never asked again.
#[tauri::command]
pub(crate) async fn accept_host_key(fingerprint: String) -> Result<String, UiError> {
    // A tunnel that was refused has no connection: its next use opens one and reads the
    // known-hosts file again, so nothing else needs forgetting.
    blocking(move || mindpal_core::ssh::hostkeys::accept_offered(&fingerprint)).await
}

/// The state of the profile's SSH tunnel in this session; `None` without a bastion or
/// before anything went through it.
#[tauri::command]
pub(crate) async fn tunnel_state(
    state: State<'_, AppState>,
    name: String,
) -> Result<Option<TunnelView>, UiError> {
    Ok(state
        .workspace
        .tunnel(&name)
        .map(|(path, state)| TunnelView { path, state }))
}
