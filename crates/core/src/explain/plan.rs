//! One plan tree for every shape a plan arrives in: MariaDB `EXPLAIN`/`ANALYZE FORMAT=JSON`,
//! MySQL 8.0–9.x `EXPLAIN FORMAT=JSON` (format versions 1 and 2), MySQL's `EXPLAIN ANALYZE` /
//! `FORMAT=TREE` text, and the classic table as the mysql client prints it.

use serde::Serialize;
use serde_json::{Map, Value};

/// Where the plan came from, as far as its shape tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum PlanSource {
    MariaDbJson,
    MySqlJsonV1,
    MySqlJsonV2,
    MySqlTree,
    Table,
}

impl PlanSource {
    pub fn describe(self) -> &'static str {
        match self {
            PlanSource::MariaDbJson => "MariaDB FORMAT=JSON",
            PlanSource::MySqlJsonV1 => "MySQL FORMAT=JSON (version 1)",
            PlanSource::MySqlJsonV2 => "MySQL FORMAT=JSON (version 2)",
            PlanSource::MySqlTree => "MySQL tree (EXPLAIN ANALYZE / FORMAT=TREE)",
            PlanSource::Table => "classic EXPLAIN table",
        }
    }
}

/// How a table is read, from worst to best, as EXPLAIN's `type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Access {
    /// `ALL`: every row of the table.
    FullScan,
    /// `index`: every entry of an index.
    IndexScan,
    Range,
    IndexMerge,
    Fulltext,
    Ref,
    RefOrNull,
    EqRef,
    Const,
    System,
    Subquery,
    Other,
}

impl Access {
    pub fn from_type(t: &str) -> Access {
        match t.to_ascii_lowercase().as_str() {
            "all" => Access::FullScan,
            "index" => Access::IndexScan,
            "range" => Access::Range,
            "index_merge" => Access::IndexMerge,
            "fulltext" => Access::Fulltext,
            "ref" => Access::Ref,
            "ref_or_null" => Access::RefOrNull,
            "eq_ref" => Access::EqRef,
            "const" => Access::Const,
            "system" => Access::System,
            "unique_subquery" | "index_subquery" => Access::Subquery,
            _ => Access::Other,
        }
    }

    /// The colour the tree gives it: full scans red, ranges amber, lookups green.
    pub fn severity(self) -> Severity {
        match self {
            Access::FullScan | Access::IndexScan => Severity::Bad,
            Access::Range | Access::IndexMerge => Severity::Warn,
            Access::Other => Severity::None,
            _ => Severity::Good,
        }
    }

    /// The classic table's `type` for this access.
    pub fn type_name(self) -> &'static str {
        match self {
            Access::FullScan => "ALL",
            Access::IndexScan => "index",
            Access::Range => "range",
            Access::IndexMerge => "index_merge",
            Access::Fulltext => "fulltext",
            Access::Ref => "ref",
            Access::RefOrNull => "ref_or_null",
            Access::EqRef => "eq_ref",
            Access::Const => "const",
            Access::System => "system",
            Access::Subquery => "index_subquery",
            Access::Other => "",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Severity {
    Bad,
    Warn,
    Good,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum NodeKind {
    Query,
    Table,
    Join,
    Sort,
    Temporary,
    Group,
    Union,
    Subquery,
    Derived,
    Filter,
    Limit,
    Operation,
}

/// One node of the plan: a table access or an operation over its children.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PlanNode {
    pub kind: Option<NodeKind>,
    pub label: String,
    pub select_id: Option<u32>,
    pub table: Option<String>,
    pub access: Option<Access>,
    pub key: Option<String>,
    pub key_length: Option<String>,
    pub possible_keys: Vec<String>,
    pub used_key_parts: Vec<String>,
    pub refs: Vec<String>,
    /// Rows the optimizer expects to read (per loop).
    pub rows: Option<f64>,
    /// Percent of those rows expected to pass the condition.
    pub filtered: Option<f64>,
    pub cost: Option<f64>,
    pub actual_rows: Option<f64>,
    pub actual_filtered: Option<f64>,
    pub actual_time_ms: Option<f64>,
    pub loops: Option<f64>,
    pub using_index: bool,
    pub using_temporary: bool,
    pub using_filesort: bool,
    pub using_join_buffer: bool,
    pub dependent: bool,
    pub condition: Option<String>,
    pub message: Option<String>,
    pub children: Vec<PlanNode>,
}

impl PlanNode {
    fn new(kind: NodeKind, label: impl Into<String>) -> Self {
        PlanNode {
            kind: Some(kind),
            label: label.into(),
            ..PlanNode::default()
        }
    }

    /// This node and every node below it, depth first.
    pub fn walk(&self) -> Vec<&PlanNode> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.walk());
        }
        out
    }

    pub fn severity(&self) -> Severity {
        self.access.map(Access::severity).unwrap_or(Severity::None)
    }
}

