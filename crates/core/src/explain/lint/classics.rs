//! The week's classics, each judged with the table sizes the catalog knows: `ORDER BY RAND()`
//! on a big table, `NOT IN (subquery)` over a nullable column, a whole big table counted for a
//! UI total, thousands of values in an `IN` list, and a `GROUP BY` ordered by its aggregate.

use super::*;

/// From this many values an IN list is better a joined temporary table.
pub const LONG_IN_LIST: usize = 1_000;

pub(super) fn classics(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    // A big table's size; nothing for a small or unknown one.
    let big = |table: &str| {
        catalog
            .and_then(|c| c.rows_of(table))
            .filter(|n| *n >= BIG_TABLE_ROWS)
    };
    if let Statement::Query(query) = stmt
        && let SetExpr::Select(select) = query.body.as_ref()
    {
        random_order(query, select, scope, catalog, &big, out);
        whole_table_count(select, scope, &big, out);
        aggregate_order(query, select, scope, &big, out);
    }
    not_in_nullable(stmt, scope, catalog, out);
    long_in_lists(stmt, scope, catalog, out);
}

/// The statement's first big table, with its size.
fn big_table<'s>(scope: &'s Scope, big: &dyn Fn(&str) -> Option<f64>) -> Option<(&'s String, f64)> {
    scope
        .tables
        .iter()
        .find_map(|t| big(t).map(|rows| (t, rows)))
}

/// `ORDER BY RAND() LIMIT n` numbers and sorts every row to keep n.
fn random_order(
    query: &Query,
    select: &Select,
    scope: &Scope,
    catalog: Option<&Catalog>,
    big: &dyn Fn(&str) -> Option<f64>,
    out: &mut Vec<Finding>,
) {
    let Some(order) = query.order_by.as_ref() else {
        return;
    };
    let OrderByKind::Expressions(exprs) = &order.kind else {
        return;
    };
    let random = exprs.iter().any(
        |e| matches!(&e.expr, Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("rand")),
    );
    let Some((table, rows)) = big_table(scope, big).filter(|_| random) else {
        return;
    };
    out.push(Finding {
        rule: Rule::RandomOrder,
        level: Level::Bad,
        table: Some(table.clone()),
        title: format!("ORDER BY RAND() sorts all of {table} ({} rows) to keep a few", fmt_rows(rows)),
        why: "every row that passes the WHERE gets a random number and the whole set is sorted (a temporary table and a filesort) before LIMIT keeps any; a random pick by key reads only the rows it returns. Ids with gaps make the rows after a gap likelier, and with a WHERE a pick past the last match returns nothing: pick again".into(),
        rewrite: keyed_pick(query, select, scope, catalog, table),
        ddl: None,
        index: None,
    });
}

/// `… JOIN (SELECT FLOOR(1 + RAND() * (SELECT MAX(id) FROM t)) AS pick) AS r ON t.id >= r.pick
/// ORDER BY t.id LIMIT n`: one index probe from a random key, for one table with a numeric key.
fn keyed_pick(
    query: &Query,
    select: &Select,
    scope: &Scope,
    catalog: Option<&Catalog>,
    table: &str,
) -> Option<String> {
    let facts = catalog?.table(table)?;
    let key = facts.primary_key();
    let [pk] = key.as_slice() else {
        return None;
    };
    let numeric = facts.column(pk).is_some_and(|c| {
        matches!(
            c.data_type.as_str(),
            "tinyint" | "smallint" | "mediumint" | "int" | "bigint"
        )
    });
    let [from] = select.from.as_slice() else {
        return None;
    };
    if !numeric
        || !from.joins.is_empty()
        || scope.tables.len() != 1
        || select.group_by != GroupByExpr::Expressions(vec![], vec![])
    {
        return None;
    }
    let TableFactor::Table { name, alias, .. } = &from.relation else {
        return None;
    };
    let reference = alias
        .as_ref()
        .map_or_else(|| last_part(name), |a| a.name.value.clone());
    let limit = match query.limit_clause.as_ref()? {
        LimitClause::LimitOffset {
            limit: Some(l),
            offset: None,
            ..
        } => l.to_string(),
        _ => return None,
    };
    let projection = select
        .projection
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let filter = select
        .selection
        .as_ref()
        .map(|w| format!(" WHERE {w}"))
        .unwrap_or_default();
    let pk = Ident::new(pk.clone());
    Some(format!(
        "SELECT {projection} FROM {relation} JOIN (SELECT FLOOR(1 + RAND() * (SELECT MAX({pk}) FROM {name})) AS pick) AS r ON {reference}.{pk} >= r.pick{filter} ORDER BY {reference}.{pk} LIMIT {limit}",
        relation = from.relation,
    ))
}

