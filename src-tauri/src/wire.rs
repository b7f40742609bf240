//! The types the UI receives or sends that the core does not already describe: camelCase,
//! no secrets. TypeScript declarations are generated into `ui/src/bindings/` (`make bindings`).

use mindpal_core::access::Permission;
use mindpal_core::overview::{DatabaseOverview, RedisOverview};
use mindpal_core::profiles::secrets::TypedPasswords;
use mindpal_core::profiles::{self, FieldError, Profile, ServerSummary};
use mindpal_core::schema::MigrationState;
use mindpal_core::{Error, ErrorKind};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every command error crosses as `{ kind, message }`, with field problems for forms.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UiError {
    pub kind: ErrorKind,
    pub message: String,
    /// Problems with single fields of a form (empty for other errors).
    pub fields: Vec<FieldError>,
    /// The `SHA256:…` of a host key an SSH hop offered that no known-hosts file holds:
    /// the window offers to trust exactly this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_key: Option<String>,
}

impl From<Error> for UiError {
    fn from(e: Error) -> Self {
        // What the user typed (a search, an id) may be personal data: those errors are
        // logged by kind only. No error names a password.
        match e.kind() {
            ErrorKind::InvalidInput | ErrorKind::NotFound => {
                tracing::info!(kind = ?e.kind(), "refused")
            }
            kind => tracing::warn!(?kind, "{e}"),
        }
        UiError {
            kind: e.kind(),
            message: e.to_string(),
            fields: Vec::new(),
            host_key: match &e {
                Error::HostKeyUnknown { fingerprint, .. } => Some(fingerprint.clone()),
                _ => None,
            },
        }
    }
}

impl UiError {
    pub fn fields(fields: Vec<FieldError>) -> Self {
        UiError {
            kind: ErrorKind::InvalidInput,
            message: "Some fields need attention.".into(),
            fields,
            host_key: None,
        }
    }
}

/// A profile as the window shows it: what it names, and what the core's access rules let it
/// do, so the window offers only what works.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProfileView {
    #[serde(flatten)]
    pub profile: Profile,
    pub permissions: Vec<Permission>,
}

impl From<Profile> for ProfileView {
    fn from(profile: Profile) -> Self {
        let permissions = profile.actor().permissions();
        ProfileView {
            profile,
            permissions,
        }
    }
}

#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProfileInput {
    pub profile: Profile,
    /// The name the profile had before this edit, when it is an edit.
    pub original_name: Option<String>,
    #[serde(default)]
    pub passwords: TypedPasswords,
    /// Keep the passwords in memory for this session instead of the keyring.
    #[serde(default)]
    pub session_only: bool,
}

/// One server of a profile as the connection test saw it.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ServerCheck {
    pub role: String,
    pub address: String,
    pub summary: Option<ServerSummary>,
    pub error: Option<UiError>,
}

impl From<profiles::ServerCheck> for ServerCheck {
    fn from(c: profiles::ServerCheck) -> Self {
        let (summary, error) = match c.outcome {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(UiError::from(e))),
        };
        ServerCheck {
            role: c.role,
            address: c.address,
            summary,
            error,
        }
    }
}

/// The overview: each part on its own, so one server down still shows the others.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Overview {
    pub profile: String,
    pub can_migrate: bool,
    pub database: Option<DatabaseOverview>,
    pub database_error: Option<UiError>,
    pub redis: Option<RedisOverview>,
    pub redis_error: Option<UiError>,
}

/// Progress of a long job, sent over its channel.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "event", rename_all = "camelCase")]
#[ts(export)]
pub enum JobEvent {
    Started {
        total: u32,
    },
    Step {
        done: u32,
        total: u32,
        label: String,
    },
    Finished {
        done: u32,
    },
    Failed {
        error: UiError,
    },
}

impl JobEvent {
    /// The last event of a job whose result the command still returns: finished, or failed
    /// with the error's kind and words.
    pub fn ended<T>(result: &Result<T, Error>, done: u32) -> JobEvent {
        match result {
            Ok(_) => JobEvent::Finished { done },
            Err(e) => JobEvent::Failed {
                error: UiError {
                    kind: e.kind(),
                    message: e.to_string(),
                    fields: Vec::new(),
                    host_key: None,
                },
            },
        }
    }
}

