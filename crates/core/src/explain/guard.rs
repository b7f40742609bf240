//! The guard in front of EXPLAIN: a statement is parsed before anything reaches the server,
//! and only one explainable statement passes. What the parser cannot read is refused, not sent.

use std::ops::ControlFlow;

use serde::Serialize;
use sqlparser::ast::{
    Expr, FunctionArguments, Query, Select, SetExpr, Statement, Value, Visit, Visitor,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

/// Longer statements are refused before parsing: no real query is this long, and a hostile one
/// should not cost the parser seconds.
pub const MAX_SQL_BYTES: usize = 256 * 1024;

/// Deeper nesting than this is refused by the parser instead of exhausting the stack.
const RECURSION_LIMIT: usize = 64;

/// Plain EXPLAIN (the statement is not run) or ANALYZE (it is run, then rolled back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Mode {
    Explain,
    Analyze,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum StatementKind {
    Select,
    Insert,
    Replace,
    Update,
    Delete,
}

impl StatementKind {
    pub fn is_read_only(self) -> bool {
        self == StatementKind::Select
    }
}

/// A statement the guard let through, with its parsed form for the lint.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What the statement was checked for: a plan, or a run (ANALYZE).
    pub mode: Mode,
    pub kind: StatementKind,
    /// The statement as typed, without surrounding blanks or a trailing `;`.
    pub sql: String,
    pub statement: Statement,
    /// A locking read (FOR UPDATE / FOR SHARE): its plan needs a read-write transaction.
    pub locking: bool,
}

/// Functions that wait, lock or read server files: refused wherever they would be run.
const REFUSED_WHEN_RUN: &[(&str, &str)] = &[
    ("sleep", "it only waits"),
    ("benchmark", "it burns CPU on purpose"),
    ("get_lock", "it takes a named lock"),
    ("release_lock", "it releases a named lock"),
    ("release_all_locks", "it releases named locks"),
    ("master_pos_wait", "it waits for replication"),
    ("source_pos_wait", "it waits for replication"),
    ("master_gtid_wait", "it waits for replication"),
    ("wait_for_executed_gtid_set", "it waits for replication"),
    (
        "wait_until_sql_thread_after_gtids",
        "it waits for replication",
    ),
    ("nextval", "it advances a sequence"),
    ("setval", "it changes a sequence"),
];

/// Functions refused even for plain EXPLAIN: the optimizer may fold constant expressions.
const REFUSED_ALWAYS: &[(&str, &str)] = &[("load_file", "it reads a file on the server")];

/// Checks `sql` for `mode`; the error is the reason, in words, for refusing it.
pub fn check(sql: &str, mode: Mode) -> Result<Checked, String> {
    if sql.len() > MAX_SQL_BYTES {
        return Err(format!(
            "the statement is {} KiB; the guard reads at most {} KiB",
            sql.len() / 1024,
            MAX_SQL_BYTES / 1024
        ));
    }
    if sql.contains('\0') {
        return Err("the statement contains a NUL byte".into());
    }
    if let Some(at) = executable_comment(sql) {
        return Err(format!(
            "an executable comment (`/*!` at byte {at}) is run by the server but invisible to the guard; remove it"
        ));
    }
    let sql = sql.trim().trim_end_matches(';').trim_end();
    if sql.is_empty() {
        return Err("there is no statement to explain".into());
    }
    let statements = Parser::new(&MySqlDialect {})
        .with_recursion_limit(RECURSION_LIMIT)
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| match writes_a_file(sql) {
            Some(what) => format!(
                "SELECT … INTO {what} writes a file on the server: it is not explained here"
            ),
            None => format!("the guard cannot read this statement, so it is not sent: {e}"),
        })?;
    let statement = match statements.len() {
        0 => return Err("there is no statement to explain".into()),
        1 => statements.into_iter().next().expect("one statement"),
        n => {
            return Err(format!(
                "{n} statements: EXPLAIN takes exactly one (a `;` or a comment may hide a second)"
            ));
        }
    };
    let kind = kind_of(&statement, mode)?;
    if mode == Mode::Analyze && !kind.is_read_only() {
        return Err(format!(
            "ANALYZE runs the statement; a {} changes data, so only its plan (EXPLAIN without ANALYZE) is shown",
            kind_word(kind)
        ));
    }
    let mut inspector = Inspector {
        mode,
        refusal: None,
        locking: false,
    };
    let _ = statement.visit(&mut inspector);
    if let Some(reason) = inspector.refusal {
        return Err(reason);
    }
    Ok(Checked {
        mode,
        kind,
        sql: sql.to_owned(),
        statement,
        locking: inspector.locking,
    })
}

