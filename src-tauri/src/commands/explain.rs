//! EXPLAIN, pasted plans, the hot queries, schema health, and the index report.

use crate::prelude::*;

/// Explains a statement on the profile's primary; `job` lets the window cancel it (which
/// also stops it on the server).
#[tauri::command]
pub(crate) async fn explain_statement(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    sql: String,
    options: ExplainOptions,
    job: String,
) -> Result<ExplainReport, UiError> {
    // The guard runs before any connection is made.
    let profile = profile_with_passwords(&app, &name).await?;
    let checked = explain::prepare(&sql, &options, profile.actor())?;
    let server = pool(&state, &profile).await?;
    let running = state.workspace.jobs().start(&job)?;
    let cancel = running.token();
    let report = explain::explain_checked(&server, &checked, options.time_limit_ms, &cancel).await;
    forgetting(&state, &name, report).await
}

/// Reads a plan pasted or opened from a file: no connection.
#[tauri::command]
pub(crate) fn explain_plan(text: String) -> Result<ExplainReport, UiError> {
    Ok(explain::explain_plan_text(&text)?)
}

#[tauri::command]
pub(crate) fn hot_queries() -> Vec<HotQuery> {
    explain::hot::queries()
}

#[tauri::command]
pub(crate) async fn schema_health(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    job: String,
    on_event: Channel<JobEvent>,
) -> Result<HealthReport, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let running = state.workspace.jobs().start(&job)?;
    let cancel = running.token();
    let total = explain::hot::queries().len() as u32;
    let _ = on_event.send(JobEvent::Started { total });
    let report = explain::schema_health(&server, &cancel, &|done, total| {
        let _ = on_event.send(JobEvent::Step {
            done: done as u32,
            total: total as u32,
            label: format!("explained {done} of {total}"),
        });
    })
    .await;
    let done = report.as_ref().map_or(0, |r| r.entries.len() as u32);
    let _ = on_event.send(JobEvent::ended(&report, done));
    forgetting(&state, &name, report).await
}

#[tauri::command]
pub(crate) async fn schema_names(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<SchemaNames, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let names = explain::schema_names(&server).await;
    forgetting(&state, &name, names).await
}

#[tauri::command]
pub(crate) async fn list_databases(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<String>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let list = indexes::databases(&server).await;
    forgetting(&state, &name, list).await
}

/// The index report of `database` (default: the profile's), from `information_schema`.
#[tauri::command]
pub(crate) async fn index_report(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    database: Option<String>,
) -> Result<IndexReport, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let database = match database {
        Some(d) => d,
        None => schema::current_database(&server).await?,
    };
    let report = indexes::report(&server, &database).await;
    forgetting(&state, &name, report).await
}

/// *Try it*: the lint's suggested index on a scratch copy of the statement's tables, both
/// plans side by side; `job` cancels it, and the copy is dropped either way.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub(crate) async fn try_index(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    sql: String,
    index: SuggestedIndex,
    options: TrialOptions,
    job: String,
    on_event: Channel<JobEvent>,
) -> Result<TrialReport, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let running = state.workspace.jobs().start(&job)?;
    let cancel = running.token();
    let _ = on_event.send(JobEvent::Started { total: 0 });
    let done = std::sync::atomic::AtomicU32::new(0);
    let report = trial::try_index(
        &server,
        profile.actor(),
        &sql,
        &index.table,
        &index.columns,
        &options,
        &|step| {
            let _ = on_event.send(JobEvent::Step {
                done: done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                total: 0,
                label: step.to_owned(),
            });
        },
        &cancel,
    )
    .await;
    let _ = on_event.send(JobEvent::ended(
        &report,
        done.load(std::sync::atomic::Ordering::Relaxed),
    ));
    forgetting(&state, &name, report).await
}
