// *Count now*, for a search the list shows as not counted: the count runs on the server with
// a cap and a time limit, and Cancel stops it there.
import { useState } from "react";
import { asUiError, cancelJob, countConversations, formatTotal, newJobId } from "../../api";
import type { ConversationSearch } from "../../bindings/ConversationSearch";
import type { Total } from "../../bindings/Total";
import { ErrorLine } from "../overview/OverviewScreen";

export function CountNow({ profile, search, fromReplica }: { profile: string; search: ConversationSearch; fromReplica: boolean }) {
  const [job, setJob] = useState<string | null>(null);
  const [counted, setCounted] = useState<Total | null>(null);
  const [error, setError] = useState<ReturnType<typeof asUiError> | null>(null);
  const count = async () => {
    const id = newJobId("count");
    setJob(id);
    setError(null);
    try {
      setCounted(await countConversations(profile, search, id, fromReplica));
    } catch (e) {
      const err = asUiError(e);
      if (err.kind !== "cancelled") setError(err);
    } finally {
      setJob(null);
    }
  };
  return (
    <div className="count-now" data-testid="count-now">
      {counted && <strong data-testid="counted">{formatTotal(counted, "conversation", "conversations")}</strong>}
      {job ? (
        <>
          <span className="muted">Counting on the server (at most 30 s, up to a million)…</span>
          <button type="button" data-action="cancel-count" onClick={() => void cancelJob(job)}>
            Cancel
          </button>
        </>
      ) : (
        !counted && (
          <button type="button" data-action="count-now" onClick={() => void count()}>
            Count now
          </button>
        )
      )}
      {error && <ErrorLine error={error} />}
    </div>
  );
}
