// The one data grid every screen uses: virtualized rows, typed cells, column resize, sort,
// copy of a cell (Ctrl+C) or a row (Ctrl+Shift+C), and arrow-key navigation.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import {
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { formatBytes, formatDuration } from "../format";


/** How a cell writes its value; `seconds` is a duration given in seconds ("1 min 46 s"). */
export type CellType = "text" | "id" | "number" | "bytes" | "count" | "seconds";

export type GridColumn<Row> = {
  id: string;
  header: string;
  type: CellType;
  value: (row: Row) => string | number | null;
  width?: number;
  /** What the cell shows when it is more than its value (a button, a badge); copy and sort
   * still use the value. */
  render?: (row: Row) => ReactNode;
};

/** `data-*` attributes of a row, for the row's own actions and for tests to find it. */
export type RowData = Record<`data-${string}`, string>;

const ROW_HEIGHT = 32;
const SCROLLBAR_ROOM = 16;

function cellString(type: CellType, v: string | number | null): string {
  if (v === null) return "—";
  if (type === "bytes" && typeof v === "number") return formatBytes(v);
  if (type === "seconds" && typeof v === "number") return formatDuration(v * 1000);
  if ((type === "number" || type === "count") && typeof v === "number") return v.toLocaleString("en-US");
  return String(v);
}

