import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { ConversationDetail } from "../../bindings/ConversationDetail";
import type { ProfileView } from "../../bindings/ProfileView";
import { ToastProvider, ToastTray } from "../../components/Toasts";
import { ReviewForm } from "./ReviewForm";

afterEach(() => clearMocks());

// Only what the form reads of a conversation and a profile.
const detail = { conversation: { id: "7" }, reviews: [] } as unknown as ConversationDetail;
const reviewer = { name: "helpdesk", permissions: ["review"] } as unknown as ProfileView;

function mount(profile: ProfileView, onSaved = vi.fn()) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <ToastProvider>
        <ReviewForm profile={profile} d={detail} onSaved={onSaved} />
        <ToastTray />
      </ToastProvider>
    </QueryClientProvider>,
  );
  return onSaved;
}

describe("ReviewForm", () => {
  it("is not offered to a profile that may not review", () => {
    mount({ ...reviewer, permissions: [] });
    expect(screen.queryByRole("form", { name: "Review" })).toBeNull();
    expect(screen.getByText(/reviews cannot be saved/)).toBeTruthy();
  });

  it("asks for a verdict before anything is sent", () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
    });
    const saved = mount(reviewer);
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByRole("alert").textContent).toContain("Choose a verdict first");
    expect(calls).toEqual([]);
    expect(saved).not.toHaveBeenCalled();
  });

  it("takes the verdict from its key and saves and moves on with Ctrl+Enter", async () => {
    let sent: { name: string; id: string; input: { verdict: string; tags: string[]; note: string | null } } | undefined;
    mockIPC((cmd, args) => {
      if (cmd === "review_conversation") {
        sent = args as typeof sent;
        return { id: "1", verdict: sent?.input.verdict, reviewer: "root@helpdesk", tags: null, note: null, reviewedAt: "2026-12-07T10:00:00" };
      }
    });
    const saved = mount(reviewer);
    const form = screen.getByRole("form", { name: "Review" });
    fireEvent.keyDown(form, { key: "3" });
    expect((screen.getByRole("radio", { name: /Escalated/ }) as HTMLInputElement).checked).toBe(true);
    fireEvent.change(screen.getByRole("textbox", { name: "Tags" }), { target: { value: " refund, , angry " } });
    fireEvent.keyDown(form, { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(saved).toHaveBeenCalledWith(true));
    expect(sent).toEqual({ name: "helpdesk", id: "7", input: { verdict: "escalated", tags: ["refund", "angry"], note: null } });
    expect(screen.getByRole("status").textContent).toContain("Reviewed: escalated");
  });

  it("does not take a verdict key typed into the note", () => {
    mount(reviewer);
    const note = screen.getByRole("textbox", { name: "Note" });
    fireEvent.keyDown(note, { key: "1" });
    expect((screen.getByRole("radio", { name: /OK/ }) as HTMLInputElement).checked).toBe(false);
  });
});
