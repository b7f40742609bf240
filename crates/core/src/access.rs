//! Who may do what, decided once, here. Every core function that changes something or runs
//! something on a server takes the [`Actor`] and asks [`Actor::require`]; the window and the
//! CLI only pass the actor along. These are the console's guard rails; the database's grants
//! remain the wall (see `profiles::check`, which warns when an account may do more than its
//! profile needs).

use serde::Serialize;

use serde::Deserialize;

use crate::error::{Error, Result};

/// What a profile is for. The role decides nothing by itself: [`Actor::may`] reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Role {
    /// Looks after the database: schema, backups, replication, monitoring.
    #[default]
    Operator,
    /// Reads conversations; sees PII masked.
    Support,
    /// Leads the support team: what support sees, and every reviewer's figures.
    Lead,
}

impl Role {
    /// Ordered by what each may: support < lead < operator.
    fn rank(self) -> u8 {
        match self {
            Role::Support => 0,
            Role::Lead => 1,
            Role::Operator => 2,
        }
    }
}

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
    /// The reviewers' dashboard with everyone's figures, not only the viewer's own.
    SeeEveryReviewer,
    /// The whole audit trail; without it, only the trail of reviews and exports.
    ReadFullAuditTrail,
}

impl Permission {
    pub const ALL: [Permission; 17] = [
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
        Permission::SeeEveryReviewer,
        Permission::ReadFullAuditTrail,
    ];

    /// The least role that may, whatever the read-only flag.
    fn least_role(self) -> Role {
        match self {
            Permission::Review => Role::Support,
            Permission::SeeEveryReviewer => Role::Lead,
            _ => Role::Operator,
        }
    }

    /// Read-only profiles may not: it writes to a server (or blocks its writes).
    fn writes(self) -> bool {
        !matches!(
            self,
            Permission::ReadPii
                | Permission::Analyze
                | Permission::Monitor
                | Permission::BrowseCache
                | Permission::SeeEveryReviewer
                | Permission::ReadFullAuditTrail
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
            Permission::SeeEveryReviewer => "every reviewer's figures",
            Permission::ReadFullAuditTrail => "the audit trail beyond reviews and exports",
        }
    }
}

impl Actor {
    pub const OPERATOR: Actor = Actor {
        role: Role::Operator,
        read_only: false,
    };

    pub const SUPPORT: Actor = Actor {
        role: Role::Support,
        read_only: false,
    };

    pub fn may(&self, permission: Permission) -> bool {
        if self.role.rank() < permission.least_role().rank() {
            return false;
        }
        !(permission.writes() && self.read_only)
    }

    /// Phone, email, IP and tokens are shown masked to this actor.
    pub fn masked(&self) -> bool {
        !self.may(Permission::ReadPii)
    }

    /// Whether this actor may act as `role` (a command line asking for another role): only as
    /// one that may no more than its own, so a profile is never raised.
    pub fn may_act_as(&self, role: Role) -> bool {
        role.rank() <= self.role.rank()
    }

    /// This actor acting as `role`, or [`Error::Forbidden`] when that would raise it.
    pub fn acting_as(&self, role: Role) -> Result<Actor> {
        if !self.may_act_as(role) {
            return Err(Error::Forbidden(
                format!(
                    "acting as {role:?} is refused: this is a {:?} profile",
                    self.role
                )
                .to_lowercase(),
            ));
        }
        Ok(Actor {
            role,
            read_only: self.read_only,
        })
    }

    /// `Ok` when the actor may, else [`Error::Forbidden`] naming what and why.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.may(permission) {
            return Ok(());
        }
        let why = match (self.role, self.read_only) {
            (role, _) if role.rank() < permission.least_role().rank() => {
                match permission.least_role() {
                    Role::Lead => "support lead and operator profiles only",
                    _ => "operator profiles only",
                }
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
        // (permission, [operator, read-only operator, lead, read-only lead, support, read-only support])
        let t = true;
        let f = false;
        let table = [
            (ReadPii, [t, t, f, f, f, f]),
            (Analyze, [t, t, f, f, f, f]),
            (Monitor, [t, t, f, f, f, f]),
            (BrowseCache, [t, t, f, f, f, f]),
            (Kill, [t, f, f, f, f, f]),
            (Backup, [t, f, f, f, f, f]),
            (Restore, [t, f, f, f, f, f]),
            (RedisWrite, [t, f, f, f, f, f]),
            (RedisPersist, [t, f, f, f, f, f]),
            (Migrate, [t, f, f, f, f, f]),
            (Seed, [t, f, f, f, f, f]),
            (DirectoryChange, [t, f, f, f, f, f]),
            (Review, [t, f, t, f, t, f]),
            (Heartbeat, [t, f, f, f, f, f]),
            (TryIndex, [t, f, f, f, f, f]),
            (SeeEveryReviewer, [t, t, t, t, f, f]),
            (ReadFullAuditTrail, [t, t, f, f, f, f]),
        ];
        assert_eq!(
            table.len(),
            Permission::ALL.len(),
            "every permission listed"
        );
        let actors = [
            (Role::Operator, false),
            (Role::Operator, true),
            (Role::Lead, false),
            (Role::Lead, true),
            (Role::Support, false),
            (Role::Support, true),
        ];
        for (permission, expected) in table {
            for ((role, read_only), expected) in actors.into_iter().zip(expected) {
                let actor = Actor { role, read_only };
                assert_eq!(
                    actor.may(permission),
                    expected,
                    "{permission:?} for {role:?} read_only={read_only}"
                );
                assert_eq!(actor.masked(), !actor.may(ReadPii));
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

    /// A profile may act as a role that may less, never as one that may more.
    #[test]
    fn a_role_is_lowered_never_raised() {
        use Role::*;
        // (profile's role, asked, allowed)
        let table = [
            (Operator, Operator, true),
            (Operator, Lead, true),
            (Operator, Support, true),
            (Lead, Operator, false),
            (Lead, Lead, true),
            (Lead, Support, true),
            (Support, Operator, false),
            (Support, Lead, false),
            (Support, Support, true),
        ];
        for (role, asked, allowed) in table {
            for read_only in [false, true] {
                let actor = Actor { role, read_only };
                assert_eq!(actor.may_act_as(asked), allowed, "{role:?} as {asked:?}");
                match actor.acting_as(asked) {
                    Ok(lowered) => {
                        assert!(allowed);
                        assert_eq!(
                            lowered,
                            Actor {
                                role: asked,
                                read_only
                            }
                        );
                    }
                    Err(e) => {
                        assert!(!allowed);
                        assert_eq!(e.kind(), crate::ErrorKind::Forbidden);
                    }
                }
            }
        }
        let parsed: Role = serde_json::from_str("\"lead\"").unwrap();
        assert_eq!(parsed, Role::Lead);
    }

    #[test]
    fn refusals_say_why() {
        let support = Actor {
            role: Role::Support,
            read_only: false,
        };
        let e = support.require(Permission::Seed).unwrap_err().to_string();
        assert!(e.contains("operator profiles only"), "{e}");
        let e = support
            .require(Permission::SeeEveryReviewer)
            .unwrap_err()
            .to_string();
        assert!(e.contains("support lead and operator profiles only"), "{e}");
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
