//! `LIKE '%…'`: a leading wildcard cannot use a B-tree index.

use super::*;

pub(super) fn leading_wildcards(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let _ = visit_expressions(stmt, |expr: &Expr| {
        if let Expr::Like {
            expr: target,
            pattern,
            negated: false,
            ..
        } = expr
            && let Some(p) = string_literal(pattern)
            && (p.starts_with('%') || p.starts_with('_'))
            && let Some((table, column)) = scope.column(target, catalog)
        {
            let word = p.trim_matches(|c| c == '%' || c == '_').to_owned();
            let fulltext = catalog
                .and_then(|c| c.table(&table))
                .and_then(|t| t.fulltext_over(&column).cloned());
            let (rewrite, ddl) = match &fulltext {
                Some(ft) if !word.is_empty() && word.is_ascii() => {
                    let against = Expr::MatchAgainst {
                        columns: ft
                            .columns
                            .iter()
                            .map(|c| ObjectName::from(vec![Ident::new(c.clone())]))
                            .collect(),
                        match_value: Value::SingleQuotedString(format!("+{word}*")).into(),
                        opt_search_modifier: Some(SearchModifier::InBooleanMode),
                    };
                    (Some(rewritten(stmt, expr, |_| against.clone())), None)
                }
                Some(_) => (None, None),
                None => (
                    None,
                    Some(format!(
                        "ALTER TABLE `{table}` ADD FULLTEXT INDEX `ft_{column}` (`{column}`) WITH PARSER ngram;  -- MySQL; MariaDB has no ngram parser: search a prefix instead"
                    )),
                ),
            };
            out.push(Finding {
                rule: Rule::LeadingWildcard,
                level: Level::Warn,
                table: Some(table.clone()),
                title: format!("LIKE '{p}' on {table}.{column} starts with a wildcard"),
                why: "a B-tree index is ordered from the first character; a pattern that starts with % or _ can only be checked row by row".into(),
                rewrite,
                ddl,
                index: None,
            });
        }
        ControlFlow::<()>::Continue(())
    });
}
