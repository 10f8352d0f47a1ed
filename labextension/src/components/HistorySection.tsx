/**
 * The History section of the selected product: its runs, newest first (protocol and
 * version, snapshot, who, when, parameters), a page at a time. Each run can be re-run or
 * saved as an artifact (both write a `%dataproduct history` cell into the notebook) or
 * opened as a form pre-filled with its parameters. Re-run and save show only when the
 * token's role allows them (an analyst or more: lab/roles.py).
 */
import { Button, refreshIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { HistoryModel } from '../history';
import { IHistoryEntry } from '../types';
import { RowAction, RowActions } from './RowAction';
import { useChanged } from './useSection';

export interface IHistoryActions {
  /** The History section's state (created by the plugin, shared with its commands). */
  readonly history: HistoryModel;
  rerun(entry: IHistoryEntry): Promise<void>;
  save(entry: IHistoryEntry): Promise<void>;
  openForm(entry: IHistoryEntry): Promise<void>;
}

const SHORT = 12;
/** The version a plugin run without a protocol records (core/engine.py PLUGIN_VERSION): no form. */
const PLUGIN_RUN = 'plugin';
const COMPACT_VALUE = 40;

/** A recorded value as short text: cohorts by their text, long lists by their length. */
export function valueText(value: unknown, compact: boolean): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (typeof v.artifact === 'string') {
      return `@${v.artifact}`;
    }
    if (typeof v.text === 'string') {
      return v.text || '(everyone)';
    }
  }
  if (Array.isArray(value)) {
    if (compact && value.length > 3) {
      return `[${value.length} items: ${value.slice(0, 2).map(String).join(', ')}, …]`;
    }
    return `[${value.map(v => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}]`;
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return compact && text.length > COMPACT_VALUE ? `${text.slice(0, COMPACT_VALUE - 1)}…` : text;
}

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function HistoryRow(props: { entry: IHistoryEntry; actions: IHistoryActions }): JSX.Element {
  const { entry, actions } = props;
  const history = actions.history;
  const [busy, setBusy] = React.useState(false);
  const names = Object.keys(entry.parameters);
  const compact = names.map(n => `${n}=${valueText(entry.parameters[n], true)}`).join(', ');
  const act = (action: (e: IHistoryEntry) => Promise<void>) => async (): Promise<void> => {
    setBusy(true);
    try {
      await action(entry);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="jp-DataProduct-historyEntry" data-history-id={entry.id} aria-label={`Run of ${entry.protocol} at ${when(entry.when)}`}>
      <div className="jp-DataProduct-title">
        {entry.protocol}
        {entry.version && <span className="jp-DataProduct-badge">v{entry.version}</span>}
        <span className="jp-DataProduct-badge jp-DataProduct-snapshotId" title={`snapshot ${entry.snapshot}`}>
          {entry.snapshot.slice(0, SHORT)}
        </span>
      </div>
      <div className="jp-DataProduct-meta">
        <span className="jp-DataProduct-historyWho">{entry.who}</span> ·{' '}
        <time dateTime={entry.when} title={entry.when}>
          {when(entry.when)}
        </time>{' '}
        · <span className="jp-DataProduct-historyId">{entry.id}</span>
      </div>
      {names.length > 0 && (
        <details className="jp-DataProduct-historyParams">
          <summary className="jp-DataProduct-params">{compact}</summary>
          <dl>
            {names.map(n => (
              <React.Fragment key={n}>
                <dt>
                  <code>{n}</code>
                </dt>
                <dd className="jp-DataProduct-params">{valueText(entry.parameters[n], false)}</dd>
              </React.Fragment>
            ))}
          </dl>
        </details>
      )}
      <RowActions>
        <RowAction
          allowed={history.can('rerun')}
          label="re-run"
          className="jp-DataProduct-rerun"
          disabled={busy}
          onClick={act(actions.rerun)}
          title={`Insert and run %dataproduct history --rerun ${entry.id}`}
        />
        <RowAction
          allowed={history.can('save_result')}
          label="save…"
          className="jp-DataProduct-historySave"
          disabled={busy}
          onClick={act(actions.save)}
          title="Save this run's result as an artifact (a %dataproduct history --save cell)"
        />
        <RowAction
          allowed={history.can('open_form') && entry.version !== PLUGIN_RUN}
          label="open form"
          className="jp-DataProduct-historyForm"
          disabled={busy}
          onClick={act(actions.openForm)}
          title="Open the protocol's form with these parameters"
        />
      </RowActions>
    </li>
  );
}

export function HistorySection(props: { actions: IHistoryActions }): JSX.Element {
  const history = useChanged(props.actions.history);
  if (history.product === null) {
    return <p className="jp-DataProduct-empty">Select a product to see its runs.</p>;
  }
  return (
    <div className="jp-DataProduct-section jp-DataProduct-history">
      {history.error && (
        <div className="jp-DataProduct-error" role="alert">
          {history.error}
        </div>
      )}
      {!history.error && !history.loading && history.entries.length === 0 && (
        <p className="jp-DataProduct-empty">
          No runs of {history.product} yet: run a protocol from the form (or %dataproduct run) and it is listed here.
        </p>
      )}
      {history.allowed.length > 0 && !history.can('rerun') && (
        <p className="jp-DataProduct-meta jp-DataProduct-historyRole" title="What the product's token may do">
          {history.role} token: re-running or saving a run needs an analyst token.
        </p>
      )}
      <ul className="jp-DataProduct-list" aria-label={`Runs of ${history.product}, newest first`}>
        {history.entries.map(entry => (
          <HistoryRow key={entry.id} entry={entry} actions={props.actions} />
        ))}
      </ul>
      <div className="jp-DataProduct-toolbar">
        <Button
          minimal
          small
          className="jp-DataProduct-iconButton jp-DataProduct-historyRefresh"
          aria-label="Read the history again"
          title="Read the history again (runs from other notebooks or users)"
          onClick={() => void history.reload()}
        >
          <refreshIcon.react tag="span" />
        </Button>
        {history.more && (
          <Button small className="jp-DataProduct-historyMore" disabled={history.loading} onClick={() => void history.loadMore()}>
            More
          </Button>
        )}
        {history.loading && <span className="jp-DataProduct-meta">loading…</span>}
      </div>
    </div>
  );
}
