// The reviewers' dashboard: per reviewer and day, reviews, verdict mix, median time from
// claim to save and claims that expired; per pair of reviewers, how often they agree on the
// conversations both reviewed (with Cohen's kappa) and the disagreements to open; and the
// named QA queues with how far they have got. Support profiles see their own figures.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { asUiError, reviewerDashboard, reviewQueues } from "../../api";
import type { PairAgreement } from "../../bindings/PairAgreement";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { QueueSummary } from "../../bindings/QueueSummary";
import type { ReviewerDay } from "../../bindings/ReviewerDay";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import { formatCount, formatTime } from "../../format";
import { ErrorLine } from "../overview/OverviewScreen";

const VERDICTS = ["ok", "needs_followup", "escalated", "harmful"];
const day = (d: Date) => d.toISOString().slice(0, 10);

const DAY_COLUMNS: GridColumn<ReviewerDay>[] = [
  { id: "reviewer", header: "Reviewer", type: "text", value: (d) => d.reviewer, width: 180 },
  { id: "day", header: "Day", type: "text", value: (d) => d.day, width: 110 },
  { id: "reviews", header: "Reviews", type: "count", value: (d) => d.reviews, width: 80 },
  ...VERDICTS.map((v): GridColumn<ReviewerDay> => ({ id: v, header: v.replace("_", " "), type: "count", value: (d) => d.verdicts[v] ?? 0, width: 110 })),
  {
    id: "median",
    header: "Median claim → save",
    type: "seconds",
    value: (d) => d.medianSecondsToSave,
    width: 160,
  },
  {
    id: "expired",
    header: "Claims expired",
    type: "count",
    value: (d) => d.claimsExpired,
    width: 120,
    render: (d) => <span className={d.claimsExpired > 0 ? "warn-text" : ""}>{formatCount(d.claimsExpired)}</span>,
  },
];

const PAIR_COLUMNS: GridColumn<PairAgreement>[] = [
  { id: "pair", header: "Reviewers", type: "text", value: (p) => `${p.a} / ${p.b}`, width: 320 },
  { id: "both", header: "Both reviewed", type: "count", value: (p) => p.conversations, width: 120 },
  {
    id: "agreed",
    header: "Agreed",
    type: "count",
    value: (p) => p.agreed,
    width: 120,
    render: (p) => `${formatCount(p.agreed)} (${Math.round((100 * p.agreed) / Math.max(p.conversations, 1))}%)`,
  },
  {
    id: "kappa",
    header: "Kappa",
    type: "number",
    value: (p) => p.kappa,
    width: 220,
    render: (p) => (p.kappa === null ? <span className="muted">undefined (one verdict only)</span> : p.kappa.toFixed(2)),
  },
];

const QUEUE_COLUMNS: GridColumn<QueueSummary>[] = [
  { id: "name", header: "Queue", type: "text", value: (q) => q.name, width: 220 },
  { id: "by", header: "Made by", type: "text", value: (q) => q.createdBy, width: 160 },
  { id: "made", header: "Made", type: "text", value: (q) => formatTime(q.createdAt), width: 140 },
  { id: "wanted", header: "Reviewers each", type: "count", value: (q) => q.reviewsWanted, width: 120 },
  { id: "done", header: "Done", type: "text", value: (q) => `${q.done} of ${q.conversations}`, width: 120 },
];

export function ReviewersScreen({ profile, onOpenConversation }: { profile: Profile; onOpenConversation: (id: string) => void }) {
  const [range, setRange] = useState(() => {
    const today = new Date();
    return { from: day(new Date(today.getTime() - 30 * 86_400_000)), to: day(today) };
  });
  const board = useQuery({
    queryKey: ["reviewer-dashboard", profile.name, range],
    queryFn: () => reviewerDashboard(profile.name, range.from, range.to),
    enabled: range.from !== "" && range.to !== "",
  });
  const queues = useQuery({ queryKey: ["review-queues", profile.name], queryFn: () => reviewQueues(profile.name) });
  const b = board.data;
  const reviewers = new Set(b?.days.map((d) => d.reviewer) ?? []);

  return (
    <div className="reviewers">
      <div className="filters">
        <label>
          From
          <input aria-label="Dashboard from" type="date" value={range.from} onChange={(e) => setRange((r) => ({ ...r, from: e.target.value }))} />
        </label>
        <label>
          To
          <input aria-label="Dashboard to" type="date" value={range.to} onChange={(e) => setRange((r) => ({ ...r, to: e.target.value }))} />
        </label>
        <button type="button" data-action="refresh-dashboard" onClick={() => void board.refetch()} disabled={board.isFetching}>
          {board.isFetching ? "Reading…" : "Refresh"}
        </button>
        {b?.only && <span className="muted">Your own figures ({b.only}): support profiles see only their own; leads and operators see everyone.</span>}
      </div>
      {board.isError && <ErrorLine error={asUiError(board.error)} />}
      {board.isPending && <p className="muted">Reading reviews…</p>}
      {b && (
        <>
          <section aria-label="Reviews per reviewer and day">
            <h3>
              Reviews per reviewer and day <span className="muted">· {reviewers.size} reviewers</span>
            </h3>
            {b.days.length === 0 ? (
              <p className="muted">No reviews between {b.from} and {b.to}.</p>
            ) : (
              <div data-testid="reviewer-days">
                <DataGrid label="Reviews per reviewer and day" columns={DAY_COLUMNS} rows={b.days} height={360} rowData={(d) => ({ "data-reviewer": d.reviewer })} />
              </div>
            )}
          </section>
          <section aria-label="Agreement">
            <h3>Agreement between reviewers</h3>
            <p className="muted">
              On the conversations both reviewed, each one's latest verdict. Kappa discounts the agreement chance alone would give: 1 is
              perfect, 0 is chance; a sample with two reviewers per conversation gives it.
            </p>
            {b.pairs.length === 0 ? (
              <p className="muted">No conversation was reviewed by two people in this range.</p>
            ) : (
              <div data-testid="reviewer-pairs">
                <DataGrid label="Agreement between reviewers" columns={PAIR_COLUMNS} rows={b.pairs} height={280} rowData={(p) => ({ "data-pair": `${p.a} / ${p.b}` })} />
              </div>
            )}
            {b.disagreements.length > 0 && (
              <>
                <h3>Disagreements ({b.disagreements.length})</h3>
                <ul className="disagreements" data-testid="disagreements">
                  {b.disagreements.map((d) => (
                    <li key={`${d.conversationId}/${d.a}/${d.b}`}>
                      <button type="button" className="link" data-action="open-disagreement" onClick={() => onOpenConversation(d.conversationId)}>
                        #{d.conversationId}
                      </button>{" "}
                      {d.a}: <strong>{d.verdictA}</strong> · {d.b}: <strong>{d.verdictB}</strong>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
        </>
      )}
      <section aria-label="QA queues">
        <h3>QA queues</h3>
        {queues.isError && <ErrorLine error={asUiError(queues.error)} />}
        {queues.data?.length === 0 && <p className="muted">No QA sample yet: make one with Sample for QA on the Conversations screen.</p>}
        {queues.data && queues.data.length > 0 && (
          <div data-testid="review-queues">
            <DataGrid label="QA queues" columns={QUEUE_COLUMNS} rows={queues.data} height={280} rowData={(q) => ({ "data-queue": q.name })} />
          </div>
        )}
      </section>
    </div>
  );
}
