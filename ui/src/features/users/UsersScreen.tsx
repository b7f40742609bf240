// Users: search among millions (keyset pages on the indexes, never OFFSET), filters, and the
// detail of one user beside the list.
import { useState } from "react";

import { asUiError, findUsers } from "../../api";
import type { Deleted } from "../../bindings/Deleted";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { UserField } from "../../bindings/UserField";
import type { UserRow } from "../../bindings/UserRow";
import type { UserSearch } from "../../bindings/UserSearch";
import type { UserSort } from "../../bindings/UserSort";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import { ListStatus } from "../../components/ListStatus";
import { DELETED_OPTIONS, FilterSelect, STATUS_OPTIONS } from "../../components/FilterSelect";
import { focusGridOnArrowDown, useDebounced, useKeysetList } from "../../hooks";
import { ErrorLine } from "../overview/OverviewScreen";
import { UserDetailPanel } from "./UserDetailPanel";
import { formatTime } from "../../format";

const STATUS: Record<number, string> = { 1: "enabled", 2: "disabled" };
const GENDER: Record<number, string> = { 0: "unknown", 1: "male", 2: "female" };

const COLUMNS: GridColumn<UserRow>[] = [
  { id: "id", header: "ID", type: "id", value: (u) => u.id, width: 90 },
  { id: "phone", header: "Phone", type: "text", value: (u) => u.phone, width: 130 },
  { id: "email", header: "Email", type: "text", value: (u) => u.email, width: 200 },
  { id: "nickname", header: "Nickname", type: "text", value: (u) => u.nickname, width: 140 },
  { id: "status", header: "Status", type: "text", value: (u) => (u.deletedAt ? "deleted" : STATUS[u.status ?? 0] ?? "?"), width: 90 },
  { id: "role", header: "Role", type: "text", value: (u) => u.role, width: 70 },
  { id: "created", header: "Created", type: "text", value: (u) => formatTime(u.createdAt), width: 140 },
  { id: "lastLogin", header: "Last login", type: "text", value: (u) => formatTime(u.lastLoginAt), width: 140 },
];


const orNull = (s: string) => (s === "" ? null : s);

