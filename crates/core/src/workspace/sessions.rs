//! Per-profile sessions: each profile's passwords, read once from the keyring, and its open
//! MySQL pools. A profile's slot is locked only by that profile's calls, so a host that takes
//! five seconds to time out stalls nobody else. Everything is forgotten in one place: after an
//! authentication failure, a lost server, or an edit or removal of the profile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::access::Actor;
use crate::cache::Nodes;
use crate::mysql::{MysqlServer, MysqlTarget};
use crate::profiles::Profile;
use crate::redis::cluster::ClusterIdentity;
use crate::redis::{RedisServer, RedisTopology, connect_topology};
use crate::ssh::TunnelState;
use crate::{Error, ErrorKind};

type Slot = Arc<tokio::sync::Mutex<Option<MysqlServer>>>;
/// A profile's Redis as last connected: what it was for, when, and the connection.
type RedisSlot<T> = Arc<tokio::sync::Mutex<Option<(RedisTopology, Actor, Instant, Arc<T>)>>>;

/// How long a Redis connection is reused before Sentinel is asked again for the master, or the
/// cluster for its masters: a failover is followed within this.
const REDIS_REUSE: Duration = Duration::from_secs(30);

#[derive(Default)]
pub(crate) struct Sessions {
    /// Open pools by key: the profile's name, or `name#replica`.
    pools: Mutex<HashMap<String, Slot>>,
    /// Each profile as stored, with its passwords filled in. Reused while the stored
    /// profile (which the CLI may edit too) is unchanged.
    resolved: Mutex<HashMap<String, (Profile, Profile)>>,
    /// Each profile's Redis master (standalone, or the one Sentinel names).
    redis: Mutex<HashMap<String, RedisSlot<RedisServer>>>,
    /// Each profile's Redis data nodes for the key browser (every master of a cluster).
    nodes: Mutex<HashMap<String, RedisSlot<Nodes>>>,
    /// Each cluster profile's cluster as last seen, kept across reconnections (not across an
    /// edit of the profile), so a reconnection that reaches another cluster shows nothing.
    clusters: Mutex<HashMap<String, ClusterIdentity>>,
}

/// The value in `slots[name]` when it was made for `redis` and `actor` less than
/// [`REDIS_REUSE`] ago, else a new one from `open`. Only calls for the same profile wait.
async fn reuse<T, F>(
    slots: &Mutex<HashMap<String, RedisSlot<T>>>,
    name: &str,
    redis: &RedisTopology,
    actor: Actor,
    open: impl FnOnce() -> F,
) -> Result<Arc<T>, Error>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    let slot = slots
        .lock()
        .expect("sessions")
        .entry(name.to_owned())
        .or_default()
        .clone();
    let mut held = slot.lock().await;
    if let Some((was, by, at, value)) = held.as_ref()
        && was == redis
        && *by == actor
        && at.elapsed() < REDIS_REUSE
    {
        return Ok(value.clone());
    }
    let value = Arc::new(open().await?);
    *held = Some((redis.clone(), actor, Instant::now(), value.clone()));
    Ok(value)
}

impl Sessions {
    /// The profile with its passwords: from this session when the stored profile has not
    /// changed since they were read, else through `resolve` (the keyring, off the async
    /// workers by the caller's choice) and kept.
    pub fn with_passwords(
        &self,
        stored: Profile,
        resolve: impl FnOnce(&mut Profile) -> Result<(), Error>,
    ) -> Result<Profile, Error> {
        if let Some((was, resolved)) = self.resolved.lock().expect("sessions").get(&stored.name)
            && *was == stored
        {
            return Ok(resolved.clone());
        }
        let mut resolved = stored.clone();
        resolve(&mut resolved)?;
        self.resolved
            .lock()
            .expect("sessions")
            .insert(stored.name.clone(), (stored, resolved.clone()));
        Ok(resolved)
    }

    /// The open pool of `key` for `target`, or a new one. Only calls for the same key wait
    /// while it connects.
    pub async fn pool(
        &self,
        key: &str,
        target: &MysqlTarget,
        size: u32,
        timeout: Duration,
    ) -> Result<MysqlServer, Error> {
        let slot = self
            .pools
            .lock()
            .expect("sessions")
            .entry(key.to_owned())
            .or_default()
            .clone();
        let mut open = slot.lock().await;
        if let Some(server) = open.as_ref()
            && server.target == *target
        {
            return Ok(server.clone());
        }
        let server = MysqlServer::connect(target, timeout, size).await?;
        *open = Some(server.clone());
        Ok(server)
    }

