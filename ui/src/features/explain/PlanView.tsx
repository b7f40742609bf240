// A plan as a tree (access coloured by cost) and as the classic EXPLAIN table, with the lint.
import type { SuggestedIndex } from "../../bindings/SuggestedIndex";
import type { Access } from "../../bindings/Access";
import type { ClassicRow } from "../../bindings/ClassicRow";
import type { Finding } from "../../bindings/Finding";
import type { PlanNode } from "../../bindings/PlanNode";
import { useToasts } from "../../components/Toasts";

const TYPE_NAME: Record<Access, string> = {
  fullScan: "ALL",
  indexScan: "index",
  range: "range",
  indexMerge: "index_merge",
  fulltext: "fulltext",
  ref: "ref",
  refOrNull: "ref_or_null",
  eqRef: "eq_ref",
  const: "const",
  system: "system",
  subquery: "index_subquery",
  other: "?",
};

/** Full scans red, ranges amber, lookups green (as the classic advice goes). */
export function severity(access: Access | null): "bad" | "warn" | "good" | "none" {
  if (!access || access === "other") return "none";
  if (access === "fullScan" || access === "indexScan") return "bad";
  if (access === "range" || access === "indexMerge") return "warn";
  return "good";
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined ? null : n.toLocaleString("en-US", { maximumFractionDigits: digits });

function NodeView({ node }: { node: PlanNode }) {
  const sev = severity(node.access);
  const flags = [
    node.usingIndex && "using index",
    node.usingFilesort && "filesort",
    node.usingTemporary && "temporary",
    node.usingJoinBuffer && "join buffer",
    node.dependent && "dependent",
  ].filter(Boolean) as string[];
  return (
    <li data-node={node.kind ?? "operation"} data-table={node.table ?? ""} data-access={node.access ? TYPE_NAME[node.access] : ""}>
      <div className={`plan-node sev-${sev}`}>
        {node.access && <span className={`access sev-${sev}`}>{TYPE_NAME[node.access]}</span>}
        <strong>{node.label}</strong>
        {node.key && (
          <span className="fact">
            key <code>{node.key}</code>
            {node.keyLength ? ` (${node.keyLength})` : ""}
          </span>
        )}
        {node.rows !== null && <span className="fact">rows ≈ {fmt(node.rows, 1)}</span>}
        {node.filtered !== null && <span className="fact">filtered {fmt(node.filtered, 2)}%</span>}
        {node.actualRows !== null && (
          <span className="fact actual">
            actual {fmt(node.actualRows, 1)} rows{node.loops !== null && node.loops !== 1 ? ` × ${fmt(node.loops)} loops` : ""}
          </span>
        )}
        {node.actualTimeMs !== null && <span className="fact actual">{fmt(node.actualTimeMs, 3)} ms</span>}
        {node.cost !== null && <span className="fact muted">cost {fmt(node.cost, 2)}</span>}
        {flags.map((f) => (
          <span key={f} className={`chip ${f === "filesort" || f === "temporary" ? "low" : ""}`}>
            {f}
          </span>
        ))}
        {node.condition && <div className="condition">where {node.condition}</div>}
        {node.message && <div className="condition">{node.message}</div>}
      </div>
      {node.children.length > 0 && (
        <ul>
          {node.children.map((c, i) => (
            <NodeView key={i} node={c} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function PlanTree({ root }: { root: PlanNode }) {
  return (
    <ul className="plan-tree" data-testid="plan-tree" aria-label="Plan tree">
      <NodeView node={root} />
    </ul>
  );
}

export function ClassicTable({ rows }: { rows: ClassicRow[] }) {
  return (
    <table className="mini classic" data-testid="plan-table">
      <thead>
        <tr>
          {["id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows", "filtered", "Extra"].map((h) => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => {
          const t = r.type ?? "";
          const sev = t === "ALL" || t === "index" ? "bad" : t === "range" || t === "index_merge" ? "warn" : t ? "good" : "none";
          return (
            <tr key={i}>
              <td>{r.id ?? ""}</td>
              <td>{r.selectType}</td>
              <td>{r.table ?? ""}</td>
              <td>
                <span className={`access sev-${sev}`}>{t}</span>
              </td>
              <td>{r.possibleKeys ?? ""}</td>
              <td>{r.key ?? ""}</td>
              <td>{r.keyLen ?? ""}</td>
              <td>{r.refs ?? ""}</td>
              <td className="num">{fmt(r.rows)}</td>
              <td className="num">{fmt(r.filtered, 2)}</td>
              <td>{r.extra}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function Findings({ findings, onExplain, onTry }: { findings: Finding[]; onExplain?: (sql: string) => void; onTry?: (index: SuggestedIndex) => void }) {
  const toasts = useToasts();
  const copy = (text: string) => {
    void navigator.clipboard?.writeText(text);
    toasts.info("Copied", text.length > 80 ? `${text.slice(0, 80)}…` : text);
  };
  if (findings.length === 0) {
    return (
      <p className="ok" data-testid="no-findings">
        No warnings: the lint found nothing to fix here.
      </p>
    );
  }
  return (
    <ul className="findings" data-testid="findings">
      {findings.map((f, i) => (
        <li key={i} className={`finding ${f.level}`} data-rule={f.rule}>
          <div>
            <span className={`badge ${f.level === "bad" ? "bad" : "warn"}`}>{f.rule === "notInNullable" ? "wrong rows" : f.level === "bad" ? "slow" : "watch"}</span> <strong>{f.title}</strong>
          </div>
          <p className="muted">{f.why}</p>
          {f.rewrite && (
            <div className="fix">
              <span className="muted">Rewrite</span>
              <pre data-testid="rewrite">{f.rewrite}</pre>
              <div className="actions">
                <button type="button" onClick={() => copy(f.rewrite ?? "")}>
                  Copy
                </button>
                {onExplain && (
                  <button type="button" className="primary" data-action="explain-rewrite" onClick={() => onExplain(f.rewrite ?? "")}>
                    Explain the rewrite
                  </button>
                )}
              </div>
            </div>
          )}
          {f.ddl && (
            <div className="fix">
              <span className="muted">Index (shown, not run)</span>
              <pre data-testid="ddl">{f.ddl}</pre>
              <div className="actions">
                <button type="button" onClick={() => copy(f.ddl ?? "")}>
                  Copy
                </button>
                {onTry && f.index && (
                  <button
                    type="button"
                    className="primary"
                    data-action="try-index"
                    title="Build it on a scratch copy of a sample of the rows and compare the plans"
                    onClick={() => f.index && onTry(f.index)}
                  >
                    Try it on a copy
                  </button>
                )}
              </div>
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
