// *Try it*: the lint's suggested index built on a scratch copy of the statement's tables (a
// bounded sample of their rows), the statement explained there without and with it, side by
// side. The copy is dropped after, on Cancel too; the live tables are never touched.

import { useEffect, useRef, useState } from "react";
import { asUiError, cancelJob, newJobId, tryIndex } from "../../api";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { SuggestedIndex } from "../../bindings/SuggestedIndex";
import type { TrialPlan } from "../../bindings/TrialPlan";
import type { TrialReport } from "../../bindings/TrialReport";
import type { UiError } from "../../bindings/UiError";
import { ErrorLine } from "../overview/OverviewScreen";
import { PlanTree } from "./PlanView";

/** Rows copied per table at most; said on screen. */
const SAMPLE_ROWS = 200_000;

const count = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });

export function TryIndex({ profile, sql, index, analyze, onClose }: { profile: Profile; sql: string; index: SuggestedIndex; analyze: boolean; onClose: () => void }) {
  const job = useRef("");
  const [step, setStep] = useState("starting");
  const [result, setResult] = useState<TrialReport | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const panel = useRef<HTMLElement>(null);

  useEffect(() => {
    // Each run has its own job, cancelled when the panel goes (its copy is dropped by the core).
    const id = newJobId("try-index");
    job.current = id;
    let alive = true;
    tryIndex(profile.name, sql, index, { maxRows: SAMPLE_ROWS, analyze }, id, (e) => {
      if (alive && e.event === "step") setStep(e.label);
    }).then(
      (r) => alive && setResult(r),
      (e: unknown) => alive && setError(asUiError(e)),
    );
    panel.current?.scrollIntoView({ block: "start" });
    return () => {
      alive = false;
      void cancelJob(id).catch(() => {});
    };
  }, [profile.name, sql, index, analyze]);

  // The plans are below the report: bring them into view when they arrive.
  useEffect(() => {
    if (result) panel.current?.scrollIntoView({ block: "start" });
  }, [result]);

  const columns = index.columns.join(", ");
  return (
    <section ref={panel} className="card try-index" aria-label="Try the index" data-testid="try-index" aria-busy={!result && !error}>
      <div className="detail-head">
        <h3>
          Try <code>{index.table}({columns})</code> on a copy
        </h3>
        <div className="actions">
          {!result && !error ? (
            <button type="button" data-action="cancel-try" onClick={() => void cancelJob(job.current)}>
              Cancel
            </button>
          ) : (
            <button type="button" data-action="close-try" onClick={onClose}>
              Close
            </button>
          )}
        </div>
      </div>
      <p className="muted">
        The statement's tables are copied into a scratch database on the same server (at most {count(SAMPLE_ROWS)} rows each, a random sample past that), explained there
        without the index and with it, and the copy is dropped. The live tables are not touched.
      </p>
      {!result && !error && (
        <>
          <progress aria-label="Try it progress" />
          <p className="muted" data-testid="try-step">
            {step}…
          </p>
        </>
      )}
      {error && <ErrorLine error={error} />}
      {result && (
        <>
          <p data-testid="try-sampled">
            {result.sampled.map((s) => `${s.table}: ${count(s.copiedRows)} of about ${count(s.liveRows)} rows copied`).join(" · ")} · into {result.scratchDatabase}, dropped after
            {result.keptOutOfBinlog ? "" : " (replicas saw it too: no privilege to keep it out of the binary log)"}
          </p>
          <p className="try-verdict" data-testid="try-verdict">
            {result.analyzed ? "Rows read" : "Rows estimated"}: <strong>{count(result.withoutIndex.rowsExamined)}</strong> without the index,{" "}
            <strong>{count(result.withIndex.rowsExamined)}</strong> with it
          </p>
          <div className="try-plans">
            <TrialSide label="Without the index" side={result.withoutIndex} testId="try-without" />
            <TrialSide label={`With an index on (${columns})`} side={result.withIndex} testId="try-with" />
          </div>
        </>
      )}
    </section>
  );
}

function TrialSide({ label, side, testId }: { label: string; side: TrialPlan; testId: string }) {
  return (
    <div data-testid={testId}>
      <h4>{label}</h4>
      <PlanTree root={side.plan.root} />
    </div>
  );
}
