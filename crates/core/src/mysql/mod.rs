//! MySQL/MariaDB connections: a target description, a pool, and the server it reached.

pub mod grants;
mod target;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::mysql::MySqlRow;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlSslMode};
use sqlx::{Connection, MySqlConnection, Row};

use crate::error::{Error, Result, from_sqlx};

pub use target::{MysqlTarget, TlsMode};

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Flavour {
    MariaDb,
    MySql,
}

/// What the console learnt of the server when it connected.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ServerInfo {
    pub address: String,
    pub flavour: Flavour,
    /// The numeric version, e.g. `10.11.19` or `8.0.36`.
    pub version: String,
    /// What `VERSION()` returned, e.g. `10.11.19-MariaDB-0+deb12u1`.
    pub version_string: String,
    pub tls: bool,
    /// `TLSv1.3`, when the connection is encrypted.
    pub tls_version: Option<String>,
    pub tls_cipher: Option<String>,
    /// `direct`, or `via ops@bastion host:22` through the profile's bastion.
    pub path: String,
    pub round_trip_ms: f64,
}

impl ServerInfo {
    /// Major and minor version numbers, e.g. (10, 11).
    pub fn major_minor(&self) -> (u32, u32) {
        let mut parts = self.version.split('.').map(|p| p.parse().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    /// The numeric version is `want` or later (`8.0.18` ≥ `(8, 0, 18)`).
    pub fn at_least(&self, want: (u32, u32, u32)) -> bool {
        version_at_least(&self.version, want)
    }
}

/// `version` (`8.0.36`) is `want` or later.
pub fn version_at_least(version: &str, want: (u32, u32, u32)) -> bool {
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next()) >= want
}

/// Splits `VERSION()` into flavour and numeric version.
pub fn parse_version(version_string: &str, version_comment: &str) -> (Flavour, String) {
    let flavour = if version_string.to_ascii_lowercase().contains("mariadb")
        || version_comment.to_ascii_lowercase().contains("mariadb")
    {
        Flavour::MariaDb
    } else {
        Flavour::MySql
    };
    // MariaDB behind a MySQL 5.5 compatibility prefix reports `5.5.5-10.11.6-MariaDB`.
    let trimmed = version_string
        .strip_prefix("5.5.5-")
        .unwrap_or(version_string);
    let numeric: String = trimmed
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    (flavour, numeric)
}

/// A connected MySQL/MariaDB server: its pool and what it is.
#[derive(Debug, Clone)]
pub struct MysqlServer {
    pub pool: MySqlPool,
    pub info: ServerInfo,
    pub target: MysqlTarget,
    /// The thread ids of every connection this pool has opened: the console's own sessions,
    /// which the processlist marks and KILL refuses.
    own_threads: Arc<Mutex<HashSet<u64>>>,
    /// The local forward of the profile's bastion this server is dialled at, if any.
    dial: Option<std::net::SocketAddr>,
}

impl MysqlServer {
    /// Connects with `timeout` for the whole handshake, so a dead host fails fast, then
    /// opens a pool of up to `max_connections`.
    pub async fn connect(
        target: &MysqlTarget,
        timeout: Duration,
        max_connections: u32,
    ) -> Result<Self> {
        let address = target.address();
        let dial = match &target.via {
            // The name is the bastion's to resolve.
            Some(via) => Some(via.forward("database", &target.host, target.port).await?),
            None => {
                if target.socket.is_none() {
                    crate::net::resolve_or_unknown_host(&target.host, target.port, timeout).await?;
                }
                None
            }
        };
        let options = target.options(dial);
        let started = Instant::now();
        let probe = tokio::time::timeout(timeout, MySqlConnection::connect_with(&options))
            .await
            .map_err(|_| Error::Timeout {
                server: address.clone(),
                waited: Some(timeout),
            })?
            .map_err(|e| {
                match crate::error::tls_cause(&e, &target.host, target.ca_file.as_deref()) {
                    Some(message) => Error::Tls {
                        server: address.clone(),
                        message,
                    },
                    None => with_timeout(from_sqlx(&address, e), timeout),
                }
            });
        let mut probe = match probe {
            Ok(probe) => probe,
            // MariaDB answers a plain connection to a server with require_secure_transport
            // as a refused password; the same login over TLS tells the two apart.
            Err(Error::AuthFailed { .. })
                if target.tls == TlsMode::Disabled
                    && accepts_tls_login(target, dial, timeout).await =>
            {
                return Err(Error::Tls {
                    server: address,
                    message: "the server requires TLS (require_secure_transport): choose TLS mode preferred or stricter".into(),
                });
            }
            Err(e) => return Err(e),
        };
        // The version and the TLS in use in one round trip (unprepared, so not two each):
        // far from the server every connect pays for each exchange.
        let (version, tls_status) = probe_facts(&mut probe)
            .await
            .map_err(|e| from_sqlx(&address, e))?;
        let (version_string, version_comment) = version;
        let round_trip_ms = started.elapsed().as_secs_f64() * 1000.0;
        let tls_field = |name: &str| {
            tls_status
                .iter()
                .find(|(n, v)| n.eq_ignore_ascii_case(name) && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        let (tls_cipher, tls_version) = (tls_field("Ssl_cipher"), tls_field("Ssl_version"));
        let _ = probe.close().await;
        let (flavour, version) = parse_version(&version_string, &version_comment);
        let own_threads = Arc::new(Mutex::new(HashSet::new()));
        let record = own_threads.clone();
        let pool = MySqlPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(timeout)
            // sqlx pings every connection it hands out: a hidden round trip before each
            // statement, which far from the server doubles every screen's waits. Only a
            // connection idle long enough for the server or a NAT to have dropped it is
            // pinged; a dead one is then replaced before use.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_PING {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _| {
                let record = record.clone();
                Box::pin(async move {
                    // Unprepared: one round trip per new connection, not a prepare and an execute.
                    let row = sqlx::raw_sql("SELECT CONNECTION_ID()")
                        .fetch_one(&mut *conn)
                        .await?;
                    if let Some(id) = cell_text(&row, 0).and_then(|id| id.parse().ok()) {
                        record.lock().expect("own threads").insert(id);
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        tracing::info!(
            server = %address,
            version = %version_string,
            tls = tls_cipher.is_some(),
            "connected in {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        Ok(MysqlServer {
            pool,
            info: ServerInfo {
                address,
                flavour,
                version,
                version_string,
                tls: tls_cipher.is_some(),
                tls_version,
                tls_cipher,
                path: target
                    .via
                    .as_ref()
                    .map_or_else(|| "direct".to_owned(), |via| via.path()),
                round_trip_ms,
            },
            target: target.clone(),
            own_threads,
            dial,
        })
    }

    /// Options for one more connection of its own to this server (backups, restores),
    /// through the same bastion forward as the pool.
    pub fn connect_options(&self) -> MySqlConnectOptions {
        self.target.options(self.dial)
    }

    /// Host and port a client program on this machine dials (the forward, through a bastion).
    pub fn dial_address(&self) -> (String, u16) {
        match self.dial {
            Some(local) => (local.ip().to_string(), local.port()),
            None => (self.target.host.clone(), self.target.port),
        }
    }

    /// Whether `thread_id` is one of the connections this pool opened.
    pub fn owns_thread(&self, thread_id: u64) -> bool {
        self.own_threads
            .lock()
            .expect("own threads")
            .contains(&thread_id)
    }

    /// Runs `f` with this server's label for errors.
    pub fn err(&self, e: sqlx::Error) -> Error {
        from_sqlx(&self.info.address, e)
    }

    /// The server answered, but not in the shape its protocol promises.
    pub fn odd_answer(&self, message: impl Into<String>) -> Error {
        Error::Protocol {
            server: self.info.address.clone(),
            message: message.into(),
        }
    }

    /// A second server on the same address, using `database` as its default schema.
    pub async fn with_database(&self, database: &str) -> Result<MysqlServer> {
        let target = self.target.clone().with_database(database);
        MysqlServer::connect(
            &target,
            DEFAULT_CONNECT_TIMEOUT,
            self.pool.options().get_max_connections(),
        )
        .await
    }
}

/// Whether the same login succeeds over TLS (without verifying the certificate).
async fn accepts_tls_login(
    target: &MysqlTarget,
    dial: Option<std::net::SocketAddr>,
    timeout: Duration,
) -> bool {
    let options = target.options(dial).ssl_mode(MySqlSslMode::Required);
    match tokio::time::timeout(timeout, MySqlConnection::connect_with(&options)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            true
        }
        _ => false,
    }
}

fn with_timeout(err: Error, timeout: Duration) -> Error {
    match err {
        Error::Timeout { server, .. } => Error::Timeout {
            server,
            waited: Some(timeout),
        },
        other => other,
    }
}

/// A pooled connection idle this long is pinged before it is used again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// How long a screen's read waits for its server. Reads carry server-side limits well under
/// this (`max_statement_time`), so only a link gone dark reaches it.
pub const READ_DEADLINE: Duration = Duration::from_secs(30);

/// Runs a read of `server` within `limit`. A direct link that goes dark in the middle of a
/// statement (packets vanish, nothing is closed) would otherwise wait as long as TCP keeps
/// retrying, many minutes; here it is a timeout naming the server, and the caller drops the
/// pool so the next read reconnects.
pub async fn read_within<T>(
    server: &MysqlServer,
    limit: Duration,
    read: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    crate::net::bounded(&server.info.address, limit, read).await
}

/// `renamed` on MySQL from `since` on, else the old spelling MariaDB keeps too.
pub(crate) fn mysql_since(
    server: &MysqlServer,
    since: (u32, u32, u32),
    renamed: &'static str,
    old: &'static str,
) -> &'static str {
    if server.info.flavour == Flavour::MySql && server.info.at_least(since) {
        renamed
    } else {
        old
    }
}

/// A cell of a result whose column types vary by server, as text.
/// `(VERSION(), @@version_comment)` and the session's `Ssl_cipher`/`Ssl_version` (empty
/// without TLS), asked as one batch and told apart by their result sets.
async fn probe_facts(
    probe: &mut MySqlConnection,
) -> std::result::Result<((String, String), Vec<(String, String)>), sqlx::Error> {
    use futures_util::TryStreamExt;
    use sqlx::Either;
    let mut results = sqlx::raw_sql(
        "SELECT VERSION(), @@version_comment; \
         SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')",
    )
    .fetch_many(probe);
    let mut sets: Vec<Vec<(String, String)>> = vec![Vec::new()];
    while let Some(item) = results.try_next().await? {
        match item {
            Either::Left(_done) => sets.push(Vec::new()),
            Either::Right(row) => sets.last_mut().expect("a set").push((
                cell_text(&row, 0).unwrap_or_default(),
                cell_text(&row, 1).unwrap_or_default(),
            )),
        }
    }
    let version = sets
        .first()
        .and_then(|set| set.first())
        .cloned()
        .ok_or_else(|| sqlx::Error::Protocol("the server did not say its version".into()))?;
    Ok((version, sets.get(1).cloned().unwrap_or_default()))
}

pub(crate) fn cell_text(row: &MySqlRow, i: usize) -> Option<String> {
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return v;
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map(|n| n.to_string());
    }
    if let Ok(v) = row.try_get::<Option<u64>, _>(i) {
        return v.map(|n| n.to_string());
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return v.map(|n| n.to_string());
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return v.map(|b| String::from_utf8_lossy(&b).into_owned());
    }
    None
}

/// Quotes an identifier that came from the live schema or a fixed list (never from free
/// text a user typed into a query).
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mariadb_version_is_recognised_with_and_without_prefix() {
        assert_eq!(
            parse_version("10.11.19-MariaDB-0+deb12u1", "Debian 12"),
            (Flavour::MariaDb, "10.11.19".to_owned())
        );
        assert_eq!(
            parse_version("5.5.5-10.6.4-MariaDB", ""),
            (Flavour::MariaDb, "10.6.4".to_owned())
        );
        assert_eq!(
            parse_version("8.0.36", "MySQL Community Server - GPL"),
            (Flavour::MySql, "8.0.36".to_owned())
        );
    }

