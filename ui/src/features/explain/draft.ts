// The Explain screen's statement, kept across visits; other screens hand it a statement here.
export const SQL_KEY = "mindpal.explain.sql";

/** Puts `sql` into the Explain editor for the next time the screen opens. */
export function sendToExplain(sql: string) {
  localStorage.setItem(SQL_KEY, sql);
}
