//! One plan tree for every shape a plan arrives in: MariaDB `EXPLAIN`/`ANALYZE FORMAT=JSON`,
//! MySQL 8.0–9.x `EXPLAIN FORMAT=JSON` (format versions 1 and 2), MySQL's `EXPLAIN ANALYZE` /
//! `FORMAT=TREE` text, and the classic table as the mysql client prints it.

use serde::Serialize;
use serde_json::{Map, Value};

mod json;
mod table;
mod tree;
mod v2;

pub use json::parse_json;
pub use table::parse_table;
pub use tree::parse_tree;

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

#[cfg(test)]
mod tests {
    pub(super) use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/explain/plan/fixtures");

    pub(super) fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture exists")
    }

    pub(super) fn tables(plan: &Plan) -> Vec<(String, Access)> {
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
