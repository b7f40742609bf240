//! JSON plans: MariaDB `EXPLAIN`/`ANALYZE FORMAT=JSON` and MySQL's version 1, which share
//! most of their shape; version 2 documents are handed to `v2.rs`.

use super::v2::v2_node;
use super::*;

/// Reads a plan that is JSON already (a server's answer or a pasted document).
pub fn parse_json(value: &Value) -> Result<Plan, ParseError> {
    let Some(map) = value.as_object() else {
        return Err("the JSON is not an object: not an EXPLAIN plan".into());
    };
    if let Some(block) = map.get("query_block") {
        let mysql = looks_mysql_v1(value);
        let mut reader = JsonReader::default();
        let root = reader.block(block, "query");
        let analyzed = has_key(value, "r_loops") || has_key(value, "r_rows");
        return Ok(Plan {
            source: if mysql {
                PlanSource::MySqlJsonV1
            } else {
                PlanSource::MariaDbJson
            },
            analyzed,
            root,
            query: None,
            unread: reader.unread,
        });
    }
    let v2 = map
        .get("query_plan")
        .and_then(Value::as_object)
        .unwrap_or(map);
    if v2.contains_key("operation") || v2.contains_key("inputs") {
        let mut unread = Vec::new();
        let root = v2_node(v2, &mut unread);
        return Ok(Plan {
            source: PlanSource::MySqlJsonV2,
            analyzed: has_key(value, "actual_rows"),
            root,
            query: v2.get("query").and_then(Value::as_str).map(str::to_owned),
            unread,
        });
    }
    let keys: Vec<&str> = map.keys().take(5).map(String::as_str).collect();
    Err(format!(
        "JSON without `query_block` (format version 1, MariaDB) or `operation`/`inputs` (version 2): not an EXPLAIN plan (keys: {})",
        keys.join(", ")
    ))
}

pub(super) fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(key) || m.values().any(|x| has_key(x, key)),
        Value::Array(a) => a.iter().any(|x| has_key(x, key)),
        _ => false,
    }
}

/// MySQL's version 1 spells what MariaDB does not: `cost_info`, `rows_examined_per_scan`.
pub(super) fn looks_mysql_v1(v: &Value) -> bool {
    has_key(v, "cost_info") || has_key(v, "rows_examined_per_scan")
}

