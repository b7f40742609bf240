//! The classic EXPLAIN table, as the mysql client's box prints it or tab-separated.

use super::*;

/// Reads the classic table: the mysql client's box (`| id | select_type | …`) or tab-separated.
pub fn parse_table(text: &str) -> Result<Plan, ParseError> {
    let rows: Vec<Vec<String>> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('+') && !l.contains("in set"))
        .map(|l| {
            if l.starts_with('|') {
                l.trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_owned())
                    .collect()
            } else {
                l.split('\t').map(|c| c.trim().to_owned()).collect()
            }
        })
        .collect();
    let Some(header_at) = rows
        .iter()
        .position(|r| r.iter().any(|c| c == "select_type"))
    else {
        return Err("no header with `select_type`: not an EXPLAIN table".into());
    };
    let header = &rows[header_at];
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut root = PlanNode::new(NodeKind::Query, "query");
    let mut unread = Vec::new();
    for (i, row) in rows[header_at + 1..].iter().enumerate() {
        if row.len() != header.len() {
            unread.push(format!(
                "row {}: {} cells for {} columns",
                i + 1,
                row.len(),
                header.len()
            ));
            continue;
        }
        let cell = |name: &str| {
            col(name)
                .map(|c| row[c].clone())
                .filter(|v| !v.is_empty() && v != "NULL")
        };
        let list = |name: &str| {
            cell(name)
                .map(|v| v.split(',').map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let extra = cell("Extra").unwrap_or_default();
        let table = cell("table");
        let mut node = PlanNode::new(NodeKind::Table, table.clone().unwrap_or_else(|| "—".into()));
        node.select_id = cell("id").and_then(|v| v.parse().ok());
        node.table = table;
        node.access = cell("type").map(|t| Access::from_type(&t));
        node.possible_keys = list("possible_keys");
        node.key = cell("key");
        node.key_length = cell("key_len");
        node.refs = list("ref");
        node.rows = cell("rows").and_then(|v| v.parse().ok());
        node.filtered = cell("filtered").and_then(|v| v.parse().ok());
        node.actual_rows = cell("r_rows").and_then(|v| v.parse().ok());
        node.actual_filtered = cell("r_filtered").and_then(|v| v.parse().ok());
        let lower = extra.to_ascii_lowercase();
        node.using_index =
            lower.contains("using index") && !lower.contains("using index condition");
        node.using_temporary = lower.contains("using temporary");
        node.using_filesort = lower.contains("using filesort");
        node.using_join_buffer = lower.contains("join buffer");
        node.dependent = cell("select_type").is_some_and(|s| s.contains("DEPENDENT"));
        if lower.contains("using where") {
            node.condition = Some("(condition not shown in the classic table)".into());
        }
        if lower.contains("impossible")
            || lower.contains("no tables")
            || lower.contains("select tables optimized away")
        {
            node.message = Some(extra.clone());
        }
        root.children.push(node);
    }
    if root.children.is_empty() {
        return Err("the EXPLAIN table has a header but no rows".into());
    }
    let analyzed = root.children.iter().any(|n| n.actual_rows.is_some());
    Ok(Plan {
        source: PlanSource::Table,
        analyzed,
        root,
        query: None,
        unread,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

    #[test]
    fn the_classic_table_from_the_mysql_client_box() {
        let boxed = "\
+----+-------------+---------+------------+-------+---------------+---------+---------+------+------+----------+-------------+
| id | select_type | table   | partitions | type  | possible_keys | key     | key_len | ref  | rows | filtered | Extra       |
+----+-------------+---------+------------+-------+---------------+---------+---------+------+------+----------+-------------+
|  1 | SIMPLE      | country | NULL       | range | PRIMARY       | PRIMARY | 12      | NULL |   17 |   100.00 | Using where |
+----+-------------+---------+------------+-------+---------------+---------+---------+------+------+----------+-------------+
1 row in set, 1 warning (0.00 sec)";
        let plan = parse(boxed).unwrap();
        assert_eq!(plan.source, PlanSource::Table);
        assert_eq!(tables(&plan), vec![("country".into(), Access::Range)]);
        assert_eq!(plan.tables()[0].rows, Some(17.0));
    }
}
