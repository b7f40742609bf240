//! `SELECT *` from a table with TEXT/JSON columns reads them off-page for every row.

use super::*;

/// `SELECT *` from a table with TEXT/JSON columns reads them off-page for every row.
pub(super) fn select_star_wide(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let Some(catalog) = catalog else { return };
    let Statement::Query(query) = stmt else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    let star = select.projection.iter().any(|p| {
        matches!(
            p,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
        )
    });
    if !star {
        return;
    }
    for table in &scope.tables {
        let Some(facts) = catalog.table(table) else {
            continue;
        };
        let wide: Vec<&str> = facts
            .columns
            .iter()
            .filter(|c| c.is_wide())
            .map(|c| c.name.as_str())
            .collect();
        if wide.is_empty() {
            continue;
        }
        let rewrite = (scope.tables.len() == 1).then(|| {
            let mut q = query.as_ref().clone();
            if let SetExpr::Select(s) = q.body.as_mut() {
                s.projection = facts
                    .columns
                    .iter()
                    .filter(|c| !c.is_wide() && !is_secret(&c.name))
                    .map(|c| SelectItem::UnnamedExpr(Expr::Identifier(Ident::new(c.name.clone()))))
                    .collect();
            }
            q.to_string()
        });
        out.push(Finding {
            rule: Rule::SelectStarWide,
            level: Level::Warn,
            table: Some(table.clone()),
            title: format!("SELECT * reads {table}'s {} ({})", if wide.len() == 1 { "wide column" } else { "wide columns" }, wide.join(", ")),
            why: format!(
                "TEXT and JSON values live off the row; reading them for every row costs I/O and memory, and stops any index from covering the query. Name the columns you need{}",
                if facts.columns.iter().any(|c| is_secret(&c.name)) {
                    " (the rewrite leaves out secrets such as password hashes: a console or a log should not carry them)"
                } else {
                    ""
                }
            ),
            rewrite,
            ddl: None,
            index: None,
        });
    }
}

/// Columns a suggestion never names: a password hash, a token, a key.
pub(super) fn is_secret(column: &str) -> bool {
    let c = column.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "salt",
        "api_key",
        "private_key",
    ]
    .iter()
    .any(|s| c.contains(s))
}