/// `SELECT COUNT(*) FROM big_table`: InnoDB has no stored count, so it reads a whole index.
fn whole_table_count(
    select: &Select,
    scope: &Scope,
    big: &dyn Fn(&str) -> Option<f64>,
    out: &mut Vec<Finding>,
) {
    let [
        SelectItem::UnnamedExpr(Expr::Function(f))
        | SelectItem::ExprWithAlias {
            expr: Expr::Function(f),
            ..
        },
    ] = select.projection.as_slice()
    else {
        return;
    };
    let [from] = select.from.as_slice() else {
        return;
    };
    let whole = f.name.to_string().eq_ignore_ascii_case("count")
        && select.selection.is_none()
        && from.joins.is_empty()
        && select.group_by == GroupByExpr::Expressions(vec![], vec![]);
    let Some((table, rows)) = big_table(scope, big).filter(|_| whole) else {
        return;
    };
    out.push(Finding {
        rule: Rule::WholeTableCount,
        level: Level::Warn,
        table: Some(table.clone()),
        title: format!("COUNT(*) reads all of {table} (about {} rows) for one number", fmt_rows(rows)),
        why: "InnoDB keeps no row count: every count walks a whole index, on every page view that shows the total. For a total on screen, the server's estimate is free (the rewrite, within a few percent after ANALYZE TABLE), or keep a counter updated with the rows".into(),
        rewrite: Some(format!(
            "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{}'",
            table.replace('\'', "''")
        )),
        ddl: None,
        index: None,
    });
}

/// `GROUP BY x ORDER BY COUNT(*) DESC` over a big table: every group is built in a temporary
/// table and sorted by its aggregate on every run.
fn aggregate_order(
    query: &Query,
    select: &Select,
    scope: &Scope,
    big: &dyn Fn(&str) -> Option<f64>,
    out: &mut Vec<Finding>,
) {
    let GroupByExpr::Expressions(groups, _) = &select.group_by else {
        return;
    };
    let Some(order) = query.order_by.as_ref() else {
        return;
    };
    let OrderByKind::Expressions(exprs) = &order.kind else {
        return;
    };
    let aggregates = ["count", "sum", "avg", "min", "max"];
    let aliases: Vec<String> = select
        .projection
        .iter()
        .filter_map(|p| match p {
            SelectItem::ExprWithAlias {
                expr: Expr::Function(f),
                alias,
            } if aggregates
                .iter()
                .any(|a| f.name.to_string().eq_ignore_ascii_case(a)) =>
            {
                Some(alias.value.to_ascii_lowercase())
            }
            _ => None,
        })
        .collect();
    let by_aggregate = exprs.iter().any(|e| match &e.expr {
        Expr::Function(f) => aggregates
            .iter()
            .any(|a| f.name.to_string().eq_ignore_ascii_case(a)),
        Expr::Identifier(i) => aliases.contains(&i.value.to_ascii_lowercase()),
        _ => false,
    });
    let Some((table, rows)) = big_table(scope, big).filter(|_| !groups.is_empty() && by_aggregate)
    else {
        return;
    };
    out.push(Finding {
        rule: Rule::AggregateOrder,
        level: Level::Warn,
        table: Some(table.clone()),
        title: format!("GROUP BY ordered by an aggregate over {table} ({} rows)", fmt_rows(rows)),
        why: "no index can return groups in the order of their totals: all of them are built in a temporary table and sorted before the first is returned, on every run. Bound it to a window of an indexed time column, or keep the totals in a summary table refreshed on a schedule".into(),
        rewrite: None,
        ddl: None,
        index: None,
    });
}

