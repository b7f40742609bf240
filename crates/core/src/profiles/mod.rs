//! Connection profiles: named sets of servers, kept in the desktop app's store file so the
//! window and the CLI share them. Passwords are never in this file.

mod alerts;
pub mod secrets;
mod validate;

pub use alerts::Alerts;

pub use validate::{FieldError, validate};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::error::{Error, Result};
use crate::mysql::MysqlTarget;
use crate::redis::{RedisMode, RedisTopology};

/// The store file (tauri-plugin-store format: one JSON object of keys).
pub const STORE_FILE: &str = "profiles.json";
/// The key inside the store that holds the profile list.
const PROFILES_KEY: &str = "profiles";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub role: Role,
    #[serde(default)]
    pub read_only: bool,
    pub mysql: MysqlTarget,
    #[serde(default)]
    pub replicas: Vec<MysqlTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisTopology>,
    /// The bastion every server of the profile is reached through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<crate::ssh::SshProfile>,
    /// The folder this deployment's backups are written to; the fleet shows its newest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_dir: Option<String>,
    /// When this profile's figures are a warning or an alarm on the fleet overview.
    #[serde(default, skip_serializing_if = "Alerts::is_default")]
    pub alerts: Alerts,
}

impl Profile {
    /// The servers of this profile, for the capabilities (which never see a profile).
    pub fn servers(&self) -> crate::servers::Servers {
        crate::servers::Servers {
            primary: self.mysql.clone(),
            replicas: self.replicas.clone(),
            redis: self.redis.clone(),
        }
    }

    /// Who acts through this profile.
    pub fn actor(&self) -> crate::access::Actor {
        crate::access::Actor {
            role: self.role,
            read_only: self.read_only,
        }
    }
}

/// Puts every server of `profile` behind its bastion, when it names one.
pub fn attach_bastion(profile: &mut Profile, timeout: std::time::Duration) -> Result<()> {
    let Some(ssh) = &profile.ssh else {
        return Ok(());
    };
    let via = crate::ssh::Via::new(ssh, timeout)?;
    profile.mysql.via = Some(via.clone());
    for replica in &mut profile.replicas {
        replica.via = Some(via.clone());
    }
    if let Some(redis) = profile.redis.as_mut() {
        for node in &mut redis.nodes {
            node.via = Some(via.clone());
        }
    }
    Ok(())
}

/// The profile store file: `<data dir>/com.mindpal.admin/profiles.json`, or `$MINDPAL_PROFILES`.
pub fn default_store_path() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("MINDPAL_PROFILES") {
        return Ok(PathBuf::from(path));
    }
    crate::app::data_path(STORE_FILE)
        .ok_or_else(|| Error::NotFound("no user data directory (is HOME set?)".into()))
}

/// Reads every profile; a missing file is an empty list.
pub fn load(path: &Path) -> Result<Vec<Profile>> {
    let raw = match std::fs::read_to_string(path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let mut store: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&raw)
        .map_err(|e| Error::Damaged(format!("{} is not a profile store: {e}", path.display())))?;
    match store.remove(PROFILES_KEY) {
        None => Ok(Vec::new()),
        Some(list) => serde_json::from_value(list).map_err(|e| {
            Error::Damaged(format!("profiles in {} are malformed: {e}", path.display()))
        }),
    }
}

/// Finds one profile by name.
pub fn find(path: &Path, name: &str) -> Result<Profile> {
    load(path)?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Error::NotFound(format!("no profile named `{name}` in {}", path.display())))
}

/// Adds `profile`, or replaces the one with the same name. Other keys of the store survive.
pub fn upsert(path: &Path, profile: Profile) -> Result<()> {
    let mut profiles = load(path)?;
    replace_in(&mut profiles, None, profile);
    write_list(path, &profiles)
}

fn write_atomically(path: &Path, contents: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, contents)
        .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::secret::Secret;

    #[test]
    fn profiles_round_trip_without_their_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profiles.json");
        let mut mysql = MysqlTarget::new("127.0.0.1", 3306, "ops");
        mysql.password = Some(Secret::new("hunter22"));
        let profile = Profile {
            name: "prod".into(),
            role: Role::Support,
            read_only: true,
            mysql,
            replicas: vec![],
            redis: None,
            ssh: None,
            backup_dir: None,
            alerts: Default::default(),
        };
        upsert(&path, profile.clone()).unwrap();
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(
            !raw.contains("hunter22"),
            "the store must not hold a password: {raw}"
        );
        let back = find(&path, "prod").unwrap();
        assert_eq!(back.role, Role::Support);
        assert!(back.mysql.password.is_none());
        assert!(matches!(find(&path, "nope"), Err(Error::NotFound(_))));
    }
}

