// The shared review queue in the window: where the next conversation comes from (these
// filters or a named QA sample), *Sample for QA*, and the claim on the open conversation,
// renewed while it stays open and released when it closes.
import { useEffect, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { asUiError, may, queueOpen, queueRelease, reviewerName, reviewQueues, sampleForQa } from "../../api";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { QueueSource } from "../../bindings/QueueSource";
import type { SampleBy } from "../../bindings/SampleBy";
import { useToasts } from "../../components/Toasts";

/** How often an open conversation's lease (15 min) is renewed. */
const RENEW_MS = 60_000;
/** A claim is released this long after its conversation closes, unless it opens again at once
 * (React mounts twice in development; a reviewer may go back and forth). */
const RELEASE_DELAY_MS = 500;
const pendingRelease = new Map<string, number>();

const day = (d: Date) => d.toISOString().slice(0, 10);
const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));

/** The queue the reviewer works from: "filters" or a named queue's name. */
export type QueueChoice = string;
export const FILTERS: QueueChoice = "";

export const sourceOf = (choice: QueueChoice, filters: QueueSource & { kind: "filters" }): QueueSource =>
  choice === FILTERS ? filters : { kind: "named", name: choice };

/** The bar above the finder: the queue to work from, *Start reviewing*, *Sample for QA*. */
export function QueueBar({
  profile,
  choice,
  onChoose,
  onStart,
  busy,
}: {
  profile: Profile;
  choice: QueueChoice;
  onChoose: (c: QueueChoice) => void;
  onStart: () => void;
  busy: boolean;
}) {
  const queues = useQuery({ queryKey: ["review-queues", profile.name], queryFn: () => reviewQueues(profile.name) });
  const me = useQuery({ queryKey: ["reviewer", profile.name], queryFn: () => reviewerName(profile.name), staleTime: Infinity });
  const [sampling, setSampling] = useState(false);
  return (
    <div className="queue-bar" aria-label="Review queue" role="group">
      <label>
        Review from
        <select aria-label="Review from" value={choice} onChange={(e) => onChoose(e.target.value)}>
          <option value={FILTERS}>these filters (not reviewed yet)</option>
          {(queues.data ?? []).map((q) => (
            <option key={q.name} value={q.name}>
              {q.name} · {q.done} of {q.conversations} done{q.reviewsWanted > 1 ? ` · ${q.reviewsWanted} reviewers each` : ""}
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="primary" data-action="start-reviewing" disabled={busy} onClick={onStart}>
        {busy ? "Claiming…" : "Start reviewing"}
      </button>
      <button type="button" data-action="sample-qa" onClick={() => setSampling(true)}>
        Sample for QA…
      </button>
      {me.data && <span className="muted">reviewing as {me.data}</span>}
      {queues.isError && <span className="warn-text">{asUiError(queues.error).message}</span>}
      {sampling && (
        <SampleDialog
          profile={profile}
          onClose={() => setSampling(false)}
          onMade={(name) => {
            setSampling(false);
            onChoose(name);
          }}
        />
      )}
    </div>
  );
}

/** *Sample for QA*: N conversations per group from a window, by a seed, kept as a named queue. */
function SampleDialog({ profile, onClose, onMade }: { profile: Profile; onClose: () => void; onMade: (name: string) => void }) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [today] = useState(() => new Date());
  const [form, setForm] = useState(() => ({
    name: `qa-${day(today)}`,
    per: "digital_human" as SampleBy,
    n: "5",
    from: day(new Date(today.getTime() - 30 * 86_400_000)),
    to: day(today),
    seed: String(Math.floor(Math.random() * 1_000_000)),
    double: false,
  }));
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (v: string | boolean) => setForm((f) => ({ ...f, [k]: v }));
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const make = async () => {
    setBusy(true);
    try {
      const report = await sampleForQa(profile.name, form.name, {
        per: form.per,
        n: Number(form.n),
        from: form.from,
        to: form.to,
        seed: Number(form.seed),
        reviewsWanted: form.double ? 2 : 1,
      });
      toasts.info(`Queue ${report.queue}`, `${report.items.length} conversations from ${report.groups} groups`);
      await queryClient.invalidateQueries({ queryKey: ["review-queues", profile.name] });
      onMade(report.queue);
    } catch (e) {
      toasts.error(asUiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="dialog-backdrop" role="presentation" onClick={onClose}>
      <form
        className="dialog sample-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="sample-title"
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          void make();
        }}
      >
        <h2 id="sample-title">Sample for QA</h2>
        <p className="muted">
          A reproducible random sample: conversations whose last message is in the window, ranked in each group by a hash of the
          seed and their id (read through the last-message index, never the whole table). The same seed draws the same sample.
        </p>
        <label>
          Queue name
          <input aria-label="Queue name" name="queue-name" value={form.name} onChange={(e) => set("name")(e.target.value)} />
        </label>
        <div className="sample-grid">
          <label>
            Per
            <select aria-label="Per" value={form.per} onChange={(e) => set("per")(e.target.value)}>
              <option value="digital_human">digital human</option>
              <option value="day">day</option>
              <option value="satisfaction">satisfaction score</option>
            </select>
          </label>
          <label>
            Conversations each
            <input aria-label="Conversations each" type="number" min={1} max={1000} value={form.n} onChange={(e) => set("n")(e.target.value)} />
          </label>
          <label>
            From
            <input aria-label="Sample from" type="date" value={form.from} onChange={(e) => set("from")(e.target.value)} />
          </label>
          <label>
            To
            <input aria-label="Sample to" type="date" value={form.to} onChange={(e) => set("to")(e.target.value)} />
          </label>
          <label>
            Seed
            <input aria-label="Seed" inputMode="numeric" value={form.seed} onChange={(e) => set("seed")(e.target.value.replace(/\D/g, ""))} />
          </label>
        </div>
        <label className="check">
          <input type="checkbox" name="double-review" checked={form.double} onChange={(e) => set("double")(e.target.checked)} /> Two
          reviewers per conversation (for agreement)
        </label>
        <div className="form-actions">
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="primary" data-action="make-sample" disabled={busy || form.seed === ""}>
            {busy ? "Drawing…" : "Draw and keep as queue"}
          </button>
        </div>
      </form>
    </div>
  );
}

/**
 * The claim on an open conversation: taken when it opens (unless someone else holds it),
 * renewed every minute while it stays open, released when it closes. Saving ends it in the
 * core, in the review's own transaction.
 */
export function useClaim(profile: Profile, id: string, holding: boolean) {
  const key = `${profile.name}/${id}`;
  const reviews = may(profile, "review");
  const claim = useQuery({
    queryKey: ["claim", profile.name, id],
    // Claiming again one's own claim renews it; someone else's comes back as theirs.
    queryFn: () => queueOpen(profile.name, id),
    refetchInterval: RENEW_MS,
    // Open in a minimised window is still open: the lease is kept.
    refetchIntervalInBackground: true,
    // Once its review is saved the claim has ended: it is not taken again while still open.
    // A read-only profile only reads: it claims nothing.
    enabled: holding && reviews,
    gcTime: 0,
  });
  useEffect(() => {
    const pending = pendingRelease.get(key);
    if (pending !== undefined) {
      window.clearTimeout(pending);
      pendingRelease.delete(key);
    }
    // A profile that may not review never claimed anything to release.
    if (!reviews) return;
    return () => {
      pendingRelease.set(
        key,
        window.setTimeout(() => {
          pendingRelease.delete(key);
          void queueRelease(profile.name, id, "released").catch(() => {});
        }, RELEASE_DELAY_MS),
      );
    };
  }, [key, profile.name, id, reviews]);
  return claim;
}

/** "li@support is reviewing this, 4 min left", or this reviewer's own lease. */
export function ClaimBanner({ claim, saved }: { claim: ReturnType<typeof useClaim>; saved: boolean }) {
  const c = claim.data;
  if (saved && c?.mine)
    return (
      <p className="muted" data-testid="claim-state" data-ended="saved">
        Review saved: your claim ended{c.mine.queue ? `; ${c.mine.queue} may offer it to a second reviewer` : ""}.
      </p>
    );
  if (claim.isError) return <p className="warn-text" data-testid="claim-state">Claim not taken: {asUiError(claim.error).message}</p>;
  // The line is there while the claim is taken, so the review form below does not jump under a click.
  if (!c) return claim.fetchStatus === "fetching" ? <p className="muted" data-testid="claim-state" data-pending="">Taking the claim…</p> : null;
  if (c.heldBy)
    return (
      <div className="banner" role="status" data-testid="claim-state" data-held-by={c.heldBy.reviewer}>
        <span>
          <strong>{c.heldBy.reviewer}</strong> is reviewing this, {minutes(c.heldBy.secondsLeft)} min left
          {c.heldBy.queue ? ` (queue ${c.heldBy.queue})` : ""}.
        </span>
      </div>
    );
  if (c.mine)
    return (
      <p className="muted" data-testid="claim-state" data-mine={c.mine.reviewer}>
        Claimed by you{c.mine.queue ? ` from ${c.mine.queue}` : ""} · others are not offered it · lease renewed while open (
        {minutes(c.mine.secondsLeft)} min)
      </p>
    );
  return null;
}
