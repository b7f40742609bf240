//! Redis connections: a target description, a multiplexed connection, and what the server is.

pub mod cluster;

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, from_redis};
use crate::secret::Secret;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RedisMode {
    #[default]
    Standalone,
    Sentinel,
    Cluster,
}

/// How a Redis deployment is reached: the server itself (standalone), the Sentinels and the
/// master name they watch, or the seed nodes of a cluster. Profiles embed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RedisTopology {
    pub mode: RedisMode,
    pub nodes: Vec<RedisTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_name: Option<String>,
}

/// Where a Redis server is and how to log in. The password never serialises.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RedisTarget {
    pub host: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip)]
    pub password: Option<Secret>,
    /// A password for this server is kept in the OS keyring (never in this file).
    #[serde(default)]
    pub password_saved: bool,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub db: i64,
    #[serde(default)]
    pub tls: bool,
    /// The CA that signed the server's certificate (`rediss://` only); the system's roots when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
    /// The profile's bastion, when the server is reached through one.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub via: Option<crate::ssh::Via>,
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTarget")
            .field("address", &self.address())
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("db", &self.db)
            .field("tls", &self.tls)
            .finish()
    }
}

impl RedisTarget {
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        RedisTarget {
            host: host.into(),
            port,
            user: None,
            password: None,
            password_saved: false,
            db: 0,
            tls: false,
            ca_file: None,
            via: None,
        }
    }

    /// Parses `redis://[user[:password]@]host[:port][/db]` (or `rediss://` for TLS).
    pub fn from_url(raw: &str) -> Result<Self> {
        let url = crate::net::ServerUrl::parse(raw, "Redis", &["redis", "rediss"])?;
        let db = match url.path.as_str() {
            "" => 0,
            n => n.parse().map_err(|_| {
                Error::InvalidInput(format!("Redis database `{n}` is not a number"))
            })?,
        };
        Ok(RedisTarget {
            host: url.host,
            port: url.port.unwrap_or(6379),
            user: url.user,
            password: url.password.map(Secret::new),
            password_saved: false,
            db,
            tls: url.scheme == 1,
            ca_file: None,
            via: None,
        })
    }

    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// How the driver dials: the server itself, or `dial` (a bastion's local forward).
    fn connection_info(&self, dial: Option<std::net::SocketAddr>) -> Result<ConnectionInfo> {
        let (host, port) = match dial {
            Some(local) => (local.ip().to_string(), local.port()),
            None => (self.host.clone(), self.port),
        };
        let addr = if self.tls {
            ConnectionAddr::TcpTls {
                host,
                port,
                insecure: false,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(host, port)
        };
        let mut redis_settings = ::redis::RedisConnectionInfo::default().set_db(self.db);
        if let Some(user) = &self.user {
            redis_settings = redis_settings.set_username(user.clone());
        }
        if let Some(password) = &self.password {
            redis_settings = redis_settings.set_password(password.expose());
        }
        addr.into_connection_info()
            .map(|info| info.set_redis_settings(redis_settings))
            .map_err(|e| from_redis(&self.address(), e))
    }
}

/// What the console learnt of a Redis server when it connected.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RedisInfo {
    pub address: String,
    pub version: String,
    pub role: String,
    pub tls: bool,
    /// `direct`, or `via ops@bastion host:22` through the profile's bastion.
    pub path: String,
    pub round_trip_ms: f64,
}

/// A connected Redis server.
#[derive(Clone)]
pub struct RedisServer {
    pub conn: MultiplexedConnection,
    pub info: RedisInfo,
    pub target: RedisTarget,
}

impl fmt::Debug for RedisServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisServer")
            .field("info", &self.info)
            .finish()
    }
}

