import { useEffect, useState, type KeyboardEvent } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import type { Page } from "./bindings/Page";

/** Waits `ms` after the last change before passing a value on (typing in a search box). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** From a search box, ArrowDown moves into the results grid labelled `label` (then Enter opens). */
export const focusGridOnArrowDown = (label: string) => (e: KeyboardEvent<HTMLElement>) => {
  if (e.key !== "ArrowDown") return;
  const grid = document.querySelector<HTMLElement>(`[role=grid][aria-label="${label}"]`);
  if (grid) {
    e.preventDefault();
    grid.focus();
  }
};

/** A list paged by keyset cursors: each page asks for the rows after the last one shown. */
export function useKeysetList<Row>(queryKey: unknown[], fetchPage: (after: string | null) => Promise<Page<Row>>) {
  const list = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next ?? undefined,
    retry: false,
  });
  const rows = list.data?.pages.flatMap((p) => p.rows) ?? [];
  const first = list.data?.pages[0];
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  /** Loads the next page unless one is loading or there is none. */
  const more = () => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  };
  return { list, rows, first, more };
}
