// The line under a list's filters: how many rows match, their order, who answered, whether
// personal data is masked, and how the search ran.
import { formatTotal } from "../api";
import type { Page } from "../bindings/Page";

export function ListStatus<Row>({
  page,
  one,
  many,
  replica = false,
  brief = false,
}: {
  /** The list's first page (it carries the total). */
  page: Page<Row>;
  one: string;
  many: string;
  replica?: boolean;
  /** Only the total and the note (a list inside a detail panel). */
  brief?: boolean;
}) {
  return (
    <p className="list-status" data-testid={`${many.replace(/ /g, "-")}-status`}>
      <strong title={page.total ? undefined : "These filters are checked row by row: counting every match would cost far more than the page"}>
        {page.total ? formatTotal(page.total, one, many) : "not counted"}
      </strong>
      {!brief && <span>ordered by {page.order}</span>}
      {!brief && (
        <span data-testid="answered-by">
          answered by {page.answeredBy}
          {replica ? " (replica)" : ""}
        </span>
      )}
      {page.masked && <span className="badge warn">PII masked</span>}
      {page.note && <span>{page.note}</span>}
    </p>
  );
}
