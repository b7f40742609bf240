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
            if let Err(e) = &loaded {
                state.sessions.after_error(&name, e);
            }
            loaded.map_err(UiError::from)
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
        can_migrate: Actor::of(&profile).may(Permission::Migrate),
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
    Actor::of(&profile).require(Permission::Migrate)?;
    let pending = schema::status(&server)
        .await?
        .into_iter()
        .filter(|m| !m.applied)
        .count() as u32;
    let job = format!(
        "migrate-{}",
        state
            .next_job
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let cancel = CancellationToken::new();
    state
        .jobs
        .lock()
        .expect("jobs lock")
        .insert(job.clone(), cancel.clone());
    let _ = on_event.send(JobEvent::Started { total: pending });
    let state_jobs = app.clone();
    let job_id = job.clone();
    tauri::async_runtime::spawn(async move {
        let done = std::sync::atomic::AtomicU32::new(0);
        let events = on_event.clone();
        let result = schema::migrate_with_progress(
            &server,
            Actor::of(&profile),
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
        let state = state_jobs.state::<AppState>();
        state.jobs.lock().expect("jobs lock").remove(&job_id);
    });
    Ok(job)
}

#[tauri::command]
pub(crate) async fn cancel_job(state: State<'_, AppState>, job: String) -> Result<bool, UiError> {
    Ok(match state.jobs.lock().expect("jobs lock").get(&job) {
        Some(token) => {
            token.cancel();
            true
        }
        None => false,
    })
}
