//! Conversation review: the finder, a conversation and its thread, verdicts, exports.

use crate::prelude::*;

#[tauri::command]
pub(crate) async fn find_conversations(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: ConversationSearch,
    after: Option<String>,
    from_replica: bool,
) -> Result<Page<ConversationRow>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = read_within(
        &server,
        READ_DEADLINE,
        conversations::find(&server, &search, after.as_deref()),
    )
    .await;
    forgetting(&state, &name, page).await
}

/// *Count now*: counts a search shown as not counted, bounded on the server (a cap and a
/// time limit) and stopped there by `cancel_job(job)`.
#[tauri::command]
pub(crate) async fn count_conversations(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    search: ConversationSearch,
    job: String,
    from_replica: bool,
) -> Result<Total, UiError> {
    let running = state.workspace.jobs().start(&job)?;
    let cancel = running.token();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let counted = conversations::count(&server, &search, &cancel).await;
    forgetting(&state, &name, counted).await
}

#[tauri::command]
pub(crate) async fn show_conversation(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    from_replica: bool,
) -> Result<ConversationDetail, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let redis = redis_of(&state, &profile).await;
    let detail = read_within(
        &server,
        READ_DEADLINE,
        conversations::show(&server, redis.as_ref(), id, profile.actor()),
    )
    .await;
    forgetting(&state, &name, detail).await
}

#[tauri::command]
pub(crate) async fn conversation_thread(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    anchor: ThreadAnchor,
    limit: u32,
    from_replica: bool,
) -> Result<ThreadPage, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let page = read_within(
        &server,
        READ_DEADLINE,
        conversations::thread(&server, id, anchor, limit),
    )
    .await;
    forgetting(&state, &name, page).await
}

#[tauri::command]
pub(crate) async fn find_in_thread(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    text: String,
    from_replica: bool,
) -> Result<Vec<Id>, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = reader(&state, &profile, from_replica).await?;
    let found = conversations::find_in_thread(&server, id, &text)
        .await
        .map(|ids| ids.into_iter().map(Id).collect());
    forgetting(&state, &name, found).await
}

#[tauri::command]
pub(crate) async fn review_conversation(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    input: ReviewInput,
) -> Result<Review, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let reviewer = super::queue::reviewer_of(&profile);
    let saved = review::record(&server, profile.actor(), &reviewer, id, &input).await;
    forgetting(&state, &name, saved).await
}

/// Writes the export to the Downloads folder (or home) and returns where.
#[tauri::command]
pub(crate) async fn export_conversation(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    format: ExportFormat,
) -> Result<String, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let dir = dirs::download_dir()
        .or_else(dirs::home_dir)
        .ok_or_else(|| io_error("no Downloads or home folder to write to".into()))?;
    let ext = match format {
        ExportFormat::Md => "md",
        ExportFormat::Json => "json",
        ExportFormat::Csv => "csv",
    };
    let path = dir.join(format!("mindpal-conversation-{id}.{ext}"));
    let tmp = path.with_extension(format!("{ext}.part"));
    let file = std::fs::File::create(&tmp)
        .map_err(|e| io_error(format!("creating {}: {e}", tmp.display())))?;
    let mut out = std::io::BufWriter::new(file);
    let written = export::export(&server, id, format, profile.actor(), &mut out).await;
    drop(out);
    let messages = match written {
        Ok(messages) => messages,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return forgetting(&state, &name, Err(e)).await;
        }
    };
    std::fs::rename(&tmp, &path)
        .map_err(|e| io_error(format!("writing {}: {e}", path.display())))?;
    export::record(&server, profile.actor(), id, format, messages).await?;
    Ok(path.display().to_string())
}