/// `OUTFILE` or `DUMPFILE` when the statement's words hold `INTO OUTFILE|DUMPFILE`, which
/// the parser does not read: so the refusal names it instead of a parser error.
fn writes_a_file(sql: &str) -> Option<&'static str> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&MySqlDialect {}, sql).tokenize().ok()?;
    let mut words = tokens.iter().filter_map(|t| match t {
        Token::Word(w) => Some(w.value.to_ascii_uppercase()),
        Token::Whitespace(_) => None,
        _ => Some(String::new()),
    });
    let mut previous = words.next()?;
    for word in words {
        if previous == "INTO" {
            match word.as_str() {
                "OUTFILE" => return Some("OUTFILE"),
                "DUMPFILE" => return Some("DUMPFILE"),
                _ => {}
            }
        }
        previous = word;
    }
    None
}

/// Checks raw bytes (a file, a pipe): invalid UTF-8 is refused.
pub fn check_bytes(sql: &[u8], mode: Mode) -> Result<Checked, String> {
    check(utf8(sql)?, mode)
}

/// The statement as text; invalid UTF-8 is refused with where it breaks.
pub fn utf8(sql: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(sql).map_err(|e| {
        format!(
            "the statement is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        )
    })
}

/// Byte offset of a `/*!` or `/*M!` comment, which MySQL and MariaDB execute.
fn executable_comment(sql: &str) -> Option<usize> {
    sql.match_indices("/*")
        .find(|(i, _)| {
            let rest = &sql[i + 2..];
            rest.starts_with('!') || rest.starts_with("M!") || rest.starts_with("m!")
        })
        .map(|(i, _)| i)
}

fn kind_word(kind: StatementKind) -> &'static str {
    match kind {
        StatementKind::Select => "SELECT",
        StatementKind::Insert => "INSERT",
        StatementKind::Replace => "REPLACE",
        StatementKind::Update => "UPDATE",
        StatementKind::Delete => "DELETE",
    }
}

fn kind_of(statement: &Statement, mode: Mode) -> Result<StatementKind, String> {
    let kind = match statement {
        Statement::Query(query) => match query_kind(query) {
            Some(kind) => kind,
            None => {
                return Err(
                    "only a query that reads (SELECT, WITH … SELECT, UNION) can be explained here"
                        .into(),
                );
            }
        },
        Statement::Insert(insert) if insert.replace_into => StatementKind::Replace,
        Statement::Insert(_) => StatementKind::Insert,
        Statement::Update(_) => StatementKind::Update,
        Statement::Delete(_) => StatementKind::Delete,
        Statement::Explain { .. } | Statement::ExplainTable { .. } => {
            return Err("this is already an EXPLAIN: give the statement itself".into());
        }
        other => {
            let word: String = other
                .to_string()
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            return Err(format!(
                "`{word}` is not explainable: only SELECT and WITH … SELECT{} pass",
                if mode == Mode::Explain {
                    ", and INSERT, REPLACE, UPDATE, DELETE for a plan without ANALYZE,"
                } else {
                    ""
                }
            ));
        }
    };
    Ok(kind)
}

