import { describe, expect, it } from "vitest";
import { formatBytes, formatCount, formatDuration, formatTime, plural } from "./format";

describe("formatBytes", () => {
  it("writes binary units, never a size below its unit", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.0 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MiB");
    expect(formatBytes(1.27e9)).toBe("1.2 GiB");
    expect(formatBytes(1024 * 1024 - 1)).toBe("1.0 MiB");
    expect(formatBytes(-2048)).toBe("-2.0 KiB");
  });
  it("shows a dash for what is not a number", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
  });
});

describe("formatDuration", () => {
  it("keeps two units at most", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4200)).toBe("4.2 s");
    expect(formatDuration(5000)).toBe("5 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(200_000)).toBe("3 min 20 s");
    expect(formatDuration(180_000)).toBe("3 min");
    expect(formatDuration(7_500_000)).toBe("2 h 5 min");
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 59_000)).toBe("3 d 4 h");
  });
});

describe("formatCount and formatTime", () => {
  it("separates thousands and shortens timestamps", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(undefined)).toBe("—");
    expect(formatTime("2026-11-20T10:00:00")).toBe("2026-11-20 10:00");
    expect(formatTime(null)).toBe("—");
    expect(plural(1, "file")).toBe("1 file");
    expect(plural(28399, "row")).toBe("28,399 rows");
    expect(plural(0, "entry", "entries")).toBe("0 entries");
  });
});

describe("formatTime of a moment in milliseconds", () => {
  it("writes it in local time, to the second", () => {
    expect(formatTime(new Date(2026, 11, 8, 3, 10, 5).getTime())).toBe("2026-12-08 03:10:05");
    expect(formatTime(Number.NaN)).toBe("—");
  });
});
