// The emotions of a thread over time: user messages (filled, click to jump) and emotion_logs
// entries (hollow), one lane per emotion.
import type { EmotionPoint } from "../../bindings/EmotionPoint";
import type { EmotionTotal } from "../../bindings/EmotionTotal";

const LANES = ["angry", "sad", "anxious", "neutral", "happy", "excited"];
const COLOURS: Record<string, string> = {
  angry: "#dc2626",
  sad: "#2563eb",
  anxious: "#d97706",
  neutral: "#6b7280",
  happy: "#16a34a",
  excited: "#9333ea",
};

export function EmotionChart({
  points,
  totals,
  onJump,
}: {
  points: EmotionPoint[];
  totals: EmotionTotal[];
  onJump: (messageId: string) => void;
}) {
  const timed = points.filter((p) => p.at !== null);
  if (timed.length === 0) return <p className="muted">No emotions recorded for this conversation.</p>;
  const lanes = [...LANES, ...new Set(timed.map((p) => p.emotion).filter((e) => !LANES.includes(e)))];
  const times = timed.map((p) => Date.parse(`${p.at}Z`));
  const t0 = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - t0);
  const width = 1000;
  const laneH = 14;
  const height = lanes.length * laneH + 8;
  const x = (t: number) => 40 + ((t - t0) / span) * (width - 50);
  return (
    <figure className="emotion-chart" data-testid="emotion-chart" aria-label="Emotions across the thread">
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img">
        {lanes.map((lane, i) => (
          <g key={lane}>
            <line x1={40} x2={width - 10} y1={i * laneH + 10} y2={i * laneH + 10} className="lane" />
            <text x={0} y={i * laneH + 13} className="lane-label">
              {lane}
            </text>
          </g>
        ))}
        {timed.map((p, i) => {
          const cy = lanes.indexOf(p.emotion) * laneH + 10;
          const cx = x(times[i]);
          const colour = COLOURS[p.emotion] ?? "#64748b";
          return p.source === "message" && p.messageId !== null ? (
            <circle
              key={`m${p.messageId}`}
              cx={cx}
              cy={cy}
              r={4}
              fill={colour}
              className="point"
              onClick={() => onJump(p.messageId as string)}
            >
              <title>
                {p.emotion} · message #{p.messageId} · {p.at?.replace("T", " ")}
              </title>
            </circle>
          ) : (
            <circle key={`l${i}`} cx={cx} cy={cy} r={4} fill="none" stroke={colour}>
              <title>
                {p.emotion} (emotion log{p.intensity !== null ? `, intensity ${p.intensity.toFixed(2)}` : ""}) ·{" "}
                {p.at?.replace("T", " ")}
              </title>
            </circle>
          );
        })}
      </svg>
      <figcaption className="muted">
        {totals.map((t) => `${t.emotion} ${t.messages}${t.logs ? ` (+${t.logs} logged)` : ""}`).join(" · ")}
        {timed.length < totals.reduce((n, t) => n + t.messages + t.logs, 0) ? ` · ${timed.length} points shown, evenly sampled` : ""} · click a
        dot to jump to its message
      </figcaption>
    </figure>
  );
}
