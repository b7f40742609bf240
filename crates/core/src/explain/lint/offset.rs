//! A deep OFFSET reads and throws away every skipped row: rewritten as keyset pagination
//! on the ORDER BY columns.

use super::*;

pub(super) fn order_columns(query: &Query) -> Option<Vec<(Expr, bool)>> {
    let order = query.order_by.as_ref()?;
    let OrderByKind::Expressions(exprs) = &order.kind else {
        return None;
    };
    exprs
        .iter()
        .map(|e| match (&e.expr, &e.options.sort) {
            (x @ (Expr::Identifier(_) | Expr::CompoundIdentifier(_)), sort) => {
                Some((x.clone(), matches!(sort, Some(OrderBySort::Desc))))
            }
            _ => None,
        })
        .collect()
}

pub(super) fn offset_of(query: &Query) -> Option<u64> {
    let offset = match query.limit_clause.as_ref()? {
        LimitClause::LimitOffset {
            offset: Some(o), ..
        } => &o.value,
        LimitClause::OffsetCommaLimit { offset, .. } => offset,
        _ => return None,
    };
    match literal(offset)? {
        Value::Number(n, _) => n.parse().ok(),
        _ => None,
    }
}

/// `LIMIT 20 OFFSET 10000` → `WHERE … AND id < :last_id ORDER BY id DESC LIMIT 20`.
pub(super) fn deep_offset(stmt: &Statement, out: &mut Vec<Finding>) {
    let Statement::Query(query) = stmt else {
        return;
    };
    let Some(offset) = offset_of(query).filter(|o| *o >= DEEP_OFFSET) else {
        return;
    };
    let rewrite = keyset_rewrite(query);
    out.push(Finding {
        rule: Rule::DeepOffset,
        level: if offset >= 10 * DEEP_OFFSET { Level::Bad } else { Level::Warn },
        table: None,
        title: format!("OFFSET {offset} reads {offset} rows only to throw them away"),
        why: "every page deeper costs more: the server walks the index from the start each time. Keyset pagination seeks to the last row seen instead and costs the same on every page".into(),
        rewrite,
        ddl: None,
        index: None,
    });
}

pub(super) fn keyset_rewrite(query: &Query) -> Option<String> {
    let mut q = query.clone();
    let SetExpr::Select(select) = q.body.as_mut() else {
        return None;
    };
    let order =
        order_columns(query).unwrap_or_else(|| vec![(Expr::Identifier(Ident::new("id")), false)]);
    let desc = order[0].1;
    if order.iter().any(|(_, d)| *d != desc) {
        return None;
    }
    let placeholder = |e: &Expr| {
        let name = match e {
            Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.clone()).unwrap_or_default(),
            Expr::Identifier(i) => i.value.clone(),
            _ => "value".into(),
        };
        Expr::value(Value::Placeholder(format!(":last_{name}")))
    };
    let op = if desc {
        BinaryOperator::Lt
    } else {
        BinaryOperator::Gt
    };
    let condition = if order.len() == 1 {
        cmp(order[0].0.clone(), op, placeholder(&order[0].0))
    } else {
        cmp(
            Expr::Tuple(order.iter().map(|(e, _)| e.clone()).collect()),
            op,
            Expr::Tuple(order.iter().map(|(e, _)| placeholder(e)).collect()),
        )
    };
    select.selection = Some(match select.selection.take() {
        Some(existing) => and(Expr::Nested(Box::new(existing)), condition),
        None => condition,
    });
    if q.order_by.is_none() {
        return Some(format!(
            "{} ORDER BY id{}",
            without_offset(&mut q),
            match query.limit_clause.as_ref() {
                Some(LimitClause::LimitOffset { limit: Some(l), .. })
                | Some(LimitClause::OffsetCommaLimit { limit: l, .. }) => format!(" LIMIT {l}"),
                _ => String::new(),
            }
        ));
    }
    Some(without_offset(&mut q))
}

pub(super) fn without_offset(q: &mut Query) -> String {
    q.limit_clause = match q.limit_clause.take() {
        Some(LimitClause::LimitOffset {
            limit, limit_by, ..
        }) => Some(LimitClause::LimitOffset {
            limit,
            offset: None,
            limit_by,
        }),
        Some(LimitClause::OffsetCommaLimit { limit, .. }) => Some(LimitClause::LimitOffset {
            limit: Some(limit),
            offset: None,
            limit_by: Vec::new(),
        }),
        None => None,
    };
    if q.order_by.is_none() {
        // The ORDER BY and LIMIT are appended by the caller, in that order.
        q.limit_clause = None;
    }
    q.to_string()
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;

    #[test]
    fn deep_offset_becomes_keyset_with_the_order_kept() {
        let found = findings(
            "SELECT id, title FROM conversations WHERE user_id = 7 ORDER BY id DESC LIMIT 20 OFFSET 10000",
        );
        let f = rule(&found, Rule::DeepOffset);
        assert_eq!(
            f.rewrite.as_deref(),
            Some(
                "SELECT id, title FROM conversations WHERE (user_id = 7) AND id < :last_id ORDER BY id DESC LIMIT 20"
            )
        );
        let comma =
            findings("SELECT id FROM conversations ORDER BY last_message_at, id LIMIT 5000, 50");
        assert!(rule(&comma, Rule::DeepOffset).rewrite.as_deref().unwrap().contains("(last_message_at, id) > (:last_last_message_at, :last_id) ORDER BY last_message_at, id LIMIT 50"));
        assert!(
            findings("SELECT id FROM conversations LIMIT 20 OFFSET 40")
                .iter()
                .all(|f| f.rule != Rule::DeepOffset)
        );
    }
}