export function DataGrid<Row>({
  columns,
  rows,
  label,
  height = 360,
  onCopy,
  onOpen,
  onEndReached,
  sortable = true,
  rowClass,
  rowData,
  wrap = false,
  empty = "Nothing to show.",
}: {
  columns: GridColumn<Row>[];
  rows: Row[];
  label: string;
  height?: number;
  onCopy?: (what: string) => void;
  /** A row was clicked or Enter was pressed on it. */
  onOpen?: (row: Row) => void;
  /** The reader scrolled near the last row: load the next page. */
  onEndReached?: () => void;
  /** Server-ordered lists turn client sorting off: a sort of one page would mislead. */
  sortable?: boolean;
  rowClass?: (row: Row) => string;
  rowData?: (row: Row) => RowData;
  /** Cells wrap and each row is as tall as its content (findings with a reason and a fix);
   * rows are measured as they are drawn, so the list stays virtualized. */
  wrap?: boolean;
  empty?: string;
}) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [focus, setFocus] = useState<{ row: number; col: number }>({ row: 0, col: 0 });
  const defs = useMemo<ColumnDef<Row>[]>(
    () =>
      columns.map((c) => ({
        id: c.id,
        header: c.header,
        accessorFn: (row: Row) => c.value(row),
        size: c.width ?? 160,
        meta: { type: c.type },
        sortUndefined: "last",
      })),
    [columns],
  );
  // TanStack Table returns functions React Compiler must not memoize; this grid re-renders with it.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({
    data: rows,
    columns: defs,
    state: { sorting },
    onSortingChange: setSorting,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    columnResizeMode: "onChange",
    enableColumnResizing: true,
  });
  const sorted = table.getRowModel().rows;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => (wrap ? ROW_HEIGHT * 2 : ROW_HEIGHT),
    overscan: 12,
    // Rows carry their own data-* attributes (a finding's data-index is an index name).
    indexAttribute: "data-virtual-index",
  });
  const leafs = table.getVisibleLeafColumns();
  const items = virtual.getVirtualItems();
  const lastShown = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (onEndReached && sorted.length > 0 && lastShown >= sorted.length - 10) onEndReached();
  }, [lastShown, sorted.length, onEndReached]);
  const template = leafs.map((c) => `${c.getSize()}px`).join(" ");
  const totalWidth = leafs.reduce((sum, c) => sum + c.getSize(), 0);
  // The header scrolls sideways with the rows (columns wider than the grid).
  const head = useRef<HTMLDivElement>(null);

  const cellText = (r: number, c: number) => {
    const row = sorted[r];
    const col = columns.find((x) => x.id === leafs[c]?.id);
    if (!row || !col) return "";
    return cellString(col.type, col.value(row.original));
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const last = sorted.length - 1;
    const move = (row: number, col: number) => {
      const next = { row: Math.max(0, Math.min(last, row)), col: Math.max(0, Math.min(leafs.length - 1, col)) };
      setFocus(next);
      virtual.scrollToIndex(next.row);
      e.preventDefault();
    };
    if (e.key === "ArrowDown") move(focus.row + 1, focus.col);
    else if (e.key === "ArrowUp") move(focus.row - 1, focus.col);
    else if (e.key === "ArrowRight") move(focus.row, focus.col + 1);
    else if (e.key === "ArrowLeft") move(focus.row, focus.col - 1);
    else if (e.key === "PageDown") move(focus.row + 10, focus.col);
    else if (e.key === "PageUp") move(focus.row - 10, focus.col);
    else if (e.key === "Home") move(0, focus.col);
    else if (e.key === "End") move(last, focus.col);
    else if (e.key === "Enter" && onOpen && sorted[focus.row]) {
      onOpen(sorted[focus.row].original);
      e.preventDefault();
    }
    else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "c") {
      const text = e.shiftKey
        ? leafs.map((_, c) => cellText(focus.row, c)).join("\t")
        : cellText(focus.row, focus.col);
      void navigator.clipboard?.writeText(text);
      onCopy?.(e.shiftKey ? "row" : "cell");
      e.preventDefault();
    }
  };

  return (
    <div className="grid" role="grid" aria-label={label} aria-rowcount={sorted.length} tabIndex={0} onKeyDown={onKey}>
      <div className="grid-head" role="row" ref={head} style={{ gridTemplateColumns: template }}>
        {table.getFlatHeaders().map((h) => {
          const sort = h.column.getIsSorted();
          const type = columns.find((c) => c.id === h.column.id)?.type ?? "text";
          return (
            <div
              key={h.id}
              role="columnheader"
              className={`grid-th ${type !== "text" ? "num" : ""}`}
              aria-sort={sort === "asc" ? "ascending" : sort === "desc" ? "descending" : "none"}
            >
              <button
                type="button"
                className="th-sort"
                onClick={sortable ? h.column.getToggleSortingHandler() : undefined}
                disabled={!sortable}
              >
                {flexRender(h.column.columnDef.header, h.getContext())}
                <span className="sort-mark">{sort === "asc" ? "▲" : sort === "desc" ? "▼" : ""}</span>
              </button>
              <span
                className="resizer"
                onMouseDown={h.getResizeHandler()}
                onDoubleClick={() => h.column.resetSize()}
                aria-hidden
              />
            </div>
          );
        })}
      </div>
      {sorted.length === 0 ? (
        <div className="grid-empty">{empty}</div>
      ) : (
        <div
          className="grid-body"
          ref={scroller}
          style={{ maxHeight: height }}
          onScroll={(e) => {
            if (head.current) head.current.scrollLeft = e.currentTarget.scrollLeft;
          }}
        >
          {/* Room below the last row for a horizontal scrollbar, which overlays it otherwise. */}
          <div style={{ height: virtual.getTotalSize() + SCROLLBAR_ROOM, minWidth: totalWidth, position: "relative" }}>
            {items.map((v) => {
              const row = sorted[v.index];
              return (
                <div
                  key={row.id}
                  {...rowData?.(row.original)}
                  role="row"
                  aria-rowindex={v.index + 1}
                  data-virtual-index={v.index}
                  ref={wrap ? virtual.measureElement : undefined}
                  className={`grid-row ${wrap ? "wrapped" : ""} ${v.index === focus.row ? "focused-row" : ""} ${rowClass?.(row.original) ?? ""} ${
                    onOpen ? "openable" : ""
                  }`}
                  style={{ transform: `translateY(${v.start}px)`, gridTemplateColumns: template, height: wrap ? undefined : ROW_HEIGHT }}
                >
                  {row.getVisibleCells().map((cell, c) => {
                    const col = columns.find((x) => x.id === cell.column.id);
                    const type = col?.type ?? "text";
                    return (
                      <div
                        key={cell.id}
                        role="gridcell"
                        data-column={cell.column.id}
                        data-value={col ? String(col.value(row.original) ?? "") : ""}
                        className={`grid-td ${type !== "text" ? "num" : ""} ${
                          v.index === focus.row && c === focus.col ? "focused" : ""
                        }`}
                        onClick={() => {
                          setFocus({ row: v.index, col: c });
                          onOpen?.(row.original);
                        }}
                      >
                        {col?.render ? col.render(row.original) : col ? cellString(type, col.value(row.original)) : ""}
                      </div>
                    );
                  })}
                </div>
              );
            })}
          </div>
        </div>
      )}
    </div>
  );
}
