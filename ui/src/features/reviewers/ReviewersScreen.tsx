// The reviewers' dashboard: per reviewer and day, reviews, verdict mix, median time from
// claim to save and claims that expired; per pair of reviewers, how often they agree on the
// conversations both reviewed (with Cohen's kappa) and the disagreements to open; and the
// named QA queues with how far they have got. Support profiles see their own figures.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { asUiError, reviewerDashboard, reviewQueues } from "../../api";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import { ErrorLine } from "../overview/OverviewScreen";

const VERDICTS = ["ok", "needs_followup", "escalated", "harmful"];
const day = (d: Date) => d.toISOString().slice(0, 10);
const seconds = (s: number | null) => (s === null ? "—" : s < 120 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`);

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
              <table className="mini" data-testid="reviewer-days">
                <thead>
                  <tr>
                    <th>Reviewer</th>
                    <th>Day</th>
                    <th>Reviews</th>
                    {VERDICTS.map((v) => (
                      <th key={v}>{v.replace("_", " ")}</th>
                    ))}
                    <th>Median claim → save</th>
                    <th>Claims expired</th>
                  </tr>
                </thead>
                <tbody>
                  {b.days.map((d) => (
                    <tr key={`${d.reviewer}/${d.day}`} data-reviewer={d.reviewer}>
                      <td>{d.reviewer}</td>
                      <td>{d.day}</td>
                      <td>{d.reviews}</td>
                      {VERDICTS.map((v) => (
                        <td key={v}>{d.verdicts[v] ?? 0}</td>
                      ))}
                      <td>{seconds(d.medianSecondsToSave)}</td>
                      <td className={d.claimsExpired > 0 ? "warn-text" : ""}>{d.claimsExpired}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
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
              <table className="mini" data-testid="reviewer-pairs">
                <thead>
                  <tr>
                    <th>Reviewers</th>
                    <th>Both reviewed</th>
                    <th>Agreed</th>
                    <th>Kappa</th>
                  </tr>
                </thead>
                <tbody>
                  {b.pairs.map((p) => (
                    <tr key={`${p.a}/${p.b}`}>
                      <td>
                        {p.a} / {p.b}
                      </td>
                      <td>{p.conversations}</td>
                      <td>
                        {p.agreed} ({Math.round((100 * p.agreed) / Math.max(p.conversations, 1))}%)
                      </td>
                      <td>{p.kappa === null ? <span className="muted">undefined (one verdict only)</span> : p.kappa.toFixed(2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
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
          <table className="mini" data-testid="review-queues">
            <thead>
              <tr>
                <th>Queue</th>
                <th>Made by</th>
                <th>Made</th>
                <th>Reviewers each</th>
                <th>Done</th>
              </tr>
            </thead>
            <tbody>
              {queues.data.map((q) => (
                <tr key={q.name}>
                  <td>{q.name}</td>
                  <td>{q.createdBy}</td>
                  <td>{q.createdAt.replace("T", " ").slice(0, 16)}</td>
                  <td>{q.reviewsWanted}</td>
                  <td>
                    {q.done} of {q.conversations}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