impl RedisServer {
    /// Connects within `timeout` (also the per-command response timeout) and reads `INFO server`.
    pub async fn connect(target: &RedisTarget, timeout: Duration) -> Result<Self> {
        let address = target.address();
        let dial = match &target.via {
            // The name is the bastion's to resolve.
            Some(via) => Some(via.forward("redis", &target.host, target.port).await?),
            None => {
                crate::net::resolve_or_unknown_host(&target.host, target.port, timeout).await?;
                None
            }
        };
        let info = target.connection_info(dial)?;
        let client = match (&target.ca_file, target.tls) {
            (Some(ca), true) => {
                let root_cert = std::fs::read(ca)
                    .map_err(|e| Error::io(format!("reading the CA file {}", ca.display()), e))?;
                Client::build_with_tls(
                    info,
                    ::redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(root_cert),
                    },
                )
            }
            _ => Client::open(info),
        }
        .map_err(|e| from_redis(&address, e))?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let started = Instant::now();
        let connected = client
            .get_multiplexed_async_connection_with_config(&config)
            .await;
        let mut conn = match connected {
            Ok(conn) => conn,
            Err(e) => {
                if let Some(message) =
                    crate::error::tls_cause(&e, &target.host, target.ca_file.as_deref())
                {
                    return Err(Error::Tls {
                        server: address,
                        message,
                    });
                }
                // A TLS-only port drops a plain client's first bytes: ask it in TLS to tell why.
                if !target.tls
                    && e.is_connection_dropped()
                    && speaks_tls(target, dial, &config).await
                {
                    return Err(Error::Tls {
                        server: address,
                        message: "the server speaks only TLS: use rediss:// (and its CA file)"
                            .into(),
                    });
                }
                return Err(timed(from_redis(&address, e), timeout));
            }
        };
        let info: String = ::redis::cmd("INFO")
            .arg("server")
            .arg("replication")
            .query_async(&mut conn)
            .await
            .map_err(|e| timed(from_redis(&address, e), timeout))?;
        let round_trip_ms = started.elapsed().as_secs_f64() * 1000.0;
        let fields = parse_info(&info);
        Ok(RedisServer {
            conn,
            info: RedisInfo {
                address,
                version: fields.get("redis_version").cloned().unwrap_or_default(),
                role: fields.get("role").cloned().unwrap_or_default(),
                tls: target.tls,
                path: target
                    .via
                    .as_ref()
                    .map_or_else(|| "direct".to_owned(), |via| via.path()),
                round_trip_ms,
            },
            target: target.clone(),
        })
    }

    pub fn err(&self, e: ::redis::RedisError) -> Error {
        from_redis(&self.info.address, e)
    }

    /// `INFO <section>` as a map of its `key:value` lines.
    pub async fn info_section(&self, section: &str) -> Result<BTreeMap<String, String>> {
        let mut conn = self.conn.clone();
        let raw: String = ::redis::cmd("INFO")
            .arg(section)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.err(e))?;
        Ok(parse_info(&raw))
    }
}

/// Whether the port answers in TLS: a handshake that succeeds, or fails on the certificate.
async fn speaks_tls(
    target: &RedisTarget,
    dial: Option<std::net::SocketAddr>,
    config: &AsyncConnectionConfig,
) -> bool {
    let (host, port) = match dial {
        Some(local) => (local.ip().to_string(), local.port()),
        None => (target.host.clone(), target.port),
    };
    let addr = ConnectionAddr::TcpTls {
        host,
        port,
        insecure: false,
        tls_params: None,
    };
    let Ok(client) = Client::open(addr) else {
        return false;
    };
    match client
        .get_multiplexed_async_connection_with_config(config)
        .await
    {
        Ok(_) => true,
        // Reached and answering in TLS, just not without a password or with this certificate.
        Err(e) => {
            matches!(e.code(), Some("NOAUTH" | "WRONGPASS"))
                || crate::error::tls_cause(&e, &target.host, None).is_some()
        }
    }
}

fn timed(err: Error, timeout: Duration) -> Error {
    match err {
        Error::Timeout { server, .. } => Error::Timeout {
            server,
            waited: Some(timeout),
        },
        other => other,
    }
}

