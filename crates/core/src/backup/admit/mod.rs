//! What a restore admits. A backup folder is input from whoever wrote it: its hashes prove
//! only that nothing changed since then. So every statement is parsed before anything runs,
//! and only what the console itself writes gets through:
//!
//! - the manifest's tables: one `CREATE TABLE` of that very table, unqualified, on a local
//!   storage engine, with no `AS SELECT`, `LIKE`, directories or connection strings, no
//!   subquery and no qualified name anywhere;
//! - its views: one `CREATE VIEW` of that view that runs as the invoker (no foreign DEFINER,
//!   no `SQL SECURITY DEFINER`), reading only unqualified tables;
//! - each data file: `INSERT INTO <its own table> (<its manifest columns>) VALUES` followed by
//!   tuples of literals (numbers, strings, hex, NULL), one statement per line, and as many rows
//!   as the manifest says.
//!
//! Comments are refused wherever they appear: MariaDB runs `/*! … */` and `/*M! … */` as code.
//! The data files are checked by a scanner of that closed grammar rather than a general
//! parser: it is stricter (no expression can pass as a literal) and fast enough to run on
//! every byte, both before the restore starts and again as each statement is sent.

use sqlparser::ast::{
    ColumnOption, CreateTable, CreateView, CreateViewSecurity, Expr, GranteeName, ObjectName,
    SqlOption, Statement, TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use std::ops::ControlFlow;

use super::manifest::Manifest;

mod data;

pub use data::{DataShape, insert_prefix};

/// Storage engines whose tables live in the server's own files. CONNECT, FEDERATED, SPIDER,
/// MERGE and the like reach other servers, files or tables, and are refused.
const LOCAL_ENGINES: [&str; 5] = ["InnoDB", "Aria", "MyISAM", "MEMORY", "HEAP"];

/// Table options that only shape storage; anything else (DATA DIRECTORY, INDEX DIRECTORY,
/// CONNECTION, UNION, ENGINE_ATTRIBUTE …) is refused.
const STORAGE_OPTIONS: [&str; 22] = [
    "ENGINE",
    "AUTO_INCREMENT",
    "DEFAULT CHARSET",
    "CHARSET",
    "CHARACTER SET",
    "DEFAULT CHARACTER SET",
    "COLLATE",
    "DEFAULT COLLATE",
    "COMMENT",
    "ROW_FORMAT",
    "STATS_PERSISTENT",
    "STATS_AUTO_RECALC",
    "STATS_SAMPLE_PAGES",
    "PAGE_CHECKSUM",
    "TRANSACTIONAL",
    "KEY_BLOCK_SIZE",
    "PACK_KEYS",
    "CHECKSUM",
    "MAX_ROWS",
    "MIN_ROWS",
    "AVG_ROW_LENGTH",
    "PAGE_COMPRESSED",
];

/// Why a statement is not admitted: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// A file of the folder, relative to it (`manifest.json`, `data/…`).
    pub file: String,
    /// 1-based; for the manifest, the table or view the statement belongs to.
    pub place: String,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {}: {}", self.file, self.place, self.reason)
    }
}

/// Every statement of the manifest, checked: `Ok` when all are admitted.
pub fn check_manifest(m: &Manifest) -> Result<(), Refusal> {
    let refusal = |place: String, reason: String| Refusal {
        file: super::manifest::MANIFEST_FILE.to_owned(),
        place,
        reason,
    };
    for t in &m.tables {
        check_create_table(&t.create_sql, &t.name)
            .map_err(|r| refusal(format!("table `{}`", t.name), r))?;
        if t.columns.is_empty() && t.files.iter().any(|f| f.rows > 0) {
            return Err(refusal(
                format!("table `{}`", t.name),
                "rows without columns".to_owned(),
            ));
        }
        for f in &t.files {
            data::check_data_path(&f.path)
                .map_err(|r| refusal(format!("table `{}`", t.name), r))?;
        }
    }
    for v in &m.views {
        check_create_view(&v.create_sql, &v.name)
            .map_err(|r| refusal(format!("view `{}`", v.name), r))?;
    }
    Ok(())
}

/// Refuses a comment anywhere outside a quoted string or name: MariaDB runs `/*!…*/` as code,
/// and the parser here would not see it the same way.
fn refuse_comments(sql: &str) -> Result<(), String> {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Err("a quoted string or name is not closed".to_owned()),
                        Some(b'\\') if quote != b'`' => i += 2,
                        Some(&c) if c == quote => {
                            if bytes.get(i + 1) == Some(&quote) {
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                return Err("a comment (/* … */, which MariaDB may run as code)".to_owned());
            }
            b'#' => return Err("a comment (#)".to_owned()),
            b'-' if bytes.get(i + 1) == Some(&b'-') => return Err("a comment (--)".to_owned()),
            b';' => return Err("a second statement (;)".to_owned()),
            _ => i += 1,
        }
    }
    Ok(())
}

