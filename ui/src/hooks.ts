import { useEffect, useState, type KeyboardEvent } from "react";

/** Waits `ms` after the last change before passing a value on (typing in a search box). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** From a search box, ArrowDown moves into the results grid labelled `label` (then Enter opens). */
export const focusGridOnArrowDown = (label: string) => (e: KeyboardEvent<HTMLElement>) => {
  if (e.key !== "ArrowDown") return;
  const grid = document.querySelector<HTMLElement>(`[role=grid][aria-label="${label}"]`);
  if (grid) {
    e.preventDefault();
    grid.focus();
  }
};