/// `Select` for a query that only reads; `None` for one whose body writes.
fn query_kind(query: &Query) -> Option<StatementKind> {
    fn body(set: &SetExpr) -> bool {
        match set {
            SetExpr::Select(_) | SetExpr::Values(_) | SetExpr::Table(_) => true,
            SetExpr::Query(q) => body(&q.body),
            SetExpr::SetOperation { left, right, .. } => body(left) && body(right),
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                false
            }
        }
    }
    let ctes_read = query
        .with
        .as_ref()
        .is_none_or(|w| w.cte_tables.iter().all(|c| body(&c.query.body)));
    (ctes_read && body(&query.body)).then_some(StatementKind::Select)
}

/// Walks the whole statement for what no single statement kind reveals.
struct Inspector {
    mode: Mode,
    refusal: Option<String>,
    locking: bool,
}

impl Inspector {
    fn refuse(&mut self, reason: String) -> ControlFlow<()> {
        self.refusal = Some(reason);
        ControlFlow::Break(())
    }
}

impl Visitor for Inspector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.locking |= !query.locks.is_empty();
        if self.mode == Mode::Analyze && !query.locks.is_empty() {
            return self.refuse(
                "a locking read (FOR UPDATE / FOR SHARE) takes row locks when run: ANALYZE refuses it; EXPLAIN it without ANALYZE"
                    .into(),
            );
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        if select.into.is_some() {
            return self.refuse(
                "SELECT … INTO writes a file or variables: it is not explained here".into(),
            );
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Function(function) => {
                let name = function
                    .name
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .map(|i| i.value.to_ascii_lowercase())
                    .unwrap_or_default();
                let refused = REFUSED_ALWAYS.iter().find(|(n, _)| *n == name).or_else(|| {
                    (self.mode == Mode::Analyze)
                        .then(|| REFUSED_WHEN_RUN.iter().find(|(n, _)| *n == name))
                        .flatten()
                });
                if let Some((n, why)) = refused {
                    let when = if self.mode == Mode::Analyze {
                        "ANALYZE would run it"
                    } else {
                        "the server may evaluate it while planning"
                    };
                    return self.refuse(format!(
                        "{}() is refused: {why}, and {when}",
                        n.to_uppercase()
                    ));
                }
                if let FunctionArguments::Subquery(_) = function.args {
                    return ControlFlow::Continue(());
                }
            }
            Expr::Value(v) if matches!(v.value, Value::Placeholder(_)) => {
                return self.refuse(format!(
                    "the statement has a placeholder `{}`: put a real value in its place",
                    v.value
                ));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str, mode: Mode) -> String {
        match check(sql, mode) {
            Ok(c) => panic!("`{sql}` should be refused, got {:?}", c.kind),
            Err(reason) => reason,
        }
    }

    #[test]
    fn a_select_passes_with_its_trailing_semicolon_removed() {
        let c = check("  SELECT id FROM users WHERE id = 1;  ", Mode::Analyze).unwrap();
        assert_eq!(c.kind, StatementKind::Select);
        assert_eq!(c.sql, "SELECT id FROM users WHERE id = 1");
    }

    #[test]
    fn with_select_and_union_are_read_only() {
        for sql in [
            "WITH x AS (SELECT id FROM users) SELECT * FROM x",
            "SELECT id FROM users UNION ALL SELECT id FROM digital_humans",
            "SELECT (SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = c.id) FROM conversations c",
        ] {
            assert_eq!(
                check(sql, Mode::Analyze).unwrap().kind,
                StatementKind::Select,
                "{sql}"
            );
        }
    }

    #[test]
    fn writes_pass_for_plain_explain_only() {
        for (sql, kind) in [
            (
                "UPDATE users SET status = 2 WHERE id = 1",
                StatementKind::Update,
            ),
            ("DELETE FROM users WHERE id = 1", StatementKind::Delete),
            (
                "INSERT INTO users (phone) VALUES ('1')",
                StatementKind::Insert,
            ),
            (
                "REPLACE INTO users (id, phone) VALUES (1, '1')",
                StatementKind::Replace,
            ),
        ] {
            assert_eq!(check(sql, Mode::Explain).unwrap().kind, kind, "{sql}");
            assert!(
                refused(sql, Mode::Analyze).contains("ANALYZE runs the statement"),
                "{sql}"
            );
        }
    }

    #[test]
    fn stacked_statements_and_hidden_seconds_are_refused() {
        for sql in [
            "SELECT 1; DROP TABLE users",
            "SELECT 1;;SELECT 2",
            "SELECT 1 # comment\n; DELETE FROM users",
            "SELECT 1 -- c\n; DELETE FROM users",
            "SELECT 1 /* c */; TRUNCATE users",
        ] {
            let reason = refused(sql, Mode::Explain);
            assert!(
                reason.contains("statements") || reason.contains("cannot read"),
                "{sql}: {reason}"
            );
        }
    }

    #[test]
    fn executable_comments_are_refused_because_the_server_runs_them() {
        for sql in [
            "SELECT 1 /*!50000 ; DROP TABLE users */",
            "SELECT /*M! SLEEP(10), */ 1",
            "SELECT 1 /*!*/",
        ] {
            assert!(
                refused(sql, Mode::Explain).contains("executable comment"),
                "{sql}"
            );
        }
    }

    #[test]
    fn ddl_set_call_load_and_admin_statements_are_refused_with_their_name() {
        for sql in [
            "DROP TABLE users",
            "CREATE TABLE x (id INT)",
            "ALTER TABLE users ADD COLUMN x INT",
            "TRUNCATE TABLE users",
            "SET GLOBAL read_only = 0",
            "CALL purge_everything()",
            "GRANT ALL ON *.* TO 'x'@'%'",
            "SHOW TABLES",
            "KILL 1",
            "LOCK TABLES users WRITE",
            "START TRANSACTION",
            "COMMIT",
        ] {
            let reason = refused(sql, Mode::Explain);
            assert!(
                reason.contains("not explainable") || reason.contains("cannot read"),
                "{sql}: {reason}"
            );
        }
    }

    #[test]
    fn into_outfile_locking_reads_and_sleep_are_refused_where_they_matter() {
        let file = refused("SELECT * FROM users INTO OUTFILE '/tmp/x'", Mode::Explain);
        assert!(file.contains("INTO OUTFILE writes a file"), "{file}");
        let dump = refused("select 1 into   dumpfile '/tmp/x'", Mode::Explain);
        assert!(dump.contains("INTO DUMPFILE"), "{dump}");
        assert!(
            check(
                "SELECT id FROM users WHERE id = 1 FOR UPDATE",
                Mode::Explain
            )
            .unwrap()
            .locking
        );
        assert!(
            !check("SELECT id FROM users", Mode::Explain)
                .unwrap()
                .locking
        );
        assert!(refused("SELECT * INTO @a FROM users", Mode::Explain).contains("INTO"));
        let lock = refused("SELECT * FROM users WHERE id = 1 FOR UPDATE", Mode::Analyze);
        assert!(lock.contains("locking read"), "{lock}");
        assert!(check("SELECT * FROM users WHERE id = 1 FOR UPDATE", Mode::Explain).is_ok());
        assert!(refused("SELECT SLEEP(5)", Mode::Analyze).contains("SLEEP"));
        assert!(
            refused(
                "SELECT * FROM users WHERE id = (SELECT BENCHMARK(1e9, MD5(1)))",
                Mode::Analyze
            )
            .contains("BENCHMARK")
        );
        assert!(refused("SELECT LOAD_FILE('/etc/passwd')", Mode::Explain).contains("LOAD_FILE"));
    }

    #[test]
    fn an_explain_of_an_explain_and_placeholders_are_refused() {
        assert!(refused("EXPLAIN SELECT 1", Mode::Explain).contains("already an EXPLAIN"));
        assert!(refused("SELECT * FROM users WHERE id = ?", Mode::Explain).contains("placeholder"));
    }

    /// A deterministic fuzz of the guard: hot queries cut and spliced with hostile fragments
    /// and random bytes. The guard must never panic, and whatever it accepts must print back
    /// as exactly one statement of an accepted kind.
    #[test]
    fn spliced_and_random_input_never_panics_and_what_passes_is_one_statement() {
        use crate::seed::rng::Rng;
        const FRAGMENTS: &[&str] = &[
            ";",
            "; DROP TABLE users",
            "/*!",
            "*/",
            "/*",
            "--",
            "-- \n",
            "#",
            "\n",
            "'",
            "\"",
            "`",
            "\\",
            "(",
            ")",
            "SELECT",
            " UNION SELECT ",
            " INTO OUTFILE '/tmp/x'",
            " FOR UPDATE",
            "SLEEP(1)",
            "DELETE FROM users",
            "?",
            "\0",
            "🙂",
            "WITH x AS (",
            " LIMIT 1 OFFSET 1",
            " OR 1=1",
            "@a:=1",
        ];
        let bases: Vec<String> = crate::explain::hot::queries()
            .into_iter()
            .map(|q| q.sql)
            .collect();
        let mut rng = Rng::for_row(7, 7, 7);
        let mut accepted = 0;
        for i in 0..20_000u64 {
            let input: Vec<u8> = if i % 10 == 0 {
                (0..rng.below(200)).map(|_| rng.below(256) as u8).collect()
            } else {
                let mut text = rng
                    .pick(&bases.iter().map(String::as_str).collect::<Vec<_>>())
                    .to_owned();
                for _ in 0..=rng.below(3) {
                    let at = rng.below(text.len() as u64 + 1) as usize;
                    let at = (0..=at)
                        .rev()
                        .find(|&p| text.is_char_boundary(p))
                        .unwrap_or(0);
                    text.insert_str(at, rng.pick(FRAGMENTS));
                }
                text.into_bytes()
            };
            for mode in [Mode::Explain, Mode::Analyze] {
                if let Ok(checked) = check_bytes(&input, mode) {
                    accepted += 1;
                    let printed = checked.statement.to_string();
                    let again = Parser::parse_sql(&MySqlDialect {}, &printed).unwrap_or_else(|e| {
                        panic!(
                            "accepted `{}` prints as unparseable `{printed}`: {e}",
                            checked.sql
                        )
                    });
                    assert_eq!(
                        again.len(),
                        1,
                        "accepted `{}` is one statement",
                        checked.sql
                    );
                    assert!(!checked.sql.contains("/*!"));
                    if mode == Mode::Analyze {
                        assert_eq!(checked.kind, StatementKind::Select, "{}", checked.sql);
                    }
                }
            }
        }
        assert!(
            accepted > 1_000,
            "the fuzz reaches accepted statements too ({accepted})"
        );
    }

    #[test]
    fn unreadable_huge_and_invalid_utf8_input_is_refused_not_sent() {
        assert!(refused("SELEC * FROM users", Mode::Explain).contains("cannot read"));
        assert!(refused("", Mode::Explain).contains("no statement"));
        assert!(refused(" ; ", Mode::Explain).contains("no statement"));
        assert!(refused("SELECT '\0'", Mode::Explain).contains("NUL"));
        let huge = format!(
            "SELECT 1 FROM users WHERE phone IN ({})",
            vec!["'1'"; 300_000].join(",")
        );
        assert!(refused(&huge, Mode::Explain).contains("KiB"));
        let err = check_bytes(b"SELECT '\xff\xfe'", Mode::Explain).unwrap_err();
        assert!(err.contains("UTF-8"), "{err}");
        let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(refused(&deep, Mode::Explain).contains("cannot read"));
    }
}
