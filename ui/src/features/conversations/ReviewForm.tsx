// The review of one conversation: a verdict (keys 1–3), tags and a note; Save, or Save & next
// (Ctrl+Enter) to the next conversation of the queue; the reviews it already has below.
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { asUiError, may, reviewConversation } from "../../api";
import type { ConversationDetail } from "../../bindings/ConversationDetail";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { Verdict } from "../../bindings/Verdict";
import { useToasts } from "../../components/Toasts";
import { formatTime } from "../../format";

export const VERDICTS: [Verdict, string, string][] = [
  ["ok", "OK", "1"],
  ["needs_followup", "Needs follow-up", "2"],
  ["escalated", "Escalated", "3"],
];

export function ReviewForm({ profile, d, onSaved }: { profile: Profile; d: ConversationDetail; onSaved: (andNext: boolean) => void }) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [tags, setTags] = useState("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  if (!may(profile, "review")) {
    return <p className="muted">This profile is read-only: reviews cannot be saved.</p>;
  }
  const save = async (andNext: boolean) => {
    if (!verdict) return toasts.error({ kind: "invalidInput", message: "Choose a verdict first (1, 2 or 3).", fields: [] });
    setBusy(true);
    try {
      const r = await reviewConversation(profile.name, d.conversation.id, {
        verdict,
        tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
        note: note.trim() === "" ? null : note,
      });
      toasts.info(`Reviewed: ${r.verdict}`, `conversation ${d.conversation.id} · by ${r.reviewer}`);
      setVerdict(null);
      setTags("");
      setNote("");
      void queryClient.invalidateQueries({ queryKey: ["conversations", profile.name] });
      onSaved(andNext);
    } catch (e) {
      toasts.error(asUiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="review-form"
      aria-label="Review"
      onSubmit={(e) => {
        e.preventDefault();
        void save(false);
      }}
      onKeyDown={(e) => {
        const inText = e.target instanceof HTMLTextAreaElement || (e.target instanceof HTMLInputElement && e.target.type === "text");
        const pick = VERDICTS.find(([, , key]) => key === e.key);
        if (pick && !inText) {
          e.preventDefault();
          setVerdict(pick[0]);
        } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void save(true);
        }
      }}
    >
      <h3>Review</h3>
      <div className="verdicts" role="radiogroup" aria-label="Verdict">
        {VERDICTS.map(([v, words, key]) => (
          <label key={v} className={verdict === v ? "chosen" : ""}>
            <input type="radio" name="verdict" value={v} checked={verdict === v} onChange={() => setVerdict(v)} /> {words}{" "}
            <kbd>{key}</kbd>
          </label>
        ))}
      </div>
      <input type="text" name="tags" aria-label="Tags" placeholder="tags, comma separated" value={tags} onChange={(e) => setTags(e.target.value)} />
      <textarea name="note" aria-label="Note" placeholder="note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
      <div className="form-actions">
        <button type="submit" data-action="save-review" disabled={busy}>
          Save
        </button>
        <button type="button" className="primary" data-action="save-next" disabled={busy} onClick={() => void save(true)}>
          Save &amp; next <kbd>Ctrl Enter</kbd>
        </button>
      </div>
      <h3>Reviews ({d.reviews.length})</h3>
      {d.reviews.length === 0 && <p className="muted">Not reviewed yet.</p>}
      <ul className="reviews" data-testid="reviews">
        {d.reviews.map((r) => (
          <li key={r.id}>
            <strong>{r.verdict}</strong> <span className="muted">by {r.reviewer} · {formatTime(r.reviewedAt)}</span>
            {r.tags && (JSON.parse(r.tags) as string[]).map((t) => <span key={t} className="chip">{t}</span>)}
            {r.note && <p>{r.note}</p>}
          </li>
        ))}
      </ul>
    </form>
  );
}