/// `x NOT IN (SELECT c FROM t)` where `c` may be NULL: one NULL makes it never true.
fn not_in_nullable(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let Some(catalog) = catalog else { return };
    let _ = visit_expressions(stmt, |expr: &Expr| {
        let Expr::In {
            expr: outer,
            target: InTarget::Subquery(sub),
            negated: true,
            ..
        } = expr
        else {
            return ControlFlow::<()>::Continue(());
        };
        let SetExpr::Select(inner) = sub.body.as_ref() else {
            return ControlFlow::Continue(());
        };
        let [SelectItem::UnnamedExpr(picked)] = inner.projection.as_slice() else {
            return ControlFlow::Continue(());
        };
        let [from] = inner.from.as_slice() else {
            return ControlFlow::Continue(());
        };
        let TableFactor::Table { name, alias, .. } = &from.relation else {
            return ControlFlow::Continue(());
        };
        let inner_table = last_part(name);
        let inner_ref = alias
            .as_ref()
            .map_or_else(|| inner_table.clone(), |a| a.name.value.clone());
        let column = match picked {
            Expr::Identifier(i) => i.value.clone(),
            Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.clone()).unwrap_or_default(),
            _ => return ControlFlow::Continue(()),
        };
        let Some(facts) = catalog.table(&inner_table).and_then(|t| t.column(&column)) else {
            return ControlFlow::Continue(());
        };
        // A WHERE c IS NOT NULL in the subquery already keeps the NULLs out.
        let guarded = inner.selection.as_ref().is_some_and(|w| {
            conjuncts(w)
                .iter()
                .any(|c| matches!(c, Expr::IsNotNull(x) if x.to_string().ends_with(&column)))
        });
        if !facts.nullable || guarded || !from.joins.is_empty() {
            return ControlFlow::Continue(());
        }
        // The outer column, qualified so it is not read as the subquery's own.
        // The outer column, qualified so it is not read as the subquery's own: its table is
        // the one of the statement's other tables that has it.
        let outer_qualified = match outer.as_ref() {
            Expr::Identifier(i) => {
                let mut owners = scope.tables.iter().filter(|t| {
                    !t.eq_ignore_ascii_case(&inner_table)
                        && catalog.table(t).and_then(|f| f.column(&i.value)).is_some()
                });
                let (Some(table), None) = (owners.next(), owners.next()) else {
                    return ControlFlow::Continue(());
                };
                let reference = scope
                    .by_alias
                    .iter()
                    .find(|(alias, t)| {
                        t.eq_ignore_ascii_case(table) && !alias.eq_ignore_ascii_case(table)
                    })
                    .map_or_else(|| table.clone(), |(alias, _)| alias.clone());
                Expr::CompoundIdentifier(vec![Ident::new(reference), i.clone()])
            }
            other => other.clone(),
        };
        let matched = cmp(
            Expr::CompoundIdentifier(vec![
                Ident::new(inner_ref.clone()),
                Ident::new(column.clone()),
            ]),
            BinaryOperator::Eq,
            outer_qualified,
        );
        let mut exists = inner.as_ref().clone();
        exists.projection = vec![SelectItem::UnnamedExpr(Expr::value(Value::Number(
            "1".into(),
            false,
        )))];
        exists.selection = Some(match exists.selection.take() {
            Some(w) => and(Expr::Nested(Box::new(w)), matched),
            None => matched,
        });
        let mut subquery = sub.as_ref().clone();
        *subquery.body = SetExpr::Select(Box::new(exists));
        let replacement = Expr::Exists {
            subquery: Box::new(subquery),
            negated: true,
        };
        out.push(Finding {
            rule: Rule::NotInNullable,
            level: Level::Bad,
            table: Some(inner_table.clone()),
            title: format!("NOT IN over {inner_table}.{column}, which may be NULL"),
            why: format!("if any {column} the subquery returns is NULL, `x NOT IN (…)` is never true and the statement returns no rows, silently; NOT EXISTS means what was meant, and the optimizer runs it as an anti-join"),
            rewrite: Some(rewritten(stmt, expr, |_| replacement.clone())),
            ddl: None,
            index: None,
        });
        ControlFlow::Continue(())
    });
}

