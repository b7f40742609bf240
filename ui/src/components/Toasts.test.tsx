import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { ToastProvider, ToastTray, useToasts } from "./Toasts";

function Screen() {
  const toasts = useToasts();
  return (
    <main>
      <button type="button" onClick={() => toasts.error({ kind: "timeout", message: "db did not answer", fields: [] })}>
        Restore and verify
      </button>
      <button type="button" onClick={() => toasts.info("Saved", "backup 2026-12-07")}>
        Save
      </button>
    </main>
  );
}

describe("Toasts", () => {
  it("show in their own tray after the content, never inside it", () => {
    render(
      <ToastProvider>
        <Screen />
        <ToastTray />
      </ToastProvider>,
    );
    fireEvent.click(screen.getByRole("button", { name: "Restore and verify" }));
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("db did not answer");
    const main = screen.getByRole("main");
    expect(main.contains(alert)).toBe(false);
    expect(main.compareDocumentPosition(alert) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("keep the newest three, each dismissable", () => {
    render(
      <ToastProvider>
        <Screen />
        <ToastTray />
      </ToastProvider>,
    );
    for (let i = 0; i < 5; i++) fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getAllByRole("status")).toHaveLength(3);
    fireEvent.click(screen.getAllByRole("button", { name: "Dismiss" })[0]);
    expect(screen.getAllByRole("status")).toHaveLength(2);
  });
});