/// A parsed plan, whatever shape it came in.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Plan {
    pub source: PlanSource,
    /// True when the plan carries measured rows and times (ANALYZE).
    pub analyzed: bool,
    pub root: PlanNode,
    /// The query as the server rewrote it, when the plan carries it (MySQL version 2).
    pub query: Option<String>,
    /// What of the plan could not be read (kept, not guessed).
    pub unread: Vec<String>,
}

impl Plan {
    /// Every table access of the plan, in plan order.
    pub fn tables(&self) -> Vec<&PlanNode> {
        self.root
            .walk()
            .into_iter()
            .filter(|n| n.kind == Some(NodeKind::Table))
            .collect()
    }

    /// The plan as the classic EXPLAIN table: one row per table access.
    pub fn classic_rows(&self) -> Vec<ClassicRow> {
        let mut rows = Vec::new();
        classic(&self.root, None, &mut Vec::new(), &mut rows);
        rows
    }
}

/// One row of the classic EXPLAIN table.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ClassicRow {
    pub id: Option<u32>,
    pub select_type: String,
    pub table: Option<String>,
    #[serde(rename = "type")]
    #[cfg_attr(feature = "ts", ts(rename = "type"))]
    pub access_type: Option<String>,
    pub possible_keys: Option<String>,
    pub key: Option<String>,
    pub key_len: Option<String>,
    pub refs: Option<String>,
    pub rows: Option<f64>,
    pub filtered: Option<f64>,
    pub extra: String,
}

fn classic(
    node: &PlanNode,
    id: Option<u32>,
    flags: &mut Vec<&'static str>,
    out: &mut Vec<ClassicRow>,
) {
    let id = node.select_id.or(id);
    let pushed = match node.kind {
        Some(NodeKind::Sort) => Some("Using filesort"),
        Some(NodeKind::Temporary) => Some("Using temporary"),
        _ => None,
    };
    if let Some(f) = pushed {
        flags.push(f);
    }
    if node.kind == Some(NodeKind::Table) {
        let mut extra: Vec<String> = Vec::new();
        if node.condition.is_some() {
            extra.push("Using where".into());
        }
        if node.using_index {
            extra.push("Using index".into());
        }
        if node.using_join_buffer {
            extra.push("Using join buffer".into());
        }
        // The first table of a block carries the block's sort and temporary table.
        extra.extend(flags.drain(..).map(String::from));
        if node.using_filesort && !extra.iter().any(|e| e == "Using filesort") {
            extra.push("Using filesort".into());
        }
        if node.using_temporary && !extra.iter().any(|e| e == "Using temporary") {
            extra.push("Using temporary".into());
        }
        if let Some(m) = &node.message {
            extra.push(m.clone());
        }
        let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.join(","));
        out.push(ClassicRow {
            id,
            select_type: if node.dependent {
                "DEPENDENT SUBQUERY".into()
            } else if out.is_empty() {
                "SIMPLE".into()
            } else {
                String::new()
            },
            table: node.table.clone(),
            access_type: node
                .access
                .map(|a| a.type_name().to_owned())
                .filter(|s| !s.is_empty()),
            possible_keys: non_empty(&node.possible_keys),
            key: node.key.clone(),
            key_len: node.key_length.clone(),
            refs: non_empty(&node.refs),
            rows: node.rows,
            filtered: node.filtered,
            extra: extra.join("; "),
        });
    }
    for child in &node.children {
        classic(child, id, flags, out);
    }
}

/// Why a text is not a plan, or which part of it could not be read.
pub type ParseError = String;

