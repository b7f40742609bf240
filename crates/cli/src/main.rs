//! `mindpal-admin`: the MindPal Admin console from a terminal and cron.

// First, so that its `say!` is in scope in the modules after it.
#[macro_use]
mod output;
mod audit;
mod backup;
mod cache;
mod context;
mod conversations;
mod directory;
mod explain;
mod monitor;
mod queue;
mod replication;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mindpal_core::access::Role;
use mindpal_core::mysql::MysqlServer;
use mindpal_core::profiles;
use mindpal_core::{Error, ErrorKind, sandbox, schema, seed};

use context::*;
use output::Out;

const AFTER_HELP: &str = "\
Servers come from, in this order: --mysql/--redis URLs, --profile NAME (profiles are shared with
the desktop app; `sandbox up` registers one named `sandbox`), then MINDPAL_MYSQL_URL and
MINDPAL_REDIS_URL. URLs look like mysql://user:password@127.0.0.1:3306/mindpal and
redis://127.0.0.1:6379/0. Passwords are never printed.

Exit codes: 0 success; 1 failure; 2 wrong usage (unknown option or value, out of range,
malformed id or URL, unknown profile, missing --yes); 3 a server cannot be reached (refused,
unknown host, timeout, a bastion or a server behind it); 4 authentication, privilege or the
console's access rules refused, or an SSH host key not known (accept it once with
--accept-host-key) or changed (always refused); 5 `schema diff` found differences, or a backup is damaged; 6 the data is not as the command
expects: the row changed since you read it, it is already in the state asked for, or a seed's
tables already hold rows (nothing written); 7 refused before anything was done (the EXPLAIN guard refused the statement,
a restore target that exists, is a system schema or the live database, a large keyspace without
--yes); 130 cancelled with Ctrl-C. With --json, errors are also a JSON object on stdout.
`replication status` exits 0 healthy, 1 degraded (lagging, or cannot tell), 2 broken or
unreachable, for monitoring scripts; `status` likewise 0 all well, 1 a warning, 2 an alarm
somewhere. `backup verify` and `backup restore` exit 5 when a file is
damaged or a restored table differs from the backup. `monitor advise` exits 5 when a setting
differs from the platform's recommendation. `conversations queue next` exits 8 when nothing is
left to claim.

Support profiles see phone, email and IP masked and may not seed, migrate, back up, restore,
KILL or browse the cache; read-only profiles change nothing. `--role support` shows what a
support profile sees and may do. `seed --reset` and `backup restore --replace` need --yes.

Try it:
  mindpal-admin sandbox up                 # a local primary+replica, Redis+replica+Sentinel, demo data
  mindpal-admin status --all               # every profile at once, worst first; exit 0/1/2
  mindpal-admin --profile sandbox audit --action user. --from 2026-12-01   # who changed users
  mindpal-admin --profile sandbox ping
  mindpal-admin --profile sandbox schema diff
  mindpal-admin --profile sandbox users find --query 13
  mindpal-admin --profile sandbox --role support users show 42
  mindpal-admin --profile sandbox conversations find --emotion angry --unreviewed
  mindpal-admin --profile sandbox conversations queue next --emotion angry --reviewer li --json
  mindpal-admin --profile sandbox conversations sample --per-dh 2 --seed 7 --name qa-week --double
  mindpal-admin --profile sandbox explain \"SELECT id FROM conversations WHERE DATE(created_at) = '2026-11-11'\"
  mindpal-admin --profile sandbox explain --health
  mindpal-admin explain --plan plan-from-production.json
  mindpal-admin --profile sandbox indexes
  mindpal-admin --profile sandbox replication status --watch
  mindpal-admin --profile sandbox backup run --out ~/mindpal-backups    # nightly, from cron
  mindpal-admin backup list ~/mindpal-backups
  mindpal-admin --profile sandbox backup restore ~/mindpal-backups/mindpal-20261202T020000Z --into mindpal_check
  mindpal-admin backup prune ~/mindpal-backups --keep-days 7
  mindpal-admin --profile sandbox monitor status --watch
  mindpal-admin --profile sandbox monitor sessions --active --long-after 60
  mindpal-admin --profile sandbox monitor top --limit 10
  mindpal-admin --profile sandbox monitor kill 1234 --yes     # KILL QUERY; --connection for KILL
  mindpal-admin --profile sandbox cache scan 'user:*' --limit 50
  mindpal-admin --profile sandbox cache get leaderboard:today
  mindpal-admin --profile sandbox cache analyze --sample 20000
  mindpal-admin --mysql mysql://root@127.0.0.1/mindpal seed --scale 1";

