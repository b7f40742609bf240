//! What every command file uses: the core's types, the shell's state and its wire types.

pub(crate) use crate::state::*;
pub(crate) use crate::wire::{
    JobEvent, Overview, ProfileInput, ProfileView, ServerCheck, TunnelView, UiError,
};
pub(crate) use mindpal_core::access::Permission;
pub(crate) use mindpal_core::audit::trail::{self, AuditRow, AuditSearch};
pub(crate) use mindpal_core::backup::catalog::VerifyReport;
pub(crate) use mindpal_core::backup::pitr::RestorableWindow;
pub(crate) use mindpal_core::backup::redis::{Persistence, Trigger};
pub(crate) use mindpal_core::backup::{
    self, BackupEntry, BackupOptions, BackupOutcome, BackupProgress, PruneReport, RestoreOptions,
    RestoreReport,
};
pub(crate) use mindpal_core::cache::analyze::MemoryAnalysis;
pub(crate) use mindpal_core::cache::value::{KeyRequest, KeyView};
pub(crate) use mindpal_core::cache::{
    self as redis_cache, KeyChange, Nodes, ScanPage, ScanRequest,
};
pub(crate) use mindpal_core::conversations::export::{self, ExportFormat};
pub(crate) use mindpal_core::conversations::review::{self, Review, ReviewInput};
pub(crate) use mindpal_core::conversations::{
    self, ConversationDetail, ConversationRow, ConversationSearch, ThreadAnchor, ThreadPage,
};
pub(crate) use mindpal_core::directory::actions::{
    self, ActionOutcome, DigitalHumanAction, UserAction,
};
pub(crate) use mindpal_core::directory::cache::{self, TokenScan};
pub(crate) use mindpal_core::directory::digital_humans::{
    self, DigitalHumanDetail, DigitalHumanRow, DigitalHumanSearch, KnowledgeRow, KnowledgeSearch,
};
pub(crate) use mindpal_core::directory::users::{self, UserDetail, UserRow, UserSearch};
pub(crate) use mindpal_core::explain::hot::HotQuery;
pub(crate) use mindpal_core::explain::lint::SuggestedIndex;
pub(crate) use mindpal_core::explain::trial::{self, TrialOptions, TrialReport};
pub(crate) use mindpal_core::explain::{
    self, ExplainOptions, ExplainReport, HealthReport, SchemaNames,
};
pub(crate) use mindpal_core::fleet::{self, FleetEntry};
pub(crate) use mindpal_core::indexes::{self, IndexReport};
pub(crate) use mindpal_core::keyset::{Page, Total};
pub(crate) use mindpal_core::monitor::advisor::{self, Advice};
pub(crate) use mindpal_core::monitor::redis::RedisStatus;
pub(crate) use mindpal_core::monitor::sessions::Killed;
pub(crate) use mindpal_core::monitor::{
    self, Dashboard, KillMode, SessionFilter, SessionsReport, TopReport,
};
pub(crate) use mindpal_core::mysql::{
    DEFAULT_CONNECT_TIMEOUT, MysqlServer, READ_DEADLINE, read_within,
};
pub(crate) use mindpal_core::profiles::{self, Profile, STORE_FILE};
pub(crate) use mindpal_core::redis::RedisServer;
pub(crate) use mindpal_core::replication::{self, HeartbeatTable, ReplicationReport, Thresholds};
pub(crate) use mindpal_core::wire::Id;
pub(crate) use mindpal_core::workspace::Saved;
pub(crate) use mindpal_core::{Error, ErrorKind, overview, sandbox, schema};
pub(crate) use tauri::Manager;
pub(crate) use tauri::ipc::Channel;
pub(crate) use tauri::{AppHandle, State};
pub(crate) use tauri_plugin_store::StoreExt;
