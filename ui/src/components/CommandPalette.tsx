import { useState, type KeyboardEvent } from "react";

export type Command = { id: string; label: string; hint?: string; run: () => void };

/** Ctrl+K: type to filter, arrows to move, Enter to run, Escape to close. */
export function CommandPalette({ commands, onClose }: { commands: Command[]; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [index, setIndex] = useState(0);
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = commands.filter((c) => words.every((w) => c.label.toLowerCase().includes(w)));
  const at = Math.min(index, Math.max(shown.length - 1, 0));

  const run = (c: Command | undefined) => {
    if (!c) return;
    onClose();
    c.run();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") onClose();
    else if (e.key === "ArrowDown") setIndex((i) => Math.min(i + 1, shown.length - 1));
    else if (e.key === "ArrowUp") setIndex((i) => Math.max(i - 1, 0));
    else if (e.key === "Enter") run(shown[at]);
    else return;
    e.preventDefault();
  };

  return (
    <div className="palette-backdrop" onClick={onClose}>
      <div className="palette" role="dialog" aria-label="Commands" onClick={(e) => e.stopPropagation()}>
        <input
          autoFocus
          placeholder="Type a command…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setIndex(0);
          }}
          onKeyDown={onKey}
        />
        <ul role="listbox">
          {shown.length === 0 && <li className="muted">No command matches.</li>}
          {shown.map((c, i) => (
            <li key={c.id} role="option" aria-selected={i === at} className={i === at ? "selected" : ""} onClick={() => run(c)}>
              {c.label}
              {c.hint && <kbd>{c.hint}</kbd>}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
