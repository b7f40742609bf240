//! The same test on the bare column: calendar periods as ranges, arithmetic moved to the
//! constant side, prefixes as LIKE.

use sqlparser::ast::{DateTimeField, Interval};

use super::*;

/// The same test on the bare column, where one exists.
pub(super) fn sargable(wrapped: &Expr, test: &Test<'_>, column: &Expr) -> Option<Expr> {
    if let Some(range) = calendar_range(wrapped, test, column) {
        return Some(range);
    }
    if let Some(prefix) = prefix_like(wrapped, test, column) {
        return Some(prefix);
    }
    match test {
        Test::Compare(op, other) => {
            let (bare, op, other) = isolate(wrapped, op.clone(), (*other).clone())?;
            Some(cmp(bare, op, other))
        }
        Test::Between(low, high) => {
            let (bare, _, low) = isolate(wrapped, BinaryOperator::GtEq, (*low).clone())?;
            let (_, _, high) = isolate(wrapped, BinaryOperator::LtEq, (*high).clone())?;
            // Moving arithmetic across BETWEEN keeps its bounds' order only for + and -.
            Some(Expr::Between {
                expr: Box::new(bare),
                negated: false,
                low: Box::new(low),
                high: Box::new(high),
            })
            .filter(|_| !has_scaling(wrapped))
        }
        Test::Other(_) => None,
    }
}

fn has_scaling(expr: &Expr) -> bool {
    let mut found = false;
    walk(expr, &mut |e| {
        if matches!(
            e,
            Expr::BinaryOp {
                op: BinaryOperator::Multiply | BinaryOperator::Divide,
                ..
            }
        ) {
            found = true;
        }
        !found
    });
    found
}

/// Moves arithmetic off the column onto the constant side, one layer at a time:
/// `col + INTERVAL 1 DAY > NOW()` is `col > NOW() - INTERVAL 1 DAY`, `col * 2 <= 10` is
/// `col <= 10 / 2`. Only exact moves are made: calendar months and years are not fixed lengths
/// (Jan 31 + 1 month is Feb 28), and a scale must be a positive number.
fn isolate(side: &Expr, op: BinaryOperator, other: Expr) -> Option<(Expr, BinaryOperator, Expr)> {
    let grouped = |e: Expr| match e {
        Expr::BinaryOp { .. } => Expr::Nested(Box::new(e)),
        e => e,
    };
    let inverse = |x: Expr, o: BinaryOperator, k: &Expr| cmp(grouped(x), o, k.clone());
    let step = |kind: Move, rest: &Expr, k: &Expr| -> Option<(Expr, BinaryOperator, Expr)> {
        let (new_op, new_other) = match kind {
            Move::Add => (op.clone(), inverse(other.clone(), BinaryOperator::Minus, k)),
            Move::Subtract => (op.clone(), inverse(other.clone(), BinaryOperator::Plus, k)),
            // k - col op c  is  col (flipped op) k - c
            Move::SubtractFrom => (
                flip(&op)?,
                cmp(k.clone(), BinaryOperator::Minus, grouped(other.clone())),
            ),
            Move::Scale => (
                op.clone(),
                inverse(other.clone(), BinaryOperator::Divide, k),
            ),
            Move::Unscale => (
                op.clone(),
                inverse(other.clone(), BinaryOperator::Multiply, k),
            ),
        };
        match rest {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                Some((rest.clone(), new_op, new_other))
            }
            Expr::Nested(inner) => isolate(inner, new_op, new_other),
            _ => isolate(rest, new_op, new_other),
        }
    };
    match side {
        Expr::Nested(inner) => isolate(inner, op, other),
        Expr::BinaryOp {
            left,
            op: arith,
            right,
        } => {
            let movable = |k: &Expr| exact_shift(k) && !mentions_column(k);
            match arith {
                BinaryOperator::Plus if movable(right) => step(Move::Add, left, right),
                BinaryOperator::Plus if movable(left) => step(Move::Add, right, left),
                BinaryOperator::Minus if movable(right) => step(Move::Subtract, left, right),
                BinaryOperator::Minus
                    if movable(left) && !matches!(left.as_ref(), Expr::Interval(_)) =>
                {
                    step(Move::SubtractFrom, right, left)
                }
                BinaryOperator::Multiply if positive_number(right) => {
                    step(Move::Scale, left, right)
                }
                BinaryOperator::Multiply if positive_number(left) => step(Move::Scale, right, left),
                BinaryOperator::Divide if positive_number(right) => {
                    step(Move::Unscale, left, right)
                }
                _ => None,
            }
        }
        Expr::Function(_) => {
            // DATE_ADD(col, INTERVAL …) and DATE_SUB are the same arithmetic.
            let (name, args) = function_args(side)?;
            let [col, k] = args.as_slice() else {
                return None;
            };
            if !matches!(k, Expr::Interval(_)) || !exact_shift(k) {
                return None;
            }
            match name.as_str() {
                "date_add" | "adddate" => step(Move::Add, col, k),
                "date_sub" | "subdate" => step(Move::Subtract, col, k),
                _ => None,
            }
        }
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Move {
    Add,
    Subtract,
    SubtractFrom,
    Scale,
    Unscale,
}

/// A number, or an interval of a fixed length (seconds to weeks).
fn exact_shift(k: &Expr) -> bool {
    match k {
        Expr::Nested(inner) => exact_shift(inner),
        Expr::Interval(Interval {
            leading_field,
            last_field: None,
            ..
        }) => matches!(
            leading_field,
            Some(
                DateTimeField::Microsecond
                    | DateTimeField::Microseconds
                    | DateTimeField::Second
                    | DateTimeField::Seconds
                    | DateTimeField::Minute
                    | DateTimeField::Minutes
                    | DateTimeField::Hour
                    | DateTimeField::Hours
                    | DateTimeField::Day
                    | DateTimeField::Days
                    | DateTimeField::Week(None)
                    | DateTimeField::Weeks
            )
        ),
        _ => matches!(literal(k), Some(Value::Number(..))),
    }
}

fn positive_number(k: &Expr) -> bool {
    matches!(literal(k), Some(Value::Number(n, _)) if n.parse::<f64>().is_ok_and(|v| v > 0.0))
}

fn mentions_column(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if matches!(x, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            found = true;
        }
        !found
    });
    found
}

