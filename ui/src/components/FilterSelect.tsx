// One labelled choice of a list's filters: `options` are [value, words] pairs.
export function FilterSelect<V extends string>({
  label,
  value,
  onChange,
  options,
}: {
  label: string;
  value: V;
  onChange: (v: V) => void;
  options: [V, string][];
}) {
  return (
    <label>
      {label}
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as V)}>
        {options.map(([v, words]) => (
          <option key={v} value={v}>
            {words}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The choices of the soft-deleted filter, shared by every list. */
export const DELETED_OPTIONS: ["hide" | "only" | "include", string][] = [
  ["hide", "hidden"],
  ["only", "only deleted"],
  ["include", "shown"],
];

export const STATUS_OPTIONS: [string, string][] = [
  ["", "any"],
  ["1", "enabled"],
  ["2", "disabled"],
];
