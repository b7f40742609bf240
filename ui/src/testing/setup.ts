// Each test starts on an empty page. jsdom lays nothing out, so elements get a size here, for
// the virtualized grid to have a viewport to fill.
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => cleanup());

const VIEW = { width: 1000, height: 400 };
for (const [prop, value] of [
  ["clientHeight", VIEW.height],
  ["clientWidth", VIEW.width],
  ["offsetHeight", VIEW.height],
  ["offsetWidth", VIEW.width],
] as const) {
  Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => value });
}

// jsdom has no media queries; the chart library asks one about the pixel ratio when loaded.
if (typeof window.matchMedia !== "function") {
  Object.defineProperty(window, "matchMedia", {
    configurable: true,
    value: (query: string) => ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener: () => {},
      removeEventListener: () => {},
      addListener: () => {},
      removeListener: () => {},
      dispatchEvent: () => false,
    }),
  });
}
