//! Point-in-time recovery: a backup's snapshot restored into a new database, then the
//! primary's binlog replayed from the snapshot's position up to a moment (or a GTID), only the
//! backed-up database, rewritten into the new one. The binlog is read from the server by
//! `mariadb-binlog --read-from-remote-server` and applied by the `mariadb` client with binary
//! logging off for that session, so the replay neither reaches replicas nor repeats GTIDs.

use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use super::manifest::Manifest;
use super::{BackupProgress, Phase};
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, cell_text, quote_ident};

/// Where a point-in-time restore stops: before the first event at or after a moment, or after
/// a GTID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Until {
    Time(#[cfg_attr(feature = "ts", ts(type = "string"))] DateTime<Utc>),
    Gtid(String),
}

impl Until {
    /// `2026-12-02 14:31:00` in the console's local time, or RFC 3339 with an offset.
    pub fn parse_time(text: &str) -> Result<Until> {
        let text = text.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(Until::Time(t.with_timezone(&Utc)));
        }
        let naive = [
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "`{text}` is not a moment: write YYYY-MM-DD HH:MM:SS (local time) or RFC 3339"
            ))
        })?;
        let local = chrono::Local
            .from_local_datetime(&naive)
            .earliest()
            .ok_or_else(|| {
                Error::InvalidInput(format!("`{text}` does not exist in the local time zone"))
            })?;
        Ok(Until::Time(local.with_timezone(&Utc)))
    }

    /// A MariaDB GTID `domain-server-sequence`.
    pub fn parse_gtid(text: &str) -> Result<Until> {
        let text = text.trim();
        let parts: Vec<&str> = text.split('-').collect();
        if parts.len() != 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::InvalidInput(format!(
                "`{text}` is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-4711)"
            )));
        }
        Ok(Until::Gtid(text.to_owned()))
    }
}

impl std::fmt::Display for Until {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Until::Time(t) => write!(f, "{}", t.format("%Y-%m-%d %H:%M:%S UTC")),
            Until::Gtid(g) => write!(f, "GTID {g}"),
        }
    }
}

/// The moments a backup can be restored to on the server it came from: from its snapshot to
/// the newest event of the binlogs still there, every file in between present.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RestorableWindow {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from: DateTime<Utc>,
    /// The server's clock now: the binlog runs up to here.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub to: DateTime<Utc>,
    pub gtid_from: Option<String>,
    /// `gtid_binlog_pos` now.
    pub gtid_to: Option<String>,
    /// The binlog files a replay reads, in order.
    pub files: Vec<String>,
    /// What a replay to the end would read.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Each file's size, for the replay's progress.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub sizes: Vec<u64>,
}

/// What the replay did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PitrReport {
    pub until: Until,
    /// The last GTID the replay read before it stopped.
    pub gtid_reached: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_read: u64,
    pub seconds: f64,
    /// Every table of the result as it stands: rows and CHECKSUM TABLE.
    pub tables: Vec<TableState>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TableState {
    pub table: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub checksum: Option<u64>,
}

/// The moment the snapshot shows: its binlog position was read within the second the backup
/// started, so replay bounds start at the next whole second.
fn snapshot_moment(m: &Manifest) -> DateTime<Utc> {
    let started = m.started_at;
    let whole = started.timestamp();
    Utc.timestamp_opt(whole + 1, 0).single().unwrap_or(started)
}

