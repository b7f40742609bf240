import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { DataGrid, type GridColumn } from "./DataGrid";

type Row = { id: number; name: string; size: number | null };

const columns: GridColumn<Row>[] = [
  { id: "id", header: "ID", type: "id", value: (r) => r.id, width: 80 },
  { id: "name", header: "Name", type: "text", value: (r) => r.name },
  { id: "size", header: "Size", type: "bytes", value: (r) => r.size },
];

const rows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `row ${i + 1}`, size: i === 1 ? null : 1536 * (i + 1) }));

const bodyRows = (grid: HTMLElement) => within(grid).getAllByRole("row").filter((r) => r.hasAttribute("aria-rowindex"));

describe("DataGrid", () => {
  it("shows typed cells: sizes in binary units, a dash for nothing", () => {
    render(<DataGrid label="Things" columns={columns} rows={rows(3)} />);
    const grid = screen.getByRole("grid", { name: "Things" });
    const first = bodyRows(grid)[0];
    expect(within(first).getAllByRole("gridcell").map((c) => c.textContent)).toEqual(["1", "row 1", "1.5 KiB"]);
    expect(within(bodyRows(grid)[1]).getAllByRole("gridcell")[2].textContent).toBe("—");
  });

  it("renders only the rows in view of a long list", () => {
    render(<DataGrid label="Many" columns={columns} rows={rows(10_000)} height={400} />);
    const grid = screen.getByRole("grid", { name: "Many" });
    expect(grid.getAttribute("aria-rowcount")).toBe("10000");
    const shown = bodyRows(grid).length;
    expect(shown).toBeGreaterThan(5);
    expect(shown).toBeLessThan(100);
  });

  it("says so when there is nothing", () => {
    render(<DataGrid label="None" columns={columns} rows={[]} empty="No keys match." />);
    expect(screen.getByText("No keys match.")).toBeTruthy();
  });

  it("sorts by a header, and opens a row with the keyboard", () => {
    const open = vi.fn();
    render(<DataGrid label="Sorted" columns={columns} rows={rows(3)} onOpen={open} />);
    const grid = screen.getByRole("grid", { name: "Sorted" });
    const ids = () => bodyRows(grid).map((r) => within(r).getAllByRole("gridcell")[0].textContent);
    // Numbers sort largest first, then smallest first.
    fireEvent.click(within(grid).getByRole("button", { name: /ID/ }));
    expect(ids()).toEqual(["3", "2", "1"]);
    fireEvent.click(within(grid).getByRole("button", { name: /ID/ }));
    expect(ids()).toEqual(["1", "2", "3"]);
    fireEvent.keyDown(grid, { key: "ArrowDown" });
    fireEvent.keyDown(grid, { key: "Enter" });
    expect(open).toHaveBeenCalledWith(expect.objectContaining({ id: 2 }));
  });

  it("does not sort a list the server orders", () => {
    render(<DataGrid label="Server order" columns={columns} rows={rows(3)} sortable={false} />);
    const grid = screen.getByRole("grid", { name: "Server order" });
    const header = within(grid).getByRole("button", { name: /ID/ }) as HTMLButtonElement;
    expect(header.disabled).toBe(true);
  });

  it("draws a cell's own content and marks rows for their actions", () => {
    const act = vi.fn();
    const withAction: GridColumn<Row>[] = [
      ...columns,
      { id: "act", header: "", type: "text", value: () => null, render: (r) => <button type="button" onClick={() => act(r.id)}>Kill {r.id}</button> },
    ];
    render(<DataGrid label="Actions" columns={withAction} rows={rows(2)} rowData={(r) => ({ "data-session": String(r.id) })} />);
    const grid = screen.getByRole("grid", { name: "Actions" });
    const second = grid.querySelector('[data-session="2"]') as HTMLElement;
    fireEvent.click(within(second).getByRole("button", { name: "Kill 2" }));
    expect(act).toHaveBeenCalledWith(2);
  });

  it("moves the header sideways with the rows", () => {
    render(<DataGrid label="Wide" columns={columns} rows={rows(3)} />);
    const grid = screen.getByRole("grid", { name: "Wide" });
    const body = grid.querySelector(".grid-body") as HTMLElement;
    const head = grid.querySelector(".grid-head") as HTMLElement;
    body.scrollLeft = 120;
    fireEvent.scroll(body);
    expect(head.scrollLeft).toBe(120);
  });
});
