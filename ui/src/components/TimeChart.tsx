// The one chart of the window: time across, values up, drawn by uPlot (small, canvas, made
// for time series). Axes carry units, the legend shows every series' value under the cursor,
// a drag across zooms in and a double-click zooms back out; thresholds are dashed lines.
// With `lanes`, each series is a row of points (an emotion per lane) that can be clicked.
import { useEffect, useLayoutEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatTime } from "../format";

export const SERIES_COLOURS = ["#2563eb", "#d97706", "#15803d", "#dc2626", "#9333ea", "#6b7280"];

export type ChartSeries = {
  label: string;
  values: (number | null)[];
  colour?: string;
  /** Drawn as rings, not dots (with `lanes`): a second kind of record beside the first. */
  hollow?: boolean;
};
export type Threshold = { value: number; label: string };

export type TimeChartProps = {
  /** What the chart shows; its accessible name. */
  label: string;
  /** Milliseconds since the epoch, ascending; one per value of every series. */
  times: number[];
  series: ChartSeries[];
  /** A value as the axis and the legend write it (with its unit). */
  format: (value: number) => string;
  thresholds?: Threshold[];
  height?: number;
  testid?: string;
  /** Points in named rows instead of lines: each value is an index into `lanes`. */
  lanes?: string[];
  /** A click on a point: its series and its index in `times`. */
  onPick?: (series: number, index: number) => void;
};

/** The data as uPlot takes it: the times, then one array per series. */
export function chartData(times: number[], series: ChartSeries[]): uPlot.AlignedData {
  return [times, ...series.map((s) => s.values)];
}

/** The upper end of the value axis: room above the highest value and every threshold. */
export function valueCeiling(series: ChartSeries[], thresholds: Threshold[] = []): number {
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const top = Math.max(0, ...values, ...thresholds.map((t) => t.value));
  return top > 0 ? top * 1.15 : 1;
}

const S = 1000;
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map((s) => s * S);

/** A tick on the time axis: seconds when the view spans minutes, dates when it spans days. */
export function clockLabel(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(d.getHours())}:${two(d.getMinutes())}`;
  if (spanMs < 10 * 60_000) return `${time}:${two(d.getSeconds())}`;
  if (spanMs < 2 * 86_400_000) return time;
  return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}

/** The value a legend shows: the one under the cursor, else the newest. */
function shownValue(u: uPlot, raw: number | null, series: number, idx: number | null): number | null {
  if (idx !== null && idx !== undefined) return raw;
  const values = u.data[series] as (number | null | undefined)[];
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

function cssColour(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function TimeChart({ label, times, series, format, thresholds = [], height = 140, testid, lanes, onPick }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoomed = useRef(false);
  const latest = useRef({ times, series, thresholds, format, onPick });
  useLayoutEffect(() => {
    latest.current = { times, series, thresholds, format, onPick };
  });
  // The plot is made again only when what it draws changes shape, not on every new sample.
  const shape = JSON.stringify([series.map((s) => [s.label, s.colour]), lanes, thresholds, height]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const muted = cssColour("--muted", "#6b7280");
    const grid = cssColour("--line", "#e5e7eb");
    const drawn = latest.current.series;
    const colour = (s: ChartSeries, i: number) => s.colour ?? SERIES_COLOURS[i % SERIES_COLOURS.length];
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      ms: 1,
      cursor: { drag: { x: true, y: false }, focus: { prox: 24 } },
      legend: { live: true },
      scales: {
        x: { time: true },
        y: lanes ? { range: [-0.5, lanes.length - 0.5] } : { range: () => [0, valueCeiling(latest.current.series, latest.current.thresholds)] },
      },
      axes: [
        {
          stroke: muted,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          // Ticks on whole seconds at least: the labels never repeat a second.
          incrs: TIME_STEPS,
          values: (u, splits) => splits.map((ms) => clockLabel(ms, (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0))),
        },
        {
          stroke: muted,
          // As wide as its longest label ("10,000/s" needs more room than "5").
          size: (_u, values) => 16 + 7 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          splits: lanes ? () => lanes.map((_, i) => i) : undefined,
          values: (_u, splits) => splits.map((v) => (lanes ? (lanes[v] ?? "") : latest.current.format(v))),
        },
      ],
      series: [
        { label: "time", value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? "—" : formatTime(v)) },
        ...drawn.map((s, i) => ({
          label: s.label,
          stroke: colour(s, i),
          width: 2,
          spanGaps: false,
          value: (u: uPlot, raw: number | null, series: number, idx: number | null) => {
            const v = lanes ? raw : shownValue(u, raw, series, idx);
            return v === null || v === undefined ? "—" : lanes ? "●" : latest.current.format(v);
          },
          points: lanes ? { show: true, size: 8, width: 1.5, fill: s.hollow ? "transparent" : colour(s, i), stroke: colour(s, i) } : { show: false },
          paths: lanes ? () => null : undefined,
        })),
      ],
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = cssColour("--bad", "#dc2626");
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 1;
            for (const t of latest.current.thresholds) {
              const y = u.valToPos(t.value, "y", true);
              ctx.beginPath();
              ctx.moveTo(u.bbox.left, y);
              ctx.lineTo(u.bbox.left + u.bbox.width, y);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width > 0) zoomed.current = true;
          },
        ],
      },
    };
    const u = new uPlot(opts, chartData(latest.current.times, drawn), el);
    plot.current = u;
    zoomed.current = false;
    const unzoom = () => {
      zoomed.current = false;
    };
    // A click without a drag picks the point nearest the cursor, if one is close.
    const pick = () => {
      const handler = latest.current.onPick;
      const idx = u.cursor.idx;
      const top = u.cursor.top;
      if (!handler || idx === null || idx === undefined || top === undefined || top < 0 || u.select.width > 0) return;
      let best: { series: number; distance: number } | null = null;
      u.data.slice(1).forEach((values, s) => {
        const v = values[idx];
        if (v === null || v === undefined) return;
        const distance = Math.abs(u.valToPos(v, "y") - top);
        if (distance <= 12 && (!best || distance < best.distance)) best = { series: s, distance };
      });
      if (best) handler((best as { series: number }).series, idx);
    };
    u.over.addEventListener("dblclick", unzoom);
    u.over.addEventListener("click", pick);
    const resize =
      typeof ResizeObserver === "undefined"
        ? null
        : new ResizeObserver(() => {
            u.setSize({ width: Math.max(200, el.clientWidth), height });
          });
    resize?.observe(el);
    return () => {
      resize?.disconnect();
      u.over.removeEventListener("dblclick", unzoom);
      u.over.removeEventListener("click", pick);
      u.destroy();
      plot.current = null;
    };
    // `shape` stands for what the plot is built from; the rest is read through `latest`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    // New samples keep a zoomed-in view where the person put it.
    plot.current?.setData(chartData(times, series), !zoomed.current);
  }, [times, series]);

  return (
    <div
      ref={box}
      className={`time-chart${onPick ? " pickable" : ""}`}
      role="img"
      aria-label={label}
      data-testid={testid}
      data-points={series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0)}
    />
  );
}
