import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import type { UiError } from "../bindings/UiError";

type Toast = { id: number; tone: "error" | "info"; title: string; text: string };
type ToastApi = { error: (e: UiError) => void; info: (title: string, text?: string) => void };

const ToastContext = createContext<ToastApi | null>(null);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((t: Omit<Toast, "id">) => {
    const id = Date.now() + Math.random();
    setToasts((all) => [...all.slice(-3), { ...t, id }]);
    window.setTimeout(() => setToasts((all) => all.filter((x) => x.id !== id)), t.tone === "error" ? 8000 : 4000);
  }, []);
  const api = useMemo<ToastApi>(
    () => ({
      error: (e) => push({ tone: "error", title: e.kind, text: e.message }),
      info: (title, text = "") => push({ tone: "info", title, text }),
    }),
    [push],
  );
  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast ${t.tone}`} role={t.tone === "error" ? "alert" : "status"}>
            <strong>{t.title}</strong>
            {t.text && <span>{t.text}</span>}
            <button type="button" aria-label="Dismiss" onClick={() => setToasts((all) => all.filter((x) => x.id !== t.id))}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToasts(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error("useToasts outside ToastProvider");
  return api;
}