/// Reads a plan pasted or opened from a file, in any shape this module knows.
pub fn parse(text: &str) -> Result<Plan, ParseError> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err("the plan is empty".into());
    }
    if let Some(json) = find_json(text) {
        return match serde_json::from_str::<Value>(&json) {
            Ok(value) => parse_json(&value),
            Err(e) => Err(format!(
                "the plan looks like JSON but is damaged at line {}, column {}: {e}",
                e.line(),
                e.column()
            )),
        };
    }
    if text.lines().any(|l| {
        l.trim_start()
            .trim_start_matches("EXPLAIN:")
            .trim_start()
            .starts_with("->")
    }) {
        return parse_tree(text);
    }
    if text.lines().any(|l| l.contains("select_type")) {
        return parse_table(text);
    }
    Err("not a plan this console reads: expected EXPLAIN FORMAT=JSON (MariaDB or MySQL), MySQL's EXPLAIN ANALYZE / FORMAT=TREE text, or the classic EXPLAIN table".into())
}

/// The JSON document inside `text`: as it is, inside a mysql client box, or printed by
/// `mysql -e` in batch mode (newlines as `\n`).
fn find_json(text: &str) -> Option<String> {
    let start = text.find('{')?;
    // Plans start with their JSON (or a client header line before it).
    if text[..start].lines().count() > 4 {
        return None;
    }
    // A truncated document has no closing brace: it is still JSON, damaged.
    let end = text.rfind('}').map(|e| e + 1).unwrap_or(text.len());
    let body = &text[start..end];
    if serde_json::from_str::<Value>(body).is_ok() {
        return Some(body.to_owned());
    }
    // A mysql client box puts `|` and padding around the first and last line.
    let unboxed: String = body
        .lines()
        .map(|l| l.trim_end().trim_end_matches('|').trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    if serde_json::from_str::<Value>(&unboxed).is_ok() {
        return Some(unboxed);
    }
    if body.contains("\\n") {
        let unescaped = unescape_batch(body);
        if serde_json::from_str::<Value>(&unescaped).is_ok() {
            return Some(unescaped);
        }
    }
    Some(body.to_owned())
}

/// Undoes the mysql client's batch escaping: `\n`, `\t`, `\\`.
fn unescape_batch(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

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

fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(key) || m.values().any(|x| has_key(x, key)),
        Value::Array(a) => a.iter().any(|x| has_key(x, key)),
        _ => false,
    }
}

/// MySQL's version 1 spells what MariaDB does not: `cost_info`, `rows_examined_per_scan`.
fn looks_mysql_v1(v: &Value) -> bool {
    has_key(v, "cost_info") || has_key(v, "rows_examined_per_scan")
}