pub(super) fn num(v: Option<&Value>) -> Option<f64> {
    let v = v?;
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(|i| text(Some(i))).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Keys a block or table is known to carry: read where they belong, or carrying nothing a
/// reader needs. Anything else is reported as unread.
pub(super) const KNOWN_KEYS: &[&str] = &[
    "cost",
    "query_specifications",
    "r_loops_ms",
    "materialized",
    "materialized_from_subquery",
    "attached_subqueries",
    "subqueries",
    "cost_info",
    "used_columns",
    "r_engine_stats",
    "r_other_time_ms",
    "r_table_time_ms",
    "r_loops",
    "r_total_time_ms",
    "r_rows",
    "r_filtered",
    "partitions",
    "select_id",
    "cacheable",
    "dependent",
    "using_index",
    "using_MRR",
    "index_condition",
    "rowid_filter",
    "r_icp_filtered",
    "r_index_rows",
    "expression_cache",
    "query_optimization",
    "using_index_for_group_by",
    "loose_scan",
    "first_match",
    "backward_index_scan",
    "r_unpack_time_ms",
    "rows_examined_per_scan",
    "rows_produced_per_join",
    "rows",
    "filtered",
    "table_name",
    "access_type",
    "possible_keys",
    "key",
    "key_length",
    "used_key_parts",
    "ref",
    "attached_condition",
    "message",
    "using_join_buffer",
    "buffer_type",
    "buffer_size",
    "join_type",
    "r_effective_rows",
    "using_temporary_table",
    "using_filesort",
    "sort_key",
    "r_used_priority_queue",
    "r_output_rows",
    "r_buffer_size",
    "r_sort_mode",
    "r_limit",
    "limit",
    "outer_ref_condition",
    "const_condition",
    "pseudo_bits_condition",
    "key_parts",
    "index_merge",
    "having_condition",
    "covering_index",
    "full_scan_on_NULL_key",
    "not_exists",
    "distinct",
    "skip_open_table",
    "open_frm_only",
    "scanned_databases",
    "pushed_index_condition",
    "filesort_key",
];

/// Walks MariaDB and MySQL version 1 documents, which share most of their shape.
#[derive(Default)]
pub(super) struct JsonReader {
    unread: Vec<String>,
}

impl JsonReader {
    /// A `query_block` (or anything shaped like one) as a node with its parts below it.
    fn block(&mut self, v: &Value, label: &str) -> PlanNode {
        let Some(m) = v.as_object() else {
            self.unread.push(format!("{label}: not an object"));
            return PlanNode::new(NodeKind::Operation, label);
        };
        let mut node = PlanNode::new(NodeKind::Query, label);
        node.select_id = num(m.get("select_id")).map(|n| n as u32);
        node.cost = num(m.get("cost_info").and_then(|c| c.get("query_cost")))
            .or_else(|| num(m.get("cost")));
        node.actual_time_ms = num(m.get("r_total_time_ms"));
        node.loops = num(m.get("r_loops"));
        node.message = text(m.get("message"));
        node.condition = text(m.get("having_condition"));
        if node.select_id.is_some() {
            node.label = format!("select #{}", node.select_id.unwrap_or(0));
        }
        node.children = self.parts(m, label);
        node
    }

    /// The operations and tables inside a block-like object, in plan order.
    fn parts(&mut self, m: &Map<String, Value>, context: &str) -> Vec<PlanNode> {
        let mut out = Vec::new();
        for (key, value) in m {
            match key.as_str() {
                "table" => out.push(self.table(value)),
                "nested_loop" => {
                    let items: Vec<PlanNode> = value
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .flat_map(|i| self.parts_of(i, "nested loop"))
                                .collect()
                        })
                        .unwrap_or_default();
                    if items.len() > 1 {
                        let mut join = PlanNode::new(NodeKind::Join, "nested loop join");
                        join.children = items;
                        out.push(join);
                    } else {
                        out.extend(items);
                    }
                }
                "block-nl-join" | "bka-join" => {
                    let mut inner = self.parts_of(value, key);
                    for n in &mut inner {
                        n.using_join_buffer = true;
                    }
                    out.extend(inner);
                }
                "ordering_operation" | "filesort" | "read_sorted_file" => {
                    let sort_needed = key != "ordering_operation"
                        || value
                            .get("using_filesort")
                            .and_then(Value::as_bool)
                            .unwrap_or(false);
                    let temp = value
                        .get("using_temporary_table")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let children = self.parts_of(value, key);
                    let mut node = if sort_needed {
                        let mut n = PlanNode::new(NodeKind::Sort, "sort (filesort)");
                        n.condition = text(value.get("sort_key"));
                        n.actual_time_ms = num(value.get("r_total_time_ms"));
                        n.actual_rows = num(value.get("r_output_rows"));
                        n.children = children;
                        n
                    } else {
                        let mut n = PlanNode::new(NodeKind::Operation, "ordered by an index");
                        n.children = children;
                        n
                    };
                    if temp {
                        let mut t = PlanNode::new(NodeKind::Temporary, "temporary table");
                        t.children = std::mem::take(&mut node.children);
                        node.children = vec![t];
                    }
                    out.push(node);
                }
                "grouping_operation" => {
                    let mut node = PlanNode::new(NodeKind::Group, "group by");
                    node.using_temporary = value
                        .get("using_temporary_table")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    node.using_filesort = value
                        .get("using_filesort")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    node.children = self.parts_of(value, key);
                    out.push(node);
                }
                "temporary_table" => {
                    let mut node = PlanNode::new(NodeKind::Temporary, "temporary table");
                    node.children = self.parts_of(value, key);
                    out.push(node);
                }
                "duplicates_removal" | "windowing" | "window_functions_computation" => {
                    let mut node = PlanNode::new(NodeKind::Operation, key.replace('_', " "));
                    node.using_temporary = value
                        .get("using_temporary_table")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    node.children = self.parts_of(value, key);
                    out.push(node);
                }
                "union_result" | "except_result" | "intersect_result" => {
                    let mut node = PlanNode::new(NodeKind::Union, key.replace("_result", ""));
                    node.table = text(value.get("table_name"));
                    node.using_temporary = value
                        .get("using_temporary_table")
                        .and_then(Value::as_bool)
                        .unwrap_or(value.get("access_type").and_then(Value::as_str) == Some("ALL"));
                    for spec in value
                        .get("query_specifications")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let mut child =
                            self.block(spec.get("query_block").unwrap_or(spec), "select");
                        child.dependent = spec
                            .get("dependent")
                            .and_then(Value::as_bool)
                            .unwrap_or(false);
                        node.children.push(child);
                    }
                    out.push(node);
                }
                "subqueries"
                | "attached_subqueries"
                | "optimized_away_subqueries"
                | "select_list_subqueries"
                | "order_by_subqueries"
                | "group_by_subqueries"
                | "having_subqueries" => {
                    for sub in value.as_array().into_iter().flatten() {
                        // MariaDB wraps a correlated subquery in its expression cache, and
                        // one it runs once into a temporary table in its materialization.
                        let materialized = sub.get("materialization");
                        let inner = sub.get("expression_cache").or(materialized).unwrap_or(sub);
                        let mut node =
                            self.block(inner.get("query_block").unwrap_or(inner), "subquery");
                        node.kind = Some(NodeKind::Subquery);
                        node.label = format!("subquery #{}", node.select_id.unwrap_or(0));
                        if materialized.is_some() {
                            node.label.push_str(" (materialized once)");
                        }
                        node.dependent = sub
                            .get("dependent")
                            .and_then(Value::as_bool)
                            .unwrap_or(false)
                            || sub.get("expression_cache").is_some();
                        if node.dependent {
                            node.label.push_str(" (dependent: runs per outer row)");
                        }
                        out.push(node);
                    }
                }
                "query_block" => out.push(self.block(value, "select")),
                // Read by the block or table that holds them, or carrying nothing to show.
                other if KNOWN_KEYS.contains(&other) => {}
                other => self.unread.push(format!("{context}: `{other}`")),
            }
        }
        out
    }

    fn parts_of(&mut self, v: &Value, context: &str) -> Vec<PlanNode> {
        match v.as_object() {
            Some(m) => self.parts(m, context),
            None => Vec::new(),
        }
    }

    fn table(&mut self, v: &Value) -> PlanNode {
        let Some(m) = v.as_object() else {
            self.unread.push("table: not an object".into());
            return PlanNode::new(NodeKind::Table, "table");
        };
        let name = text(m.get("table_name"));
        // A table the optimizer did not need to read carries only a message ("Impossible WHERE…").
        let label = name
            .clone()
            .or_else(|| text(m.get("message")))
            .unwrap_or_else(|| "table".into());
        let mut node = PlanNode::new(NodeKind::Table, label);
        node.table = name;
        node.access = m
            .get("access_type")
            .and_then(Value::as_str)
            .map(Access::from_type);
        node.possible_keys = strings(m.get("possible_keys"));
        node.key = text(m.get("key"));
        node.key_length = text(m.get("key_length"));
        node.used_key_parts = strings(m.get("used_key_parts"));
        node.refs = strings(m.get("ref"));
        node.rows = num(m.get("rows_examined_per_scan")).or_else(|| num(m.get("rows")));
        node.filtered = num(m.get("filtered"));
        node.cost = num(m.get("cost_info").and_then(|c| c.get("prefix_cost")))
            .or_else(|| num(m.get("cost")));
        node.actual_rows = num(m.get("r_rows"));
        node.actual_filtered = num(m.get("r_filtered"));
        node.actual_time_ms =
            num(m.get("r_table_time_ms")).or_else(|| num(m.get("r_total_time_ms")));
        node.loops = num(m.get("r_loops"));
        node.using_index = m
            .get("using_index")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        node.using_join_buffer = m.get("using_join_buffer").is_some();
        node.condition = text(m.get("attached_condition"));
        node.message = text(m.get("message"));
        if let Some(idx) = m.get("index_merge") {
            node.label = format!("{} (index merge)", node.label);
            node.children = self.parts_of(idx, "index_merge");
        }
        for key in ["materialized", "materialized_from_subquery"] {
            if let Some(mat) = m.get(key) {
                let mut derived =
                    self.block(mat.get("query_block").unwrap_or(mat), "derived table");
                derived.kind = Some(NodeKind::Derived);
                derived.label = "materialized derived table".into();
                node.children.push(derived);
            }
        }
        for key in ["attached_subqueries", "subqueries"] {
            if let Some(subs) = m.get(key) {
                let mut holder = Map::new();
                holder.insert(key.into(), subs.clone());
                node.children.extend(self.parts(&holder, "table"));
            }
        }
        for key in m.keys() {
            if !KNOWN_KEYS.contains(&key.as_str()) {
                self.unread.push(format!("table {}: `{key}`", node.label));
            }
        }
        node
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

    #[test]
    fn mysql80_version1_range_reads_key_parts_rows_and_cost() {
        let plan = parse(&fixture("mysql80-v1-range.json")).unwrap();
        assert_eq!(plan.source, PlanSource::MySqlJsonV1);
        assert_eq!(tables(&plan), vec![("country".into(), Access::Range)]);
        let t = plan.tables()[0];
        assert_eq!(t.key.as_deref(), Some("PRIMARY"));
        assert_eq!(t.key_length.as_deref(), Some("12"));
        assert_eq!(t.used_key_parts, vec!["Code"]);
        assert_eq!(t.rows, Some(17.0));
        assert_eq!(t.filtered, Some(100.0));
        assert_eq!(plan.root.cost, Some(3.67));
        assert!(plan.unread.is_empty(), "{:?}", plan.unread);
    }

    #[test]
    fn mysql84_version1_full_scan_under_a_filesort() {
        let plan = parse(&fixture("mysql84-v1-filesort.json")).unwrap();
        assert_eq!(plan.source, PlanSource::MySqlJsonV1);
        let sort = plan
            .root
            .walk()
            .into_iter()
            .find(|n| n.kind == Some(NodeKind::Sort))
            .expect("a sort node");
        assert_eq!(sort.children[0].access, Some(Access::FullScan));
        assert_eq!(sort.children[0].rows, Some(10000.0));
        assert_eq!(sort.children[0].filtered, Some(27.03));
        let row = &plan.classic_rows()[0];
        assert_eq!(row.access_type.as_deref(), Some("ALL"));
        assert!(row.extra.contains("Using filesort"), "{}", row.extra);
        assert!(row.extra.contains("Using where"));
    }

    #[test]
    fn mariadb_json_as_the_batch_client_prints_it() {
        let batch = r#"EXPLAIN
{\n  "query_block": {\n    "select_id": 1,\n    "nested_loop": [\n      {\n        "table": {\n          "table_name": "t",\n          "access_type": "ALL",\n          "rows": 2,\n          "filtered": 100,\n          "attached_condition": "cast(t.c as date) = '2025-01-01'"\n        }\n      }\n    ]\n  }\n}"#;
        let plan = parse(batch).unwrap();
        assert_eq!(plan.source, PlanSource::MariaDbJson);
        assert_eq!(tables(&plan), vec![("t".into(), Access::FullScan)]);
        assert_eq!(
            plan.tables()[0].condition.as_deref(),
            Some("cast(t.c as date) = '2025-01-01'")
        );
    }

    #[test]
    fn mariadb_materialized_subqueries_are_read_with_their_tables() {
        // MariaDB 10.11, `SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM knowledge_base)`.
        let plan = parse(r#"{"query_block": {"select_id": 1, "nested_loop": [{"table": {"table_name": "users",
            "access_type": "index", "key": "idx_created_at", "key_length": "6", "used_key_parts": ["created_at"],
            "rows": 9860, "filtered": 100, "attached_condition": "!<in_optimizer>(users.`id`,users.`id` in (subquery#2))",
            "using_index": true}}], "subqueries": [{"materialization": {"query_block": {"select_id": 2,
            "nested_loop": [{"table": {"table_name": "knowledge_base", "access_type": "index",
            "possible_keys": ["idx_user_id"], "key": "idx_user_id", "key_length": "9", "used_key_parts": ["user_id"],
            "rows": 3932, "filtered": 100, "using_index": true}}]}}}]}}"#).unwrap();
        assert!(plan.unread.is_empty(), "{:?}", plan.unread);
        assert_eq!(
            tables(&plan),
            vec![
                ("users".into(), Access::IndexScan),
                ("knowledge_base".into(), Access::IndexScan)
            ]
        );
        let sub = plan
            .root
            .walk()
            .into_iter()
            .find(|n| n.kind == Some(NodeKind::Subquery))
            .unwrap();
        assert_eq!(sub.label, "subquery #2 (materialized once)");
    }

    #[test]
    fn mariadb_correlated_subqueries_are_read_through_their_expression_cache() {
        let json = r#"{"query_block": {"select_id": 1,
            "nested_loop": [{"table": {"table_name": "c", "access_type": "ref", "key": "idx_user_id_last_message_at", "rows": 487, "filtered": 100}}],
            "subqueries": [{"expression_cache": {"state": "uninitialized", "query_block": {"select_id": 2,
                "nested_loop": [{"table": {"table_name": "m", "access_type": "ref", "key": "idx_conversation_id_id", "rows": 5, "filtered": 100, "using_index": true}}]}}}]}}"#;
        let plan = parse(json).unwrap();
        assert_eq!(
            tables(&plan),
            vec![("c".into(), Access::Ref), ("m".into(), Access::Ref)]
        );
        let sub = plan
            .root
            .walk()
            .into_iter()
            .find(|n| n.kind == Some(NodeKind::Subquery))
            .unwrap();
        assert!(
            sub.dependent,
            "an expression cache means a correlated subquery"
        );
        assert_eq!(sub.select_id, Some(2));
        assert!(plan.unread.is_empty(), "{:?}", plan.unread);
        let impossible = parse(r#"{"query_block": {"select_id": 1, "table": {"message": "Impossible WHERE noticed after reading const tables"}}}"#).unwrap();
        assert_eq!(
            impossible.tables()[0].label,
            "Impossible WHERE noticed after reading const tables"
        );
    }
}
