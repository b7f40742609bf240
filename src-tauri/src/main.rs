//! The desktop shell: this file only builds the app. The commands live in `commands/`, one file
//! per screen; each takes the profile's session (`state`, `sessions`), makes one core call and
//! returns its result. Profiles live in the tauri-plugin-store file the CLI also reads;
//! passwords in the OS keyring, or in this process's memory when the user asks for that.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod prelude;
mod state;
#[cfg(test)]
mod typescript;
mod wire;

use state::AppState;

/// Logs to a file in the app's log folder, rotated by size while the app runs; stderr when
/// the folder cannot be written (the app works either way).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| mindpal_core::logs::FILTER.into());
    let file = mindpal_core::logs::default_dir()
        .and_then(|dir| mindpal_core::logs::RotatingFile::open(&dir));
    match file {
        Ok(file) => tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(filter)
            .with_writer(std::sync::Mutex::new(file))
            .init(),
        Err(e) => {
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .init();
            tracing::warn!("logging to stderr: {e}");
        }
    }
    tracing::info!("{} started", mindpal_core::audit::USER_AGENT);
}

fn main() {
    init_logging();
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .setup(|app| {
            use tauri::Manager;
            app.manage(AppState::new(app.handle()));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::profiles::list_profiles,
            commands::profiles::save_profile,
            commands::profiles::delete_profile,
            commands::profiles::sandbox_offer,
            commands::profiles::keyring_status,
            commands::profiles::test_profile,
            commands::profiles::accept_host_key,
            commands::profiles::tunnel_state,
            commands::overview::load_overview,
            commands::fleet::check_fleet_profile,
            commands::audit::find_audit,
            commands::audit::export_audit,
            commands::diagnostics::log_folder,
            commands::diagnostics::open_log_folder,
            commands::diagnostics::save_diagnostics,
            commands::overview::apply_migrations,
            commands::overview::cancel_job,
            commands::directory::find_users,
            commands::directory::show_user,
            commands::directory::find_user_tokens,
            commands::directory::user_action,
            commands::directory::invalidate_user_cache,
            commands::directory::find_digital_humans,
            commands::directory::show_digital_human,
            commands::directory::find_knowledge,
            commands::directory::digital_human_action,
            commands::conversations::find_conversations,
            commands::conversations::count_conversations,
            commands::conversations::show_conversation,
            commands::conversations::conversation_thread,
            commands::conversations::find_in_thread,
            commands::conversations::review_conversation,
            commands::conversations::export_conversation,
            commands::queue::reviewer_name,
            commands::queue::queue_next,
            commands::queue::queue_open,
            commands::queue::queue_release,
            commands::queue::review_queues,
            commands::queue::sample_for_qa,
            commands::queue::reviewer_dashboard,
            commands::explain::explain_statement,
            commands::explain::try_index,
            commands::explain::explain_plan,
            commands::explain::hot_queries,
            commands::explain::schema_health,
            commands::explain::schema_names,
            commands::explain::list_databases,
            commands::explain::index_report,
            commands::replication::replication_status,
            commands::replication::create_heartbeat,
            commands::replication::beat_heartbeat,
            commands::backup::backup_folder,
            commands::backup::start_backup,
            commands::backup::list_backups,
            commands::backup::verify_backup,
            commands::backup::prune_backups,
            commands::backup::backup_window,
            commands::backup::restore_backup,
            commands::backup::redis_persistence,
            commands::backup::redis_persist,
            commands::monitor::monitor_dashboard,
            commands::monitor::monitor_sessions,
            commands::monitor::monitor_kill,
            commands::monitor::monitor_top,
            commands::monitor::monitor_advice,
            commands::cache::redis_status,
            commands::cache::cache_scan,
            commands::cache::cache_get,
            commands::cache::cache_change,
            commands::cache::cache_analyze,
        ])
        .run(tauri::generate_context!())
        .expect("the MindPal Admin window opens");
}
