//! The rule on the catalog of the seeded schema's shape.

use super::super::tests::*;
use super::super::*;
use super::hidden_in_condition;

fn rewrite_of(sql: &str) -> Option<String> {
    rule(&findings(sql), Rule::HiddenIndex).rewrite.clone()
}

fn clean(sql: &str) {
    let found = findings(sql);
    assert!(
        found.iter().all(|f| f.rule != Rule::HiddenIndex),
        "{sql}: {found:#?}"
    );
}

#[test]
fn date_of_an_indexed_column_is_rewritten_as_a_half_open_range() {
    let sql = "SELECT id, title FROM conversations WHERE DATE(created_at) = '2025-01-11'";
    let f = rule(&findings(sql), Rule::HiddenIndex).clone();
    assert_eq!(
        f.title,
        "DATE() on created_at hides the index idx_created_at on conversations.created_at"
    );
    assert_eq!(
        f.rewrite.as_deref(),
        Some(
            "SELECT id, title FROM conversations WHERE created_at >= '2025-01-11 00:00:00' AND created_at < '2025-01-12 00:00:00'"
        )
    );
    // The rewrite passes the guard and no longer trips the rule.
    clean(f.rewrite.as_deref().unwrap());
}

#[test]
fn date_ranges_years_and_formatted_months_map_to_ranges() {
    let between = "SELECT id FROM conversations c WHERE DATE(c.created_at) BETWEEN '2025-02-27' AND '2025-02-28'";
    assert!(rewrite_of(between).unwrap().contains(
        "c.created_at >= '2025-02-27 00:00:00' AND c.created_at < '2025-03-01 00:00:00'"
    ));
    let year = rewrite_of("SELECT id FROM conversations WHERE YEAR(created_at) = 2024").unwrap();
    assert!(
        year.contains("created_at >= '2024-01-01 00:00:00' AND created_at < '2025-01-01 00:00:00'")
    );
    let flipped =
        rewrite_of("SELECT id FROM conversations WHERE '2025-01-11' < DATE(created_at)").unwrap();
    assert!(
        flipped.contains("created_at >= '2025-01-12 00:00:00'"),
        "{flipped}"
    );
    let month = rewrite_of(
        "SELECT id FROM conversations WHERE DATE_FORMAT(created_at, '%Y-%m') = '2025-11'",
    )
    .unwrap();
    assert!(
        month.ends_with(
            "WHERE created_at >= '2025-11-01 00:00:00' AND created_at < '2025-12-01 00:00:00'"
        ),
        "{month}"
    );
    let december = rewrite_of(
        "SELECT id FROM conversations WHERE DATE_FORMAT(created_at, '%Y-%m') <= '2025-12'",
    )
    .unwrap();
    assert!(
        december.ends_with("WHERE created_at < '2026-01-01 00:00:00'"),
        "{december}"
    );
    // A month written otherwise than the format prints it matches nothing: no rewrite.
    assert_eq!(
        rewrite_of(
            "SELECT id FROM conversations WHERE DATE_FORMAT(created_at, '%Y-%m') = '2025-1'"
        ),
        None
    );
    // A function on an unindexed column is not this rule's business.
    clean("SELECT id FROM users WHERE LOWER(nickname) = 'a'");
}

#[test]
fn arithmetic_moves_to_the_constant_side_when_the_move_is_exact() {
    let day = rewrite_of("SELECT id FROM conversations WHERE created_at + INTERVAL 1 DAY > NOW()")
        .unwrap();
    assert!(
        day.ends_with("WHERE created_at > NOW() - INTERVAL 1 DAY"),
        "{day}"
    );
    clean(&day);
    let added = rewrite_of(
        "SELECT id FROM conversations WHERE DATE_ADD(created_at, INTERVAL 2 HOUR) >= '2025-01-01'",
    )
    .unwrap();
    assert!(
        added.ends_with("WHERE created_at >= '2025-01-01' - INTERVAL 2 HOUR"),
        "{added}"
    );
    let id = rewrite_of("SELECT title FROM conversations WHERE id + 1 = 10").unwrap();
    assert!(id.ends_with("WHERE id = 10 - 1"), "{id}");
    let scaled = rewrite_of("SELECT title FROM conversations WHERE id * 2 < 10 + 4").unwrap();
    assert!(scaled.ends_with("WHERE id < (10 + 4) / 2"), "{scaled}");
    let from = rewrite_of("SELECT title FROM conversations WHERE 100 - id > 5").unwrap();
    assert!(from.ends_with("WHERE id < 100 - 5"), "{from}");
    let between =
        rewrite_of("SELECT title FROM conversations WHERE id - 5 BETWEEN 1 AND 9").unwrap();
    assert!(
        between.ends_with("WHERE id BETWEEN 1 + 5 AND 9 + 5"),
        "{between}"
    );
    // A month is not a fixed length, a negative scale turns the order round: flagged, explained.
    let month =
        findings("SELECT id FROM conversations WHERE created_at + INTERVAL 1 MONTH > NOW()");
    let f = rule(&month, Rule::HiddenIndex);
    assert_eq!(f.rewrite, None);
    assert!(
        f.title.starts_with("arithmetic on created_at hides"),
        "{}",
        f.title
    );
    assert_eq!(
        rewrite_of("SELECT title FROM conversations WHERE id * -2 < 10"),
        None
    );
}

