// Messages after an action: kept in a tray of their own below the screen's content, never
// over it, so no toast ever hides a button (the content's scroll area ends where they begin).
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import type { UiError } from "../bindings/UiError";

type Toast = { id: number; tone: "error" | "info"; title: string; text: string };
type ToastApi = { error: (e: UiError) => void; info: (title: string, text?: string) => void };
type TrayState = { toasts: Toast[]; dismiss: (id: number) => void };

const ToastContext = createContext<ToastApi | null>(null);
const TrayContext = createContext<TrayState>({ toasts: [], dismiss: () => {} });

/** The most toasts shown at once: older ones leave as new ones come. */
const SHOWN = 3;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((x) => x.id !== id)), []);
  const push = useCallback(
    (t: Omit<Toast, "id">) => {
      const id = Date.now() + Math.random();
      setToasts((all) => [...all.slice(-(SHOWN - 1)), { ...t, id }]);
      window.setTimeout(() => dismiss(id), t.tone === "error" ? 8000 : 4000);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({
      error: (e) => push({ tone: "error", title: e.kind, text: e.message }),
      info: (title, text = "") => push({ tone: "info", title, text }),
    }),
    [push],
  );
  const tray = useMemo(() => ({ toasts, dismiss }), [toasts, dismiss]);
  return (
    <ToastContext.Provider value={api}>
      <TrayContext.Provider value={tray}>{children}</TrayContext.Provider>
    </ToastContext.Provider>
  );
}

/** Where the toasts show: a strip in the layout, below the content it must not cover. */
export function ToastTray() {
  const { toasts, dismiss } = useContext(TrayContext);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.tone}`} role={t.tone === "error" ? "alert" : "status"}>
          <strong>{t.title}</strong>
          {t.text && <span>{t.text}</span>}
          <button type="button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function useToasts(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error("useToasts outside ToastProvider");
  return api;
}