export function UsersScreen({
  profile,
  openId,
  onOpen,
  onOpenDigitalHuman,
}: {
  profile: Profile;
  openId: string | null;
  onOpen: (id: string | null) => void;
  onOpenDigitalHuman: (id: string) => void;
}) {
  const [text, setText] = useState("");
  const [field, setField] = useState<UserField>("auto");
  const [status, setStatus] = useState("");
  const [role, setRole] = useState("");
  const [gender, setGender] = useState("");
  const [deleted, setDeleted] = useState<Deleted>("hide");
  const [createdFrom, setCreatedFrom] = useState("");
  const [createdTo, setCreatedTo] = useState("");
  const [loginFrom, setLoginFrom] = useState("");
  const [loginTo, setLoginTo] = useState("");
  const [sort, setSort] = useState<UserSort>("id");
  const [descending, setDescending] = useState(true);
  const [fromReplica, setFromReplica] = useState(false);
  const [showFilters, setShowFilters] = useState(false);
  const query = useDebounced(text.trim(), 300);
  const activeFilters = [status, role, gender, createdFrom, createdTo, loginFrom, loginTo].filter((v) => v !== "").length +
    (deleted !== "hide" ? 1 : 0);
  const hasReplica = profile.replicas.length > 0;
  const replica = hasReplica && fromReplica;

  const search: UserSearch = {
    query: orNull(query),
    field,
    status: status === "" ? null : Number(status),
    role: orNull(role),
    gender: gender === "" ? null : Number(gender),
    createdFrom: orNull(createdFrom),
    createdTo: orNull(createdTo),
    lastLoginFrom: orNull(loginFrom),
    lastLoginTo: orNull(loginTo),
    deleted,
    sort,
    descending,
    limit: 100,
  };
  const { list, rows, first, more } = useKeysetList(["users", profile.name, search, replica], (after) =>
    findUsers(profile.name, search, after, replica),
  );
  const searching = query !== "";

  return (
    <div className={`directory ${openId !== null ? "with-detail" : ""}`}>
      <section aria-label="Users list">
        <div className="searchbar">
          <select aria-label="Search in" value={field} onChange={(e) => setField(e.target.value as UserField)}>
            <option value="auto">Any field</option>
            <option value="id">ID</option>
            <option value="phone">Phone starts with</option>
            <option value="email">Email starts with</option>
            <option value="nickname">Nickname starts with</option>
          </select>
          <input
            type="search"
            name="user-search"
            aria-label="Search users"
            placeholder="#42, 138…, ann@…, or a nickname"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={focusGridOnArrowDown("Users")}
            autoFocus
          />
          <button
            type="button"
            aria-expanded={showFilters}
            data-action="toggle-filters"
            onClick={() => setShowFilters((v) => !v)}
          >
            Filters{activeFilters > 0 ? ` (${activeFilters})` : ""} {showFilters ? "▴" : "▾"}
          </button>
          {hasReplica && (
            <label className="check-inline">
              <input type="checkbox" checked={fromReplica} onChange={(e) => setFromReplica(e.target.checked)} /> Read from replica
            </label>
          )}
        </div>
        <div className="filters" hidden={!showFilters}>
          <FilterSelect label="Status" value={status} onChange={setStatus} options={STATUS_OPTIONS} />
          <FilterSelect label="Role" value={role} onChange={setRole} options={[["", "any"], ["user", "user"], ["admin", "admin"]]} />
          <FilterSelect
            label="Gender"
            value={gender}
            onChange={setGender}
            options={[["", "any"], ...Object.entries(GENDER)]}
          />
          <FilterSelect label="Deleted" value={deleted} onChange={setDeleted} options={DELETED_OPTIONS} />
          <label>
            Created
            <input type="date" aria-label="Created from" value={createdFrom} onChange={(e) => setCreatedFrom(e.target.value)} />–
            <input type="date" aria-label="Created to" value={createdTo} onChange={(e) => setCreatedTo(e.target.value)} />
          </label>
          <label>
            Last login
            <input type="date" aria-label="Last login from" value={loginFrom} onChange={(e) => setLoginFrom(e.target.value)} />–
            <input type="date" aria-label="Last login to" value={loginTo} onChange={(e) => setLoginTo(e.target.value)} />
          </label>
          <label title={searching ? "A search is ordered by the column it matches, so each page is a range of its index" : undefined}>
            Order
            <select aria-label="Order" value={sort} disabled={searching} onChange={(e) => setSort(e.target.value as UserSort)}>
              <option value="id">id</option>
              <option value="createdAt">created</option>
              <option value="lastLoginAt">last login</option>
            </select>
            <select
              aria-label="Direction"
              value={descending ? "desc" : "asc"}
              disabled={searching}
              onChange={(e) => setDescending(e.target.value === "desc")}
            >
              <option value="desc">newest first</option>
              <option value="asc">oldest first</option>
            </select>
          </label>
        </div>
        {list.isError && <ErrorLine error={asUiError(list.error)} />}
        {first && <ListStatus page={first} one="user" many="users" replica={replica} />}
        {list.isPending ? (
          <p className="muted">Searching…</p>
        ) : (
          <DataGrid
            columns={COLUMNS}
            rows={rows}
            label="Users"
            height={openId !== null ? 520 : 600}
            sortable={false}
            onOpen={(u) => onOpen(u.id)}
            onEndReached={more}
            rowClass={(u) => (u.deletedAt ? "dim struck" : u.status === 2 ? "dim" : "")}
            empty={searching ? "No users match this search." : "No users match these filters."}
          />
        )}
        {list.isFetchingNextPage && <p className="muted">Loading more…</p>}
      </section>
      {openId !== null && (
        <UserDetailPanel
          key={openId}
          profile={profile}
          id={openId}
          fromReplica={replica}
          onClose={() => onOpen(null)}
          onOpenDigitalHuman={onOpenDigitalHuman}
          onChanged={() => void list.refetch()}
        />
      )}
    </div>
  );
}
