import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { ConfirmDialog } from "./ConfirmDialog";

const dialog = (props: Partial<Parameters<typeof ConfirmDialog>[0]> = {}) => {
  const onConfirm = vi.fn();
  const onCancel = vi.fn();
  render(
    <ConfirmDialog title="Disable user 42?" confirmLabel="Disable" danger onConfirm={onConfirm} onCancel={onCancel} {...props}>
      <p>They can no longer log in.</p>
    </ConfirmDialog>,
  );
  return { onConfirm, onCancel };
};

describe("ConfirmDialog", () => {
  it("starts on Cancel, so a stray Enter changes nothing", () => {
    dialog();
    expect(document.activeElement?.textContent).toBe("Cancel");
    expect(screen.getByRole("alertdialog", { name: "Disable user 42?" })).toBeTruthy();
  });

  it("backs out with Escape, Cancel or a click beside it", () => {
    const { onCancel, onConfirm } = dialog();
    fireEvent.keyDown(window, { key: "Escape" });
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    fireEvent.click(screen.getByRole("presentation"));
    expect(onCancel).toHaveBeenCalledTimes(3);
    expect(onConfirm).not.toHaveBeenCalled();
  });

  it("goes ahead only on its confirm button", () => {
    const { onConfirm, onCancel } = dialog();
    fireEvent.click(screen.getByRole("alertdialog"));
    expect(onCancel).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Disable" }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it("takes no second click while the change runs", () => {
    dialog({ busy: true });
    const working = screen.getByRole("button", { name: "Working…" }) as HTMLButtonElement;
    expect(working.disabled).toBe(true);
    expect((screen.getByRole("button", { name: "Cancel" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