fn num(v: Option<&Value>) -> Option<f64> {
    let v = v?;
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(|i| text(Some(i))).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Keys a block or table is known to carry: read where they belong, or carrying nothing a
/// reader needs. Anything else is reported as unread.
const KNOWN_KEYS: &[&str] = &[
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
struct JsonReader {
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
                        // MariaDB wraps a correlated subquery in its expression cache.
                        let inner = sub.get("expression_cache").unwrap_or(sub);
                        let mut node =
                            self.block(inner.get("query_block").unwrap_or(inner), "subquery");
                        node.kind = Some(NodeKind::Subquery);
                        node.label = format!("subquery #{}", node.select_id.unwrap_or(0));
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

/// A node of MySQL's version 2 document (an access path).
fn v2_node(m: &Map<String, Value>, unread: &mut Vec<String>) -> PlanNode {
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

/// Reads MySQL's tree text: `-> Operation  (cost=… rows=…) (actual time=a..b rows=n loops=m)`,
/// nested by indentation. Continuation lines (a wrapped `(actual …)`) join the line above.
pub fn parse_tree(text: &str) -> Result<Plan, ParseError> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end().trim_end_matches('|').trim_end();
        // What precedes the tree on its first line (`EXPLAIN:`, a client box's `|`) is not
        // indentation; the spaces after it are.
        let unprefixed = line.trim_start();
        let unprefixed = unprefixed.strip_prefix("EXPLAIN:").unwrap_or(unprefixed);
        let unprefixed = unprefixed.strip_prefix('|').unwrap_or(unprefixed);
        let unprefixed = if unprefixed.len() == line.trim_start().len() {
            line
        } else {
            unprefixed
        };
        let body = unprefixed.trim_start();
        if let Some(rest) = body.strip_prefix("->") {
            let indent = unprefixed.len() - body.len();
            lines.push((indent, rest.trim().to_owned()));
        } else if !body.is_empty()
            && !body.starts_with('+')
            && !body.starts_with("***")
            && !body.contains("row in set")
            && !body.contains("rows in set")
            && let Some(last) = lines.last_mut()
        {
            last.1.push(' ');
            last.1.push_str(body);
        }
    }
    if lines.is_empty() {
        return Err("no `->` lines: not an EXPLAIN tree".into());
    }
    let mut analyzed = false;
    let nodes: Vec<(usize, PlanNode)> = lines
        .into_iter()
        .map(|(indent, line)| {
            let n = tree_node(&line);
            analyzed |= n.actual_rows.is_some();
            (indent, n)
        })
        .collect();
    // Build the tree from indentation with a stack of open nodes.
    let mut stack: Vec<(usize, PlanNode)> = Vec::new();
    let mut roots: Vec<PlanNode> = Vec::new();
    for (indent, node) in nodes {
        while let Some((top_indent, _)) = stack.last() {
            if *top_indent >= indent {
                let (_, done) = stack.pop().expect("non-empty");
                match stack.last_mut() {
                    Some((_, parent)) => parent.children.push(done),
                    None => roots.push(done),
                }
            } else {
                break;
            }
        }
        stack.push((indent, node));
    }
    while let Some((_, done)) = stack.pop() {
        match stack.last_mut() {
            Some((_, parent)) => parent.children.push(done),
            None => roots.push(done),
        }
    }
    let root = if roots.len() == 1 {
        roots.pop().expect("one root")
    } else {
        let mut q = PlanNode::new(NodeKind::Query, "query");
        q.children = roots;
        q
    };
    Ok(Plan {
        source: PlanSource::MySqlTree,
        analyzed,
        root,
        query: None,
        unread: Vec::new(),
    })
}

fn tree_node(line: &str) -> PlanNode {
    // Split the operation from its trailing parenthesised figures.
    let (operation, figures) = match line.find("  (") {
        Some(i) => (&line[..i], &line[i..]),
        None => match line
            .find(" (cost=")
            .or_else(|| line.find(" (actual"))
            .or_else(|| line.find(" (rows="))
        {
            Some(i) => (&line[..i], &line[i..]),
            None => (line, ""),
        },
    };
    let operation = operation.trim();
    let mut node = PlanNode::new(NodeKind::Operation, operation);
    let figure = |name: &str, within: &str| -> Option<f64> {
        let at = within.find(name)? + name.len();
        let rest = &within[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == '+' || c == '-'))
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    };
    let (estimate, actual) = match figures.find("(actual") {
        Some(i) => (&figures[..i], &figures[i..]),
        None => (figures, ""),
    };
    node.cost = figure("cost=", estimate);
    node.rows = figure("rows=", estimate);
    if !actual.is_empty() {
        node.actual_rows = figure("rows=", actual);
        node.loops = figure("loops=", actual);
        // `actual time=first..last`: the last row's time is the one that matters.
        if let Some(at) = actual.find("time=") {
            let rest = &actual[at + 5..];
            if let Some(dots) = rest.find("..") {
                node.actual_time_ms = figure("", &rest[dots + 2..]);
            }
        }
    }
    let lower = operation.to_ascii_lowercase();
    let on = |marker: &str| -> Option<String> {
        let at = lower.find(marker)? + marker.len();
        operation[at..]
            .split_whitespace()
            .next()
            .map(|s| s.trim_matches('`').to_owned())
    };
    let using = || on(" using ");
    let (kind, access) = if lower.starts_with("table scan on") {
        (NodeKind::Table, Some(Access::FullScan))
    } else if lower.starts_with("index scan on") || lower.starts_with("covering index scan on") {
        (NodeKind::Table, Some(Access::IndexScan))
    } else if lower.starts_with("index range scan on")
        || lower.starts_with("covering index range scan on")
    {
        (NodeKind::Table, Some(Access::Range))
    } else if lower.starts_with("single-row index lookup on")
        || lower.starts_with("single-row covering index lookup on")
    {
        (NodeKind::Table, Some(Access::EqRef))
    } else if lower.starts_with("index lookup on") || lower.starts_with("covering index lookup on")
    {
        (NodeKind::Table, Some(Access::Ref))
    } else if lower.starts_with("full-text index search on")
        || lower.starts_with("indexed full text search on")
    {
        (NodeKind::Table, Some(Access::Fulltext))
    } else if lower.starts_with("constant row from")
        || lower.starts_with("rows fetched before execution")
        || lower.starts_with("zero rows")
    {
        (NodeKind::Table, Some(Access::Const))
    } else if lower.starts_with("index range scan")
        || lower.starts_with("sort-deduplicate by row id")
        || lower.starts_with("intersect rows sorted")
    {
        (NodeKind::Table, Some(Access::IndexMerge))
    } else if lower.starts_with("filter:") {
        node.condition = Some(operation["filter:".len()..].trim().to_owned());
        (NodeKind::Filter, None)
    } else if lower.starts_with("sort") {
        node.using_filesort = true;
        (NodeKind::Sort, None)
    } else if lower.contains("join") || lower.contains("semijoin") || lower.contains("antijoin") {
        node.using_join_buffer = lower.contains("hash");
        (NodeKind::Join, None)
    } else if lower.starts_with("limit") {
        (NodeKind::Limit, None)
    } else if lower.starts_with("aggregate using temporary")
        || lower.starts_with("materialize")
        || lower.starts_with("temporary table")
    {
        node.using_temporary = true;
        (NodeKind::Temporary, None)
    } else if lower.starts_with("group") || lower.starts_with("aggregate") {
        (NodeKind::Group, None)
    } else if lower.starts_with("union") {
        (NodeKind::Union, None)
    } else {
        (NodeKind::Operation, None)
    };
    node.kind = Some(kind);
    node.access = access;
    if kind == NodeKind::Table {
        node.table = on(" on ");
        node.key = using();
        node.using_index = lower.starts_with("covering");
    }
    node
}

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
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/explain/fixtures");

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture exists")
    }

    fn tables(plan: &Plan) -> Vec<(String, Access)> {
        plan.tables()
            .iter()
            .map(|n| {
                (
                    n.table.clone().unwrap_or_default(),
                    n.access.unwrap_or(Access::Other),
                )
            })
            .collect()
    }

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

    #[test]
    fn mysql_analyze_tree_reads_estimates_beside_actuals() {
        let plan = parse(&fixture("mysql80-analyze-tree.txt")).unwrap();
        assert_eq!(plan.source, PlanSource::MySqlTree);
        assert!(plan.analyzed);
        assert_eq!(plan.root.kind, Some(NodeKind::Join));
        assert!(plan.root.using_join_buffer, "a hash join");
        let t2 = plan.tables()[0];
        assert_eq!(t2.table.as_deref(), Some("t2"));
        assert_eq!(t2.access, Some(Access::FullScan));
        assert_eq!(t2.rows, Some(6.0));
        assert_eq!(t2.actual_rows, Some(6.0));
        assert_eq!(t2.actual_time_ms, Some(0.005));
        assert_eq!(t2.loops, Some(1.0));
        // `-> Hash` holds the build side, t1.
        assert_eq!(
            plan.root.children[1].children[0].table.as_deref(),
            Some("t1")
        );
    }

    #[test]
    fn mysql_tree_with_a_range_under_a_filter() {
        let plan = parse(&fixture("mysql80-tree-range.txt")).unwrap();
        assert!(!plan.analyzed);
        assert_eq!(plan.root.kind, Some(NodeKind::Filter));
        let t = &plan.root.children[0];
        assert_eq!(t.access, Some(Access::Range));
        assert_eq!(t.key.as_deref(), Some("PRIMARY"));
        assert_eq!(t.rows, Some(17.0));
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

    #[test]
    fn damaged_and_foreign_documents_say_what_could_not_be_read() {
        let truncated: String = fixture("mysql80-v1-range.json").chars().take(200).collect();
        let err = parse(&truncated).unwrap_err();
        assert!(err.contains("damaged"), "{err}");
        assert!(
            parse("{\"hello\": 1}")
                .unwrap_err()
                .contains("not an EXPLAIN plan")
        );
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("just some words").unwrap_err().contains("not a plan"));
        let odd = r#"{"query_block": {"select_id": 1, "table": {"table_name": "t", "access_type": "ALL", "rows": 5, "warp_drive": true}, "teleport": {}}}"#;
        let plan = parse(odd).unwrap();
        assert_eq!(plan.unread.len(), 2, "{:?}", plan.unread);
        assert!(plan.unread.iter().any(|u| u.contains("warp_drive")));
    }
}