/// Parses the `key:value` lines of an `INFO` reply, skipping `# Section` headers.
pub fn parse_info(raw: &str) -> BTreeMap<String, String> {
    raw.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// A topology with no node to ask: the profile form and the CLI refuse to save one, so this
/// is a hand-edited store or an empty --redis-cluster list.
pub(crate) fn no_node() -> Error {
    Error::InvalidInput("the profile names no Redis node (server, Sentinel or cluster seed)".into())
}

/// Connects to the Redis a topology describes: the server itself, the master the Sentinels
/// name, or the first seed node of a cluster that answers.
pub async fn connect_topology(topology: &RedisTopology, timeout: Duration) -> Result<RedisServer> {
    let first = topology.nodes.first().ok_or_else(no_node)?;
    match topology.mode {
        RedisMode::Standalone => RedisServer::connect(first, timeout).await,
        RedisMode::Cluster => {
            let mut last = None;
            for node in &topology.nodes {
                match RedisServer::connect(node, timeout).await {
                    Ok(server) => return Ok(server),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.expect("at least one node was tried"))
        }
        RedisMode::Sentinel => {
            let name = topology.master_name.as_deref().ok_or_else(|| {
                Error::InvalidInput("a Sentinel topology needs the master name".into())
            })?;
            let master = master_from_sentinels(&sentinel_targets(topology), name, timeout).await?;
            RedisServer::connect(&data_node(master.0, master.1, first), timeout).await
        }
    }
}

/// The Sentinels of a topology, asked without the data nodes' credentials.
pub fn sentinel_targets(topology: &RedisTopology) -> Vec<RedisTarget> {
    topology
        .nodes
        .iter()
        .map(|n| RedisTarget {
            user: None,
            password: None,
            ..n.clone()
        })
        .collect()
}

/// A data node Sentinel (or a master) named, with the credentials and TLS given for the
/// profile's data nodes, not the Sentinel's.
pub fn data_node(host: String, port: u16, like: &RedisTarget) -> RedisTarget {
    let mut target = RedisTarget::new(host, port);
    target.user = like.user.clone();
    target.password = like.password.clone();
    target.tls = like.tls;
    target.ca_file = like.ca_file.clone();
    target.via = like.via.clone();
    target
}

/// Asks each Sentinel in turn where master `name` is.
pub async fn master_from_sentinels(
    sentinels: &[RedisTarget],
    name: &str,
    timeout: Duration,
) -> Result<(String, u16)> {
    let mut last = None;
    for sentinel in sentinels {
        let server = match RedisServer::connect(sentinel, timeout).await {
            Ok(server) => server,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        let mut conn = server.conn.clone();
        let addr: Option<(String, u16)> = ::redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(name)
            .query_async(&mut conn)
            .await
            .map_err(|e| server.err(e))?;
        match addr {
            Some(addr) => return Ok(addr),
            None => {
                last = Some(Error::NotFound(format!(
                    "the Sentinel at {} watches no master named `{name}`",
                    sentinel.address()
                )))
            }
        }
    }
    Err(last.unwrap_or_else(no_node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_lines_become_a_map() {
        let map = parse_info("# Server\r\nredis_version:7.0.15\r\nrole:master\r\n\r\n");
        assert_eq!(map["redis_version"], "7.0.15");
        assert_eq!(map["role"], "master");
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn redis_url_parses_user_password_db_and_tls() {
        let t = RedisTarget::from_url("rediss://ops:pw@cache:6380/2").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.db, t.tls),
            ("cache", 6380, 2, true)
        );
        assert_eq!(t.user.as_deref(), Some("ops"));
        assert!(!format!("{t:?}").contains("pw\""));
        // Credentials are percent-decoded as for MySQL: `%21` is sent as `!`.
        let t = RedisTarget::from_url("redis://app%40ops:p%21ss@cache").unwrap();
        assert_eq!(t.user.as_deref(), Some("app@ops"));
        assert_eq!(t.password.as_ref().map(|p| p.expose()), Some("p!ss"));
        assert!(RedisTarget::from_url("http://x").is_err());
        assert!(RedisTarget::from_url("redis://x/abc").is_err());
    }
}
