//! The shared review queue: claiming the next conversation, the claim on an opened one (and
//! who else holds it), leases renewed while a conversation is open, QA samples kept as named
//! queues, and the reviewers' dashboard.

use crate::prelude::*;
use crate::wire::ClaimState;
use chrono::NaiveDate;
use mindpal_core::conversations::agreement::{self, ReviewerDashboard};
use mindpal_core::conversations::queue::{self, Claim, ClaimEnd, DEFAULT_LEASE, QueueSource};
use mindpal_core::conversations::sample::{self, QueueSummary, SampleReport, SampleSpec};

/// Who this window reviews as: the operating-system account at the profile's name, the same
/// name the CLI uses, so one person's claims and reviews are theirs in both.
pub(crate) fn reviewer_of(profile: &Profile) -> String {
    format!("{}@{}", mindpal_core::audit::operator(), profile.name)
}

#[tauri::command]
pub(crate) async fn reviewer_name(app: AppHandle, name: String) -> Result<String, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    Ok(reviewer_of(&profile))
}

/// Claims the next conversation of `source` for this reviewer; `None` when nothing is left.
#[tauri::command]
pub(crate) async fn queue_next(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    source: QueueSource,
) -> Result<Option<Claim>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let reviewer = reviewer_of(&profile);
    let claim = queue::next(&server, profile.actor(), &reviewer, &source, DEFAULT_LEASE).await;
    forgetting(&state, &name, claim).await
}

/// A conversation opened by hand: claimed for this reviewer when nobody else holds it, else
/// whose claim it is. Profiles that cannot review only learn who holds it.
#[tauri::command]
pub(crate) async fn queue_open(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
) -> Result<ClaimState, UiError> {
    let id = id.get();
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let opened = open_claim(&server, &profile, id).await;
    forgetting(&state, &name, opened).await
}

async fn open_claim(server: &MysqlServer, profile: &Profile, id: i64) -> Result<ClaimState, Error> {
    let reviewer = reviewer_of(profile);
    let actor = profile.actor();
    let theirs = queue::holder(server, id)
        .await?
        .filter(|c| c.reviewer != reviewer);
    if theirs.is_some() || !actor.may(Permission::Review) {
        return Ok(ClaimState {
            mine: None,
            held_by: theirs,
        });
    }
    match queue::claim(server, actor, &reviewer, id, DEFAULT_LEASE).await {
        Ok(mine) => Ok(ClaimState {
            mine: Some(mine),
            held_by: None,
        }),
        // Someone claimed it between the two reads: theirs it is.
        Err(Error::Conflict(_)) => Ok(ClaimState {
            mine: None,
            held_by: queue::holder(server, id).await?,
        }),
        Err(e) => Err(e),
    }
}

/// Ends this reviewer's claim: skipped (not offered to them again) or released (closed).
#[tauri::command]
pub(crate) async fn queue_release(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    id: Id,
    end: ClaimEnd,
) -> Result<bool, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let reviewer = reviewer_of(&profile);
    let ended = queue::release(&server, profile.actor(), &reviewer, id.get(), end).await;
    forgetting(&state, &name, ended).await
}

/// The named queues (QA samples), newest first, with how many conversations are done.
#[tauri::command]
pub(crate) async fn review_queues(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<QueueSummary>, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let queues = read_within(&server, READ_DEADLINE, sample::queues(&server)).await;
    forgetting(&state, &name, queues).await
}

/// Draws a QA sample and keeps it as the named queue `queue` (recorded in operation_logs).
#[tauri::command]
pub(crate) async fn sample_for_qa(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    queue: String,
    spec: SampleSpec,
) -> Result<SampleReport, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let reviewer = reviewer_of(&profile);
    let made = sample::create(&server, profile.actor(), &reviewer, &queue, &spec).await;
    forgetting(&state, &name, made).await
}

/// Reviews per reviewer and day, and the agreement of each pair; support profiles get their
/// own figures only.
#[tauri::command]
pub(crate) async fn reviewer_dashboard(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ReviewerDashboard, UiError> {
    let profile = profile_with_passwords(&app, &name).await?;
    let server = pool(&state, &profile).await?;
    let own = reviewer_of(&profile);
    let board = read_within(
        &server,
        READ_DEADLINE,
        agreement::dashboard(&server, profile.actor(), &own, None, from, to),
    )
    .await;
    forgetting(&state, &name, board).await
}
