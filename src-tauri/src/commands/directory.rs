//! Users and digital humans: lists, details, tokens, and the audited actions.

use crate::prelude::*;

#[tauri::command]
pub(crate) async fn find_users(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: UserSearch,
    after: Option<String>,
    from_replica: bool,
) -> Result<Page<UserRow>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = read_within(
        &server,
        READ_DEADLINE,
        users::find(&server, &search, after.as_deref(), profile.actor()),
    )
    .await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
pub(crate) async fn show_user(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    from_replica: bool,
) -> Result<UserDetail, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let redis = redis_of(&state, &profile).await;
    let detail = read_within(
        &server,
        READ_DEADLINE,
        users::show(&server, redis.as_ref(), id, profile.actor()),
    )
    .await;
    forgetting(&state, &name, detail).await
}

/// Token lookups walk the keyspace: at most this many SCAN calls of 1000 keys.
pub(crate) const TOKEN_SCAN_CALLS: u32 = 200;

#[tauri::command]
pub(crate) async fn find_user_tokens(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
) -> Result<TokenScan, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let Some(redis) = redis_of(&state, &profile).await else {
        return Err(Error::NotFound(format!("profile `{name}` has no Redis")).into());
    };
    let tokens = cache::find_tokens(&redis?, id, TOKEN_SCAN_CALLS, profile.actor()).await;
    forgetting(&state, &name, tokens).await
}

#[tauri::command]
pub(crate) async fn user_action(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    expected_version: i32,
    action: UserAction,
) -> Result<ActionOutcome, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let redis = redis_of(&state, &profile).await;
    let outcome = actions::user(
        &server,
        redis.as_ref(),
        profile.actor(),
        id,
        expected_version,
        action,
    )
    .await;
    forgetting(&state, &name, outcome).await
}

#[tauri::command]
pub(crate) async fn invalidate_user_cache(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
) -> Result<ActionOutcome, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let Some(redis) = redis_of(&state, &profile).await else {
        return Err(Error::NotFound(format!("profile `{name}` has no Redis")).into());
    };
    let outcome = actions::invalidate_user_cache(&server, &redis?, profile.actor(), id).await;
    forgetting(&state, &name, outcome).await
}

#[tauri::command]
pub(crate) async fn find_digital_humans(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: DigitalHumanSearch,
    after: Option<String>,
    from_replica: bool,
) -> Result<Page<DigitalHumanRow>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = read_within(
        &server,
        READ_DEADLINE,
        digital_humans::find(&server, &search, after.as_deref()),
    )
    .await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
pub(crate) async fn show_digital_human(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    from_replica: bool,
) -> Result<DigitalHumanDetail, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let detail = digital_humans::show(&server, id, profile.actor()).await;
    forgetting(&state, &name, detail).await
}

#[tauri::command]
pub(crate) async fn find_knowledge(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: KnowledgeSearch,
    after: Option<String>,
    from_replica: bool,
) -> Result<Page<KnowledgeRow>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = digital_humans::knowledge(&server, &search, after.as_deref()).await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
pub(crate) async fn digital_human_action(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    expected_version: i32,
    action: DigitalHumanAction,
) -> Result<ActionOutcome, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let outcome =
        actions::digital_human(&server, profile.actor(), id, expected_version, action).await;
    forgetting(&state, &name, outcome).await
}
