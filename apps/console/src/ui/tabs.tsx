/**
 * A row of toggle buttons, one pressed: each is a plain `<button>` named by its label (tests
 * find them as buttons), `aria-pressed` telling which one shows.
 */
export function Tabs<K extends string>(props: {
  label: string;
  tabs: readonly { key: K; label: string }[];
  selected: K;
  onSelect: (key: K) => void;
}) {
  return (
    <div className="tabs" role="group" aria-label={props.label}>
      {props.tabs.map((tab) => (
        <button
          key={tab.key}
          type="button"
          className="tab"
          aria-pressed={tab.key === props.selected}
          onClick={() => props.onSelect(tab.key)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
