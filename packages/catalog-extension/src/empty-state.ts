/** The empty state of the Catalog panel: the three ways to add telemetry. */
import { button, h } from './format';

/** The Catalog panel's content when the catalog has no dataset: how to add data (null: the user may not). */
export function emptyState(
  actions: { chooseFiles: () => void; pull: () => void } | null
): HTMLElement {
  const empty = h('div', 'jp-opsbook-CatalogEmpty');
  empty.append(h('p', 'jp-opsbook-EmptyTitle', 'No telemetry in the catalog yet.'));
  if (actions === null) {
    // A viewer: none of the ways below would work for them.
    empty.append(h('p', '', 'An editor of this workspace can add some; press ⟳ to see it then.'));
    return empty;
  }
  empty.append(h('p', '', 'Add some in any of these ways:'));
  const list = h('ul', '');
  const drop = h('li', '');
  drop.append(
    h('strong', '', 'Drop files here'),
    ' or ',
    button('jp-opsbook-Link', 'choose files', actions.chooseFiles),
    ': OTLP JSON or protobuf, JSON-lines or text logs, CSV, Parquet, Arrow, Prometheus scrapes.'
  );
  const pull = h('li', '');
  pull.append(
    button('jp-opsbook-Link', 'Pull from Prometheus', actions.pull),
    ': a PromQL range query from a source the server knows.'
  );
  const cli = h('li', '');
  cli.append('From a terminal: ', h('code', '', 'opsbook ingest FILE --dataset NAME'), ', then ⟳.');
  list.append(drop, pull, cli);
  empty.append(list);
  return empty;
}
