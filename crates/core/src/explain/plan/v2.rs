//! MySQL's version 2 JSON document (8.3 and later with `explain_json_format_version=2`): a
//! tree of access paths.

use super::json::{num, text};
use super::*;

/// A node of MySQL's version 2 document (an access path).
pub(super) fn v2_node(m: &Map<String, Value>, unread: &mut Vec<String>) -> PlanNode {
    let operation = text(m.get("operation")).unwrap_or_else(|| "operation".into());
    let access_type = m.get("access_type").and_then(Value::as_str).unwrap_or("");
    let index_access = m
        .get("index_access_type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut node = PlanNode::new(NodeKind::Operation, operation.clone());
    node.table = text(m.get("table_name")).or_else(|| text(m.get("alias")));
    node.key = text(m.get("index_name"));
    node.rows = num(m.get("estimated_rows"));
    node.cost = num(m.get("estimated_total_cost"));
    node.actual_rows = num(m.get("actual_rows"));
    node.loops = num(m.get("actual_loops"));
    node.actual_time_ms = num(m.get("actual_last_row_ms"));
    node.using_index = m.get("covering").and_then(Value::as_bool).unwrap_or(false);
    node.condition = text(m.get("condition")).or_else(|| text(m.get("lookup_condition")));
    if let Some(r) = text(m.get("lookup_condition")) {
        node.refs = vec![r];
    }
    let lower = operation.to_ascii_lowercase();
    match access_type {
        "table" => {
            node.kind = Some(NodeKind::Table);
            node.access = Some(Access::FullScan);
        }
        "index" => {
            node.kind = Some(NodeKind::Table);
            node.access = Some(match index_access {
                "index_scan" => Access::IndexScan,
                "index_range_scan" => Access::Range,
                "index_lookup" if lower.starts_with("single-row") => Access::EqRef,
                "index_lookup" => Access::Ref,
                "full_text_search" => Access::Fulltext,
                _ if lower.contains("range scan") => Access::Range,
                _ => Access::Other,
            });
        }
        "rows_fetched_before_execution" | "zero_rows" | "fake_single_row" => {
            node.kind = Some(NodeKind::Table);
            node.access = Some(Access::Const);
        }
        "filter" => node.kind = Some(NodeKind::Filter),
        "join" => node.kind = Some(NodeKind::Join),
        "sort" => {
            node.kind = Some(NodeKind::Sort);
            node.using_filesort = true;
        }
        "limit" => node.kind = Some(NodeKind::Limit),
        "aggregate" => node.kind = Some(NodeKind::Group),
        "temp_table_aggregate" | "materialize" | "stream" => {
            node.kind = Some(NodeKind::Temporary);
            node.using_temporary = true;
        }
        "union" => node.kind = Some(NodeKind::Union),
        _ => {}
    }
    if node.kind == Some(NodeKind::Join) && lower.contains("hash") {
        node.using_join_buffer = true;
    }
    for input in m
        .get("inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match input.as_object() {
            Some(child) => node.children.push(v2_node(child, unread)),
            None => unread.push(format!("{operation}: an input that is not an object")),
        }
    }
    for key in ["attached_subqueries", "subqueries"] {
        for sub in m.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let Some(child) = sub.as_object() {
                let mut n = v2_node(child, unread);
                n.dependent = child
                    .get("dependent")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                node.children.push(n);
            }
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

    #[test]
    fn mysql84_version2_limit_sort_filter_scan() {
        let plan = parse(&fixture("mysql84-v2-sort.json")).unwrap();
        assert_eq!(plan.source, PlanSource::MySqlJsonV2);
        let kinds: Vec<_> = plan.root.walk().iter().map(|n| n.kind.unwrap()).collect();
        assert_eq!(
            kinds,
            vec![
                NodeKind::Limit,
                NodeKind::Sort,
                NodeKind::Filter,
                NodeKind::Table
            ]
        );
        let scan = plan.tables()[0];
        assert_eq!(scan.access, Some(Access::FullScan));
        assert_eq!(scan.rows, Some(10000.0));
        assert!(plan.query.as_deref().unwrap().starts_with("/* select#1 */"));
    }

    #[test]
    fn mysql83_version2_join_with_a_single_row_lookup() {
        let plan = parse(&fixture("mysql83-v2-join.json")).unwrap();
        assert_eq!(plan.root.kind, Some(NodeKind::Join));
        assert_eq!(
            tables(&plan),
            vec![
                ("emp".into(), Access::FullScan),
                ("dept".into(), Access::EqRef)
            ]
        );
        assert_eq!(plan.tables()[1].key.as_deref(), Some("PRIMARY"));
    }
}