#[test]
fn prefixes_become_like_and_the_rest_is_explained() {
    let left = rewrite_of("SELECT id FROM users WHERE LEFT(phone, 3) = '138'").unwrap();
    assert!(left.ends_with("WHERE phone LIKE '138%'"), "{left}");
    let sub = rewrite_of("SELECT id FROM users WHERE SUBSTRING(email, 1, 2) = 'a_'").unwrap();
    assert!(sub.ends_with(r"WHERE email LIKE 'a\_%'"), "{sub}");
    // A literal of another length is not a prefix test.
    assert_eq!(
        rewrite_of("SELECT id FROM users WHERE LEFT(phone, 4) = '138'"),
        None
    );

    for (sql, words) in [
        (
            "SELECT id FROM users WHERE LOWER(email) = 'a@b.c'",
            "LOWER() on email",
        ),
        (
            "SELECT id FROM users WHERE CONCAT(phone, '') = '1'",
            "CONCAT() on phone",
        ),
        (
            "SELECT id FROM users WHERE CAST(phone AS UNSIGNED) = 138",
            "CAST on phone",
        ),
        (
            "SELECT id FROM users WHERE email COLLATE utf8mb4_bin = 'A@b.c'",
            "COLLATE on email",
        ),
        (
            "SELECT id FROM users WHERE CONVERT(email USING latin1) = 'a'",
            "CONVERT on email",
        ),
        (
            "SELECT id FROM users WHERE TRIM(email) IN ('a', 'b')",
            "TRIM() on email",
        ),
        (
            "SELECT id FROM users WHERE UPPER(email) LIKE 'A%'",
            "UPPER() on email",
        ),
        (
            "SELECT id FROM conversations WHERE TIMESTAMPDIFF(DAY, created_at, NOW()) < 7",
            "TIMESTAMPDIFF() on created_at",
        ),
    ] {
        let found = findings(sql);
        let f = rule(&found, Rule::HiddenIndex);
        assert!(f.title.starts_with(words), "{sql}: {}", f.title);
        assert_eq!(f.rewrite, None, "{sql}");
        assert!(f.why.contains("cannot narrow the search"), "{}", f.why);
    }
    // Bare columns, and expressions over no column or over two, are not this rule's.
    clean("SELECT id FROM conversations WHERE created_at > NOW() - INTERVAL 1 DAY");
    clean("SELECT id FROM users WHERE phone LIKE '138%'");
    clean(
        "SELECT c.id FROM conversations c JOIN users u ON u.id = c.user_id WHERE c.id + u.id > 3",
    );
}

#[test]
fn a_text_column_joined_to_a_number_hides_the_text_side_index() {
    let found = findings("SELECT c.id FROM conversations c JOIN users u ON u.phone = c.user_id");
    let f = rule(&found, Rule::HiddenIndex);
    assert_eq!(f.table.as_deref(), Some("users"));
    assert!(
        f.title
            .starts_with("users.phone (VARCHAR) is joined to conversations.user_id (BIGINT)"),
        "{}",
        f.title
    );
    clean("SELECT c.id FROM conversations c JOIN users u ON u.id = c.user_id");
}

#[test]
fn a_pasted_plans_condition_gets_the_same_rule() {
    // MySQL 8 prints conditions with backticks and lower-case words; MariaDB without.
    for (condition, words) in [
        (
            "(cast(`c`.`created_at` as date) = '2025-01-11')",
            "CAST on created_at",
        ),
        (
            "((`c`.`created_at` + interval 1 day) > now())",
            "arithmetic on created_at",
        ),
        (
            "date_format(c.created_at,'%Y-%m') = '2025-11'",
            "DATE_FORMAT() on created_at",
        ),
    ] {
        let mut out = Vec::new();
        hidden_in_condition(condition, "c", &mut out);
        let [f] = out.as_slice() else {
            panic!("{condition}: {out:#?}")
        };
        assert!(f.title.starts_with(words), "{condition}: {}", f.title);
        assert!(f.title.ends_with("(if it is indexed)"), "{}", f.title);
    }
    let mut out = Vec::new();
    hidden_in_condition("c.created_at >= '2025-11-01' and c.id < 5", "c", &mut out);
    assert!(out.is_empty(), "{out:#?}");
}

#[test]
fn a_foreign_collation_on_the_literal_side_hides_the_index() {
    let found = findings("SELECT id FROM users WHERE email LIKE 'A%' COLLATE utf8mb4_bin");
    let f = rule(&found, Rule::HiddenIndex);
    assert!(
        f.title
            .starts_with("COLLATE utf8mb4_bin against email hides the index uk_email"),
        "{}",
        f.title
    );
    // The column's own collation changes nothing.
    clean("SELECT id FROM users WHERE email LIKE 'a%' COLLATE utf8mb4_general_ci");
}