#[derive(Debug, Parser)]
#[command(name = "mindpal-admin", version, about = "MindPal Admin: look after the MindPal platform's MySQL/MariaDB and Redis.", after_help = AFTER_HELP)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes, listed apart from a command's own.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
struct Global {
    /// Use the servers of this saved connection profile.
    #[arg(long, global = true, value_name = "NAME")]
    profile: Option<String>,
    /// MySQL/MariaDB URL (overrides the profile and MINDPAL_MYSQL_URL).
    #[arg(long, global = true, value_name = "URL")]
    mysql: Option<String>,
    /// Redis URL (overrides the profile and MINDPAL_REDIS_URL); rediss:// for TLS.
    #[arg(long, global = true, value_name = "URL")]
    redis: Option<String>,
    /// A Redis Cluster by its seed nodes (overrides the profile's Redis): every master is
    /// found from them and keys go to the master of their slot. Takes --redis-ca and --ssh.
    /// With `sandbox up` and no URL: also run the sandbox's own cluster (three masters, each
    /// with a replica, seeded, on the six ports after the bastion's); its profile uses it.
    #[arg(long, global = true, value_name = "URL,URL,…", num_args = 0..=1, conflicts_with = "redis")]
    redis_cluster: Option<Option<String>>,
    /// The CA file that signed the Redis server's certificate (with rediss://; default: the
    /// system's trusted CAs). MySQL takes its own in the URL: ?ssl-mode=verify-ca&ssl-ca=FILE.
    #[arg(long, global = true, value_name = "FILE")]
    redis_ca: Option<PathBuf>,
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Log what the console does to stderr: -v its steps, -vv with detail (RUST_LOG, when set,
    /// chooses instead). Statements and passwords are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Act as this role: `support` sees PII masked, is refused changes, backups, KILL and the
    /// cache; `lead` is support that sees every reviewer's figures. Never raises a profile.
    #[arg(long, global = true, value_name = "operator|lead|support", value_parser = parse_role)]
    role: Option<Role>,
    /// Seconds to wait for a server to answer before giving up.
    #[arg(long, global = true, default_value_t = 5, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    connect_timeout: u64,
    /// The profile store file (default: the desktop app's, under your data directory).
    #[arg(
        long,
        global = true,
        env = "MINDPAL_PROFILES",
        value_name = "FILE",
        hide_env = true
    )]
    profiles_file: Option<PathBuf>,
    /// Reach every server through this SSH bastion: `USER@HOST[:PORT]` or a ~/.ssh/config
    /// alias (its HostName, Port, User, IdentityFile, IdentityAgent and ProxyJump apply).
    /// Overrides the profile's bastion.
    #[arg(
        long,
        global = true,
        value_name = "BASTION",
        help_heading = "SSH bastion"
    )]
    ssh: Option<String>,
    /// The private key for the bastion (default: the config's IdentityFile, else
    /// ~/.ssh/id_ed25519, id_ecdsa, id_rsa). A passphrase comes from the profile's keyring
    /// entry or MINDPAL_SSH_SECRET, never from the command line.
    #[arg(long, global = true, value_name = "FILE", help_heading = "SSH bastion")]
    ssh_key: Option<PathBuf>,
    /// How to log in to the bastion: key (a key file, the default), agent (ssh-agent's keys)
    /// or password (from the profile's keyring entry or MINDPAL_SSH_SECRET).
    #[arg(long, global = true, value_name = "key|agent|password", value_parser = parse_ssh_auth, help_heading = "SSH bastion")]
    ssh_auth: Option<mindpal_core::ssh::SshAuth>,
    /// Where accepted host keys are written and read, besides ~/.ssh/known_hosts
    /// (default: the console's own file beside the profiles).
    #[arg(long, global = true, value_name = "FILE", help_heading = "SSH bastion")]
    ssh_known_hosts: Option<PathBuf>,
    /// Accept this host key for a hop the known-hosts files do not know yet (as printed by
    /// the error that exited 4); it is recorded and never asked again. A changed key is
    /// always refused.
    #[arg(
        long,
        global = true,
        value_name = "SHA256:…",
        help_heading = "SSH bastion"
    )]
    accept_host_key: Option<String>,
}

