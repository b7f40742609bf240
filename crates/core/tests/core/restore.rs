//! What a restore admits, against the real MariaDB: folders edited to run other SQL (with
//! every hash made consistent again, as whoever edits a folder would) are refused before
//! anything is created, naming the file and the reason; a backup of every column type
//! MariaDB has restores equal, value by value.

use std::path::Path;

use mindpal_core::backup::manifest::{self, Manifest, ViewEntry};
use mindpal_core::backup::{self, BackupOptions, ChecksumPolicy, RestoreOptions};
use mindpal_core::mysql::{MysqlServer, quote_ident};
use mindpal_core::{CancellationToken, ErrorKind};
use sha2::{Digest, Sha256};

use crate::support::{admin, database_exists, drop_database, seeded};

async fn take_backup(server: &MysqlServer, database: &str, out: &Path) -> String {
    backup::run(
        server,
        mindpal_core::access::Actor::OPERATOR,
        &BackupOptions {
            database: Some(database.to_owned()),
            jobs: 2,
            chunk_rows: 1_000,
            checksum: ChecksumPolicy::All,
            ..BackupOptions::new(out)
        },
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("the backup completes")
    .path
}

async fn restore_into(
    server: &MysqlServer,
    folder: &Path,
    into: &str,
) -> mindpal_core::Result<backup::RestoreReport> {
    backup::restore(
        server,
        mindpal_core::access::Actor::OPERATOR,
        folder,
        &RestoreOptions {
            into: into.to_owned(),
            replace: false,
            replace_live_database: false,
            jobs: 2,
            until: None,
        },
        &|_| {},
        &CancellationToken::new(),
    )
    .await
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join(manifest::DATA_DIR)).unwrap();
    for dir in [Path::new(""), Path::new(manifest::DATA_DIR)] {
        for entry in std::fs::read_dir(from.join(dir)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), to.join(dir).join(entry.file_name())).unwrap();
            }
        }
    }
}