pub fn step_label(m: &MigrationState) -> String {
    format!("{:04} {}", m.version, m.description)
}

/// The claim on an opened conversation: this reviewer's, or someone else's ("li is
/// reviewing this, 4 min left"), or neither (nobody holds it and this profile cannot review).
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClaimState {
    pub mine: Option<mindpal_core::conversations::queue::Claim>,
    pub held_by: Option<mindpal_core::conversations::queue::Claim>,
}

#[cfg(test)]
mod tests {
    use mindpal_core::conversations::export::ExportFormat;
    use mindpal_core::conversations::review::{Review, ReviewInput};
    use mindpal_core::conversations::{
        ConversationDetail, ConversationRow, ConversationSearch, ThreadAnchor, ThreadPage,
    };
    use mindpal_core::directory::actions::{ActionOutcome, DigitalHumanAction, UserAction};
    use mindpal_core::directory::cache::TokenScan;
    use mindpal_core::directory::digital_humans::{
        DigitalHumanDetail, DigitalHumanRow, DigitalHumanSearch, KnowledgeRow, KnowledgeSearch,
    };
    use mindpal_core::directory::users::{UserDetail, UserRow, UserSearch};
    use mindpal_core::keyset::Page;
    use ts_rs::{Config, TS};

    /// The core's directory types the commands send and receive (the core derives them;
    /// nothing in this crate names them in an exported type, so they are exported here).
    #[test]
    fn export_bindings_directory() {
        let cfg = Config::from_env();
        Page::<UserRow>::export_all(&cfg).unwrap();
        Page::<DigitalHumanRow>::export_all(&cfg).unwrap();
        Page::<KnowledgeRow>::export_all(&cfg).unwrap();
        UserSearch::export_all(&cfg).unwrap();
        UserDetail::export_all(&cfg).unwrap();
        TokenScan::export_all(&cfg).unwrap();
        ActionOutcome::export_all(&cfg).unwrap();
        UserAction::export_all(&cfg).unwrap();
        DigitalHumanAction::export_all(&cfg).unwrap();
        DigitalHumanSearch::export_all(&cfg).unwrap();
        DigitalHumanDetail::export_all(&cfg).unwrap();
        KnowledgeSearch::export_all(&cfg).unwrap();
        Page::<ConversationRow>::export_all(&cfg).unwrap();
        ConversationSearch::export_all(&cfg).unwrap();
        ConversationDetail::export_all(&cfg).unwrap();
        ThreadAnchor::export_all(&cfg).unwrap();
        ThreadPage::export_all(&cfg).unwrap();
        Review::export_all(&cfg).unwrap();
        ReviewInput::export_all(&cfg).unwrap();
        ExportFormat::export_all(&cfg).unwrap();
    }

    /// The EXPLAIN workbench's and the index report's types.
    #[test]
    fn export_bindings_explain() {
        use mindpal_core::explain::hot::HotQuery;
        use mindpal_core::explain::{ExplainOptions, ExplainReport, HealthReport, SchemaNames};
        use mindpal_core::indexes::IndexReport;
        let cfg = Config::from_env();
        ExplainOptions::export_all(&cfg).unwrap();
        ExplainReport::export_all(&cfg).unwrap();
        HealthReport::export_all(&cfg).unwrap();
        HotQuery::export_all(&cfg).unwrap();
        SchemaNames::export_all(&cfg).unwrap();
        IndexReport::export_all(&cfg).unwrap();
        mindpal_core::explain::trial::TrialOptions::export_all(&cfg).unwrap();
        mindpal_core::explain::trial::TrialReport::export_all(&cfg).unwrap();
    }

