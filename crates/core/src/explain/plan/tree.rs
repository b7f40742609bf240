//! MySQL's tree text: `EXPLAIN ANALYZE` and `FORMAT=TREE`.

use super::*;

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

pub(super) fn tree_node(line: &str) -> PlanNode {
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

#[cfg(test)]
mod tests {
    use super::super::tests::*;

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
}
