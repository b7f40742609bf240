import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { ProfileForm } from "./ProfileForm";

afterEach(() => clearMocks());

function input(name: string): HTMLInputElement {
  const found = document.querySelector<HTMLInputElement>(`[name="${name}"]`);
  if (!found) throw new Error(`no input named ${name}`);
  return found;
}
const type = (name: string, value: string) => fireEvent.change(input(name), { target: { value } });
const fieldError = (key: string) => document.querySelector(`[data-field="${key}"] .field-error`)?.textContent;

describe("ProfileForm", () => {
  it("names what is wrong before anything is sent", () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    render(<ProfileForm initial={null} onDone={vi.fn()} onCancel={vi.fn()} />);
    type("name", "  ");
    type("port", "70000");
    fireEvent.submit(screen.getByRole("form", { name: "Connection profile" }));
    expect(fieldError("name")).toBe("Give the profile a name.");
    expect(fieldError("mysql.port")).toBe("The port must be between 1 and 65535.");
    expect(calls).toEqual([]);
  });

  it("shows the core's own refusal under its field", async () => {
    mockIPC((cmd) => {
      if (cmd === "save_profile") {
        throw { kind: "invalidInput", message: "the profile cannot be saved", fields: [{ field: "name", message: "A profile with this name exists." }] };
      }
    });
    const done = vi.fn();
    render(<ProfileForm initial={null} onDone={done} onCancel={vi.fn()} />);
    type("name", "prod");
    fireEvent.submit(screen.getByRole("form", { name: "Connection profile" }));
    await waitFor(() => expect(fieldError("name")).toBe("A profile with this name exists."));
    expect(done).not.toHaveBeenCalled();
  });

  it("sends the password beside the profile, never in it", async () => {
    let sent: { profile: Record<string, unknown>; passwords: { mysql: string | null }; sessionOnly: boolean } | undefined;
    mockIPC((cmd, args) => {
      if (cmd === "save_profile") {
        const { input } = args as { input: NonNullable<typeof sent> };
        sent = input;
        return { ...input.profile, permissions: [] };
      }
    });
    const done = vi.fn();
    render(<ProfileForm initial={null} onDone={done} onCancel={vi.fn()} />);
    type("name", "staging");
    type("host", "db.staging");
    type("password", "s3cret!");
    fireEvent.submit(screen.getByRole("form", { name: "Connection profile" }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(sent?.passwords.mysql).toBe("s3cret!");
    expect(sent?.sessionOnly).toBe(false);
    expect(JSON.stringify(sent?.profile)).not.toContain("s3cret!");
    expect((sent?.profile.mysql as { host: string }).host).toBe("db.staging");
  });
});
