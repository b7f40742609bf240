// WebKitGTK reports the POSIX locale of a process started with LANG=C (or none) as the
// language "C", which Intl refuses ("invalid language tag"); libraries that format numbers
// with navigator.language (the chart's) would fail to load. Such a process reads as en-US.
// Imported first by main.tsx, before any library reads the language.
function usable(tag: string | undefined): boolean {
  if (!tag) return false;
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

if (typeof navigator !== "undefined" && !usable(navigator.language)) {
  Object.defineProperty(navigator, "language", { configurable: true, value: "en-US" });
  Object.defineProperty(navigator, "languages", { configurable: true, value: ["en-US"] });
}

export {};
