//! Setting up: connection checks, migrations, seeding, the sandbox, profiles.

use super::*;

impl Out {
    pub fn ping(
        &self,
        mysql: &ServerInfo,
        replicas: &[Result<ServerInfo, String>],
        redis: Option<&RedisInfo>,
        excess_grants: &[String],
    ) {
        let checked: Vec<_> = replicas
            .iter()
            .map(|r| match r {
                Ok(info) => serde_json::json!({ "ok": true, "server": info }),
                Err(e) => serde_json::json!({ "ok": false, "error": e }),
            })
            .collect();
        let value = serde_json::json!({
            "mysql": mysql,
            "replicas": checked,
            "redis": redis,
            "excessGrants": excess_grants,
        });
        self.show(&value, || {
        let line = |role: &str, info: &ServerInfo| {
            say!(
                "{role:<8} {:<22} {:?} {:<10} {:<26} {:>6.1} ms  {}",
                info.address,
                info.flavour,
                info.version,
                match (&info.tls_version, &info.tls_cipher) {
                    (Some(version), Some(cipher)) => format!("{version} {cipher}"),
                    _ => "no TLS".to_owned(),
                },
                info.round_trip_ms,
                info.path
            )
        };
        line("mysql", mysql);
        for replica in replicas {
            match replica {
                Ok(info) => line("replica", info),
                Err(e) => say!("replica  unreachable: {e}"),
            }
        }
        match redis {
            Some(r) => say!(
                "{:<8} {:<22} Redis {:<10} role={:<6} {:<6} {:>6.1} ms  {}",
                "redis",
                r.address,
                r.version,
                r.role,
                // The redis crate does not tell the negotiated version and cipher.
                if r.tls { "TLS" } else { "no TLS" },
                r.round_trip_ms,
                r.path
            ),
            None => say!("redis    (none given)"),
        }
        for grant in excess_grants {
            say!(
                "warning: the account holds {grant}: more than this profile needs (see the README's least-privilege grants)"
            );
        }
        });
    }

    pub fn migrated(&self, applied: &[i64]) {
        self.show(&serde_json::json!({ "applied": applied }), || {
            if applied.is_empty() {
                say!("The schema is up to date.");
            } else {
                say!("Applied {} migration(s): {:?}", applied.len(), applied);
            }
        });
    }

    pub fn schema_status(&self, states: &[MigrationState]) {
        self.show(&states, || {
            for m in states {
                say!(
                    "{:>4}  {:<28} {}",
                    m.version,
                    m.description,
                    if m.applied { "applied" } else { "pending" }
                );
            }
        });
    }

    pub fn schema_diff(&self, diff: &SchemaDiff) {
        self.show(diff, || {
            if diff.in_sync {
                say!("`{}` matches schema/.", diff.database);
                return;
            }
            say!(
                "`{}` differs from schema/ in {} table(s):",
                diff.database,
                diff.tables.len()
            );
            for table in &diff.tables {
                say!("\n{}", table.table);
                for d in &table.differences {
                    let change = serde_json::to_value(d.change).expect("serialises");
                    let object = serde_json::to_value(d.object).expect("serialises");
                    say!(
                        "  {:<8} {:<7} {}",
                        change.as_str().unwrap_or_default(),
                        object.as_str().unwrap_or_default(),
                        d.name
                    );
                    if let Some(expected) = &d.expected {
                        say!("      schema/:  {expected}");
                    }
                    if let Some(actual) = &d.actual {
                        say!("      database: {actual}");
                    }
                    if let Some(note) = &d.note {
                        say!("      note:     {note}");
                    }
                }
            }
        });
    }

    pub fn seeded(&self, report: &SeedReport, with_redis: bool) {
        self.show(report, || {
            say!("Seeded scale {} (seed {}):", report.scale, report.seed);
            for t in &report.tables {
                say!("  {:<24} {:>12}", t.table, t.rows);
            }
            say!(
                "  {:<24} {:>12}  in {:.1} s ({:.0} rows/s)",
                "total rows",
                report.total_rows,
                report.mysql_seconds,
                report.rows_per_second
            );
            if with_redis {
                say!(
                    "  {:<24} {:>12}  in {:.1} s ({} stale on purpose)",
                    "redis keys",
                    report.redis_keys,
                    report.redis_seconds,
                    report.stale_redis_keys
                );
            }
        });
    }