/// Exactly one statement, parsed with MariaDB's rules.
fn parse_one(sql: &str) -> Result<Statement, String> {
    refuse_comments(sql)?;
    let mut statements = Parser::parse_sql(&MySqlDialect {}, sql)
        .map_err(|e| format!("does not parse as MySQL: {e}"))?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        0 => Err("no statement".to_owned()),
        n => Err(format!("{n} statements where one is expected")),
    }
}

fn is_own_name(name: &ObjectName, expected: &str) -> bool {
    matches!(name.0.as_slice(), [part] if part.as_ident().is_some_and(|i| i.value == expected))
}

fn describe(name: &ObjectName) -> String {
    name.to_string()
}

/// Finds what reaches outside the statement's own database.
struct Reach {
    /// Views read tables and name columns by `table.column`; a table has no query at all.
    view: bool,
}

impl sqlparser::ast::Visitor for Reach {
    type Break = String;

    fn pre_visit_query(&mut self, _: &sqlparser::ast::Query) -> ControlFlow<String> {
        if !self.view {
            return ControlFlow::Break("a subquery".to_owned());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<String> {
        if name.0.len() > 1 {
            return ControlFlow::Break(format!("{} names another database", describe(name)));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        match expr {
            Expr::Function(f) if f.name.0.len() > 1 => ControlFlow::Break(format!(
                "the function {} of another database",
                describe(&f.name)
            )),
            Expr::CompoundIdentifier(parts) if parts.len() > 2 || !self.view => {
                ControlFlow::Break(format!(
                    "the qualified name `{}`",
                    parts
                        .iter()
                        .map(|p| p.value.as_str())
                        .collect::<Vec<_>>()
                        .join(".")
                ))
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

/// No table, view or function of another database anywhere in `statement`, and no query at
/// all unless it is a view.
fn refuse_reaching_out(statement: &Statement, view: bool) -> Result<(), String> {
    use sqlparser::ast::Visit;
    match statement.visit(&mut Reach { view }) {
        ControlFlow::Break(problem) => Err(problem),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// One `CREATE TABLE` of `table` itself, local and self-contained.
pub fn check_create_table(sql: &str, table: &str) -> Result<(), String> {
    let statement = parse_one(sql)?;
    let Statement::CreateTable(create) = &statement else {
        return Err(format!(
            "a {} statement where CREATE TABLE is expected",
            statement_kind(&statement)
        ));
    };
    let CreateTable {
        or_replace,
        temporary,
        name,
        columns,
        constraints,
        table_options,
        query,
        like,
        clone,
        partition_of,
        inherits,
        ..
    } = create;
    if !is_own_name(name, table) {
        return Err(format!(
            "it creates {}, not the table `{table}` it belongs to",
            describe(name)
        ));
    }
    if *or_replace || *temporary {
        return Err("CREATE OR REPLACE / TEMPORARY is not a table of a backup".to_owned());
    }
    if query.is_some() || like.is_some() || clone.is_some() {
        return Err("it copies another table (AS SELECT / LIKE)".to_owned());
    }
    if partition_of.is_some() || inherits.is_some() {
        return Err("it is tied to another table".to_owned());
    }
    for column in columns {
        for option in &column.options {
            if let ColumnOption::ForeignKey(fk) = &option.option
                && fk.foreign_table.0.len() > 1
            {
                return Err(format!(
                    "its foreign key references {} in another database",
                    describe(&fk.foreign_table)
                ));
            }
        }
    }
    for constraint in constraints {
        if let TableConstraint::ForeignKey(fk) = constraint
            && fk.foreign_table.0.len() > 1
        {
            return Err(format!(
                "its foreign key references {} in another database",
                describe(&fk.foreign_table)
            ));
        }
    }
    let options: &[SqlOption] = match table_options {
        sqlparser::ast::CreateTableOptions::None => &[],
        sqlparser::ast::CreateTableOptions::Plain(options) => options.as_slice(),
        other => return Err(format!("the table options `{other}`")),
    };
    for option in options {
        check_table_option(option)?;
    }
    refuse_reaching_out(&statement, false)
}

fn check_table_option(option: &SqlOption) -> Result<(), String> {
    let (key, value) = match option {
        SqlOption::Comment(_) => return Ok(()),
        SqlOption::KeyValue { key, value } => (key.to_string(), Some(value.to_string())),
        SqlOption::NamedParenthesizedList(list) => (
            list.key.to_string(),
            list.name.as_ref().map(|n| n.to_string()),
        ),
        other => return Err(format!("the table option `{other}`")),
    };
    let key = key.trim_matches('`').to_ascii_uppercase();
    if !STORAGE_OPTIONS.contains(&key.as_str()) {
        return Err(format!(
            "the table option {key} (only storage options are admitted)"
        ));
    }
    if key == "ENGINE" {
        let engine = value.unwrap_or_default();
        let engine = engine.trim_matches('`');
        if !LOCAL_ENGINES.iter().any(|e| e.eq_ignore_ascii_case(engine)) {
            return Err(format!(
                "ENGINE={engine}: only tables stored by the server itself ({}) are restored",
                LOCAL_ENGINES.join(", ")
            ));
        }
    }
    Ok(())
}

/// The `ALTER TABLE` a restore builds to add a table's secondary keys after its rows: only
/// keys, only on `table`.
pub fn check_add_keys(sql: &str, table: &str) -> Result<(), String> {
    use sqlparser::ast::{AlterTableOperation, TableConstraint as C};
    let statement = parse_one(sql)?;
    let Statement::AlterTable(alter) = &statement else {
        return Err("not an ALTER TABLE".to_owned());
    };
    if !is_own_name(&alter.name, table) {
        return Err(format!("it alters {}", describe(&alter.name)));
    }
    for operation in &alter.operations {
        match operation {
            AlterTableOperation::AddConstraint {
                constraint: C::Index(_) | C::Unique(_) | C::FulltextOrSpatial(_),
                ..
            } => {}
            other => return Err(format!("`{other}` is not adding a key")),
        }
    }
    refuse_reaching_out(&statement, false)
}

/// One `CREATE VIEW` of `view` itself, run as the invoker, over unqualified tables.
pub fn check_create_view(sql: &str, view: &str) -> Result<(), String> {
    let statement = parse_one(sql)?;
    let Statement::CreateView(create) = &statement else {
        return Err(format!(
            "a {} statement where CREATE VIEW is expected",
            statement_kind(&statement)
        ));
    };
    let CreateView {
        name,
        or_replace,
        params,
        to,
        materialized,
        temporary,
        ..
    } = create;
    if !is_own_name(name, view) {
        return Err(format!(
            "it creates {}, not the view `{view}` it belongs to",
            describe(name)
        ));
    }
    if *or_replace || *materialized || *temporary || to.is_some() {
        return Err("it is not a plain CREATE VIEW".to_owned());
    }
    if let Some(params) = params {
        match &params.definer {
            None => {}
            Some(GranteeName::ObjectName(n))
                if n.to_string().eq_ignore_ascii_case("CURRENT_USER") => {}
            Some(other) => {
                return Err(format!(
                    "it runs as DEFINER {other}: a restored view runs as whoever reads it"
                ));
            }
        }
        if matches!(params.security, Some(CreateViewSecurity::Definer)) {
            return Err(
                "SQL SECURITY DEFINER: a restored view runs as whoever reads it".to_owned(),
            );
        }
    }
    refuse_reaching_out(&statement, true)
}

fn statement_kind(statement: &Statement) -> String {
    let text = statement.to_string();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `SHOW CREATE VIEW` made fit to restore anywhere: no DEFINER, `SQL SECURITY INVOKER`, and
/// the source database's own name taken off every table and column it reads.
pub fn portable_view(show_create: &str, database: &str) -> Result<String, String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&MySqlDialect {}, show_create)
        .with_unescape(false)
        .tokenize()
        .map_err(|e| format!("does not read as SQL: {e}"))?;
    let view_at = tokens
        .iter()
        .position(|t| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("VIEW")))
        .ok_or("no VIEW keyword")?;
    let mut out = String::from("CREATE SQL SECURITY INVOKER ");
    let mut i = view_at;
    while i < tokens.len() {
        if let Token::Word(w) = &tokens[i]
            && w.quote_style == Some('`')
            && w.value == database
            && matches!(tokens.get(i + 1), Some(Token::Period))
        {
            i += 2;
            continue;
        }
        out.push_str(&tokens[i].to_string());
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &str = "CREATE TABLE `users` (\n  `id` bigint(20) NOT NULL AUTO_INCREMENT COMMENT 'x',\n  `phone` varchar(20) DEFAULT NULL,\n  `meta` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`meta`)),\n  `created_at` datetime NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n  `total` decimal(10,2) GENERATED ALWAYS AS (`id` * 2) VIRTUAL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `phone` (`phone`),\n  FULLTEXT KEY `ft` (`phone`),\n  CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `digital_humans` (`id`) ON DELETE CASCADE\n) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC COMMENT='用户表'";

    #[test]
    fn the_servers_own_create_table_is_admitted() {
        check_create_table(USERS, "users").unwrap();
    }

    #[test]
    fn hostile_create_statements_are_refused_with_a_reason() {
        let cases = [
            ("DROP DATABASE mindpal", "CREATE TABLE is expected"),
            (
                "CREATE TABLE `users` (`id` int); DROP DATABASE mindpal",
                "second statement",
            ),
            (
                "CREATE TABLE `users` (`id` int) /*!50000 ; DROP DATABASE mindpal */",
                "comment",
            ),
            ("CREATE TABLE `users` (`id` int) -- x", "comment"),
            ("CREATE TABLE `users` (`id` int) # x", "comment"),
            ("CREATE TABLE `other` (`id` int)", "not the table"),
            ("CREATE TABLE `mindpal`.`users` (`id` int)", "not the table"),
            (
                "CREATE TABLE `users` AS SELECT * FROM mysql.user",
                "copies another table",
            ),
            ("CREATE TABLE `users` LIKE `mysql`.`user`", ""),
            (
                "CREATE TABLE `users` (`id` int) ENGINE=CONNECT table_type=MYSQL connection='mysql://root@10.0.0.1/x/y'",
                "",
            ),
            (
                "CREATE TABLE `users` (`id` int) ENGINE=CONNECT",
                "ENGINE=CONNECT",
            ),
            (
                "CREATE TABLE `users` (`id` int) ENGINE=InnoDB DATA DIRECTORY='/var/lib/other'",
                "DATA DIRECTORY",
            ),
            (
                "CREATE TABLE `users` (`id` int, CONSTRAINT f FOREIGN KEY (`id`) REFERENCES `other_db`.`t` (`id`))",
                "another database",
            ),
            (
                "CREATE TABLE `users` (`id` int DEFAULT (`otherdb`.`f`()))",
                "another database",
            ),
            (
                "CREATE TABLE `users` (`id` int CHECK (`id` IN (SELECT 1)))",
                "subquery",
            ),
            ("CREATE TEMPORARY TABLE `users` (`id` int)", "TEMPORARY"),
            ("CREATE OR REPLACE TABLE `users` (`id` int)", "OR REPLACE"),
        ];
        for (sql, why) in cases {
            let err = check_create_table(sql, "users").expect_err(sql);
            assert!(err.contains(why), "{sql}: {err}");
        }
    }

    #[test]
    fn views_must_run_as_the_invoker_over_their_own_tables() {
        check_create_view(
            "CREATE SQL SECURITY INVOKER VIEW `v` AS select `users`.`id` AS `id` from `users`",
            "v",
        )
        .unwrap();
        for (sql, why) in [
            (
                "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v` AS select 1 AS `1`",
                "DEFINER",
            ),
            (
                "CREATE SQL SECURITY DEFINER VIEW `v` AS select 1 AS `1`",
                "DEFINER",
            ),
            (
                "CREATE SQL SECURITY INVOKER VIEW `v` AS select * from `mysql`.`user`",
                "another database",
            ),
            (
                "CREATE SQL SECURITY INVOKER VIEW `v` AS select `mysql`.`user`.`password` AS `p` from `user`",
                "qualified name",
            ),
            (
                "CREATE SQL SECURITY INVOKER VIEW `w` AS select 1",
                "not the view",
            ),
        ] {
            let err = check_create_view(sql, "v").expect_err(sql);
            assert!(err.contains(why), "{sql}: {err}");
        }
    }

    #[test]
    fn a_view_is_made_portable_when_it_is_backed_up() {
        let shown = "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `angry` AS select `mindpal`.`users`.`id` AS `id`,'`mindpal`.x' AS `s` from `mindpal`.`users` where `mindpal`.`users`.`status` = 1";
        let portable = portable_view(shown, "mindpal").unwrap();
        assert_eq!(
            portable,
            "CREATE SQL SECURITY INVOKER VIEW `angry` AS select `users`.`id` AS `id`,'`mindpal`.x' AS `s` from `users` where `users`.`status` = 1"
        );
        check_create_view(&portable, "angry").unwrap();
    }
}
