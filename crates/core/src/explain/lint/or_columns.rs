//! `a = 1 OR b = 2` across columns: one index cannot serve both sides.

use super::*;

/// `WHERE a = 1 OR b = 2`: one index cannot serve both sides.
pub(super) fn or_across_columns(stmt: &Statement, scope: &Scope, out: &mut Vec<Finding>) {
    let Statement::Query(query) = stmt else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    let Some(selection) = &select.selection else {
        return;
    };
    for conj in conjuncts(selection) {
        let parts = disjuncts(conj);
        if parts.len() < 2 {
            continue;
        }
        let columns: Option<Vec<(String, String)>> =
            parts.iter().map(|p| predicate_column(p, scope)).collect();
        let Some(columns) = columns else { continue };
        let mut distinct = columns.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        let others: Vec<&Expr> = conjuncts(selection)
            .into_iter()
            .filter(|c| !std::ptr::eq(*c, conj))
            .collect();
        let branch = |part: &Expr| -> SetExpr {
            let mut s: Select = select.as_ref().clone();
            let mut cond = part.clone();
            for o in others.iter().rev() {
                cond = and((*o).clone(), cond);
            }
            s.selection = Some(cond);
            SetExpr::Select(Box::new(s))
        };
        let mut body = branch(parts[0]);
        for part in &parts[1..] {
            body = SetExpr::SetOperation {
                left: Box::new(body),
                op: SetOperator::Union,
                set_quantifier: SetQuantifier::None,
                right: Box::new(branch(part)),
            };
        }
        let mut q = query.as_ref().clone();
        *q.body = body;
        let names: Vec<String> = distinct.iter().map(|(t, c)| format!("{t}.{c}")).collect();
        out.push(Finding {
            rule: Rule::OrAcrossColumns,
            level: Level::Warn,
            table: distinct.first().map(|(t, _)| t.clone()),
            title: format!("OR across {}", names.join(" and ")),
            why: "one index cannot serve an OR of different columns: the server scans, or merges indexes at best. A UNION lets each branch use its own index (UNION also removes duplicate rows)".into(),
            rewrite: Some(q.to_string()),
            ddl: None,
            index: None,
        });
    }
}