/// One server of a profile, as a connection test saw it.
#[derive(Debug)]
pub struct ServerCheck {
    /// `primary`, `replica 1`, `redis` …
    pub role: String,
    pub address: String,
    pub outcome: Result<ServerSummary>,
}

/// What a reachable server is.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ServerSummary {
    pub product: String,
    pub version: String,
    pub tls: bool,
    /// `TLSv1.3` and the cipher, when the server tells (MySQL/MariaDB).
    pub tls_version: Option<String>,
    pub tls_cipher: Option<String>,
    /// `direct`, or `via user@bastion host:port` (every hop in order).
    pub path: String,
    pub round_trip_ms: f64,
    /// What the MySQL/MariaDB account may do (from `SHOW GRANTS`).
    pub capabilities: Option<crate::mysql::grants::Capabilities>,
    /// The Redis server's replication role (`master` or `slave`).
    pub role: Option<String>,
    /// Privileges the account holds beyond what the profile's role needs (support and
    /// read-only profiles), one line per grant target: the grants are the real wall.
    #[serde(default)]
    pub excess_grants: Vec<String>,
}

/// Connects to every server of `profile` at once and reports each, side by side; one server
/// failing does not hide the others.
pub async fn check(profile: &Profile, timeout: std::time::Duration) -> Vec<ServerCheck> {
    use crate::mysql::{Flavour, MysqlServer};
    let actor = profile.actor();
    let mysql = |role: String, target: MysqlTarget| async move {
        let outcome = async {
            let server = MysqlServer::connect(&target, timeout, 1).await?;
            let (lines, capabilities) = crate::mysql::grants::capabilities(&server).await?;
            server.pool.close().await;
            Ok(ServerSummary {
                product: match server.info.flavour {
                    Flavour::MariaDb => "MariaDB".into(),
                    Flavour::MySql => "MySQL".into(),
                },
                version: server.info.version,
                tls: server.info.tls,
                tls_version: server.info.tls_version,
                tls_cipher: server.info.tls_cipher,
                path: server.info.path,
                round_trip_ms: server.info.round_trip_ms,
                capabilities: Some(capabilities),
                role: None,
                excess_grants: crate::mysql::grants::excess(&lines, actor),
            })
        }
        .await;
        ServerCheck {
            role,
            address: target.address(),
            outcome,
        }
    };
    let primary = mysql("primary".into(), profile.mysql.clone());
    let replicas = futures_util::future::join_all(
        profile
            .replicas
            .iter()
            .enumerate()
            .map(|(i, r)| mysql(format!("replica {}", i + 1), r.clone())),
    );
    let redis = async {
        let redis = profile.redis.as_ref()?;
        let nodes = redis
            .nodes
            .iter()
            .map(|n| n.address())
            .collect::<Vec<_>>()
            .join(", ");
        let connected = crate::redis::connect_topology(redis, timeout).await;
        let address = match (&connected, redis.mode) {
            (Ok(server), RedisMode::Sentinel) => {
                format!("{} via Sentinel {nodes}", server.info.address)
            }
            _ => nodes,
        };
        Some(ServerCheck {
            role: "redis".into(),
            address,
            outcome: connected.map(|s| ServerSummary {
                product: "Redis".into(),
                version: s.info.version,
                tls: s.info.tls,
                tls_version: None,
                tls_cipher: None,
                path: s.info.path,
                round_trip_ms: s.info.round_trip_ms,
                capabilities: None,
                role: Some(s.info.role),
                excess_grants: Vec::new(),
            }),
        })
    };
    let (primary, replicas, redis) = futures_util::join!(primary, replicas, redis);
    let mut out = vec![primary];
    out.extend(replicas);
    out.extend(redis);
    out
}

/// Removes the profile named `name`; returns it so its keyring entries can go too.
pub fn remove(path: &Path, name: &str) -> Result<Profile> {
    let profiles = load(path)?;
    let removed = profiles
        .iter()
        .find(|p| p.name == name)
        .cloned()
        .ok_or_else(|| Error::NotFound(format!("no profile named `{name}`")))?;
    let kept: Vec<Profile> = profiles.into_iter().filter(|p| p.name != name).collect();
    write_list(path, &kept)?;
    Ok(removed)
}