/// A function's lower-case name and its plain arguments.
fn function_args(expr: &Expr) -> Option<(String, Vec<&Expr>)> {
    let Expr::Function(f) = expr else { return None };
    let name = f.name.0.last()?.as_ident()?.value.to_ascii_lowercase();
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let args = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((name, args))
}

/// The calendar period a function of a date stands for: `DATE(c)` a day, `YEAR(c)` a year,
/// `DATE_FORMAT(c, '%Y-%m')` a month. Its text is what the literal must parse as.
#[derive(Clone, Copy)]
enum Period {
    Day,
    Month,
    Year,
}

fn period_of(wrapped: &Expr, column: &Expr) -> Option<Period> {
    let (name, args) = function_args(wrapped)?;
    if args.first().map(|a| a.to_string()) != Some(column.to_string()) {
        return None;
    }
    match (name.as_str(), args.as_slice()) {
        ("date", [_]) => Some(Period::Day),
        ("year", [_]) => Some(Period::Year),
        ("date_format", [_, format]) => match string_literal(format)? {
            "%Y-%m-%d" => Some(Period::Day),
            "%Y-%m" => Some(Period::Month),
            "%Y" => Some(Period::Year),
            _ => None,
        },
        _ => None,
    }
}

/// `[from, to)`: the days a literal of the period stands for.
fn interval(period: Period, lit: &Expr) -> Option<(NaiveDate, NaiveDate)> {
    let text = match literal(lit)? {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) | Value::Number(s, _) => {
            s.trim()
        }
        _ => return None,
    };
    match period {
        Period::Day => {
            let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            Some((d, d + Duration::days(1)))
        }
        Period::Month => {
            let d = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
            // The literal must be written as the format prints it: '2025-11', not '2025-1'.
            (d.format("%Y-%m").to_string() == text).then_some(())?;
            Some((d, d.checked_add_months(chrono::Months::new(1))?))
        }
        Period::Year => {
            let y: i32 = text.parse().ok().filter(|y| (1000..=9999).contains(y))?;
            Some((
                NaiveDate::from_ymd_opt(y, 1, 1)?,
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?,
            ))
        }
    }
}

fn calendar_range(wrapped: &Expr, test: &Test<'_>, column: &Expr) -> Option<Expr> {
    let period = period_of(wrapped, column)?;
    let day_start = |d: NaiveDate| str_expr(format!("{} 00:00:00", d.format("%Y-%m-%d")));
    let col = || column.clone();
    match test {
        Test::Between(low, high) => {
            let (from, _) = interval(period, low)?;
            let (_, to) = interval(period, high)?;
            Some(and(
                cmp(col(), BinaryOperator::GtEq, day_start(from)),
                cmp(col(), BinaryOperator::Lt, day_start(to)),
            ))
        }
        Test::Compare(op, lit) => {
            let (from, to) = interval(period, lit)?;
            Some(match op {
                BinaryOperator::Eq => and(
                    cmp(col(), BinaryOperator::GtEq, day_start(from)),
                    cmp(col(), BinaryOperator::Lt, day_start(to)),
                ),
                BinaryOperator::GtEq => cmp(col(), BinaryOperator::GtEq, day_start(from)),
                BinaryOperator::Gt => cmp(col(), BinaryOperator::GtEq, day_start(to)),
                BinaryOperator::Lt => cmp(col(), BinaryOperator::Lt, day_start(from)),
                BinaryOperator::LtEq => cmp(col(), BinaryOperator::Lt, day_start(to)),
                _ => return None,
            })
        }
        Test::Other(_) => None,
    }
}

/// `LEFT(c, 3) = 'abc'` and `SUBSTRING(c, 1, 3) = 'abc'` are `c LIKE 'abc%'`: a prefix is a
/// range of the index. Only when the literal is exactly as long as the prefix taken.
fn prefix_like(wrapped: &Expr, test: &Test<'_>, column: &Expr) -> Option<Expr> {
    let Test::Compare(BinaryOperator::Eq, lit) = test else {
        return None;
    };
    let text = string_literal(lit)?;
    let taken = match wrapped {
        Expr::Substring {
            expr,
            substring_from: Some(from),
            substring_for: Some(len),
            ..
        } if expr.to_string() == column.to_string() && number(from) == Some(1) => number(len)?,
        _ => {
            let (name, args) = function_args(wrapped)?;
            match (name.as_str(), args.as_slice()) {
                ("left", [c, len]) if c.to_string() == column.to_string() => number(len)?,
                ("substring" | "substr" | "mid", [c, from, len])
                    if c.to_string() == column.to_string() && number(from) == Some(1) =>
                {
                    number(len)?
                }
                _ => return None,
            }
        }
    };
    if text.chars().count() as u64 != taken || text.is_empty() {
        return None;
    }
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    Some(Expr::Like {
        negated: false,
        any: false,
        expr: Box::new(column.clone()),
        pattern: Box::new(str_expr(format!("{escaped}%"))),
        escape_char: None,
    })
}

fn number(e: &Expr) -> Option<u64> {
    match literal(e)? {
        Value::Number(n, _) => n.parse().ok(),
        _ => None,
    }
}
