//! Who may do what, decided once, here. Every core function that changes something or runs
//! something on a server takes the [`Actor`] and asks [`Actor::require`]; the window and the
//! CLI only pass the actor along. These are the console's guard rails; the database's grants
//! remain the wall (see `profiles::check`, which warns when an account may do more than its
//! profile needs).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::profiles::{Profile, Role};

/// Who is acting: the profile's role and its read-only flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub read_only: bool,
}

/// Everything the console can do that not every profile may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Permission {
    /// Phone, email, IP and login tokens unmasked.
    ReadPii,
    /// `EXPLAIN ANALYZE`: runs the statement on the server.
    Analyze,
    /// The processlist, long transactions and top statements (their text holds PII).
    Monitor,
    /// The Redis key browser: cached rows and tokens as Redis holds them.
    BrowseCache,
    /// `KILL QUERY` / `KILL CONNECTION`.
    Kill,
    /// A backup: every row read, commits blocked for a moment, the run audited.
    Backup,
    /// A restore: a database created or replaced.
    Restore,
    /// Deleting a Redis key or changing its expiry.
    RedisWrite,
    /// `BGSAVE` / `BGREWRITEAOF`.
    RedisPersist,
    /// Applying schema migrations.
    Migrate,
    /// Writing demo data, and emptying the MindPal tables first when asked.
    Seed,
    /// Disable/enable, delete/restore users and digital humans; cache invalidation.
    DirectoryChange,
    /// A verdict on a conversation, written to `conversation_reviews`.
    Review,
    /// Creating and writing `percona.heartbeat` on the primary.
    Heartbeat,
    /// *Try it*: a scratch database with sampled copies of a statement's tables and a
    /// suggested index, created and dropped on the server.
    TryIndex,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::ReadPii,
        Permission::Analyze,
        Permission::Monitor,
        Permission::BrowseCache,
        Permission::Kill,
        Permission::Backup,
        Permission::Restore,
        Permission::RedisWrite,
        Permission::RedisPersist,
        Permission::Migrate,
        Permission::Seed,
        Permission::DirectoryChange,
        Permission::Review,
        Permission::Heartbeat,
        Permission::TryIndex,
    ];

    /// Support profiles may not, whatever their read-only flag.
    fn operators_only(self) -> bool {
        !matches!(self, Permission::Review)
    }

    /// Read-only profiles may not: it writes to a server (or blocks its writes).
    fn writes(self) -> bool {
        !matches!(
            self,
            Permission::ReadPii
                | Permission::Analyze
                | Permission::Monitor
                | Permission::BrowseCache
        )
    }

    /// What is refused, in words, for the error message.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::ReadPii => "unmasked phone, email and IP",
            Permission::Analyze => "EXPLAIN ANALYZE (it runs the statement)",
            Permission::Monitor => "sessions and statements (their text is not masked)",
            Permission::BrowseCache => "the Redis key browser (cached rows are not masked)",
            Permission::Kill => "KILL",
            Permission::Backup => "a backup",
            Permission::Restore => "a restore",
            Permission::RedisWrite => "deleting or expiring a Redis key",
            Permission::RedisPersist => "a Redis BGSAVE or BGREWRITEAOF",
            Permission::Migrate => "applying migrations",
            Permission::Seed => "seeding or resetting the database",
            Permission::DirectoryChange => "changing users and digital humans",
            Permission::Review => "reviewing conversations",
            Permission::Heartbeat => "the replication heartbeat (it writes to the primary)",
            Permission::TryIndex => "trying an index on a scratch copy (it creates a database)",
        }
    }
}

impl Actor {
    pub const OPERATOR: Actor = Actor {
        role: Role::Operator,
        read_only: false,
    };

    pub fn of(profile: &Profile) -> Actor {
        Actor {
            role: profile.role,
            read_only: profile.read_only,
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        if permission.operators_only() && self.role != Role::Operator {
            return false;
        }
        !(permission.writes() && self.read_only)
    }

    /// `Ok` when the actor may, else [`Error::Forbidden`] naming what and why.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.may(permission) {
            return Ok(());
        }
        let why = match (self.role, self.read_only) {
            (Role::Support | Role::Lead, _) if permission.operators_only() => {
                "operator profiles only"
            }
            _ => "this profile is read-only",
        };
        Err(Error::Forbidden(format!(
            "{} is refused: {why}",
            permission.describe()
        )))
    }

    /// What this actor may do, for the window to show only what works.
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.may(*p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out: a change to any rule must change this test too.
    #[test]
    fn every_permission_for_every_role_and_read_only_flag() {
        use Permission::*;
        // (permission, operator, read-only operator, support, read-only support)
        let table = [
            (ReadPii, true, true, false, false),
            (Analyze, true, true, false, false),
            (Monitor, true, true, false, false),
            (BrowseCache, true, true, false, false),
            (Kill, true, false, false, false),
            (Backup, true, false, false, false),
            (Restore, true, false, false, false),
            (RedisWrite, true, false, false, false),
            (RedisPersist, true, false, false, false),
            (Migrate, true, false, false, false),
            (Seed, true, false, false, false),
            (DirectoryChange, true, false, false, false),
            (Review, true, false, true, false),
            (Heartbeat, true, false, false, false),
            (TryIndex, true, false, false, false),
        ];
        assert_eq!(
            table.len(),
            Permission::ALL.len(),
            "every permission listed"
        );
        for (permission, op, op_ro, support, support_ro) in table {
            for (role, read_only, expected) in [
                (Role::Operator, false, op),
                (Role::Operator, true, op_ro),
                (Role::Support, false, support),
                (Role::Support, true, support_ro),
                (Role::Lead, false, support),
                (Role::Lead, true, support_ro),
            ] {
                let actor = Actor { role, read_only };
                assert_eq!(
                    actor.may(permission),
                    expected,
                    "{permission:?} for {role:?} read_only={read_only}"
                );
                match actor.require(permission) {
                    Ok(()) => assert!(expected),
                    Err(e) => {
                        assert!(!expected);
                        assert_eq!(e.kind(), crate::ErrorKind::Forbidden);
                        assert!(e.to_string().contains(permission.describe()), "{e}");
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        let support = Actor {
            role: Role::Support,
            read_only: false,
        };
        let e = support.require(Permission::Seed).unwrap_err().to_string();
        assert!(e.contains("operator profiles only"), "{e}");
        let read_only = Actor {
            role: Role::Operator,
            read_only: true,
        };
        let e = read_only
            .require(Permission::Restore)
            .unwrap_err()
            .to_string();
        assert!(e.contains("read-only"), "{e}");
    }
}