/// Replaces the whole profile list, keeping any other keys of the store file.
pub fn write_list(path: &Path, profiles: &[Profile]) -> Result<()> {
    let mut store: serde_json::Map<String, serde_json::Value> = match std::fs::read_to_string(path)
    {
        Ok(raw) => serde_json::from_str(&raw).unwrap_or_default(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::Map::new(),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    store.insert(
        PROFILES_KEY.into(),
        serde_json::to_value(profiles).expect("profiles serialise"),
    );
    write_atomically(
        path,
        &serde_json::to_string_pretty(&store).expect("store serialises"),
    )
}

/// Readies `profile` to be saved among `existing`, as an edit of `original_name` when given:
/// trims the name, reports every field problem (a taken name too), and carries over which
/// servers already have a saved password. Nothing is written.
pub fn prepare_save(
    profile: &mut Profile,
    original_name: Option<&str>,
    existing: &[Profile],
) -> Vec<FieldError> {
    profile.name = profile.name.trim().to_owned();
    let mut problems = validate(profile);
    if existing
        .iter()
        .any(|p| p.name == profile.name && Some(p.name.as_str()) != original_name)
    {
        problems.push(FieldError {
            field: "name".into(),
            message: "A profile with this name exists.".into(),
        });
    }
    if let Some(previous) = existing
        .iter()
        .find(|p| Some(p.name.as_str()) == original_name)
    {
        profile.mysql.password_saved |= previous.mysql.password_saved;
        for (replica, old) in profile.replicas.iter_mut().zip(&previous.replicas) {
            replica.password_saved |= old.password_saved;
        }
        if let (Some(node), Some(old)) = (
            profile.redis.as_mut().and_then(|r| r.nodes.first_mut()),
            previous.redis.as_ref().and_then(|r| r.nodes.first()),
        ) {
            node.password_saved |= old.password_saved;
        }
    }
    problems
}

/// `list` with `profile` in place of the one named `original_name` (or of its own name), sorted.
pub fn replace_in(list: &mut Vec<Profile>, original_name: Option<&str>, profile: Profile) {
    list.retain(|p| Some(p.name.as_str()) != original_name && p.name != profile.name);
    list.push(profile);
    list.sort_by(|a, b| a.name.cmp(&b.name));
}

#[cfg(test)]
mod save_tests {
    use super::*;

    fn profile(name: &str) -> Profile {
        Profile {
            name: name.into(),
            role: Role::Operator,
            read_only: false,
            mysql: MysqlTarget::new("127.0.0.1", 3306, "ops"),
            replicas: vec![],
            redis: None,
            ssh: None,
            backup_dir: None,
            alerts: Default::default(),
        }
    }

    #[test]
    fn a_taken_name_is_a_field_problem_but_editing_keeps_its_own_name() {
        let existing = vec![profile("prod"), profile("staging")];
        let mut renamed = profile(" staging ");
        let problems = prepare_save(&mut renamed, Some("prod"), &existing);
        assert_eq!(renamed.name, "staging");
        assert_eq!(
            problems
                .iter()
                .map(|p| p.field.as_str())
                .collect::<Vec<_>>(),
            ["name"]
        );
        let mut same = profile("prod");
        assert!(prepare_save(&mut same, Some("prod"), &existing).is_empty());
    }

    #[test]
    fn an_edit_without_a_new_password_keeps_the_saved_one() {
        let mut before = profile("prod");
        before.mysql.password_saved = true;
        let mut edited = profile("prod");
        prepare_save(&mut edited, Some("prod"), &[before]);
        assert!(edited.mysql.password_saved);
    }

    #[test]
    fn bad_fields_are_each_reported_on_their_field() {
        let mut p = profile("");
        p.mysql.port = 0;
        p.mysql.ca_file = Some("/nonexistent/ca.pem".into());
        p.redis = Some(RedisTopology {
            mode: RedisMode::Sentinel,
            nodes: vec![],
            master_name: None,
        });
        let fields: Vec<String> = prepare_save(&mut p, None, &[])
            .into_iter()
            .map(|e| e.field)
            .collect();
        for f in [
            "name",
            "mysql.port",
            "mysql.caFile",
            "redis.nodes",
            "redis.masterName",
        ] {
            assert!(
                fields.iter().any(|x| x == f),
                "{f} should be reported: {fields:?}"
            );
        }
    }

    #[test]
    fn replacing_renames_in_place_and_keeps_order() {
        let mut list = vec![profile("a"), profile("c")];
        replace_in(&mut list, Some("c"), profile("b"));
        assert_eq!(
            list.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }
}