/// `id IN (1, 2, …, 5000)`: parsed, sorted and probed one by one on every run.
fn long_in_lists(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let _ = visit_expressions(stmt, |expr: &Expr| {
        if let Expr::In {
            expr: column,
            target: InTarget::List(list),
            ..
        } = expr
            && list.len() >= LONG_IN_LIST
            && !out.iter().any(|f| f.rule == Rule::LongInList)
        {
            let table = scope.column(column, catalog).map(|(t, _)| t);
            out.push(Finding {
                rule: Rule::LongInList,
                level: Level::Warn,
                table,
                title: format!("an IN list of {} values", fmt_rows(list.len() as f64)),
                why: "every run parses and sorts the whole list, and past the optimizer's eq_range_index_dive_limit (200) its row estimate is a guess from statistics; thousands of ids are better loaded into a temporary table with a primary key and joined, or fetched in pages".into(),
                rewrite: None,
                ddl: None,
                index: None,
            });
        }
        ControlFlow::<()>::Continue(())
    });
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;

    /// `rule` does not fire on `sql`.
    fn absent(sql: &str, rule: Rule) -> bool {
        findings(sql).iter().all(|f| f.rule != rule)
    }

    #[test]
    fn order_by_rand_on_a_big_table_becomes_a_keyed_pick() {
        let found = findings(
            "SELECT id, title FROM conversations WHERE user_id = 7 ORDER BY RAND() LIMIT 1",
        );
        let f = rule(&found, Rule::RandomOrder);
        let rewrite = f.rewrite.as_deref().unwrap();
        assert_eq!(
            rewrite,
            "SELECT id, title FROM conversations JOIN (SELECT FLOOR(1 + RAND() * (SELECT MAX(id) FROM conversations)) AS pick) AS r ON conversations.id >= r.pick WHERE user_id = 7 ORDER BY conversations.id LIMIT 1"
        );
        assert!(check(rewrite, Mode::Explain).is_ok(), "{rewrite}");
        assert!(
            findings(rewrite)
                .iter()
                .all(|f| f.rule != Rule::RandomOrder)
        );
        // A table not known to be big may be sorted.
        assert!(absent(
            "SELECT id FROM emotions ORDER BY RAND() LIMIT 1",
            Rule::RandomOrder
        ));
    }

    #[test]
    fn not_in_over_a_nullable_column_becomes_not_exists() {
        let found = findings(
            "SELECT id FROM conversations WHERE id NOT IN (SELECT conversation_id FROM conversation_messages WHERE content = 'x')",
        );
        let f = rule(&found, Rule::NotInNullable);
        let rewrite = f.rewrite.as_deref().unwrap();
        assert_eq!(
            rewrite,
            "SELECT id FROM conversations WHERE NOT EXISTS (SELECT 1 FROM conversation_messages WHERE (content = 'x') AND conversation_messages.conversation_id = conversations.id)"
        );
        assert!(check(rewrite, Mode::Explain).is_ok());
        let guarded = findings(
            "SELECT id FROM conversations WHERE id NOT IN (SELECT conversation_id FROM conversation_messages WHERE conversation_id IS NOT NULL)",
        );
        assert!(
            guarded.iter().all(|f| f.rule != Rule::NotInNullable),
            "{guarded:#?}"
        );
    }

    #[test]
    fn whole_counts_long_lists_and_aggregate_orders() {
        let count = findings("SELECT COUNT(*) FROM conversations");
        assert!(
            rule(&count, Rule::WholeTableCount)
                .rewrite
                .as_deref()
                .unwrap()
                .ends_with("TABLE_NAME = 'conversations'")
        );
        assert!(absent(
            "SELECT COUNT(*) FROM conversations WHERE user_id = 3",
            Rule::WholeTableCount
        ));

        let ids = (1..=1_200)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let long = findings(&format!(
            "SELECT title FROM conversations WHERE id IN ({ids})"
        ));
        assert_eq!(
            rule(&long, Rule::LongInList).title,
            "an IN list of 1,200 values"
        );
        assert!(absent(
            "SELECT title FROM conversations WHERE id IN (1, 2, 3)",
            Rule::LongInList
        ));

        let top = findings(
            "SELECT user_id, COUNT(*) AS n FROM conversations GROUP BY user_id ORDER BY n DESC LIMIT 10",
        );
        rule(&top, Rule::AggregateOrder);
        assert!(absent(
            "SELECT user_id, COUNT(*) AS n FROM conversations GROUP BY user_id ORDER BY user_id LIMIT 10",
            Rule::AggregateOrder
        ));
    }
}
