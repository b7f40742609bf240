//! The replay: `mariadb-binlog --read-from-remote-server` piped through the console into the
//! `mariadb` client, with binary logging off for that session, so the replay neither reaches
//! replicas nor repeats GTIDs; then the state it left, table by table.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use super::{PitrReport, RestorableWindow, TableState, Until};
use crate::backup::BackupProgress;
use crate::backup::manifest::Manifest;
use crate::backup::restore::rows_and_checksum;
use crate::error::{Error, Result};
use crate::mysql::{MysqlServer, quote_ident};

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
    let (host, port) = server.dial_address();
    let mut args = match (&t.socket, &t.via) {
        (Some(socket), None) => vec![format!("--socket={}", socket.display())],
        _ => vec![
            "--protocol=tcp".to_owned(),
            format!("--host={host}"),
            format!("--port={port}"),
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
pub(in crate::backup) async fn replay(
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
        r = pump(&mut pipeline, (&m.database, window), &server.info.address, position, progress, clock) => r,
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
    (source, window): (&str, &RestorableWindow),
    into_server: &str,
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
        // `--rewrite-db` moves only the default database: a statement that names the source
        // database itself (`ALTER TABLE mindpal.users …`) would run against the live one. The
        // client is killed before the statement's end reaches it, so nothing of it runs.
        if !line.starts_with(b"#")
            && let Some(at) = names_database(&line, source)
        {
            let _ = pipeline.applier.start_kill();
            let text = String::from_utf8_lossy(&line);
            let start = text.floor_char_boundary(at.saturating_sub(40));
            let end = text.ceil_char_boundary((at + 60).min(text.len()));
            return Err(Error::Refused(format!(
                "the binlog holds a statement that names `{source}` itself (…{}…): replayed, it would change the live database, so the point-in-time restore was stopped and nothing was restored; restore to a moment before it, and replay the rest by hand",
                text[start..end].trim()
            )));
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
        return Err(Error::Sql {
            server: into_server.to_owned(),
            code: 0,
            message: format!(
                "applying the binlog failed: {}; nothing was restored",
                said.trim()
            ),
        });
    }
    progress(BackupProgress::replaying(
        window.bytes,
        window.bytes,
        clock.elapsed(),
    ));
    Ok((gtid, read))
}

/// Where `line` names `database` as a qualifier (`` `db`.t ``, `db.t`, `db . t`), if it does.
/// Base64 row events cannot match (their alphabet has no `.`), and a string that merely reads
/// like one stops the replay too, which errs on the side of the live database.
fn names_database(line: &[u8], database: &str) -> Option<usize> {
    let name = database.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut from = 0;
    while let Some(found) = line[from..]
        .windows(name.len().max(1))
        .position(|w| w == name)
    {
        let at = from + found;
        from = at + 1;
        let quoted = at > 0 && line[at - 1] == b'`';
        let before_ok = match at.checked_sub(1 + quoted as usize) {
            None => true,
            Some(i) => !ident(line[i]) && line[i] != b'.' && (quoted || line[i] != b'`'),
        };
        let mut after = at + name.len();
        if quoted {
            if line.get(after) != Some(&b'`') {
                continue;
            }
            after += 1;
        } else if line.get(after).is_some_and(|&b| ident(b) || b == b'`') {
            continue;
        }
        while line.get(after).is_some_and(u8::is_ascii_whitespace) {
            after += 1;
        }
        if before_ok && line.get(after) == Some(&b'.') {
            return Some(at);
        }
    }
    None
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
    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    let mut states = Vec::with_capacity(names.len());
    for (name,) in names {
        let table = format!("{}.{}", quote_ident(database), quote_ident(&name));
        let (rows, checksum) = rows_and_checksum(server, &mut conn, &table, true).await?;
        states.push(TableState {
            table: name,
            rows,
            checksum,
        });
    }
    Ok(states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_naming_the_source_database_is_found() {
        for line in [
            "ALTER TABLE mindpal.users ADD COLUMN x INT",
            "CREATE TABLE `mindpal`.`t` (id INT)",
            "drop table mindpal . t",
            "TRUNCATE `mindpal` .`conversations`",
            "INSERT INTO t SELECT * FROM mindpal.users",
        ] {
            assert!(
                names_database(line.as_bytes(), "mindpal").is_some(),
                "{line}"
            );
        }
        for line in [
            "use `mindpal_restored`/*!*/;",
            "ALTER TABLE users ADD COLUMN mindpal INT",
            "CREATE TABLE mindpal_old.t (id INT)",
            "CREATE TABLE my_mindpal.t (id INT)",
            "INSERT INTO t VALUES ('mindpal')",
            "BINLOG 'AAAAmindpalBBBB+/='",
            "SELECT `x`.`mindpal`.a",
        ] {
            assert!(
                names_database(line.as_bytes(), "mindpal").is_none(),
                "{line}"
            );
        }
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
}
