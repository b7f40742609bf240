// The emotions of a thread over time, one lane per emotion: user messages (filled, click to
// jump to the message) and emotion_logs entries (the hollow "logged" series).
import { useMemo } from "react";
import type { EmotionPoint } from "../../bindings/EmotionPoint";
import type { EmotionTotal } from "../../bindings/EmotionTotal";
import { TimeChart, type ChartSeries } from "../../components/TimeChart";

const LANES = ["angry", "sad", "anxious", "neutral", "happy", "excited"];
const COLOURS: Record<string, string> = {
  angry: "#dc2626",
  sad: "#2563eb",
  anxious: "#d97706",
  neutral: "#6b7280",
  happy: "#16a34a",
  excited: "#9333ea",
};

type Lanes = { lanes: string[]; times: number[]; series: ChartSeries[]; messageAt: Map<string, string> };

/** The points as lanes: one series per emotion for messages, one more for the logs. */
export function emotionLanes(points: EmotionPoint[]): Lanes {
  const timed = points.filter((p) => p.at !== null);
  const lanes = [...LANES, ...new Set(timed.map((p) => p.emotion).filter((e) => !LANES.includes(e)))];
  const at = (p: EmotionPoint) => Date.parse(`${p.at}Z`);
  const times = [...new Set(timed.map(at))].sort((a, b) => a - b);
  const slot = new Map(times.map((t, i) => [t, i]));
  const empty = () => times.map((): number | null => null);
  const series: ChartSeries[] = lanes.map((lane) => ({ label: lane, values: empty(), colour: COLOURS[lane] ?? "#64748b" }));
  const logged: ChartSeries = { label: "logged", values: empty(), colour: "#64748b", hollow: true };
  const messageAt = new Map<string, string>();
  for (const p of timed) {
    const i = slot.get(at(p)) as number;
    const lane = lanes.indexOf(p.emotion);
    if (p.source === "message" && p.messageId !== null) {
      series[lane].values[i] = lane;
      // The logged series is drawn first (beneath): a lane's series is one further on.
      messageAt.set(`${lane + 1}:${i}`, p.messageId);
    } else {
      logged.values[i] = lane;
    }
  }
  return { lanes, times, series: [logged, ...series], messageAt };
}

export function EmotionChart({
  points,
  totals,
  onJump,
}: {
  points: EmotionPoint[];
  totals: EmotionTotal[];
  onJump: (messageId: string) => void;
}) {
  const { lanes, times, series, messageAt } = useMemo(() => emotionLanes(points), [points]);
  if (times.length === 0) return <p className="muted">No emotions recorded for this conversation.</p>;
  const shown = series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
  return (
    <figure className="emotion-chart">
      <TimeChart
        label="Emotions across the thread"
        testid="emotion-chart"
        times={times}
        series={series}
        lanes={lanes}
        height={150}
        format={(v) => lanes[v] ?? ""}
        onPick={(s, i) => {
          const id = messageAt.get(`${s}:${i}`);
          if (id) onJump(id);
        }}
      />
      <figcaption className="muted">
        {totals.map((t) => `${t.emotion} ${t.messages}${t.logs ? ` (+${t.logs} logged)` : ""}`).join(" · ")}
        {shown < totals.reduce((n, t) => n + t.messages + t.logs, 0) ? ` · ${shown} points shown, evenly sampled` : ""} · click a
        dot to jump to its message; drag across to zoom, double-click to zoom out
      </figcaption>
    </figure>
  );
}
