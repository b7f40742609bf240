// A thread of any length: pages of messages load from the database as the reader scrolls,
// either way, and only the visible rows are rendered. Rows have a fixed height (the text is
// clamped to three lines; a click shows all of it), so pages prepended above keep the reader
// where they were.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { asUiError, conversationThread } from "../../api";
import type { Message } from "../../bindings/Message";
import type { ThreadAnchor } from "../../bindings/ThreadAnchor";
import type { UiError } from "../../bindings/UiError";
import { ErrorLine } from "../overview/OverviewScreen";
import { formatDuration, formatTime } from "../../format";

const ROW = 96;
const PAGE = 100;

/** Where to go: a message id (shown at the top, highlighted), or the end. */
export type Jump = { to: string | "end"; seq: number };

export function ThreadView({
  profile,
  conversation,
  fromReplica,
  jump,
  matches,
}: {
  profile: string;
  conversation: string;
  fromReplica: boolean;
  jump: Jump | null;
  matches: Set<string>;
}) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [more, setMore] = useState({ before: false, after: false });
  // Loading from the first render: "No messages" must not flash before the first page.
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<UiError | null>(null);
  const [focus, setFocus] = useState<string | null>(null);
  const [open, setOpen] = useState<Message | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const busy = useRef(false);
  // After a page is prepended, the scroll position moves down by its height.
  const shift = useRef(0);
  // After a replace, where to scroll: the first row or the last.
  const settle = useRef<"top" | "bottom" | null>(null);

  // TanStack Virtual returns functions React Compiler must not memoize; this view re-renders with it.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtual = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 8,
  });

  const load = useCallback(
    async (anchor: ThreadAnchor, mode: "replace" | "prepend" | "append") => {
      if (busy.current) return;
      busy.current = true;
      setLoading(true);
      try {
        const page = await conversationThread(profile, conversation, anchor, PAGE, fromReplica);
        setError(null);
        if (mode === "replace") {
          setMessages(page.messages);
          setMore({ before: page.moreBefore, after: page.moreAfter });
          settle.current = anchor.from === "end" ? "bottom" : "top";
        } else if (mode === "prepend") {
          shift.current = page.messages.length * ROW;
          setMessages((m) => [...page.messages, ...m]);
          setMore((m) => ({ ...m, before: page.moreBefore }));
        } else {
          setMessages((m) => [...m, ...page.messages]);
          setMore((m) => ({ ...m, after: page.moreAfter }));
        }
      } catch (e) {
        setError(asUiError(e));
      } finally {
        busy.current = false;
        setLoading(false);
      }
    },
    [profile, conversation, fromReplica],
  );

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (shift.current) {
      el.scrollTop += shift.current;
      shift.current = 0;
    }
    if (settle.current === "top") el.scrollTop = 0;
    if (settle.current === "bottom") el.scrollTop = el.scrollHeight;
    settle.current = null;
  }, [messages]);

  // The first page, and every jump: a message already loaded is scrolled to; any other
  // target loads the page that starts with it.
  const loaded = useRef(messages);
  loaded.current = messages;
  useEffect(() => {
    if (!jump) {
      void load({ from: "start" }, "replace");
      return;
    }
    if (jump.to === "end") {
      setFocus(null);
      void load({ from: "end" }, "replace");
      return;
    }
    const target = jump.to;
    setFocus(target);
    const index = loaded.current.findIndex((m) => m.id === target);
    if (index >= 0) virtual.scrollToIndex(index, { align: "start" });
    // Ids are 64-bit: the one before the target is computed without rounding.
    else void load({ from: "after", id: (BigInt(target) - BigInt(1)).toString() }, "replace");
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [jump, load]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el || busy.current || messages.length === 0) return;
    if (el.scrollTop < ROW * 5 && more.before) void load({ from: "before", id: messages[0].id }, "prepend");
    else if (el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 5 && more.after)
      void load({ from: "after", id: messages[messages.length - 1].id }, "append");
  };

  return (
    <div className="thread-wrap">
      {error && <ErrorLine error={error} />}
      <div className="thread" ref={scroller} onScroll={onScroll} data-testid="thread" aria-busy={loading}>
        {messages.length === 0 && !loading && <p className="muted">No messages.</p>}
        <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
          {virtual.getVirtualItems().map((v) => {
            const m = messages[v.index];
            const user = m.senderType === "user";
            const low = m.qualityScore !== null && m.qualityScore < 0.4;
            return (
              <div
                key={m.id}
                className={`msg ${user ? "from-user" : "from-dh"} ${focus === m.id ? "focused" : ""} ${
                  matches.has(m.id) ? "match" : ""
                }`}
                data-message={m.id}
                style={{ transform: `translateY(${v.start}px)`, height: ROW }}
                onClick={() => setOpen(m)}
              >
                <div className="msg-head">
                  <strong>{user ? "User" : "Digital human"}</strong>
                  <span className="muted">{formatTime(m.createdAt)}</span>
                  {m.messageType === "voice" && <span className="chip">voice {m.duration === null ? "(length unknown)" : formatDuration(m.duration * 1000)}</span>}
                  {m.messageType === "image" && <span className="chip">image</span>}
                  {m.userEmotion && <span className={`chip emotion-${m.userEmotion}`}>{m.userEmotion}</span>}
                  {m.dhEmotion && <span className="chip">{m.dhEmotion}</span>}
                  {m.intent && <span className="muted">intent {m.intent}</span>}
                  {m.qualityScore !== null && (
                    <span className={`chip ${low ? "low" : ""}`} title="quality score">
                      {m.qualityScore.toFixed(2)}
                    </span>
                  )}
                  <span className="muted msg-id">#{m.id}</span>
                </div>
                <div className="msg-body">{m.content}</div>
              </div>
            );
          })}
        </div>
      </div>
      <p className="muted thread-foot">
        {messages.length.toLocaleString("en-US")} loaded{more.before ? " · earlier above" : ""}
        {more.after ? " · more below" : " · end of thread"}
        {loading ? " · loading…" : ""}
      </p>
      {open && (
        <div className="card msg-open" data-testid="message-open">
          <div className="detail-head">
            <strong>
              #{open.id} · {open.senderType === "user" ? "User" : "Digital human"} · {formatTime(open.createdAt)}
            </strong>
            <button type="button" aria-label="Close message" onClick={() => setOpen(null)}>
              ×
            </button>
          </div>
          <p style={{ whiteSpace: "pre-wrap" }}>{open.content}</p>
          {open.audioUrl && (
            <p className="muted">
              audio <code>{open.audioUrl}</code>
            </p>
          )}
        </div>
      )}
    </div>
  );
}
