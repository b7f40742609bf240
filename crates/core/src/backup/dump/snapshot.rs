//! One consistent snapshot on every dump connection, the binlog point it stands at, and the
//! CREATE statements read inside it.

use super::*;

/// Blocks commits for as short a time as the server allows while every dump connection opens
/// its snapshot, and reads the binlog position and GTID of that point.
pub(super) async fn take_snapshot(
    server: &MysqlServer,
    options: &BackupOptions,
    dumpers: &mut Vec<Dumper>,
) -> Result<Snapshot> {
    let flavour = server.info.flavour;
    let mut coordinator = MySqlConnection::connect_with(&server.connect_options())
        .await
        .map_err(|e| server.err(e))?;
    let wait = options.statement_timeout.as_secs().max(1);
    // A long statement holding a table must not make everyone wait behind our lock.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET SESSION lock_wait_timeout = {wait}"
    )))
    .execute(&mut coordinator)
    .await
    .map_err(|e| server.err(e))?;
    let (method, lock, unlock): (&str, &[&str], &str) = match flavour {
        Flavour::MariaDb if server.info.at_least((10, 4, 1)) => (
            "BACKUP STAGE BLOCK_COMMIT",
            &["BACKUP STAGE START", "BACKUP STAGE BLOCK_COMMIT"],
            "BACKUP STAGE END",
        ),
        _ => (
            "FLUSH TABLES WITH READ LOCK",
            &["FLUSH TABLES WITH READ LOCK"],
            "UNLOCK TABLES",
        ),
    };
    let locked_at = Instant::now();
    let mut locked = Ok(());
    for statement in lock {
        if let Err(e) = sqlx::raw_sql(*statement).execute(&mut coordinator).await {
            locked = Err(server.err(e));
            break;
        }
    }
    match locked {
        Ok(()) => {
            let opened = async {
                for d in dumpers.iter_mut() {
                    start_snapshot(server, &mut d.conn).await?;
                }
                binlog_point(server, &mut coordinator).await
            }
            .await;
            let released = sqlx::raw_sql(unlock).execute(&mut coordinator).await;
            let lock_held_ms = locked_at.elapsed().as_secs_f64() * 1000.0;
            let _ = coordinator.close().await;
            released.map_err(|e| server.err(e))?;
            let (binlog_file, binlog_position, gtid) = opened?;
            Ok(Snapshot {
                method: method.to_owned(),
                lock_held_ms,
                connections: dumpers.len() as u32,
                binlog_file,
                binlog_position,
                gtid,
            })
        }
        Err(e) if e.kind() == ErrorKind::PrivilegeMissing => {
            let _ = sqlx::raw_sql(unlock).execute(&mut coordinator).await;
            let _ = coordinator.close().await;
            // Without the lock only one snapshot is consistent: dump on one connection.
            dumpers.truncate(1);
            let d = &mut dumpers[0];
            start_snapshot(server, &mut d.conn).await?;
            let (binlog_file, binlog_position) = if flavour == Flavour::MariaDb {
                // MariaDB reports the binlog point of this very snapshot.
                let rows = sqlx::raw_sql("SHOW STATUS LIKE 'binlog_snapshot_%'")
                    .fetch_all(&mut d.conn)
                    .await
                    .map_err(|e| server.err(e))?;
                let get = |name: &str| {
                    rows.iter()
                        .find(|r| cell_text(r, 0).as_deref() == Some(name))
                        .and_then(|r| cell_text(r, 1))
                };
                (
                    get("Binlog_snapshot_file").filter(|f| !f.is_empty()),
                    get("Binlog_snapshot_position").and_then(|p| p.parse().ok()),
                )
            } else {
                (None, None)
            };
            Ok(Snapshot {
                method: "START TRANSACTION WITH CONSISTENT SNAPSHOT".to_owned(),
                lock_held_ms: 0.0,
                connections: 1,
                binlog_file,
                binlog_position,
                gtid: None,
            })
        }
        Err(e) => {
            let _ = sqlx::raw_sql(unlock).execute(&mut coordinator).await;
            Err(e)
        }
    }
}

pub(super) async fn start_snapshot(server: &MysqlServer, conn: &mut MySqlConnection) -> Result<()> {
    sqlx::raw_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        .execute(conn)
        .await
        .map_err(|e| server.err(e))?;
    Ok(())
}

pub(super) async fn binlog_point(
    server: &MysqlServer,
    conn: &mut MySqlConnection,
) -> Result<(Option<String>, Option<u64>, Option<String>)> {
    let status = mysql_since(
        server,
        (8, 4, 0),
        "SHOW BINARY LOG STATUS",
        "SHOW MASTER STATUS",
    );
    let row = sqlx::raw_sql(status)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| server.err(e))?;
    let (file, position) = match &row {
        Some(r) => (
            cell_text(r, 0),
            cell_text(r, 1).and_then(|p| p.parse().ok()),
        ),
        None => (None, None),
    };
    let gtid_sql = match server.info.flavour {
        Flavour::MariaDb => "SELECT @@GLOBAL.gtid_binlog_pos",
        Flavour::MySql => "SELECT @@GLOBAL.gtid_executed",
    };
    let gtid = sqlx::raw_sql(gtid_sql)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| server.err(e))?
        .and_then(|r| cell_text(&r, 0))
        .filter(|g| !g.is_empty());
    Ok((file, position, gtid))
}

/// `SHOW CREATE TABLE` / `SHOW CREATE VIEW` of everything the backup holds.
pub(super) async fn show_creates(
    server: &MysqlServer,
    database: &str,
    tables: &[TablePlan],
    views: &[String],
) -> Result<(Vec<String>, Vec<String>)> {
    let mut conn = server.pool.acquire().await.map_err(|e| server.err(e))?;
    let mut table_sql = Vec::with_capacity(tables.len());
    for t in tables {
        let sql = format!(
            "SHOW CREATE TABLE {}.{}",
            quote_ident(database),
            quote_ident(&t.name)
        );
        let row = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| server.err(e))?;
        table_sql.push(cell_text(&row, 1).unwrap_or_default());
    }
    let mut view_sql = Vec::with_capacity(views.len());
    for v in views {
        let sql = format!(
            "SHOW CREATE VIEW {}.{}",
            quote_ident(database),
            quote_ident(v)
        );
        let row = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| server.err(e))?;
        let shown = cell_text(&row, 1).unwrap_or_default();
        // Restorable under any name and by anyone: no DEFINER, no `database`. prefixes. A view
        // that cannot be rewritten stays as shown, and a restore refuses it by name.
        view_sql.push(crate::backup::admit::portable_view(&shown, database).unwrap_or(shown));
    }
    Ok((table_sql, view_sql))
}
