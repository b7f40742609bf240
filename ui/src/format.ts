// How the window writes numbers a person reads: sizes in binary units (KiB, MiB: what the
// servers and the disk report), durations, counts and times. Every screen uses these.

const SIZE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 0 B, 1023 B, 1.0 KiB, 1.5 MiB, 12 GiB: one decimal below ten of a unit, none above. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const sign = n < 0 ? "-" : "";
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < SIZE_UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  if (u === 0) return `${sign}${Math.round(v)} B`;
  // 1023.96 KiB would round to "1024.0 KiB": show the next unit instead.
  if (Number(v.toFixed(1)) >= 1024 && u < SIZE_UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  const digits = v < 10 ? 1 : 0;
  return `${sign}${v.toFixed(digits)} ${SIZE_UNITS[u]}`;
}

/** 1,234,567: whole numbers with thousands separators. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return Math.round(n).toLocaleString("en-US");
}

/** 850 ms, 4.2 s, 3 min 20 s, 2 h 5 min, 3 d 4 h: two units at most, never "0 min". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  // Most figures are whole seconds: nothing yet reads as 0 s, not 0 ms.
  if (ms === 0) return "0 s";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 && !Number.isInteger(s) ? s.toFixed(1) : Math.round(s)} s`;
  const total = Math.round(s);
  const parts: [number, string][] = [
    [Math.floor(total / 86400), "d"],
    [Math.floor((total % 86400) / 3600), "h"],
    [Math.floor((total % 3600) / 60), "min"],
    [total % 60, "s"],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  return parts
    .slice(first, first + 2)
    .filter(([v], i) => i === 0 || v > 0)
    .map(([v, unit]) => `${v} ${unit}`)
    .join(" ");
}

/** `2026-11-20T10:00:00` → `2026-11-20 10:00`; a dash when absent. */
export function formatTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined) return "—";
  if (typeof t === "string") return t ? t.replace("T", " ").slice(0, 16) : "—";
  // Milliseconds since the epoch (a Redis slowlog entry): this machine's time, to the second.
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return "—";
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** "1 file", "2 files", "1,000 rows": a count with its noun. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

