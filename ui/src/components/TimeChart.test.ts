import { describe, expect, it } from "vitest";
import { chartData, clockLabel, valueCeiling } from "./TimeChart";
import { emotionLanes } from "../features/conversations/EmotionChart";

describe("the chart's data", () => {
  it("puts the times first, then each series in order", () => {
    const data = chartData([1000, 2000], [{ label: "a", values: [1, 2] }, { label: "b", values: [null, 3] }]);
    expect(data).toEqual([[1000, 2000], [1, 2], [null, 3]]);
  });

  it("leaves room above the highest value and every threshold", () => {
    expect(valueCeiling([{ label: "lag", values: [2, 4, null] }])).toBeCloseTo(4.6);
    expect(valueCeiling([{ label: "lag", values: [2] }], [{ value: 10, label: "lagging" }])).toBeCloseTo(11.5);
  });

  it("keeps an axis for a series that is all zero or empty", () => {
    expect(valueCeiling([{ label: "qps", values: [0, 0] }])).toBe(1);
    expect(valueCeiling([{ label: "qps", values: [null] }])).toBe(1);
  });
});

describe("the emotion lanes", () => {
  const point = (at: string, emotion: string, source: string, messageId: string | null) =>
    ({ at, emotion, source, messageId, intensity: null }) as Parameters<typeof emotionLanes>[0][number];

  it("puts each message on its emotion's lane and remembers which message it is", () => {
    const lanes = emotionLanes([
      point("2026-01-01T10:00:00", "angry", "message", "7"),
      point("2026-01-01T10:00:05", "happy", "message", "9"),
      point("2026-01-01T10:00:05", "sad", "log", null),
    ]);
    expect(lanes.times).toEqual([Date.parse("2026-01-01T10:00:00Z"), Date.parse("2026-01-01T10:00:05Z")]);
    const angry = lanes.lanes.indexOf("angry");
    const happy = lanes.lanes.indexOf("happy");
    // The logged series comes first, drawn beneath the messages.
    const logged = lanes.series[0];
    expect(logged.label).toBe("logged");
    expect(lanes.series[angry + 1].values).toEqual([angry, null]);
    expect(lanes.series[happy + 1].values).toEqual([null, happy]);
    expect(lanes.messageAt.get(`${angry + 1}:0`)).toBe("7");
    expect(lanes.messageAt.get(`${happy + 1}:1`)).toBe("9");
    expect(logged.values).toEqual([null, lanes.lanes.indexOf("sad")]);
  });

  it("gives an emotion outside the platform's six a lane of its own, and skips untimed points", () => {
    const lanes = emotionLanes([point("2026-01-01T10:00:00", "bored", "message", "1"), { ...point("x", "angry", "message", "2"), at: null }]);
    expect(lanes.lanes).toContain("bored");
    expect(lanes.times).toHaveLength(1);
  });
});

describe("the time axis", () => {
  const at = new Date(2026, 11, 8, 3, 10, 5).getTime();
  it("shows seconds over minutes, minutes over hours, the date over days", () => {
    expect(clockLabel(at, 2_000)).toBe("03:10:05");
    expect(clockLabel(at, 3_600_000)).toBe("03:10");
    expect(clockLabel(at, 7 * 86_400_000)).toBe("12-08 03:10");
  });
});