fn parse_ssh_auth(raw: &str) -> Result<mindpal_core::ssh::SshAuth, String> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .map_err(|_| "expected key, agent or password".to_owned())
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Is anything wrong anywhere? Every profile (--all) checked at once, each within its own
    /// time limit: primary, replication and worst lag, Redis memory and hit rate, QPS, the
    /// newest backup's age, schema drift, and what is wrong in words, worst first. Exit code:
    /// 0 all well, 1 a warning, 2 an alarm somewhere (for cron and alerting).
    Status(status::StatusArgs),
    /// The audit trail: every change the console recorded in operation_logs, newest first,
    /// filtered by operator, action prefix, resource, client host and days; before/after of
    /// each changed field; --export csv|json for every matching row. Support sees reviews and
    /// exports only, masked.
    Audit(audit::AuditArgs),
    /// What to send when something goes wrong: versions, the system and its WebKit/GPU
    /// settings, the keyring, the profiles without secrets, and the end of the app's log.
    Diagnostics,
    /// Connect to the servers and show what they are: flavour, version, role, latency.
    Ping,
    /// Apply the pending MindPal migrations (schema/) to the database.
    Migrate,
    /// Compare the live database with schema/, or list the migrations it has applied.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Fill an empty MindPal database (and Redis) with realistic, deterministic data.
    Seed(SeedArgs),
    /// A local MindPal platform on loopback ports: MariaDB primary+replica, Redis+replica, Sentinel.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// List the saved connection profiles.
    Profiles,
    /// Find users among millions, show one with their Redis entries, disable/restore them.
    #[command(subcommand)]
    Users(directory::UsersCommand),
    /// Find digital humans, show one, search their knowledge base.
    #[command(subcommand, name = "dh")]
    Dh(directory::DhCommand),
    /// Find the conversations that need a human, read them, review and export them.
    #[command(subcommand)]
    Conversations(conversations::ConversationsCommand),
    /// See why a query is slow: its plan as a tree, lint with rewrites and index DDL.
    /// Statements are parsed and guarded first; nothing is written, but for --try-index's
    /// scratch copy, dropped after.
    Explain(explain::ExplainArgs),
    /// Redundant, unused and missing indexes of the live database, each with the DDL that fixes it.
    Indexes(explain::IndexesArgs),
    /// Every replica's threads, errors and true lag; Redis links and Sentinel's view.
    #[command(subcommand)]
    Replication(replication::ReplicationCommand),
    /// Consistent, parallel, verified backups and restores; their catalog and retention;
    /// Redis BGSAVE / BGREWRITEAOF.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Load, sessions, long transactions, lock waits, costliest statements, settings
    /// advice, Redis health; KILL for operators.
    #[command(subcommand)]
    Monitor(monitor::MonitorCommand),
    /// Browse Redis keys with SCAN (never KEYS) under a cost guard, open one, analyse memory
    /// by key shape; delete or expire keys (operators; audited).
    #[command(subcommand)]
    Cache(cache::CacheCommand),
}

fn parse_role(s: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| "expected operator, lead or support".into())
}

