//! The overview of a profile, migrations as a cancellable job, and Cancel for any job.

use crate::prelude::*;

#[tauri::command]
pub(crate) async fn load_overview(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Overview, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let database = match pool(&state, &profile).await {
        Ok(server) => {
            let loaded = read_within(&server, READ_DEADLINE, overview::database(&server)).await;
            forgetting(&state, &name, loaded).await
        }
        Err(e) => Err(e),
    };
    let redis = match redis_of(&state, &profile).await {
        None => None,
        Some(Ok(server)) => Some(forgetting(&state, &name, overview::redis(&server).await).await),
        Some(Err(e)) => Some(Err(UiError::from(e))),
    };
    let (database, database_error) = match database {
        Ok(d) => (Some(d), None),
        Err(e) => (None, Some(e)),
    };
    let (redis, redis_error) = match redis {
        None => (None, None),
        Some(Ok(r)) => (Some(r), None),
        Some(Err(e)) => (None, Some(e)),
    };
    Ok(Overview {
        profile: name,
        can_migrate: profile.actor().may(Permission::Migrate),
        database,
        database_error,
        redis,
        redis_error,
    })
}

/// Applies pending migrations as a job: returns its id at once, reports each step on
/// `on_event`, stops before the next step when cancelled.
#[tauri::command]
pub(crate) async fn apply_migrations(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    on_event: Channel<JobEvent>,
) -> Result<String, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let pending = schema::pending(&server, profile.actor()).await?.len() as u32;
    let running = state.workspace.jobs().start_new("migrate");
    let job = running.id().to_owned();
    let cancel = running.token();
    let _ = on_event.send(JobEvent::Started { total: pending });
    tauri::async_runtime::spawn(async move {
        let done = std::sync::atomic::AtomicU32::new(0);
        let events = on_event.clone();
        let result = schema::migrate_with_progress(
            &server,
            profile.actor(),
            &|m| {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let _ = events.send(JobEvent::Step {
                    done: n,
                    total: pending,
                    label: crate::wire::step_label(m),
                });
            },
            &cancel,
        )
        .await;
        let _ = match result {
            Ok(applied) => on_event.send(JobEvent::Finished {
                done: applied.len() as u32,
            }),
            Err(e) => on_event.send(JobEvent::Failed {
                error: UiError::from(e),
            }),
        };
        drop(running);
    });
    Ok(job)
}

#[tauri::command]
pub(crate) async fn cancel_job(state: State<'_, AppState>, job: String) -> Result<bool, UiError> {
    Ok(state.workspace.jobs().cancel(&job))
}