    /// The profile's Redis, connected once and reused (see [`REDIS_REUSE`]).
    pub async fn redis(
        &self,
        profile: &Profile,
        redis: &RedisTopology,
        timeout: Duration,
    ) -> Result<RedisServer, Error> {
        let actor = profile.actor();
        let server = reuse(&self.redis, &profile.name, redis, actor, || {
            connect_topology(redis, timeout)
        })
        .await?;
        Ok((*server).clone())
    }

    /// The profile's Redis data nodes for the key browser; the core checks the actor may.
    pub async fn nodes(
        &self,
        profile: &Profile,
        redis: &RedisTopology,
        timeout: Duration,
    ) -> Result<Arc<Nodes>, Error> {
        let actor = profile.actor();
        let nodes = reuse(&self.nodes, &profile.name, redis, actor, || {
            crate::cache::nodes(redis, actor, timeout)
        })
        .await?;
        if let Some(now) = &nodes.identity {
            let mut clusters = self.clusters.lock().expect("sessions");
            if let Err(e) = still_the_cluster(&profile.name, clusters.get(&profile.name), now) {
                self.nodes.lock().expect("sessions").remove(&profile.name);
                return Err(e);
            }
            clusters.insert(profile.name.clone(), now.clone());
        }
        Ok(nodes)
    }

    /// After an error: a lost server drops the profile's pools (the next call reconnects); a
    /// refused password drops its passwords too (the next call reads them again).
    pub fn after_error(&self, name: &str, error: &Error) {
        match error.kind() {
            ErrorKind::AuthFailed => self.forget(name),
            // A statement the server stopped at its limit leaves the connection healthy.
            _ if matches!(error, Error::StatementLimit { .. }) => {}
            ErrorKind::Unreachable | ErrorKind::Timeout | ErrorKind::Redis => {
                self.forget_pools(name)
            }
            _ => {}
        }
    }

    /// The state of the tunnel of profile `name`'s session, when it has a bastion.
    pub fn tunnel(&self, name: &str) -> Option<(String, TunnelState)> {
        let resolved = self.resolved.lock().expect("sessions");
        let (_, profile) = resolved.get(name)?;
        profile
            .mysql
            .via
            .as_ref()
            .map(|via| (via.path(), via.state()))
    }

    /// Everything of profile `name`: after an edit or removal, or a refused password.
    pub fn forget(&self, name: &str) {
        self.forget_pools(name);
        self.clusters.lock().expect("sessions").remove(name);
        self.resolved.lock().expect("sessions").remove(name);
    }

    fn forget_pools(&self, name: &str) {
        let replica = format!("{name}#replica");
        self.pools
            .lock()
            .expect("sessions")
            .retain(|key, _| key != name && *key != replica);
        self.redis.lock().expect("sessions").remove(name);
        self.nodes.lock().expect("sessions").remove(name);
    }
}

/// A reconnection of profile `name` must reach the cluster seen `before` (sharing a node with
/// it): seeds that now answer for another cluster show nothing of it.
fn still_the_cluster(
    name: &str,
    before: Option<&ClusterIdentity>,
    now: &ClusterIdentity,
) -> Result<(), Error> {
    match before {
        Some(before) if !before.same_cluster(now) => Err(Error::Conflict(format!(
            "the seed nodes of `{name}` now answer for another Redis Cluster: none of the {} \
             nodes seen before is in it. Nothing of it is shown; check the profile's seed \
             addresses (or edit the profile to accept the new cluster)",
            before.0.len()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(ids: &[&str]) -> ClusterIdentity {
        ClusterIdentity(ids.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn a_reconnection_must_reach_the_cluster_seen_before() {
        let before = cluster(&["a1", "b1", "c1"]);
        // First sight, and the same cluster after a failover (one node replaced).
        assert!(still_the_cluster("prod", None, &before).is_ok());
        assert!(still_the_cluster("prod", Some(&before), &cluster(&["a1", "b1", "d1"])).is_ok());
        // Seeds that now answer for a cluster sharing no node: refused, saying why.
        let other = still_the_cluster("prod", Some(&before), &cluster(&["x", "y", "z"]))
            .expect_err("another cluster");
        assert_eq!(other.kind(), ErrorKind::Conflict);
        assert!(
            other
                .to_string()
                .contains("none of the 3 nodes seen before"),
            "{other}"
        );
    }
}