/// Rewrites the first data file of `table` with `edit` and makes every hash agree again.
fn edit_data(folder: &Path, m: &mut Manifest, table: &str, edit: &dyn Fn(&str) -> String) {
    let t = m.tables.iter_mut().find(|t| t.name == table).unwrap();
    let file = &mut t.files[0];
    let path = folder.join(&file.path);
    let text =
        String::from_utf8(zstd::decode_all(std::fs::File::open(&path).unwrap()).unwrap()).unwrap();
    let edited = edit(&text);
    let compressed = zstd::encode_all(edited.as_bytes(), 3).unwrap();
    std::fs::write(&path, &compressed).unwrap();
    file.sha256 = manifest::hex(&Sha256::digest(&compressed));
    file.bytes = edited.len() as u64;
    file.compressed_bytes = compressed.len() as u64;
    t.checksum = manifest::table_checksum(&t.files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_edited_to_run_other_sql_is_refused_with_nothing_created() {
    let db = seeded("hostile", 11, None).await;
    let out = tempfile::tempdir().unwrap();
    let original = take_backup(&db.server, &db.name, out.path()).await;
    let pristine = manifest::read(Path::new(&original)).unwrap();
    let users_before = db.count("users").await;
    let live = quote_ident(&db.name);
    let users = pristine.tables.iter().find(|t| t.name == "users").unwrap();
    let prefix = mindpal_core::backup::admit::insert_prefix("users", &users.columns);
    let nulls = |last: &str| {
        let mut values = vec!["NULL"; users.columns.len() - 1];
        values.push(last);
        format!("{prefix}({});", values.join(","))
    };

    type Edit = Box<dyn Fn(&Path, &mut Manifest)>;
    let drop_live = format!("DROP DATABASE {live}");
    let cases: Vec<(&str, &str, Edit)> = vec![
        (
            "a second statement after the CREATE",
            "manifest.json",
            Box::new({
                let drop_live = drop_live.clone();
                move |_, m| {
                    let t = m.tables.iter_mut().find(|t| t.name == "users").unwrap();
                    t.create_sql = format!("{}; {drop_live}", t.create_sql);
                }
            }),
        ),
        (
            "another statement kind in place of the CREATE",
            "manifest.json",
            Box::new({
                let drop_live = drop_live.clone();
                move |_, m| m.tables[0].create_sql = drop_live.clone()
            }),
        ),
        (
            "an executable comment in the CREATE",
            "manifest.json",
            Box::new({
                let drop_live = drop_live.clone();
                move |_, m| {
                    let t = m.tables.iter_mut().find(|t| t.name == "users").unwrap();
                    t.create_sql = format!("{} /*!50000 ; {drop_live} */", t.create_sql);
                }
            }),
        ),
        (
            "a view that runs as its definer over another database",
            "manifest.json",
            Box::new(|_, m| {
                m.views.push(ViewEntry {
                    name: "peek".into(),
                    create_sql: "CREATE DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `peek` AS select `User` from `mysql`.`user`".into(),
                })
            }),
        ),
        (
            "a data file path outside the folder",
            "manifest.json",
            Box::new(|_, m| {
                let t = m.tables.iter_mut().find(|t| t.name == "users").unwrap();
                t.files[0].path = "../../etc/passwd".into();
            }),
        ),
        (
            "DROP DATABASE in a data file",
            "data/",
            Box::new({
                let drop_live = drop_live.clone();
                move |folder, m| {
                    edit_data(folder, m, "users", &|text| format!("{drop_live};\n{text}"))
                }
            }),
        ),
        (
            "GRANT in a data file",
            "data/",
            Box::new(|folder, m| {
                edit_data(folder, m, "users", &|text| {
                    format!("{text}GRANT ALL ON *.* TO 'intruder'@'%';\n")
                })
            }),
        ),
        (
            "SET GLOBAL in a data file",
            "data/",
            Box::new(|folder, m| {
                edit_data(folder, m, "users", &|text| {
                    format!("SET GLOBAL read_only = 1;\n{text}")
                })
            }),
        ),
        (
            "an INSERT into another database's table",
            "data/",
            Box::new({
                let live = live.clone();
                move |folder, m| {
                    edit_data(folder, m, "users", &|text| {
                        text.replacen(
                            "INSERT INTO `users`",
                            &format!("INSERT INTO {live}.`users`"),
                            1,
                        )
                    })
                }
            }),
        ),
        (
            "a function call in VALUES",
            "data/",
            Box::new({
                let line = nulls("SLEEP(0)");
                move |folder, m| edit_data(folder, m, "users", &|text| format!("{text}{line}\n"))
            }),
        ),
        (
            "a subquery in VALUES",
            "data/",
            Box::new({
                let line = nulls("(SELECT `Password` FROM `mysql`.`user` LIMIT 1)");
                move |folder, m| edit_data(folder, m, "users", &|text| format!("{text}{line}\n"))
            }),
        ),
        (
            "an executable comment in VALUES",
            "data/",
            Box::new({
                let line = nulls("/*!50000 1*/");
                move |folder, m| edit_data(folder, m, "users", &|text| format!("{line}\n{text}"))
            }),
        ),
        (
            "a second statement after an INSERT",
            "data/",
            Box::new({
                let drop_live = drop_live.clone();
                move |folder, m| {
                    edit_data(folder, m, "users", &|text| {
                        text.replacen(";\n", &format!("; {drop_live};\n"), 1)
                    })
                }
            }),
        ),
    ];

    let admin = admin().await;
    let target = format!("{}_hostile", db.name);
    for (i, (what, file, edit)) in cases.iter().enumerate() {
        let folder = out.path().join(format!("hostile-{i}"));
        copy_folder(Path::new(&original), &folder);
        let mut m = pristine.clone();
        edit(&folder, &mut m);
        manifest::write(&folder, &m).unwrap();
        let err = restore_into(&db.server, &folder, &target)
            .await
            .expect_err(what);
        assert_eq!(err.kind(), ErrorKind::Refused, "{what}: {err}");
        let text = err.to_string();
        assert!(text.contains(file), "{what}: the file is named: {text}");
        assert!(text.contains("nothing was restored"), "{what}: {text}");
        assert!(
            !text.contains(&drop_live) || *file == "manifest.json",
            "{what}: {text}"
        );
        assert!(
            !database_exists(&admin, &target).await,
            "{what}: nothing was created"
        );
    }
    assert_eq!(
        db.count("users").await,
        users_before,
        "the live data is whole"
    );
    let (refusals,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM operation_logs WHERE action = 'backup.restore_refused'",
    )
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(
        refusals,
        cases.len() as i64,
        "every refusal is in operation_logs"
    );
    let (grants,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM mysql.user WHERE User = 'intruder'")
            .fetch_one(&admin.pool)
            .await
            .unwrap();
    assert_eq!(grants, 0);

    // The untouched folder still restores.
    let report = restore_into(&db.server, Path::new(&original), &target)
        .await
        .expect("the original restores");
    assert!(report.ok, "{report:#?}");
    drop_database(&admin, &target).await;
    db.drop().await;
}

/// Every column type MariaDB has, at its edges, NULL included.
const ALL_TYPES: &str = r#"
CREATE TABLE all_types (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT UNSIGNED, i INT, bi BIGINT,
  biu BIGINT UNSIGNED, dwide DECIMAL(65,30), dmoney DECIMAL(10,2), f FLOAT, fd FLOAT(10,3),
  dbl DOUBLE, b1 BIT(1), b64 BIT(64), d DATE, dt DATETIME(6), ts TIMESTAMP(3) NULL DEFAULT NULL,
  t TIME(6), y YEAR, c CHAR(10), vc VARCHAR(255), tx TEXT, lt LONGTEXT, bn BINARY(8),
  vb VARBINARY(300), bl BLOB, lb LONGBLOB, e ENUM('a','b','it''s'), s SET('x','y','z'),
  js JSON, g GEOMETRY, pt POINT, u UUID, ip6 INET6, ip4 INET4, latin VARCHAR(20) CHARACTER SET latin1,
  gen INT AS (i * 2) VIRTUAL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO all_types (id) VALUES (1);
INSERT INTO all_types (ti, tiu, si, mi, i, bi, biu, dwide, dmoney, f, fd, dbl, b1, b64, d, dt, ts, t, y,
  c, vc, tx, lt, bn, vb, bl, lb, e, s, js, g, pt, u, ip6, ip4, latin) VALUES
 (-128, 255, -32768, 16777215, -2147483648, -9223372036854775808, 18446744073709551615,
  '-99999999999999999999999999999999999.999999999999999999999999999999', -12345678.99,
  -3.402823466e38, 1234567.125, -1.7976931348623157e308, b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
  '0000-00-00', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999', '-838:59:59.000000', 2155,
  'a''b\\c', CONCAT('tab\t', 'nl\n', 'cr\r', 'nul', CHAR(0), 'z', CHAR(26), ' 😀 中文 é'),
  REPEAT('long line ', 5000), REPEAT(CONCAT('😀', CHAR(10)), 20000), X'0001027F80FEFF00',
  UNHEX('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2027225C'),
  UNHEX(REPEAT('00FF5C27220A0D1A', 500)), REPEAT(UNHEX('DEADBEEF00'), 100000), 'it''s', 'x,z',
  '{"a": [1, 2.5, {"b": "é\\n\\"q\\""}], "n": null, "emoji": "😀"}',
  ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))'), POINT(1.5, -2.25),
  '123e4567-e89b-12d3-a456-426614174000', '2001:db8::ff00:42:8329', '192.168.0.1', 'café'),
 (0, 0, 0, 0, 0, 0, 0, '0.000000000000000000000000000001', 0, 1.17549435e-38, 0, 2.2250738585072014e-308,
  b'0', b'0', '1000-01-01', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '838:59:59.999999', 1901,
  '', '', '', '', X'', X'', X'', X'', 'a', '', '[]', POINT(0, 0), POINT(0, 0),
  '00000000-0000-0000-0000-000000000000', '::', '0.0.0.0', ''),
 (127, 1, 32767, 1, 2147483647, 9223372036854775807, 1, '99999999999999999999999999999999999.999999999999999999999999999999',
  99999999.99, 0.1, -0.001, 0.1, b'1', b'1000000000000000000000000000000000000000000000000000000000000000',
  '2026-12-02', '2026-12-02 14:31:00.000001', '2026-12-02 14:31:00.5', '00:00:00.000001', 1970,
  'NULL', 'NULL', '\\N', 'NULL', 'NULL', 'NULL', 'NULL', 'NULL', 'b', 'x,y,z', '"NULL"', NULL, NULL,
  NULL, NULL, NULL, 'NULL');
INSERT INTO all_types (d, dt, ts, t) VALUES ('0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '00:00:00');
CREATE VIEW positive_ids AS SELECT id, bi FROM all_types WHERE bi > 0;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_column_type_restores_equal() {
    let db = seeded("types", 12, None).await;
    db.load(ALL_TYPES).await;
    let out = tempfile::tempdir().unwrap();
    let folder = take_backup(&db.server, &db.name, out.path()).await;
    let m = manifest::read(Path::new(&folder)).unwrap();
    let entry = m.tables.iter().find(|t| t.name == "all_types").unwrap();
    assert_eq!(entry.rows, 5);
    assert!(
        !entry.columns.contains(&"gen".to_owned()),
        "generated columns are left to the server"
    );

    let admin = admin().await;
    let target = format!("{}_types", db.name);
    let report = restore_into(&db.server, Path::new(&folder), &target)
        .await
        .expect("the restore completes");
    // Value by value, not only by checksum: every column as the server shows it.
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'all_types' ORDER BY ORDINAL_POSITION",
    )
    .bind(&db.name)
    .fetch_all(&admin.pool)
    .await
    .unwrap();
    let shown = |schema: &str| {
        let list: Vec<String> = columns
            .iter()
            .map(|(c, data_type)| {
                let c = quote_ident(c);
                // Numbers exactly (a FLOAT widened to DOUBLE shows every bit), the rest as bytes.
                let shown = match data_type.as_str() {
                    "float" => format!("CAST(CAST({c} AS DOUBLE) AS CHAR)"),
                    "tinyint" | "smallint" | "mediumint" | "int" | "bigint" | "decimal"
                    | "double" => format!("CAST({c} AS CHAR)"),
                    _ => format!("HEX({c})"),
                };
                format!("IFNULL({shown}, 'NULL')")
            })
            .collect();
        format!(
            "SELECT CONCAT_WS('|', {}) FROM {}.all_types ORDER BY id",
            list.join(", "),
            quote_ident(schema)
        )
    };
    let source: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(shown(&db.name)))
        .fetch_all(&admin.pool)
        .await
        .unwrap();
    let restored: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(shown(&target)))
        .fetch_all(&admin.pool)
        .await
        .unwrap();
    assert_eq!(source.len(), 5);
    for (row, (a, b)) in source.iter().zip(&restored).enumerate() {
        let differ: Vec<String> =
            a.0.split('|')
                .zip(b.0.split('|'))
                .zip(&columns)
                .filter(|((x, y), _)| x != y)
                .map(|((x, y), (c, _))| format!("{c}: {x} became {y}"))
                .collect();
        assert!(differ.is_empty(), "row {}: {differ:?}", row + 1);
    }
    assert!(report.ok, "{report:#?}");
    // The view came back reading the restored table, as whoever reads it.
    let (definition, security): (String, String) = sqlx::query_as(
        "SELECT VIEW_DEFINITION, SECURITY_TYPE FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'positive_ids'",
    )
    .bind(&target)
    .fetch_one(&admin.pool)
    .await
    .unwrap();
    assert_eq!(security, "INVOKER");
    assert!(
        definition.contains(&format!("`{target}`.`all_types`")),
        "{definition}"
    );
    drop_database(&admin, &target).await;
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prune_is_recorded_before_anything_goes() {
    let db = seeded("prune", 13, None).await;
    let out = tempfile::tempdir().unwrap();
    let older = take_backup(&db.server, &db.name, out.path()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let newer = take_backup(&db.server, &db.name, out.path()).await;
    let name = |p: &str| {
        Path::new(p)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let pruned = |dry_run| {
        backup::prune(
            &db.server,
            mindpal_core::access::Actor::OPERATOR,
            out.path(),
            0,
            chrono::Utc::now(),
            dry_run,
        )
    };
    let plan = pruned(true).await.unwrap();
    assert_eq!(plan.removed, vec![name(&older)]);
    assert!(Path::new(&older).exists(), "a dry run removes nothing");
    let support = mindpal_core::access::Actor {
        role: mindpal_core::access::Role::Support,
        read_only: false,
    };
    let err = backup::prune(
        &db.server,
        support,
        out.path(),
        0,
        chrono::Utc::now(),
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");
    let done = pruned(false).await.unwrap();
    assert_eq!(done.removed, vec![name(&older)]);
    assert!(!Path::new(&older).exists());
    assert!(
        Path::new(&newer).exists(),
        "the newest complete backup stays"
    );
    let (details,): (String,) = sqlx::query_as(
        "SELECT details FROM operation_logs WHERE action = 'backup.prune' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&db.server.pool)
    .await
    .expect("the prune is in operation_logs");
    assert!(details.contains(&name(&older)), "{details}");
    db.drop().await;
}

/// Rows and CHECKSUM TABLE of every base table of `database`, by name.
async fn table_states(server: &MysqlServer, database: &str) -> Vec<(String, u64, u64)> {
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    )
    .bind(database)
    .fetch_all(&server.pool)
    .await
    .unwrap();
    let mut states = Vec::new();
    for (name,) in names {
        let table = format!("{}.{}", quote_ident(database), quote_ident(&name));
        let (rows,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&server.pool)
                .await
                .unwrap();
        let (_, sum): (String, i64) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("CHECKSUM TABLE {table}")))
                .fetch_one(&server.pool)
                .await
                .unwrap();
        states.push((name, rows as u64, sum as u64));
    }
    states
}

async fn exec(server: &MysqlServer, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&server.pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_point_in_time_restore_equals_the_source_as_of_then() {
    use mindpal_core::backup::pitr::Until;
    use mindpal_core::sandbox::{self, UpOptions};
    let home = tempfile::tempdir().unwrap();
    let status = sandbox::up(
        &UpOptions {
            bastion: false,
            redis_cluster: false,
            secure: None,
            dir: home.path().join("sandbox"),
            base_port: Some(crate::support::free_port_run(5)),
            seed_scale: Some(0.002),
            profile_store: None,
        },
        &|_| {},
    )
    .await
    .expect("the sandbox comes up");
    let primary = MysqlServer::connect(&status.primary_target(), crate::support::TIMEOUT, 3)
        .await
        .unwrap();
    exec(&primary, "CREATE TABLE pitr_probe (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB; INSERT INTO pitr_probe VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d'),(5,'e')").await;
    let out = home.path().join("backups");
    let folder = take_backup(&primary, "mindpal", &out).await;
    let m = manifest::read(Path::new(&folder)).unwrap();

    // Before the moment: an insert, an update, a delete, and schema changes the replay moves
    // into the new database (a new table, a new column).
    exec(&primary, "INSERT INTO pitr_probe VALUES (6,'f'); UPDATE pitr_probe SET v = 'b1' WHERE id = 2; DELETE FROM pitr_probe WHERE id = 3").await;
    exec(&primary, "CREATE TABLE pitr_new (id INT PRIMARY KEY, w VARCHAR(5)) ENGINE=InnoDB; INSERT INTO pitr_new VALUES (1,'x'); ALTER TABLE pitr_probe ADD COLUMN w INT NOT NULL DEFAULT 7").await;
    // The moment: the next whole second of the server's clock, and the state then.
    let next_second = || async {
        let clock = || async {
            let (t,): (chrono::NaiveDateTime,) = sqlx::query_as("SELECT UTC_TIMESTAMP()")
                .fetch_one(&primary.pool)
                .await
                .unwrap();
            t
        };
        let before = clock().await;
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let now = clock().await;
            if now > before {
                break now.and_utc();
            }
        }
    };
    let moment = next_second().await;
    let as_of_then = table_states(&primary, "mindpal").await;
    let (gtid_then,): (String,) = sqlx::query_as("SELECT @@gtid_binlog_pos")
        .fetch_one(&primary.pool)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // After it: more of each, which the restore must not show.
    exec(&primary, "INSERT INTO pitr_probe (id, v) VALUES (7,'g'); UPDATE pitr_probe SET v = 'f2' WHERE id = 6; DELETE FROM pitr_probe WHERE id = 1").await;

    let window = backup::pitr::window(&primary, &m).await.unwrap();
    assert!(window.from <= moment && moment <= window.to, "{window:?}");
    assert_eq!(window.files.first(), m.snapshot.binlog_file.as_ref());

    let restore_to = |into: &'static str, until: Until| {
        let (primary, folder) = (&primary, folder.clone());
        async move {
            backup::restore(
                primary,
                mindpal_core::access::Actor::OPERATOR,
                Path::new(&folder),
                &RestoreOptions {
                    into: into.to_owned(),
                    replace: false,
                    replace_live_database: false,
                    jobs: 2,
                    until: Some(until),
                },
                &|_| {},
                &CancellationToken::new(),
            )
            .await
        }
    };
    for (into, until) in [
        ("mindpal_pitr", Until::Time(moment)),
        ("mindpal_pitr_gtid", Until::Gtid(gtid_then.clone())),
    ] {
        let report = restore_to(into, until.clone())
            .await
            .expect("the point-in-time restore completes");
        assert!(report.ok, "{report:#?}");
        let pitr = report.pitr.expect("a replay report");
        assert!(pitr.gtid_reached.is_some(), "{pitr:?}");
        let probe: Vec<(i32, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, v FROM {}.pitr_probe ORDER BY id",
            quote_ident(into)
        )))
        .fetch_all(&primary.pool)
        .await
        .unwrap();
        let expected: Vec<(i32, String)> = [(1, "a"), (2, "b1"), (4, "d"), (5, "e"), (6, "f")]
            .iter()
            .map(|(i, v)| (*i, v.to_string()))
            .collect();
        assert_eq!(probe, expected, "{until}");
        let restored: Vec<(String, u64, u64)> = pitr
            .tables
            .iter()
            .map(|t| (t.table.clone(), t.rows, t.checksum.unwrap()))
            .collect();
        assert_eq!(restored, as_of_then, "every table as of {until}");
    }
    // The new databases were created, loaded and rolled forward without the binlog: the
    // replica never saw them (and was not sent an empty shell of them).
    let replica = MysqlServer::connect(&status.replica_target(), crate::support::TIMEOUT, 1)
        .await
        .unwrap();
    let (primary_gtid,): (String,) = sqlx::query_as("SELECT @@gtid_binlog_pos")
        .fetch_one(&primary.pool)
        .await
        .unwrap();
    for _ in 0..50 {
        let (replica_gtid,): (String,) = sqlx::query_as("SELECT @@gtid_slave_pos")
            .fetch_one(&replica.pool)
            .await
            .unwrap();
        if replica_gtid == primary_gtid {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(database_exists(&replica, "mindpal").await);
    assert!(!database_exists(&replica, "mindpal_pitr").await);
    assert!(!database_exists(&replica, "mindpal_pitr_gtid").await);
    replica.pool.close().await;
    let (recorded,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM operation_logs WHERE action = 'backup.pitr'")
            .fetch_one(&primary.pool)
            .await
            .unwrap();
    assert_eq!(recorded, 2);

    // A moment before the snapshot, and a new database only.
    let early = restore_to(
        "mindpal_pitr_early",
        Until::Time(m.started_at - chrono::Duration::hours(1)),
    )
    .await
    .unwrap_err();
    assert_eq!(early.kind(), ErrorKind::Refused, "{early}");
    assert!(!database_exists(&primary, "mindpal_pitr_early").await);

    // A statement that names the live database itself would run there, not in the new one:
    // the replay stops before it reaches the client, and the live database is as it was.
    exec(
        &primary,
        "CREATE TABLE mindpal.pitr_qualified (id INT PRIMARY KEY)",
    )
    .await;
    exec(&primary, "DROP TABLE pitr_qualified").await;
    let after_it = next_second().await;
    let qualified = restore_to("mindpal_pitr_qualified", Until::Time(after_it))
        .await
        .unwrap_err();
    assert_eq!(qualified.kind(), ErrorKind::Refused, "{qualified}");
    assert!(
        qualified.to_string().contains("names `mindpal` itself"),
        "{qualified}"
    );
    assert!(!database_exists(&primary, "mindpal_pitr_qualified").await);
    let (left,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'mindpal' AND TABLE_NAME = 'pitr_qualified'",
    )
    .fetch_one(&primary.pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "the replay created a table in the live database");

    // The binlog the backup starts from purged: refused by name, nothing created.
    let (current,): (String,) = {
        exec(&primary, "FLUSH BINARY LOGS").await;
        let row = sqlx::raw_sql("SHOW MASTER STATUS")
            .fetch_one(&primary.pool)
            .await
            .unwrap();
        (sqlx::Row::get::<String, _>(&row, 0),)
    };
    // A replica still reading an old file keeps it a moment: purge until it is gone.
    for _ in 0..50 {
        exec(&primary, &format!("PURGE BINARY LOGS TO '{current}'")).await;
        let first = sqlx::raw_sql("SHOW BINARY LOGS")
            .fetch_one(&primary.pool)
            .await
            .unwrap();
        if sqlx::Row::get::<String, _>(&first, 0) == current {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let purged = restore_to("mindpal_pitr_purged", Until::Time(moment))
        .await
        .unwrap_err();
    assert_eq!(purged.kind(), ErrorKind::Refused, "{purged}");
    let text = purged.to_string();
    assert!(
        text.contains(m.snapshot.binlog_file.as_deref().unwrap()) && text.contains("purged"),
        "{text}"
    );
    assert!(!database_exists(&primary, "mindpal_pitr_purged").await);

    primary.pool.close().await;
    sandbox::down(&home.path().join("sandbox"), true)
        .await
        .unwrap();
}
