//! The fleet overview: one profile's check per call, so the window shows each profile as
//! soon as its own check ends and a dead one delays nobody.

use crate::prelude::*;

/// Checks profile `name` within its own time limit: primary, replication, Redis, load,
/// backup age and schema, with what is wrong in words, worst first. A profile whose
/// passwords or bastion cannot be had is an entry saying so, not an error.
#[tauri::command]
pub(crate) async fn check_fleet_profile(
    app: AppHandle,
    name: String,
) -> Result<FleetEntry, UiError> {
    let stored = read_profiles(&app)?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| UiError::from(Error::NotFound(format!("no profile named `{name}`"))))?;
    match profile_with_passwords(&app, &name).await {
        Ok(profile) => Ok(fleet::check(&profile).await),
        Err(e) => Ok(fleet::unprepared(
            &stored,
            Error::InvalidInput(e.message.clone()),
        )),
    }
}
