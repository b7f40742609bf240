//! The fleet overview: one profile's check per call, so the window shows each profile as
//! soon as its own check ends and a dead one delays nobody.

use crate::prelude::*;

/// Checks profile `name` within its own time limit: primary, replication, Redis, load,
/// backup age and schema, with what is wrong in words, worst first. A profile whose
/// passwords or bastion cannot be had is an entry saying so, not an error.
#[tauri::command]
pub(crate) async fn check_fleet_profile(
    state: State<'_, AppState>,
    name: String,
) -> Result<FleetEntry, UiError> {
    match state.workspace.profile(&name).await {
        Ok(profile) => Ok(fleet::check(&profile).await),
        // A profile that is not stored is an error; one whose passwords or bastion cannot be
        // had is an entry, its error keeping its kind (a locked keyring, an unknown host key).
        Err(e) if e.kind() == ErrorKind::NotFound => Err(e.into()),
        Err(e) => Ok(fleet::unprepared(&state.workspace.stored(&name)?, e)),
    }
}