    /// The Replication screen's types.
    #[test]
    fn export_bindings_replication() {
        use mindpal_core::replication::{HeartbeatTable, ReplicationReport, Thresholds};
        let cfg = Config::from_env();
        ReplicationReport::export_all(&cfg).unwrap();
        Thresholds::export_all(&cfg).unwrap();
        HeartbeatTable::export_all(&cfg).unwrap();
    }

    /// The Backup screen's types.
    #[test]
    fn export_bindings_backup() {
        use mindpal_core::backup::catalog::VerifyReport;
        use mindpal_core::backup::redis::{Persistence, Trigger};
        use mindpal_core::backup::{
            BackupEntry, BackupOutcome, BackupProgress, PruneReport, RestoreOptions, RestoreReport,
        };
        let cfg = Config::from_env();
        BackupProgress::export_all(&cfg).unwrap();
        BackupOutcome::export_all(&cfg).unwrap();
        BackupEntry::export_all(&cfg).unwrap();
        VerifyReport::export_all(&cfg).unwrap();
        PruneReport::export_all(&cfg).unwrap();
        RestoreOptions::export_all(&cfg).unwrap();
        RestoreReport::export_all(&cfg).unwrap();
        mindpal_core::backup::pitr::RestorableWindow::export_all(&cfg).unwrap();
        Persistence::export_all(&cfg).unwrap();
        Trigger::export_all(&cfg).unwrap();
    }

    #[test]
    fn export_bindings_monitor() {
        use mindpal_core::cache::analyze::MemoryAnalysis;
        use mindpal_core::cache::value::{KeyRequest, KeyView};
        use mindpal_core::cache::{KeyChange, ScanPage, ScanRequest};
        use mindpal_core::monitor::advisor::Advice;
        use mindpal_core::monitor::redis::RedisStatus;
        use mindpal_core::monitor::sessions::Killed;
        use mindpal_core::monitor::{
            Dashboard, KillMode, SessionFilter, SessionsReport, TopReport,
        };
        let cfg = Config::from_env();
        Dashboard::export_all(&cfg).unwrap();
        SessionFilter::export_all(&cfg).unwrap();
        SessionsReport::export_all(&cfg).unwrap();
        KillMode::export_all(&cfg).unwrap();
        Killed::export_all(&cfg).unwrap();
        TopReport::export_all(&cfg).unwrap();
        Advice::export_all(&cfg).unwrap();
        RedisStatus::export_all(&cfg).unwrap();
        ScanRequest::export_all(&cfg).unwrap();
        ScanPage::export_all(&cfg).unwrap();
        KeyRequest::export_all(&cfg).unwrap();
        KeyView::export_all(&cfg).unwrap();
        KeyChange::export_all(&cfg).unwrap();
        MemoryAnalysis::export_all(&cfg).unwrap();
    }

    #[test]
    fn export_bindings_fleet() {
        use mindpal_core::audit::trail::{AuditRow, AuditSearch};
        use mindpal_core::fleet::FleetEntry;
        let cfg = Config::from_env();
        FleetEntry::export_all(&cfg).unwrap();
        Page::<AuditRow>::export_all(&cfg).unwrap();
        AuditSearch::export_all(&cfg).unwrap();
    }

    #[test]
    fn export_bindings_queue() {
        use mindpal_core::conversations::agreement::ReviewerDashboard;
        use mindpal_core::conversations::queue::{ClaimEnd, QueueSource};
        use mindpal_core::conversations::sample::{QueueSummary, SampleReport, SampleSpec};
        let cfg = Config::from_env();
        super::ClaimState::export_all(&cfg).unwrap();
        QueueSource::export_all(&cfg).unwrap();
        ClaimEnd::export_all(&cfg).unwrap();
        QueueSummary::export_all(&cfg).unwrap();
        SampleSpec::export_all(&cfg).unwrap();
        SampleReport::export_all(&cfg).unwrap();
        ReviewerDashboard::export_all(&cfg).unwrap();
    }
}

/// A profile's SSH tunnel in this session: the way through, and whether it is open.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TunnelView {
    /// `via user@jump host a:22 → user@bastion b:22`.
    pub path: String,
    pub state: mindpal_core::ssh::TunnelState,
}