/// The restorable window of `m` on `server`, or why there is none (binary logging off, another
/// server, a binlog purged).
pub async fn window(server: &MysqlServer, m: &Manifest) -> Result<RestorableWindow> {
    let (Some(file), Some(position)) = (&m.snapshot.binlog_file, m.snapshot.binlog_position) else {
        return Err(Error::Refused(
            "this backup has no binlog position (binary logging was off on its server): it restores only to its snapshot".into(),
        ));
    };
    // The database name reaches mariadb-binlog's arguments: a plain name only.
    if m.database.is_empty()
        || !m
            .database
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
    {
        return Err(Error::Refused(format!(
            "`{}` is not a database name a point-in-time restore replays",
            m.database
        )));
    }
    if !same_server(&m.server, &server.info.address) {
        return Err(Error::Refused(format!(
            "this backup was taken on {}; its binlogs are there, not on {}: connect a profile of that server",
            m.server, server.info.address
        )));
    }
    let logs = sqlx::raw_sql("SHOW BINARY LOGS")
        .fetch_all(&server.pool)
        .await
        .map_err(|e| match server.err(e) {
            Error::Sql { message, .. } if message.contains("not using binary logging") => {
                Error::Refused("the server has binary logging off now: no binlog to replay".into())
            }
            other => other,
        })?;
    let logs: Vec<(String, u64)> = logs
        .iter()
        .filter_map(|r| Some((cell_text(r, 0)?, cell_text(r, 1)?.parse().ok()?)))
        .collect();
    let files = continuous_from(file, &logs)?;
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| logs.iter().find(|l| &l.0 == f).map(|l| l.1).unwrap_or(0))
        .collect();
    let bytes = sizes.iter().sum::<u64>().saturating_sub(position);
    let row = sqlx::raw_sql("SELECT UTC_TIMESTAMP(6), @@gtid_binlog_pos")
        .fetch_one(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    let to = cell_text(&row, 0)
        .and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S%.f").ok())
        .map(|t| t.and_utc())
        .unwrap_or_else(Utc::now);
    Ok(RestorableWindow {
        from: snapshot_moment(m),
        to,
        gtid_from: m.snapshot.gtid.clone(),
        gtid_to: cell_text(&row, 1).filter(|g| !g.is_empty()),
        files,
        bytes,
        sizes,
    })
}

