//! Columns of different kinds joined: the converted side's index is lost.

use super::*;
use crate::explain::catalog::ColumnFacts;

/// `ON u.phone = c.user_id`: a text column joined to a number (or a date) is converted row by
/// row, so the text side's index cannot be used for the join.
pub(super) fn mismatched_join(
    expr: &Expr,
    scope: &Scope,
    catalog: Option<&Catalog>,
    seen: &mut Vec<String>,
    out: &mut Vec<Finding>,
) {
    let Some(catalog) = catalog else { return };
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = expr
    else {
        return;
    };
    let (Some(a), Some(b)) = (
        scope.column(left, Some(catalog)),
        scope.column(right, Some(catalog)),
    ) else {
        return;
    };
    let facts = |(t, c): &(String, String)| catalog.table(t).and_then(|f| f.column(c)).cloned();
    let (Some(fa), Some(fb)) = (facts(&a), facts(&b)) else {
        return;
    };
    let (family_a, family_b) = (family(&fa.data_type), family(&fb.data_type));
    if family_a == Some(Family::Text) && family_b == Some(Family::Text) {
        return mixed_charsets(expr, (a, &fa, left), (b, &fb, right), catalog, seen, out);
    }
    if family_a == family_b || family_a.is_none() || family_b.is_none() {
        return;
    }
    // The text side is the one converted: its index is the one lost.
    let ((table, column), text, text_side, other, other_facts, other_side) = if fa.is_text_like() {
        (a, &fa, left, b, &fb, right)
    } else if fb.is_text_like() {
        (b, &fb, right, a, &fa, left)
    } else {
        return;
    };
    if !catalog.table(&table).is_some_and(|t| t.is_indexed(&column))
        || seen.contains(&expr.to_string())
    {
        return;
    }
    seen.push(expr.to_string());
    let index = index_of(Some(catalog), &table, &column).unwrap_or_else(|| "its index".into());
    out.push(Finding {
        rule: Rule::HiddenIndex,
        level: Level::Bad,
        table: Some(table.clone()),
        title: format!(
            "{table}.{column} ({}) is joined to {}.{} ({}): the conversion hides {index}",
            text.data_type.to_uppercase(),
            other.0,
            other.1,
            other_facts.data_type.to_uppercase()
        ),
        why: if family(&other_facts.data_type) == Some(Family::Number) {
            format!(
                "the two columns are of different kinds, so each {column} is converted to a number before it is compared and {index} cannot look up the matching rows: the join reads all of {table}; give both columns the same type, or compare as text (`{text_side} = CAST({other_side} AS CHAR)`) where no value has leading zeros or spaces"
            )
        } else {
            format!(
                "the two columns are of different kinds, so each {column} is converted before it is compared and {index} cannot look up the matching rows: the join reads all of {table}; give both columns the same type"
            )
        },
        rewrite: None,
        ddl: None,
        index: None,
    });
}

/// A side of a join: its table and column, their facts, the expression as written.
type JoinSide<'a> = ((String, String), &'a ColumnFacts, &'a Expr);

/// `ON l.phone = u.phone` with `l.phone` in utf8mb3 and `u.phone` in utf8mb4: the narrower side
/// is converted to the wider character set row by row, so its index cannot serve the join.
fn mixed_charsets(
    expr: &Expr,
    a: JoinSide<'_>,
    b: JoinSide<'_>,
    catalog: &Catalog,
    seen: &mut Vec<String>,
    out: &mut Vec<Finding>,
) {
    let (Some(charset_a), Some(charset_b)) = (a.1.charset(), b.1.charset()) else {
        return;
    };
    if charset_a == charset_b {
        return;
    }
    // utf8mb4 holds every other character set: the other side is the one converted.
    let (converted, kept) = if charset_b == "utf8mb4" {
        (a, b)
    } else {
        (b, a)
    };
    let ((table, column), facts, written) = converted;
    if !catalog.table(&table).is_some_and(|t| t.is_indexed(&column))
        || seen.contains(&expr.to_string())
    {
        return;
    }
    seen.push(expr.to_string());
    let index = index_of(Some(catalog), &table, &column).unwrap_or_else(|| "its index".into());
    let into = kept.1.charset().unwrap_or("utf8mb4");
    out.push(Finding {
        rule: Rule::HiddenIndex,
        level: Level::Bad,
        table: Some(table.clone()),
        title: format!(
            "{table}.{column} ({}) is joined to {}.{} ({into}): the conversion hides {index}",
            facts.charset().unwrap_or("?"),
            kept.0.0,
            kept.0.1
        ),
        why: format!(
            "the two columns are in different character sets, so each `{written}` is converted to {into} before it is compared and {index}, sorted in the old set, cannot look up the matching rows: the join reads all of {table}; convert the column (`ALTER TABLE … MODIFY {column} … CHARACTER SET {into}`), which rebuilds the table"
        ),
        rewrite: None,
        ddl: None,
        index: None,
    });
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Family {
    Text,
    Number,
    Temporal,
}

fn family(data_type: &str) -> Option<Family> {
    Some(match data_type {
        "char" | "varchar" | "text" | "tinytext" | "mediumtext" | "longtext" => Family::Text,
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal"
        | "numeric" | "float" | "double" | "bit" => Family::Number,
        "date" | "datetime" | "timestamp" | "time" | "year" => Family::Temporal,
        _ => return None,
    })
}
