// The Explain screen's statement and history, kept in this window's memory while it runs:
// statements can hold phone numbers and emails, so they are never written to disk
// (localStorage lives in a file). Other screens hand the editor a statement here.

export type HistoryItem = { sql: string; at: string; analyze: boolean };

export const draft: { sql: string; history: HistoryItem[] } = { sql: "", history: [] };

/** Puts `sql` into the Explain editor for the next time the screen opens. */
export function sendToExplain(sql: string) {
  draft.sql = sql;
}

/** Removes what earlier versions kept on disk. */
export function forgetStoredStatements() {
  localStorage.removeItem("mindpal.explain.sql");
  localStorage.removeItem("mindpal.explain.history");
}
