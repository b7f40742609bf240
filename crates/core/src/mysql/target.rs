//! Where a MySQL/MariaDB server is and how to log in: the target a profile or URL describes,
//! and the driver options it becomes.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};

use crate::error::{Error, Result};
use crate::secret::Secret;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TlsMode {
    Disabled,
    #[default]
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl TlsMode {
    fn sqlx(self) -> MySqlSslMode {
        match self {
            TlsMode::Disabled => MySqlSslMode::Disabled,
            TlsMode::Preferred => MySqlSslMode::Preferred,
            TlsMode::Required => MySqlSslMode::Required,
            TlsMode::VerifyCa => MySqlSslMode::VerifyCa,
            TlsMode::VerifyIdentity => MySqlSslMode::VerifyIdentity,
        }
    }
}

/// Where a MySQL/MariaDB server is and how to log in. The password never serialises.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MysqlTarget {
    pub host: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket: Option<PathBuf>,
    pub user: String,
    #[serde(skip)]
    pub password: Option<Secret>,
    /// A password for this server is kept in the OS keyring (never in this file).
    #[serde(default)]
    pub password_saved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default)]
    pub tls: TlsMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// The profile's bastion, when the server is reached through one.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub via: Option<crate::ssh::Via>,
}

impl fmt::Debug for MysqlTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MysqlTarget")
            .field("address", &self.address())
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("database", &self.database)
            .field("tls", &self.tls)
            .field("via", &self.via)
            .finish()
    }
}

impl MysqlTarget {
    pub fn new(host: impl Into<String>, port: u16, user: impl Into<String>) -> Self {
        MysqlTarget {
            host: host.into(),
            port,
            socket: None,
            user: user.into(),
            password: None,
            password_saved: false,
            database: None,
            tls: TlsMode::Preferred,
            ca_file: None,
            via: None,
        }
    }

    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Parses `mysql://user[:password]@host[:port][/database][?socket=…&ssl-mode=…&ssl-ca=…]`.
    pub fn from_url(raw: &str) -> Result<Self> {
        let url = crate::net::ServerUrl::parse(raw, "MySQL", &["mysql", "mariadb"])?;
        let mut target = MysqlTarget::new(
            url.host,
            url.port.unwrap_or(3306),
            url.user.unwrap_or_else(|| "root".to_owned()),
        );
        target.password = url.password.map(Secret::new);
        if !url.path.is_empty() {
            target.database = Some(url.path);
        }
        for (key, value) in url.query {
            match key.as_str() {
                "socket" => target.socket = Some(PathBuf::from(value)),
                "ssl-mode" | "sslmode" => {
                    target.tls = serde_json::from_value(serde_json::Value::String(
                        value.to_lowercase().replace('_', "-"),
                    ))
                    .map_err(|_| {
                        Error::InvalidInput(format!(
                            "ssl-mode `{value}` is not one of disabled, preferred, required, verify-ca, verify-identity"
                        ))
                    })?
                }
                "ssl-ca" => target.ca_file = Some(PathBuf::from(value)),
                other => {
                    return Err(Error::InvalidInput(format!(
                        "unknown MySQL URL option `{other}`"
                    )));
                }
            }
        }
        Ok(target)
    }

    /// `host:port`, or the socket path: how errors and logs name this server.
    pub fn address(&self) -> String {
        match &self.socket {
            Some(socket) => socket.display().to_string(),
            None => format!("{}:{}", self.host, self.port),
        }
    }

    /// The driver's options, dialling `dial` (a bastion's local forward) when given.
    pub(crate) fn options(&self, dial: Option<std::net::SocketAddr>) -> MySqlConnectOptions {
        let mut options = MySqlConnectOptions::new()
            .username(&self.user)
            .charset("utf8mb4")
            .ssl_mode(self.tls.sqlx());
        options = match (&self.socket, dial) {
            (_, Some(local)) => options.host(&local.ip().to_string()).port(local.port()),
            (Some(socket), None) => options.socket(socket),
            (None, None) => options.host(&self.host).port(self.port),
        };
        if let Some(password) = &self.password {
            options = options.password(password.expose());
        }
        if let Some(database) = &self.database {
            options = options.database(database);
        }
        if let Some(ca) = &self.ca_file {
            options = options.ssl_ca(ca);
        }
        options
    }
}
