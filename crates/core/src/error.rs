//! One error type for the core, classified once: by MySQL error number, by Redis error
//! kind, or by the I/O error kind underneath. Messages never carry a password.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// What went wrong, as the UI and the CLI branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ErrorKind {
    AuthFailed,
    Unreachable,
    UnknownHost,
    Timeout,
    PrivilegeMissing,
    UnknownDatabase,
    Tls,
    SqlSyntax,
    Sql,
    Redis,
    InvalidInput,
    MissingProgram,
    PortInUse,
    NotOurs,
    NotFound,
    Conflict,
    KeyringUnavailable,
    Io,
    Cancelled,
    Refused,
    Forbidden,
    Damaged,
    HostKeyUnknown,
    HostKeyChanged,
    Protocol,
    Sandbox,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server refused the user name or password.
    #[error("authentication failed on {server}: {message}")]
    AuthFailed { server: String, message: String },

    /// Nothing answered at the address (refused, reset, no route).
    #[error("cannot reach {server}: {reason}")]
    Unreachable { server: String, reason: String },

    /// The host name does not resolve.
    #[error("unknown host {server}: {reason}")]
    UnknownHost { server: String, reason: String },

    /// The server did not answer in time.
    #[error("{server} did not answer {}", answer_window(*waited))]
    Timeout {
        server: String,
        /// How long the console waited, when it set the limit itself; `None` when a lower
        /// layer (the OS, a driver's pool) gave up on its own clock.
        waited: Option<Duration>,
    },

    /// The server stopped a statement at its time limit (`max_statement_time`,
    /// `max_execution_time`): a timeout like any other to scripts and the window.
    #[error("{server} stopped the statement at its time limit: {message}")]
    StatementLimit { server: String, message: String },

    /// The account lacks a privilege the operation needs.
    #[error("privilege missing on {server}: {message}")]
    PrivilegeMissing { server: String, message: String },

    #[error("unknown database `{database}` on {server}")]
    UnknownDatabase { server: String, database: String },

    #[error("TLS failed with {server}: {message}")]
    Tls { server: String, message: String },

    #[error("SQL syntax error ({code}): {message}")]
    SqlSyntax { code: u16, message: String },

    /// Any other error the MySQL/MariaDB server reported, with its number.
    #[error("server error {code} on {server}: {message}")]
    Sql {
        server: String,
        code: u16,
        message: String,
    },

    /// Any other error from Redis.
    #[error("Redis error on {server}: {message}")]
    Redis { server: String, message: String },

    #[error("{0}")]
    InvalidInput(String),

    #[error("`{program}` is not installed: install the Debian package `{package}`")]
    MissingProgram {
        program: &'static str,
        package: &'static str,
    },

    #[error("port {port} on 127.0.0.1 is already taken{by}")]
    PortInUse { port: u16, by: String },

    #[error("{path} exists and is not a MindPal sandbox folder; choose another with --dir")]
    NotOurs { path: PathBuf },

    #[error("{0}")]
    NotFound(String),

    /// The row changed since it was read (its `version` moved on): nothing was written.
    #[error("{0}")]
    Conflict(String),

    /// The OS keyring cannot be used (no Secret Service, locked, refused).
    #[error("the OS keyring is not available: {message}")]
    KeyringUnavailable { message: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cancelled")]
    Cancelled,

    /// The guard refused a statement before anything reached the server.
    #[error("{0}")]
    Refused(String),

    /// The console's access rules refuse this profile the operation (see `access`).
    #[error("{0}")]
    Forbidden(String),

    /// A backup's file or manifest does not match its checksum: nothing was loaded from it.
    #[error("{0}")]
    Damaged(String),

    /// A server answered in a way the console does not speak (a reply it cannot read, a
    /// feature it does not support): nothing the user typed is wrong.
    #[error("{server}: {message}")]
    Protocol { server: String, message: String },

    /// The local sandbox's servers could not be made or started (a tool failed, a server did
    /// not come up or catch up in time); its log says more.
    #[error("{0}")]
    Sandbox(String),

    /// An SSH hop offered a key no known-hosts file holds: the user accepts it once, by its
    /// fingerprint, or nothing goes through.
    #[error(
        "{hop} offered an unknown host key {fingerprint}: accept it only if it is that server's key"
    )]
    HostKeyUnknown { hop: String, fingerprint: String },

    /// An SSH hop offered another key than the one recorded for it: always refused.
    #[error(
        "{hop} offered host key {offered}, but {} line {line} records {known} for it: refused, someone may be in between (if the server's key really changed, remove that line)",
        file.display()
    )]
    HostKeyChanged {
        hop: String,
        offered: String,
        known: String,
        file: PathBuf,
        line: usize,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error as it travels inside a result that still has other parts to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ErrorSummary {
    pub kind: ErrorKind,
    pub message: String,
}

/// "within 5 s", or "in time" when the limit is not known (a pool's wait ran out).
fn answer_window(waited: Option<Duration>) -> String {
    match waited {
        Some(w) if w >= Duration::from_secs(1) => format!("within {} s", w.as_secs()),
        Some(w) => format!("within {} ms", w.as_millis()),
        None => "in time".to_owned(),
    }
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::AuthFailed { .. } => ErrorKind::AuthFailed,
            Error::Unreachable { .. } => ErrorKind::Unreachable,
            Error::UnknownHost { .. } => ErrorKind::UnknownHost,
            Error::Timeout { .. } | Error::StatementLimit { .. } => ErrorKind::Timeout,
            Error::PrivilegeMissing { .. } => ErrorKind::PrivilegeMissing,
            Error::UnknownDatabase { .. } => ErrorKind::UnknownDatabase,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::SqlSyntax { .. } => ErrorKind::SqlSyntax,
            Error::Sql { .. } => ErrorKind::Sql,
            Error::Redis { .. } => ErrorKind::Redis,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::MissingProgram { .. } => ErrorKind::MissingProgram,
            Error::PortInUse { .. } => ErrorKind::PortInUse,
            Error::NotOurs { .. } => ErrorKind::NotOurs,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::KeyringUnavailable { .. } => ErrorKind::KeyringUnavailable,
            Error::Io { .. } => ErrorKind::Io,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Refused(_) => ErrorKind::Refused,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::Damaged(_) => ErrorKind::Damaged,
            Error::HostKeyUnknown { .. } => ErrorKind::HostKeyUnknown,
            Error::HostKeyChanged { .. } => ErrorKind::HostKeyChanged,
            Error::Protocol { .. } => ErrorKind::Protocol,
            Error::Sandbox(_) => ErrorKind::Sandbox,
        }
    }

    pub fn summary(&self) -> ErrorSummary {
        ErrorSummary {
            kind: self.kind(),
            message: self.to_string(),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Classifies an I/O failure met while connecting to `server`.
    pub(crate) fn from_connect_io(server: &str, err: &std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let server = server.to_owned();
        match err.kind() {
            Io::TimedOut | Io::WouldBlock => Error::Timeout {
                server,
                waited: None,
            },
            // getaddrinfo failures surface as `Uncategorized`/`Other` with this text in std;
            // there is no stable kind for them, so the resolver is asked separately (see
            // `mysql::resolve_or_unknown_host`) before any connection is tried.
            _ => Error::Unreachable {
                server,
                reason: err.to_string(),
            },
        }
    }
}

/// MySQL/MariaDB client and server error numbers the console treats specially.
pub mod mysql_codes {
    pub const ER_DBACCESS_DENIED: u16 = 1044;
    pub const ER_NO_DB: u16 = 1046;
    pub const ER_ACCESS_DENIED: u16 = 1045;
    pub const ER_BAD_DB: u16 = 1049;
    pub const ER_PARSE: u16 = 1064;
    pub const ER_TABLEACCESS_DENIED: u16 = 1142;
    pub const ER_COLUMNACCESS_DENIED: u16 = 1143;
    pub const ER_SPECIFIC_ACCESS_DENIED: u16 = 1227;
    pub const ER_PROCACCESS_DENIED: u16 = 1370;
    pub const ER_ACCESS_DENIED_NO_PASSWORD: u16 = 1698;
    pub const ER_SECURE_TRANSPORT_REQUIRED: u16 = 3159;
    /// MariaDB's `max_statement_time` reached.
    pub const ER_STATEMENT_TIMEOUT: u16 = 1969;
    /// MySQL's `max_execution_time` reached.
    pub const ER_QUERY_TIMEOUT: u16 = 3024;
}

/// Maps a MySQL/MariaDB server error to the console's error, by number only.
pub(crate) fn classify_mysql(server: &str, code: u16, message: &str) -> Error {
    use mysql_codes::*;
    let server = server.to_owned();
    let message = message.to_owned();
    match code {
        ER_ACCESS_DENIED | ER_ACCESS_DENIED_NO_PASSWORD => Error::AuthFailed { server, message },
        ER_DBACCESS_DENIED
        | ER_TABLEACCESS_DENIED
        | ER_COLUMNACCESS_DENIED
        | ER_SPECIFIC_ACCESS_DENIED
        | ER_PROCACCESS_DENIED => Error::PrivilegeMissing { server, message },
        ER_BAD_DB => Error::UnknownDatabase {
            server,
            database: quoted_name(&message).unwrap_or_default(),
        },
        ER_SECURE_TRANSPORT_REQUIRED => Error::Tls { server, message },
        ER_STATEMENT_TIMEOUT | ER_QUERY_TIMEOUT => Error::StatementLimit { server, message },
        ER_NO_DB => Error::InvalidInput(format!(
            "no database selected on {server}: name one in the URL (mysql://user@host:3306/mindpal) or in the profile"
        )),
        ER_PARSE => Error::SqlSyntax { code, message },
        _ => Error::Sql {
            server,
            code,
            message,
        },
    }
}

/// The first `'…'` in a server message: the name it is about.
fn quoted_name(message: &str) -> Option<String> {
    let start = message.find('\'')? + 1;
    let len = message[start..].find('\'')?;
    Some(message[start..start + len].to_owned())
}

/// Classifies an error of the sqlx driver met while talking to `server`.
pub(crate) fn from_sqlx(server: &str, err: sqlx::Error) -> Error {
    match err {
        sqlx::Error::Database(db) => {
            let code = db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .map(|e| e.number())
                .unwrap_or(0);
            classify_mysql(server, code, db.message())
        }
        sqlx::Error::Io(io) => Error::from_connect_io(server, &io),
        sqlx::Error::Tls(tls) => Error::Tls {
            server: server.to_owned(),
            message: tls.to_string(),
        },
        sqlx::Error::PoolTimedOut => Error::Timeout {
            server: server.to_owned(),
            waited: None,
        },
        other => Error::Sql {
            server: server.to_owned(),
            code: 0,
            message: other.to_string(),
        },
    }
}

/// Classifies an error of the redis crate met while talking to `server`, by its kind.
pub(crate) fn from_redis(server: &str, err: ::redis::RedisError) -> Error {
    use ::redis::{ErrorKind as K, ServerErrorKind as S};
    let server = server.to_owned();
    if err.is_timeout() {
        return Error::Timeout {
            server,
            waited: None,
        };
    }
    if err.is_connection_refusal() || err.is_connection_dropped() {
        return Error::Unreachable {
            server,
            reason: err.to_string(),
        };
    }
    // NOAUTH and WRONGPASS arrive as server errors with these codes; the crate has no kind
    // for them, so the code, not the message, decides.
    let code = err.code().unwrap_or_default().to_owned();
    match err.kind() {
        K::AuthenticationFailed => Error::AuthFailed {
            server,
            message: err.to_string(),
        },
        K::Server(S::NoPerm) => Error::PrivilegeMissing {
            server,
            message: err.to_string(),
        },
        _ if code == "NOAUTH" || code == "WRONGPASS" => Error::AuthFailed {
            server,
            message: err.to_string(),
        },
        K::Io => Error::Unreachable {
            server,
            reason: err.to_string(),
        },
        _ => Error::Redis {
            server,
            message: err.to_string(),
        },
    }
}

/// Why a TLS handshake failed, in words, when `err` is a refused certificate: the checks that
/// fail in production, each with what to do about it.
pub(crate) fn tls_cause(
    err: &(dyn std::error::Error + 'static),
    host: &str,
    ca_file: Option<&std::path::Path>,
) -> Option<String> {
    use rustls::CertificateError as C;
    let roots = || match ca_file {
        Some(ca) => format!("the CA file {}", ca.display()),
        None => "the system's trusted CAs (give the CA file that signed it)".to_owned(),
    };
    let unknown_issuer = || format!("the server's certificate is not signed by {}", roots());
    let wrong_name = || {
        format!(
            "the server's certificate is not issued for {host} (connect by the name it names, or use verify-ca)"
        )
    };
    let expired = || "the server's certificate has expired".to_owned();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let found = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = found {
            return Some(match tls {
                rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
                    unknown_issuer()
                }
                rustls::Error::InvalidCertificate(
                    C::NotValidForName | C::NotValidForNameContext { .. },
                ) => wrong_name(),
                rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
                    expired()
                }
                other => format!("TLS handshake failed: {other}"),
            });
        }
        current = e.source();
    }
    // The redis crate keeps its I/O error behind an `Arc`, whose `source()` skips it: the
    // rustls error is then only in the text, in rustls's own stable wording.
    let text = err.to_string();
    let (_, reason) = text.split_once("invalid peer certificate: ")?;
    Some(
        match reason.split([' ', ',', '(']).next().unwrap_or_default() {
            "UnknownIssuer" | "BadSignature" => unknown_issuer(),
            "NotValidForName" | "NotValidForNameContext" => wrong_name(),
            "Expired" | "ExpiredContext" => expired(),
            _ => format!("TLS handshake failed: invalid peer certificate: {reason}"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_is_an_auth_failure() {
        let e = classify_mysql("db:3306", 1045, "Access denied for user 'x'@'localhost'");
        assert_eq!(e.kind(), ErrorKind::AuthFailed);
    }

    #[test]
    fn unknown_database_names_the_database() {
        let e = classify_mysql("db:3306", 1049, "Unknown database 'nope'");
        match e {
            Error::UnknownDatabase { database, .. } => assert_eq!(database, "nope"),
            other => panic!("expected UnknownDatabase, got {other:?}"),
        }
    }

    #[test]
    fn grants_errors_are_privilege_missing() {
        for code in [1044, 1142, 1143, 1227, 1370] {
            assert_eq!(
                classify_mysql("s", code, "denied").kind(),
                ErrorKind::PrivilegeMissing,
                "error {code} is about a missing privilege"
            );
        }
    }

    #[test]
    fn other_codes_keep_their_number() {
        match classify_mysql("s", 1146, "Table 'a.b' doesn't exist") {
            Error::Sql { code, .. } => assert_eq!(code, 1146),
            other => panic!("expected Sql, got {other:?}"),
        }
    }
}