    #[test]
    fn url_carries_password_but_debug_does_not_show_it() {
        let t =
            MysqlTarget::from_url("mysql://app:s3cr%40t@db.local:3307/mindpal?ssl-mode=required")
                .unwrap();
        assert_eq!(t.password.as_ref().unwrap().expose(), "s3cr@t");
        assert_eq!(t.port, 3307);
        assert_eq!(t.database.as_deref(), Some("mindpal"));
        assert_eq!(t.tls, TlsMode::Required);
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("s3cr"),
            "Debug must redact the password: {shown}"
        );
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            !json.contains("s3cr"),
            "the password must never serialise: {json}"
        );
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        assert!(MysqlTarget::from_url("postgres://x@y/z").is_err());
        assert!(MysqlTarget::from_url("mysql://x@y/z?ssl-mode=sometimes").is_err());
        assert!(MysqlTarget::from_url("mysql://x@y/z?colour=blue").is_err());
    }

    #[test]
    fn redacted_url_hides_the_password() {
        assert_eq!(
            crate::net::redact_url("mysql://u:pw@h:1/d"),
            "mysql://u:***@h:1/d"
        );
    }

    #[test]
    fn identifiers_are_quoted_with_backticks_doubled() {
        assert_eq!(quote_ident("a`b"), "`a``b`");
    }
}
