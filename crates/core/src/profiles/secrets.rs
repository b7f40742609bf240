//! Passwords of profiles: in the OS keyring, one entry per profile and server, and nowhere else.

use crate::error::{Error, Result};
use crate::secret::Secret;

use super::Profile;
use crate::app::APP_IDENTIFIER;

/// Which server of a profile a password belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Mysql,
    Replica(usize),
    Redis,
    /// The bastion's key passphrase or password.
    Ssh,
}

impl Slot {
    /// The keyring account: `<profile>/mysql`, `<profile>/replica-1`, `<profile>/redis`.
    pub fn account(self, profile: &str) -> String {
        match self {
            Slot::Mysql => format!("{profile}/mysql"),
            Slot::Replica(i) => format!("{profile}/replica-{}", i + 1),
            Slot::Redis => format!("{profile}/redis"),
            Slot::Ssh => format!("{profile}/ssh"),
        }
    }
}

fn entry(profile: &str, slot: Slot) -> Result<keyring::Entry> {
    keyring::Entry::new(APP_IDENTIFIER, &slot.account(profile)).map_err(unavailable)
}

fn unavailable(e: keyring::Error) -> Error {
    Error::KeyringUnavailable {
        message: e.to_string(),
    }
}

/// Is the keyring usable right now? Answers with the reason when it is not.
pub fn probe() -> Result<()> {
    match keyring::Entry::store_status() {
        Ok(()) => Ok(()),
        Err(e) => Err(Error::KeyringUnavailable {
            message: e.to_string(),
        }),
    }
}

pub fn save(profile: &str, slot: Slot, password: &Secret) -> Result<()> {
    entry(profile, slot)?
        .set_password(password.expose())
        .map_err(unavailable)
}