#[derive(Debug, Subcommand)]
enum SchemaCommand {
    /// Columns and indexes that differ between the live database and schema/, table by table.
    Diff,
    /// Which migrations of schema/ the database has applied.
    Status,
}

#[derive(Debug, Args)]
struct SeedArgs {
    /// Size: 1 is ~100k users, 200k digital humans, 300k conversations, 3M messages (~1.2 GB).
    #[arg(long, default_value_t = 0.01)]
    scale: f64,
    /// The same seed always makes the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Empty the MindPal tables first (written to operation_logs; needs --yes).
    #[arg(long)]
    reset: bool,
    /// Confirm --reset: every row of the MindPal tables is deleted.
    #[arg(long)]
    yes: bool,
    /// Parallel insert connections (1–16).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=16))]
    writers: u64,
    /// Do not write the Redis keys, only the database.
    #[arg(long)]
    no_redis: bool,
    /// Write the rows as LOAD DATA files into DIR instead of a database (used by `make bench`).
    #[arg(long, value_name = "DIR", hide = true)]
    tsv: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct SandboxDir {
    /// The sandbox's folder (default: <data dir>/mindpal-admin/sandbox).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum SandboxCommand {
    /// Start the sandbox (or what of it is stopped), apply the schema, seed demo data.
    Up {
        #[command(flatten)]
        dir: SandboxDir,
        /// First of five consecutive loopback ports: primary, replica, Redis, Redis replica, Sentinel.
        #[arg(long, value_name = "PORT")]
        port_base: Option<u16>,
        /// Demo data scale for an empty sandbox.
        #[arg(long, default_value_t = 0.01)]
        scale: f64,
        /// Leave the sandbox's database empty.
        #[arg(long)]
        no_seed: bool,
        /// Also run an SSH bastion (sshd with its own host key and client key in the sandbox
        /// folder) on the sixth port, listening on and forwarding to 127.0.0.1 only; the
        /// `sandbox` profile then reaches every server through it.
        #[arg(long)]
        bastion: bool,
        /// Production-like: a generated password on every account (kept in the OS keyring
        /// under the `sandbox` profile, never printed unless `sandbox status
        /// --show-passwords`), and TLS required by MariaDB and Redis with certificates of the
        /// sandbox's own CA. Chosen when the sandbox is first made; with --bastion, the
        /// profile reaches every server through the bastion, encrypted end to end.
        #[arg(long)]
        secure: bool,
    },
    /// Stop exactly the processes the sandbox started.
    Down {
        #[command(flatten)]
        dir: SandboxDir,
        /// Also delete the sandbox's folder and data.
        #[arg(long)]
        purge: bool,
    },
    /// Tell which sandbox servers run, with their hosts and ports.
    Status {
        #[command(flatten)]
        dir: SandboxDir,
        /// Also print a secure sandbox's passwords (from the keyring).
        #[arg(long)]
        show_passwords: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_exit(e),
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                match cli.global.verbose {
                    0 => "warn,sqlx=off",
                    1 => mindpal_core::logs::FILTER,
                    _ => "debug,sqlx=off,russh=info,hyper=info",
                }
                .into()
            }),
        )
        .init();
    let out = Out::new(cli.global.json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    match runtime.block_on(run(cli, &out)) {
        Ok(code) => code,
        // The reader went away (`… | head`): stop quietly, as `say!` does.
        Err(err) if closed_pipe(&err) => ExitCode::from(141),
        Err(err) => {
            let code = exit_code(&err);
            out.error(&err);
            code
        }
    }
}

/// Help and version print as clap prints them; a wrong command line exits 2, with a JSON
/// error object on stdout too when `--json` was asked for.
fn usage_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind as Clap;
    if matches!(e.kind(), Clap::DisplayHelp | Clap::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if std::env::args().any(|a| a == "--json") {
        let text = e.to_string();
        let message = text.lines().next().unwrap_or_default();
        say!(
            "{}",
            serde_json::json!({ "error": {
                "kind": "usage",
                "message": message.trim_start_matches("error: ")
            } })
        );
    }
    let _ = e.print();
    ExitCode::from(2)
}

