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
pub(crate) async fn delete_profile(
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
    tauri::async_runtime::spawn_blocking(secrets::probe)
        .await
        .map_err(|e| io_error(e.to_string()))??;
    Ok(())
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
    Ok(state.sessions.tunnel(&name))
}
