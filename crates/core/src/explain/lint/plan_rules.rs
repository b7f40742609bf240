//! Rules read off the plan: big full scans, joins without an index, filesorts on big
//! results, with the index that serves the statement.

use super::offset::order_columns;
use super::*;

/// Columns of `table` the statement compares with constants (for an index suggestion), in
/// the order equality first, then ranges.
pub(super) fn filtered_columns(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    table: &str,
) -> Vec<String> {
    let mut eq = Vec::new();
    let mut range = Vec::new();
    let _ = visit_expressions(stmt, |expr: &Expr| {
        let (col, is_eq) = match expr {
            Expr::BinaryOp { left, op, right } if is_comparison(op) => {
                let col = if literal(right).is_some() {
                    scope.column(left, catalog)
                } else if literal(left).is_some() {
                    scope.column(right, catalog)
                } else {
                    None
                };
                (col, *op == BinaryOperator::Eq)
            }
            Expr::In {
                expr,
                target: InTarget::List(_),
                negated: false,
                ..
            } => (scope.column(expr, catalog), true),
            Expr::Between {
                expr,
                negated: false,
                ..
            } => (scope.column(expr, catalog), false),
            _ => (None, false),
        };
        if let Some((t, c)) = col
            && t.eq_ignore_ascii_case(table)
        {
            let list = if is_eq { &mut eq } else { &mut range };
            if !list.contains(&c) {
                list.push(c);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    range.retain(|c| !eq.contains(c));
    eq.extend(range.into_iter().take(1));
    eq
}

/// Columns of `table` joined to another table by equality.
pub(super) fn join_columns(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    table: &str,
) -> Vec<String> {
    let mut cols = Vec::new();
    let _ = visit_expressions(stmt, |expr: &Expr| {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = expr
            && let (Some(a), Some(b)) = (scope.column(left, catalog), scope.column(right, catalog))
            && !a.0.eq_ignore_ascii_case(&b.0)
        {
            for (t, c) in [a, b] {
                if t.eq_ignore_ascii_case(table) && !cols.contains(&c) {
                    cols.push(c);
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
    cols
}

pub(super) fn plan_rules(
    plan: &Plan,
    stmt: Option<&Statement>,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    // Plans name tables by their alias (MariaDB, MySQL's tree); the statement knows which.
    let real = |name: &str| {
        scope
            .by_alias
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    };
    let size = |node: &crate::explain::plan::PlanNode| -> f64 {
        let table_rows = node
            .table
            .as_deref()
            .and_then(|t| catalog.and_then(|c| c.rows_of(&real(t))));
        table_rows.unwrap_or(0.0).max(node.rows.unwrap_or(0.0))
    };
    let index_hidden = out.iter().any(|f| f.rule == Rule::HiddenIndex);
    let tables = plan.tables();
    for (position, node) in tables.iter().enumerate() {
        let table = real(node.table.as_deref().unwrap_or_default());
        let rows = size(node);
        let in_join = position > 0 || node.using_join_buffer;
        match node.access {
            Some(Access::FullScan) | Some(Access::IndexScan) if in_join && (node.using_join_buffer || node.access == Some(Access::FullScan)) && tables.len() > 1 => {
                let cols = stmt.map(|s| join_columns(s, scope, catalog, &table)).unwrap_or_default();
                let index = cols.first().filter(|c| !catalog.and_then(|k| k.table(&table)).is_some_and(|t| t.is_indexed(c))).map(|c| suggest(&table, std::slice::from_ref(c)));
                out.push(Finding {
                    rule: Rule::JoinWithoutIndex,
                    level: Level::Bad,
                    table: Some(table.clone()),
                    title: format!("{table} is joined with no usable index ({} rows read per outer row)", fmt_rows(node.rows.unwrap_or(rows))),
                    why: "without an index on the join column every row of the outer side reads this table in full (or fills a join buffer); an index makes it one lookup per row".into(),
                    rewrite: None,
                    ddl: index.as_ref().map(SuggestedIndex::ddl),
                    index,
                });
            }
            Some(Access::FullScan) if rows >= BIG_TABLE_ROWS => {
                let cols = stmt.map(|s| filtered_columns(s, scope, catalog, &table)).unwrap_or_default();
                let facts = catalog.and_then(|c| c.table(&table));
                let index = (!cols.is_empty() && !facts.is_some_and(|t| t.has_index_leading(&cols))).then(|| suggest(&table, &cols));
                let hint = if index_hidden {
                    "; an expression over an indexed column is why (see below)"
                } else if index.is_none() && !cols.is_empty() {
                    "; an index exists, but the optimizer expects to read most of the table anyway"
                } else {
                    ""
                };
                out.push(Finding {
                    rule: Rule::FullScan,
                    level: Level::Bad,
                    table: Some(table.clone()),
                    title: format!("full scan of {table} ({} rows)", fmt_rows(rows)),
                    why: format!("every row of {table} is read and tested{hint}"),
                    rewrite: None,
                    ddl: index.as_ref().map(SuggestedIndex::ddl),
                    index,
                });
            }
            Some(Access::IndexScan) if rows >= BIG_TABLE_ROWS => out.push(Finding {
                rule: Rule::FullScan,
                level: Level::Warn,
                table: Some(table.clone()),
                title: format!("full index scan of {table} ({} rows)", fmt_rows(rows)),
                why: format!("every entry of index `{}` is read: cheaper than the table, still proportional to its size", node.key.clone().unwrap_or_default()),
                rewrite: None,
                ddl: None,
                index: None,
            }),
            _ => {}
        }
        if stmt.is_none() {
            plan_condition_rules(node, &table, out);
        }
    }
    // A sort or temporary table over many rows.
    for node in plan.root.walk() {
        let sorts = node.kind == Some(NodeKind::Sort) || node.using_filesort;
        let temp = node.kind == Some(NodeKind::Temporary) || node.using_temporary;
        if !sorts && !temp {
            continue;
        }
        let rows = node
            .walk()
            .iter()
            .filter(|n| n.kind == Some(NodeKind::Table))
            .map(|n| size(n))
            .fold(0.0, f64::max);
        if rows < BIG_TABLE_ROWS || out.iter().any(|f| f.rule == Rule::FilesortOnBigResult) {
            continue;
        }
        let index = stmt.and_then(|s| sort_index(s, scope, catalog));
        out.push(Finding {
            rule: Rule::FilesortOnBigResult,
            level: Level::Warn,
            table: None,
            title: format!("{} over about {} rows", if sorts { "a filesort" } else { "a temporary table" }, fmt_rows(rows)),
            why: "the rows are collected and sorted (or grouped in a temporary table, on disk when large) before the first one is returned; an index in the ORDER BY / GROUP BY order returns them already sorted".into(),
            rewrite: None,
            ddl: index.as_ref().map(SuggestedIndex::ddl),
            index,
        });
    }
    for node in plan.root.walk() {
        if node.dependent && !out.iter().any(|f| f.rule == Rule::DependentSubquery) {
            out.push(Finding {
                rule: Rule::DependentSubquery,
                level: Level::Warn,
                table: node.walk().iter().find_map(|n| n.table.clone()),
                title: format!("{} is a dependent subquery", node.label),
                why: "it runs once per outer row (N+1 inside the server); a JOIN with GROUP BY does the same work in one pass".into(),
                rewrite: None,
                ddl: None,
                index: None,
            });
        }
    }
}

/// For a pasted plan there is no statement: read what the attached condition shows.
pub(super) fn plan_condition_rules(
    node: &crate::explain::plan::PlanNode,
    table: &str,
    out: &mut Vec<Finding>,
) {
    let Some(cond) = node.condition.as_deref() else {
        return;
    };
    super::sargable::hidden_in_condition(cond, table, out);
    let lower = cond.to_ascii_lowercase();
    if lower.contains("like '%") || lower.contains("like '_") {
        out.push(Finding {
            rule: Rule::LeadingWildcard,
            level: Level::Warn,
            table: Some(table.to_owned()),
            title: format!("a LIKE pattern on {table} starts with a wildcard"),
            why: "a pattern that starts with % or _ can only be checked row by row".into(),
            rewrite: None,
            ddl: None,
            index: None,
        });
    }
}

/// Equality columns then ORDER BY columns of a single-table query, as one index.
pub(super) fn sort_index(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
) -> Option<SuggestedIndex> {
    let Statement::Query(query) = stmt else {
        return None;
    };
    if scope.tables.len() != 1 {
        return None;
    }
    let table = &scope.tables[0];
    let mut cols = filtered_columns(stmt, scope, catalog, table);
    // Only equality columns may precede the sort columns.
    if let SetExpr::Select(s) = query.body.as_ref() {
        let eq_only: Vec<String> = s
            .selection
            .as_ref()
            .map(|w| {
                conjuncts(w)
                    .iter()
                    .filter_map(|c| match c {
                        Expr::BinaryOp {
                            op: BinaryOperator::Eq,
                            ..
                        } => predicate_column(c, scope).map(|(_, c)| c),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        cols.retain(|c| eq_only.contains(c));
    }
    for (e, _) in order_columns(query)? {
        if let Some((_, c)) = scope.column(&e, catalog)
            && !cols.contains(&c)
        {
            cols.push(c);
        }
    }
    let facts = catalog.and_then(|c| c.table(table));
    (!cols.is_empty() && !facts.is_some_and(|t| t.has_index_leading(&cols)))
        .then(|| suggest(table, &cols))
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;

    #[test]
    fn plan_rules_flag_big_full_scans_and_joins_without_index() {
        use crate::explain::plan::parse;
        let plan = parse(r#"{"query_block": {"select_id": 1, "nested_loop": [
            {"table": {"table_name": "conversations", "access_type": "ALL", "rows": 300000, "filtered": 100, "attached_condition": "cast(conversations.created_at as date) = '2025-01-11'"}}]}}"#).unwrap();
        let cat = catalog();
        let found = lint(&LintInput {
            statement: None,
            plan: Some(&plan),
            catalog: None,
        });
        assert!(
            found
                .iter()
                .any(|f| f.rule == Rule::FullScan && f.level == Level::Bad),
            "{found:#?}"
        );
        assert!(
            found.iter().any(|f| f.rule == Rule::HiddenIndex),
            "the pasted plan's condition shows the function"
        );

        let sql = "SELECT u.id FROM conversations c JOIN users u ON u.nickname = c.title WHERE c.id < 100";
        let checked = check(sql, Mode::Explain).unwrap();
        let join = parse(r#"{"query_block": {"select_id": 1, "nested_loop": [
            {"table": {"table_name": "c", "access_type": "range", "key": "PRIMARY", "rows": 99, "filtered": 100}},
            {"block-nl-join": {"table": {"table_name": "u", "access_type": "ALL", "rows": 100000, "filtered": 100}, "buffer_type": "flat"}}]}}"#).unwrap();
        let found = lint(&LintInput {
            statement: Some(&checked.statement),
            plan: Some(&join),
            catalog: Some(&cat),
        });
        let f = rule(&found, Rule::JoinWithoutIndex);
        assert_eq!(
            f.ddl.as_deref(),
            Some("ALTER TABLE `users` ADD INDEX `idx_nickname` (`nickname`);")
        );
    }
}
