//! The N+1 count inside the server: a dependent `(SELECT COUNT(*) …)` per row, rewritten
//! as one LEFT JOIN with GROUP BY.

use super::*;

/// `SELECT …, (SELECT COUNT(*) FROM m WHERE m.c_id = c.id) FROM c`: the N+1 pattern inside
/// the server. Rewritten as one LEFT JOIN with GROUP BY.
pub(super) fn dependent_count(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let Statement::Query(query) = stmt else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    for (i, item) in select.projection.iter().enumerate() {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.clone())),
            _ => continue,
        };
        let Expr::Subquery(sub) = expr else { continue };
        let SetExpr::Select(inner) = sub.body.as_ref() else {
            continue;
        };
        let [SelectItem::UnnamedExpr(count)] = inner.projection.as_slice() else {
            continue;
        };
        let is_count =
            matches!(count, Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("count"));
        let [from] = inner.from.as_slice() else {
            continue;
        };
        let TableFactor::Table {
            name: inner_name,
            alias: inner_alias,
            ..
        } = &from.relation
        else {
            continue;
        };
        if !is_count || !from.joins.is_empty() {
            continue;
        }
        let inner_ref = inner_alias
            .as_ref()
            .map(|a| a.name.value.clone())
            .unwrap_or_else(|| last_part(inner_name));
        let Some(Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        }) = &inner.selection
        else {
            continue;
        };
        let refers_inner = |e: &Expr| matches!(e, Expr::CompoundIdentifier(p) if p.len() == 2 && p[0].value.eq_ignore_ascii_case(&inner_ref));
        let (inner_col, outer_col) = if refers_inner(left) {
            (left, right)
        } else if refers_inner(right) {
            (right, left)
        } else {
            continue;
        };
        let Expr::CompoundIdentifier(inner_parts) = inner_col.as_ref() else {
            continue;
        };
        let Some(outer_table) = scope.column(outer_col, catalog).map(|(t, _)| t) else {
            continue;
        };
        let [outer_from] = select.from.as_slice() else {
            continue;
        };
        let outer_ref = match &outer_from.relation {
            TableFactor::Table { alias: Some(a), .. } => a.name.value.clone(),
            TableFactor::Table { name, .. } => last_part(name),
            _ => continue,
        };
        let pk = catalog
            .and_then(|c| c.table(&outer_table))
            .map(|t| t.primary_key())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| vec!["id".into()]);
        let mut rewritten = select.as_ref().clone();
        let counted = Expr::Function(sqlparser::ast::Function {
            name: ObjectName::from(vec![Ident::new("COUNT")]),
            uses_odbc_syntax: false,
            parameters: FunctionArguments::None,
            args: FunctionArguments::List(sqlparser::ast::FunctionArgumentList {
                duplicate_treatment: None,
                args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(
                    inner_col.as_ref().clone(),
                ))],
                clauses: Vec::new(),
            }),
            filter: None,
            null_treatment: None,
            over: None,
            within_group: Vec::new(),
        });
        rewritten.projection[i] = match alias {
            Some(alias) => SelectItem::ExprWithAlias {
                expr: counted,
                alias,
            },
            None => SelectItem::UnnamedExpr(counted),
        };
        let mut join_from = outer_from.clone();
        join_from.joins.push(sqlparser::ast::Join {
            relation: from.relation.clone(),
            global: false,
            join_operator: JoinOperator::LeftOuter(JoinConstraint::On(cmp(
                inner_col.as_ref().clone(),
                BinaryOperator::Eq,
                outer_col.as_ref().clone(),
            ))),
        });
        rewritten.from = vec![join_from];
        rewritten.group_by = GroupByExpr::Expressions(
            pk.iter()
                .map(|c| {
                    Expr::CompoundIdentifier(vec![
                        Ident::new(outer_ref.clone()),
                        Ident::new(c.clone()),
                    ])
                })
                .collect(),
            Vec::new(),
        );
        let mut q = query.as_ref().clone();
        *q.body = SetExpr::Select(Box::new(rewritten));
        let inner_table = last_part(inner_name);
        let inner_column = inner_parts[1].value.clone();
        let index = catalog
            .and_then(|c| c.table(&inner_table))
            .filter(|t| !t.is_indexed(&inner_column))
            .map(|_| suggest(&inner_table, std::slice::from_ref(&inner_column)));
        out.push(Finding {
            rule: Rule::DependentSubquery,
            level: Level::Warn,
            table: Some(inner_table.clone()),
            title: format!("a COUNT over {inner_table} runs once per {outer_table} row (N+1)"),
            why: "a correlated subquery in the select list is evaluated for every outer row: the N+1 pattern inside the server. One LEFT JOIN with GROUP BY counts them all in a single pass".into(),
            rewrite: Some(q.to_string()),
            ddl: index.as_ref().map(SuggestedIndex::ddl),
            index,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;

    #[test]
    fn the_n_plus_one_count_becomes_one_left_join() {
        let found = findings(
            "SELECT c.id, (SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = c.id) AS messages FROM conversations c WHERE c.user_id = 42",
        );
        let f = rule(&found, Rule::DependentSubquery);
        let rewrite = f.rewrite.as_deref().unwrap();
        assert!(
            rewrite.contains("COUNT(m.conversation_id) AS messages"),
            "{rewrite}"
        );
        assert!(
            rewrite.contains("LEFT OUTER JOIN conversation_messages"),
            "{rewrite}"
        );
        assert!(rewrite.ends_with("GROUP BY c.id"), "{rewrite}");
        assert!(
            check(rewrite, Mode::Analyze).is_ok(),
            "the rewrite is itself explainable"
        );
    }
}