/// `127.0.0.1:3306` and `localhost:3306` are one server; names are compared as written.
fn same_server(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .replace("localhost:", "127.0.0.1:")
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// The binlog files from `first` to the newest, or the first one missing: every file of the
/// replay must still be on the server, in an unbroken sequence.
fn continuous_from(first: &str, logs: &[(String, u64)]) -> Result<Vec<String>> {
    let sequence = |name: &str| -> Option<(String, u64)> {
        let (stem, number) = name.rsplit_once('.')?;
        Some((stem.to_owned(), number.parse().ok()?))
    };
    let oldest = logs.first().map(|l| l.0.clone()).unwrap_or_default();
    // Only a name the server lists is ever handed to mariadb-binlog.
    let Some(start) = logs.iter().position(|l| l.0 == first) else {
        return Err(Error::Refused(format!(
            "the binlog {first} this backup starts from is no longer on the server (the oldest there is {}): it was purged, so the backup restores only to its snapshot; nothing was restored",
            if oldest.is_empty() { "none" } else { &oldest }
        )));
    };
    let mut files = vec![first.to_owned()];
    let mut previous = sequence(first);
    for (name, _) in &logs[start + 1..] {
        let here = sequence(name);
        if let (Some((stem, n)), Some((stem2, m))) = (&previous, &here)
            && stem == stem2
            && *m != n + 1
        {
            return Err(Error::Refused(format!(
                "the binlog {stem}.{:06} is missing between {} and {name}: the replay cannot pass it; nothing was restored",
                n + 1,
                files.last().expect("one file at least")
            )));
        }
        files.push(name.clone());
        previous = here;
    }
    Ok(files)
}

/// Checks `until` against the window before anything is restored.
pub fn check_until(until: &Until, window: &RestorableWindow) -> Result<()> {
    match until {
        Until::Time(t) if *t < window.from => Err(Error::Refused(format!(
            "{until} is before this backup's snapshot ({}): restore an older backup",
            window.from.format("%Y-%m-%d %H:%M:%S UTC")
        ))),
        Until::Time(t) if *t > window.to + chrono::Duration::seconds(1) => {
            Err(Error::Refused(format!(
                "{until} is in the future of the server's clock ({})",
                window.to.format("%Y-%m-%d %H:%M:%S UTC")
            )))
        }
        Until::Gtid(_) if window.gtid_from.is_none() => Err(Error::Refused(
            "this backup has no GTID position: restore to a moment (--until) instead".into(),
        )),
        Until::Gtid(g) => {
            // The snapshot's position lists one GTID per domain: the stop must be past it.
            // It may have come from the window unparsed.
            Until::parse_gtid(g)?;
            let (domain, _, sequence) = gtid_parts(g)
                .ok_or_else(|| Error::InvalidInput(format!("`{g}` is not a MariaDB GTID")))?;
            let snapshot = window.gtid_from.as_deref().unwrap_or_default();
            let behind = snapshot
                .split(',')
                .filter_map(|p| gtid_parts(p.trim()))
                .any(|(d, _, s)| d == domain && s >= sequence);
            if behind {
                return Err(Error::Refused(format!(
                    "{until} is not after this backup's snapshot (GTID {snapshot}): restore an older backup"
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `domain-server-sequence` as numbers.
fn gtid_parts(gtid: &str) -> Option<(u32, u32, u64)> {
    let mut parts = gtid.split('-');
    let parts = (parts.next()?, parts.next()?, parts.next()?, parts.next());
    match parts {
        (d, s, n, None) => Some((d.parse().ok()?, s.parse().ok()?, n.parse().ok()?)),
        _ => None,
    }
}

/// The replay's two processes: the binlog reader and the client applying what it prints.
struct Pipeline {
    reader: Child,
    applier: Child,
}

impl Pipeline {
    async fn stop(&mut self) {
        let _ = self.reader.kill().await;
        let _ = self.applier.kill().await;
    }
}

fn client_args(server: &MysqlServer) -> Vec<String> {
    let t = &server.target;
    let mut args = match &t.socket {
        Some(socket) => vec![format!("--socket={}", socket.display())],
        None => vec![
            "--protocol=tcp".to_owned(),
            format!("--host={}", t.host),
            format!("--port={}", t.port),
        ],
    };
    args.push(format!("--user={}", t.user));
    args
}

/// Runs a client program with the target's password in its environment (never on its
/// command line, where `ps` would show it).
fn client(program: &str, server: &MysqlServer) -> Command {
    let mut command = Command::new(program);
    command.args(client_args(server));
    command.env_remove("MYSQL_PWD");
    if let Some(password) = &server.target.password {
        command.env("MYSQL_PWD", password.expose());
    }
    command.kill_on_drop(true);
    command
}

/// Replays the binlog of `m`'s database into `into` up to `until`; `into` holds the snapshot.
pub(super) async fn replay(
    server: &MysqlServer,
    m: &Manifest,
    into: &str,
    until: &Until,
    window: &RestorableWindow,
    progress: &(dyn Fn(BackupProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<PitrReport> {
    let clock = Instant::now();
    let file = m.snapshot.binlog_file.clone().unwrap_or_default();
    let position = m.snapshot.binlog_position.unwrap_or(4);
    let mut reader = client("mariadb-binlog", server);
    reader.args([
        "--read-from-remote-server".to_owned(),
        "--to-last-log".to_owned(),
        "--disable-log-bin".to_owned(),
        format!("--database={}", m.database),
        format!("--rewrite-db={}->{into}", m.database),
    ]);
    match until {
        Until::Time(t) => {
            reader.arg(format!("--start-position={position}"));
            reader.arg(format!("--stop-datetime={}", t.format("%Y-%m-%d %H:%M:%S")));
            // The stop moment is read in the reader's time zone: UTC, as written.
            reader.env("TZ", "UTC");
        }
        Until::Gtid(g) => {
            reader.arg(format!(
                "--start-position={}",
                window.gtid_from.clone().unwrap_or_default()
            ));
            reader.arg(format!("--stop-position={g}"));
        }
    }
    reader.arg(&file);
    reader
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    let mut applier = client("mariadb", server);
    applier.args([
        format!("--database={into}"),
        "--binary-mode".to_owned(),
        "--batch".to_owned(),
    ]);
    applier
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let spawn = |what: &str, e: std::io::Error| {
        Error::io(
            format!("starting {what} (the MariaDB client tools must be installed)"),
            e,
        )
    };
    let reader = reader.spawn().map_err(|e| spawn("mariadb-binlog", e))?;
    let applier = applier.spawn().map_err(|e| spawn("mariadb", e))?;
    let mut pipeline = Pipeline { reader, applier };
    let result = tokio::select! {
        r = pump(&mut pipeline, window, position, progress, clock) => r,
        _ = cancel.cancelled() => Err(Error::Cancelled),
    };
    match result {
        Ok((gtid_reached, bytes_read)) => {
            let tables = table_states(server, into).await?;
            Ok(PitrReport {
                until: until.clone(),
                gtid_reached,
                bytes_read,
                seconds: clock.elapsed().as_secs_f64(),
                tables,
            })
        }
        Err(e) => {
            pipeline.stop().await;
            Err(e)
        }
    }
}

/// Moves the reader's output into the applier, line by line, noting positions and GTIDs.
async fn pump(
    pipeline: &mut Pipeline,
    window: &RestorableWindow,
    start: u64,
    progress: &(dyn Fn(BackupProgress) + Send + Sync),
    clock: Instant,
) -> Result<(Option<String>, u64)> {
    let stdout = pipeline.reader.stdout.take().expect("piped");
    let mut reader_errors = pipeline.reader.stderr.take().expect("piped");
    let mut applier_errors = pipeline.applier.stderr.take().expect("piped");
    let mut stdin = pipeline.applier.stdin.take().expect("piped");
    let mut lines = BufReader::with_capacity(1 << 20, stdout);
    let mut line = Vec::with_capacity(1 << 16);
    let mut gtid = None;
    // Where the reader is: which file of the window, and the `# at` offset in it.
    let mut file_index = 0usize;
    let mut at = start;
    let mut read = 0u64;
    let mut last_report = Instant::now();
    let done = |file_index: usize, at: u64| -> u64 {
        let before: u64 = window.sizes.iter().take(file_index).sum();
        (before + at).saturating_sub(start)
    };
    loop {
        line.clear();
        let n = lines
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| Error::io("reading the binlog", e))?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if let Some(text) = line.strip_prefix(b"# at ") {
            if let Some(p) = std::str::from_utf8(text)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                at = p;
            }
        } else if line.starts_with(b"#") {
            let text = String::from_utf8_lossy(&line);
            // `#… server id 1  end_log_pos 4871 CRC32 0x…	GTID 0-1-101 trans`
            let mut words = text.split_whitespace();
            if words.any(|w| w == "GTID")
                && let Some(g) = words.next()
                && Until::parse_gtid(g).is_ok()
            {
                gtid = Some(g.to_owned());
            }
            if let Some(next) = text
                .split("Rotate to ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                && let Some(index) = window.files.iter().position(|f| f == next)
                && index > file_index
            {
                file_index = index;
                at = 4;
            }
        }
        // The replay is not binlogged (--disable-log-bin), so the original GTIDs are not
        // reused: setting one would only trip gtid_strict_mode against the server's own.
        if is_gtid_assignment(&line) {
            continue;
        }
        if stdin.write_all(&line).await.is_err() {
            // The client stopped: its error, read below, says why.
            break;
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            last_report = Instant::now();
            progress(BackupProgress::replaying(
                done(file_index, at),
                window.bytes,
                clock.elapsed(),
            ));
        }
    }
    drop(stdin);
    let reader_status = pipeline
        .reader
        .wait()
        .await
        .map_err(|e| Error::io("waiting for mariadb-binlog", e))?;
    let applier_status = pipeline
        .applier
        .wait()
        .await
        .map_err(|e| Error::io("waiting for mariadb", e))?;
    let mut said = String::new();
    let _ = reader_errors.read_to_string(&mut said).await;
    if !reader_status.success() {
        return Err(Error::Refused(format!(
            "reading the binlog failed: {}; nothing was restored",
            said.trim()
        )));
    }
    let mut said = String::new();
    let _ = applier_errors.read_to_string(&mut said).await;
    if !applier_status.success() {
        return Err(Error::InvalidInput(format!(
            "applying the binlog failed: {}; nothing was restored",
            said.trim()
        )));
    }
    progress(BackupProgress::replaying(
        window.bytes,
        window.bytes,
        clock.elapsed(),
    ));
    Ok((gtid, read))
}

/// `SET @@session.gtid_seq_no=N`, as mariadb-binlog prints it on a line of its own.
fn is_gtid_assignment(line: &[u8]) -> bool {
    let line = line.trim_ascii_start();
    let line = line.strip_prefix(b"/*M!100001 ").unwrap_or(line);
    line.starts_with(b"SET @@session.gtid_seq_no=")
}

/// Rows and CHECKSUM TABLE of every base table of `database`.
async fn table_states(server: &MysqlServer, database: &str) -> Result<Vec<TableState>> {
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let mut states = Vec::with_capacity(names.len());
    for (name,) in names {
        let table = format!("{}.{}", quote_ident(database), quote_ident(&name));
        let row = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
        let rows = cell_text(&row, 0).and_then(|s| s.parse().ok()).unwrap_or(0);
        let row = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CHECKSUM TABLE {table}")))
            .fetch_one(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
        states.push(TableState {
            table: name,
            rows,
            checksum: cell_text(&row, 1).and_then(|s| s.parse().ok()),
        });
    }
    Ok(states)
}

impl BackupProgress {
    /// The replay's share of the binlog bytes to read.
    pub(crate) fn replaying(done: u64, total: u64, elapsed: Duration) -> Self {
        let mut p =
            BackupProgress::new(Phase::Replaying, (0, 1), (0, 0), (done, total), 0, elapsed);
        p.fraction = if total > 0 {
            (done as f64 / total as f64).min(0.99)
        } else {
            0.0
        };
        let seconds = p.elapsed_seconds;
        p.eta_seconds = (p.fraction > 0.01).then(|| seconds * (1.0 - p.fraction) / p.fraction);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binlogs_of_a_replay_must_all_be_there() {
        let logs = |names: &[&str]| -> Vec<(String, u64)> {
            names.iter().map(|n| (n.to_string(), 100)).collect()
        };
        assert_eq!(
            continuous_from(
                "bin.000002",
                &logs(&["bin.000001", "bin.000002", "bin.000003"])
            )
            .unwrap(),
            vec!["bin.000002", "bin.000003"]
        );
        let purged =
            continuous_from("bin.000002", &logs(&["bin.000004", "bin.000005"])).unwrap_err();
        assert!(purged.to_string().contains("bin.000002"), "{purged}");
        assert!(purged.to_string().contains("purged"), "{purged}");
        let gap = continuous_from("bin.000002", &logs(&["bin.000002", "bin.000004"])).unwrap_err();
        assert!(gap.to_string().contains("bin.000003 is missing"), "{gap}");
    }

    #[test]
    fn only_the_gtid_assignment_lines_are_left_out() {
        assert!(is_gtid_assignment(
            b"/*M!100001 SET @@session.gtid_seq_no=55*//*!*/;\n"
        ));
        assert!(is_gtid_assignment(b"SET @@session.gtid_seq_no=55/*!*/;\n"));
        assert!(!is_gtid_assignment(
            b"SET @@session.gtid_domain_id=0/*!*/;\n"
        ));
        assert!(!is_gtid_assignment(
            b"INSERT INTO t VALUES ('SET @@session.gtid_seq_no=1')\n"
        ));
    }

    #[test]
    fn moments_and_gtids_are_read_strictly() {
        assert_eq!(
            Until::parse_time("2026-12-02T14:31:00+02:00").unwrap(),
            Until::Time(Utc.with_ymd_and_hms(2026, 12, 2, 12, 31, 0).unwrap())
        );
        assert!(Until::parse_time("2026-12-02 14:31:00").is_ok());
        assert!(Until::parse_time("yesterday").is_err());
        assert!(Until::parse_gtid("0-1-4711").is_ok());
        assert_eq!(gtid_parts("0-1-4711"), Some((0, 1, 4711)));
        let window = RestorableWindow {
            from: Utc::now(),
            to: Utc::now(),
            gtid_from: Some("0-1-100,1-2-5".into()),
            gtid_to: None,
            files: vec![],
            bytes: 0,
            sizes: vec![],
        };
        assert!(check_until(&Until::Gtid("0-1-100".into()), &window).is_err());
        assert!(check_until(&Until::Gtid("1-2-4".into()), &window).is_err());
        assert!(check_until(&Until::Gtid("0-1-101".into()), &window).is_ok());
        for bad in ["0-1", "0-1-x", "0-1-2; DROP", "--", ""] {
            assert!(Until::parse_gtid(bad).is_err(), "{bad}");
        }
    }
}