/// The saved password, or `None` when there is none.
pub fn load(profile: &str, slot: Slot) -> Result<Option<Secret>> {
    match entry(profile, slot)?.get_password() {
        Ok(p) => Ok(Some(Secret::new(p))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

pub fn delete(profile: &str, slot: Slot) -> Result<()> {
    match entry(profile, slot)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

/// Every slot of `profile` that says a password is saved.
pub fn saved_slots(profile: &Profile) -> Vec<Slot> {
    let mut slots = Vec::new();
    if profile.mysql.password_saved {
        slots.push(Slot::Mysql);
    }
    for (i, r) in profile.replicas.iter().enumerate() {
        if r.password_saved {
            slots.push(Slot::Replica(i));
        }
    }
    if profile
        .redis
        .as_ref()
        .and_then(|r| r.nodes.first())
        .is_some_and(|n| n.password_saved)
    {
        slots.push(Slot::Redis);
    }
    if profile.ssh.as_ref().is_some_and(|s| s.secret_saved) {
        slots.push(Slot::Ssh);
    }
    slots
}

/// Fills in the passwords of `profile`: from `session` (passwords kept for this session
/// only) first, else from the keyring for the servers that say one is saved there.
pub fn resolve(profile: &mut Profile, session: &dyn Fn(Slot) -> Option<Secret>) -> Result<()> {
    let name = profile.name.clone();
    let fetch = |slot: Slot, saved: bool| -> Result<Option<Secret>> {
        match session(slot) {
            Some(secret) => Ok(Some(secret)),
            None if saved => load(&name, slot),
            None => Ok(None),
        }
    };
    profile.mysql.password = fetch(Slot::Mysql, profile.mysql.password_saved)?;
    for (i, replica) in profile.replicas.iter_mut().enumerate() {
        // A replica without a password of its own uses the primary's account.
        replica.password = fetch(Slot::Replica(i), replica.password_saved)?.or_else(|| {
            (replica.user == profile.mysql.user)
                .then(|| profile.mysql.password.clone())
                .flatten()
        });
    }
    if let Some(redis) = profile.redis.as_mut() {
        let saved = redis.nodes.first().is_some_and(|n| n.password_saved);
        let password = fetch(Slot::Redis, saved)?;
        for node in &mut redis.nodes {
            node.password = password.clone();
        }
    }
    if let Some(ssh) = profile.ssh.as_mut() {
        ssh.secret = fetch(Slot::Ssh, ssh.secret_saved)?;
    }
    Ok(())
}

/// Passwords typed into a profile form; empty ones mean "keep what is saved". They go to the
/// keyring (or this session's memory) and never back out.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TypedPasswords {
    pub mysql: Option<String>,
    #[serde(default)]
    pub replicas: Vec<Option<String>>,
    pub redis: Option<String>,
    /// The bastion's key passphrase or password.
    #[serde(default)]
    pub ssh: Option<String>,
}

impl TypedPasswords {
    /// The non-empty passwords, by the server they belong to.
    pub fn into_slots(self) -> Vec<(Slot, Secret)> {
        let given = |p: Option<String>| p.filter(|p| !p.is_empty()).map(Secret::new);
        let mut out: Vec<(Slot, Secret)> = given(self.mysql)
            .map(|s| (Slot::Mysql, s))
            .into_iter()
            .collect();
        for (i, p) in self.replicas.into_iter().enumerate() {
            out.extend(given(p).map(|s| (Slot::Replica(i), s)));
        }
        out.extend(given(self.redis).map(|s| (Slot::Redis, s)));
        out.extend(given(self.ssh).map(|s| (Slot::Ssh, s)));
        out
    }
}

/// Passwords kept in memory for this session only, when the keyring is unavailable and the
/// user chose not to save them.
pub type SessionSecrets = std::collections::HashMap<(String, Slot), Secret>;

/// Keeps the passwords typed for `profile`: in the keyring (marking each server
/// `password_saved`), or with `session_only` in `session`. A server with no new password
/// keeps what it had; renaming moves saved passwords to the new name.
pub fn keep(
    profile: &mut Profile,
    original_name: Option<&str>,
    typed: Vec<(Slot, Secret)>,
    session_only: bool,
    session: &mut SessionSecrets,
) -> Result<()> {
    if let Some(old) = original_name.filter(|old| *old != profile.name) {
        for slot in saved_slots(profile) {
            if let Some(secret) = load(old, slot)? {
                save(&profile.name, slot, &secret)?;
            }
            delete(old, slot)?;
        }
        let moved: Vec<(Slot, Secret)> = session
            .iter()
            .filter(|((name, _), _)| name == old)
            .map(|((_, slot), secret)| (*slot, secret.clone()))
            .collect();
        session.retain(|(name, _), _| name != old);
        for (slot, secret) in moved {
            session.insert((profile.name.clone(), slot), secret);
        }
    }
    for (slot, secret) in typed {
        if session_only {
            session.insert((profile.name.clone(), slot), secret);
            set_saved(profile, slot, false);
        } else {
            save(&profile.name, slot, &secret)?;
            session.remove(&(profile.name.clone(), slot));
            set_saved(profile, slot, true);
        }
    }
    Ok(())
}

fn set_saved(profile: &mut Profile, slot: Slot, saved: bool) {
    match slot {
        Slot::Mysql => profile.mysql.password_saved = saved,
        Slot::Replica(i) => {
            if let Some(r) = profile.replicas.get_mut(i) {
                r.password_saved = saved;
            }
        }
        Slot::Redis => {
            if let Some(node) = profile.redis.as_mut().and_then(|r| r.nodes.first_mut()) {
                node.password_saved = saved;
            }
        }
        Slot::Ssh => {
            if let Some(ssh) = profile.ssh.as_mut() {
                ssh.secret_saved = saved;
            }
        }
    }
}

/// Forgets every password of a profile (keyring and session).
pub fn forget(profile: &Profile, session: &mut SessionSecrets) -> Result<()> {
    session.retain(|(name, _), _| *name != profile.name);
    for slot in saved_slots(profile) {
        delete(&profile.name, slot)?;
    }
    Ok(())
}