    pub fn tsv_written(&self, tables: &[TableFigure], seconds: f64) {
        self.show(
            &serde_json::json!({ "tables": tables, "seconds": seconds }),
            || {
                let rows: u64 = tables.iter().map(|t| t.rows).sum();
                say!("Wrote {rows} rows as LOAD DATA files in {seconds:.1} s");
            },
        );
    }

    /// The sandbox's servers; with `passwords` (asked for by `--show-passwords`), a secure
    /// sandbox's passwords too.
    pub fn sandbox_status(
        &self,
        status: &SandboxStatus,
        passwords: Option<&mindpal_core::sandbox::secure::Credentials>,
    ) {
        let mut value = serde_json::to_value(status).expect("status serialises");
        if let Some(p) = passwords {
            value["passwords"] = serde_json::json!({
                "mysql": p.mysql.expose(),
                "redis": p.redis.expose(),
            });
        }
        self.show(&value, || {
        say!("Sandbox in {}", status.dir.display());
        for c in &status.components {
            say!(
                "  {:<14} 127.0.0.1:{:<6} {}",
                c.name,
                c.port,
                match (c.running, c.answering) {
                    (true, true) => format!("running (pid {})", c.pid.unwrap_or_default()),
                    (true, false) => "starting".to_owned(),
                    _ => "stopped".to_owned(),
                }
            );
        }
        if let Some(b) = &status.bastion {
            say!(
                "  {:<14} 127.0.0.1:{:<6} {}  host key {}",
                "bastion",
                b.port,
                match b.pid {
                    Some(pid) => format!("running (pid {pid})"),
                    None => "stopped".to_owned(),
                },
                b.host_fingerprint
            );
        }
        if let Some(cluster) = &status.cluster {
            for node in &cluster.nodes {
                say!(
                    "  {:<14} 127.0.0.1:{:<6} {}",
                    "cluster node",
                    node.port,
                    match node.pid {
                        Some(pid) => format!("running (pid {pid})"),
                        None => "stopped".to_owned(),
                    }
                );
            }
        }
        match (&status.ca_file, status.all_running()) {
            (Some(ca), true) => {
                say!(
                    "\nSecure: TLS required (CA {ca}); passwords on every account, kept in the keyring\n\
                     under the profile `sandbox`{}.\n\
                     Connect: --profile sandbox, or\n  \
                     mysql://root@127.0.0.1:{}/{}?ssl-mode=verify-identity&ssl-ca={ca}\n  \
                     rediss://127.0.0.1:{} --redis-ca {ca}",
                    if passwords.is_none() {
                        " (shown by `sandbox status --show-passwords`)"
                    } else {
                        ""
                    },
                    status.base_port,
                    status.database,
                    status.base_port + 2,
                    ca = ca.display(),
                );
                if let Some(p) = passwords {
                    say!("  MariaDB root password  {}", p.mysql.expose());
                    say!("  Redis password         {}", p.redis.expose());
                }
            }
            (None, true) => say!(
                "\nConnect: mysql://root@127.0.0.1:{}/{}   redis://127.0.0.1:{}   (or --profile sandbox)",
                status.base_port,
                status.database,
                status.base_port + 2
            ),
            _ => {}
        }
        });
    }

    pub fn sandbox_down(&self, stopped: &[&str], purged: bool) {
        self.show(
            &serde_json::json!({ "stopped": stopped, "purged": purged }),
            || {
                if stopped.is_empty() {
                    say!("Nothing of the sandbox was running.");
                } else {
                    say!("Stopped: {}", stopped.join(", "));
                }
                if purged {
                    say!("Removed the sandbox's folder.");
                }
            },
        );
    }

    pub fn profiles(&self, list: &[Profile]) {
        self.show(&list, || {
            if list.is_empty() {
                say!("No profiles yet. `mindpal-admin sandbox up` registers one named `sandbox`.");
            }
            for p in list {
                say!(
                    "{:<16} {:<9} {}{}",
                    p.name,
                    format!("{:?}", p.role).to_lowercase(),
                    p.mysql.address(),
                    if p.read_only { "  (read-only)" } else { "" }
                );
            }
        });
    }
}