/// Exit codes scripts can branch on (listed in --help).
fn exit_code(err: &anyhow::Error) -> ExitCode {
    if err.downcast_ref::<UsageError>().is_some() {
        return ExitCode::from(2);
    }
    match err.downcast_ref::<Error>().map(Error::kind) {
        Some(ErrorKind::Unreachable | ErrorKind::UnknownHost | ErrorKind::Timeout) => {
            ExitCode::from(3)
        }
        Some(
            ErrorKind::AuthFailed
            | ErrorKind::PrivilegeMissing
            | ErrorKind::Forbidden
            | ErrorKind::HostKeyUnknown
            | ErrorKind::HostKeyChanged,
        ) => ExitCode::from(4),
        Some(ErrorKind::Damaged) => ExitCode::from(5),
        Some(ErrorKind::Refused) => ExitCode::from(7),
        Some(ErrorKind::Conflict) => ExitCode::from(6),
        Some(ErrorKind::Cancelled) => ExitCode::from(130),
        _ => ExitCode::from(1),
    }
}

async fn run(cli: Cli, out: &Out) -> anyhow::Result<ExitCode> {
    let g = &cli.global;
    match &cli.command {
        Command::Status(args) => return status::command(g, args, out).await,
        Command::Audit(args) => audit::command(g, args, out).await?,
        Command::Diagnostics => {
            let logs = mindpal_core::logs::default_dir().ok();
            let report =
                mindpal_core::diagnostics::collect("cli", &store_path(g)?, logs.as_deref());
            out.show(&report, || say!("{}", report.text().trim_end()));
        }
        Command::Ping => ping(g, out).await?,
        Command::Migrate => {
            let server = connect_mysql(g).await?;
            let applied = schema::migrate(&server, crate::context::actor(g)?).await?;
            out.migrated(&applied);
        }
        Command::Schema(SchemaCommand::Status) => {
            let server = connect_mysql(g).await?;
            out.schema_status(&schema::status(&server).await?);
        }
        Command::Schema(SchemaCommand::Diff) => {
            let server = connect_mysql(g).await?;
            let diff = schema::diff_live(&server).await?;
            out.schema_diff(&diff);
            if !diff.in_sync {
                return Ok(ExitCode::from(5));
            }
        }
        Command::Seed(args) => seed_command(g, args, out).await?,
        Command::Sandbox(cmd) => sandbox_command(g, cmd, out).await?,
        Command::Profiles => {
            let list = profiles::load(&store_path(g)?)?;
            out.profiles(&list);
        }
        Command::Users(cmd) => directory::users_command(g, cmd, out).await?,
        Command::Dh(cmd) => directory::dh_command(g, cmd, out).await?,
        Command::Conversations(cmd) => return conversations::command(g, cmd, out).await,
        Command::Explain(args) => return explain::explain_command(g, args, out).await,
        Command::Indexes(args) => return explain::indexes_command(g, args, out).await,
        Command::Replication(cmd) => return replication::command(g, cmd, out).await,
        Command::Backup(cmd) => return backup::command(g, cmd, out).await,
        Command::Monitor(cmd) => return monitor::monitor_command(g, cmd, out).await,
        Command::Cache(cmd) => return cache::cache_command(g, cmd, out).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn ping(g: &Global, out: &Out) -> anyhow::Result<()> {
    let mysql = connect_mysql(g).await?;
    let mut replicas = Vec::new();
    let profile = if g.mysql.is_none() { profile(g)? } else { None };
    for replica in profile.iter().flat_map(|p| &p.replicas) {
        replicas.push(
            MysqlServer::connect(replica, timeout(g), 1)
                .await
                .map(|s| s.info)
                .map_err(|e| e.to_string()),
        );
    }
    let redis = connect_redis(g).await?;
    // The console's roles are rails; the account's grants are the wall.
    let (grants, _) = mindpal_core::mysql::grants::capabilities(&mysql).await?;
    let excess = mindpal_core::mysql::grants::excess(&grants, actor(g)?);
    out.ping(
        &mysql.info,
        &replicas,
        redis.as_ref().map(|r| &r.info),
        &excess,
    );
    Ok(())
}

async fn seed_command(g: &Global, args: &SeedArgs, out: &Out) -> anyhow::Result<()> {
    seed::validate_scale(args.scale).map_err(|e| usage(e.to_string()))?;
    if args.reset && !args.yes {
        return Err(usage(
            "--reset deletes every row of the MindPal tables: add --yes to confirm",
        ));
    }
    if let Some(dir) = &args.tsv {
        let started = std::time::Instant::now();
        let tables = seed::write_tsv(args.scale, args.seed, dir)?;
        out.tsv_written(&tables, started.elapsed().as_secs_f64());
        return Ok(());
    }
    let mysql =
        MysqlServer::connect(&mysql_target(g)?, timeout(g), args.writers as u32 + 1).await?;
    let redis = if args.no_redis {
        None
    } else {
        connect_redis(g).await?
    };
    let cancel = cancel_on_ctrl_c();
    let bars = output::SeedBars::new(out.is_json());
    let report = seed::run(
        &mysql,
        crate::context::actor(g)?,
        redis.as_ref(),
        &seed::SeedOptions {
            scale: args.scale,
            seed: args.seed,
            reset: args.reset,
            writers: args.writers as usize,
        },
        &|event| bars.on(event),
        &cancel,
    )
    .await;
    bars.finish();
    out.seeded(&report?, redis.is_some());
    Ok(())
}

async fn sandbox_command(g: &Global, cmd: &SandboxCommand, out: &Out) -> anyhow::Result<()> {
    let dir_of = |d: &SandboxDir| -> anyhow::Result<PathBuf> {
        match &d.dir {
            Some(dir) => Ok(dir.clone()),
            None => Ok(sandbox::default_dir()?),
        }
    };
    match cmd {
        SandboxCommand::Up {
            dir,
            port_base,
            scale,
            no_seed,
            bastion,
            secure,
        } => {
            let dir = dir_of(dir)?;
            // A secure sandbox's passwords come from the keyring, made and kept there first
            // for a new one, before any server starts.
            let credentials = match (*secure, sandbox::is_secure(&dir)?) {
                (_, Some(true)) => Some(sandbox::secure::Credentials::from_keyring()?.ok_or_else(
                    || {
                        anyhow::Error::from(mindpal_core::Error::NotFound(format!(
                            "the secure sandbox in {}: its passwords are not in the keyring; \
                             bring it down with --purge and up again",
                            dir.display()
                        )))
                    },
                )?),
                (true, _) => Some(sandbox::secure::Credentials::from_keyring_or_new()?),
                (false, _) => None,
            };
            let seed_scale = if *no_seed {
                None
            } else {
                Some(seed::validate_scale(*scale)?)
            };
            let spinner = output::Spinner::new(out.is_json());
            let status = sandbox::up(
                &sandbox::UpOptions {
                    dir,
                    base_port: *port_base,
                    seed_scale,
                    profile_store: Some(store_path(g)?),
                    bastion: *bastion,
                    redis_cluster: g.redis_cluster.is_some(),
                    secure: credentials,
                },
                &|step| spinner.step(step),
            )
            .await;
            spinner.finish();
            out.sandbox_status(&status?, None);
        }
        SandboxCommand::Down { dir, purge } => {
            let stopped = sandbox::down(&dir_of(dir)?, *purge).await?;
            out.sandbox_down(&stopped, *purge);
        }
        SandboxCommand::Status {
            dir,
            show_passwords,
        } => {
            let status = sandbox::status(&dir_of(dir)?).await?;
            let passwords = match (*show_passwords, status.is_secure()) {
                (true, true) => sandbox::secure::Credentials::from_keyring()?,
                _ => None,
            };
            out.sandbox_status(&status, passwords.as_ref());
        }
    }
    Ok(())
}
