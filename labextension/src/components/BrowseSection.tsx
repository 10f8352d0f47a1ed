/**
 * The Browse section of the selected product: its protocols (title, version,
 * description, parameters, tests) and its data dictionary (entities, collections,
 * columns), under one filter box.
 */
import React from 'react';

import { matchesFilter, PanelModel } from '../model';
import { IColumnInfo, IEntityInfo, IProtocolSummary } from '../types';
import { activateOnKey, moveFocus, useModel } from './useModel';

export interface IBrowseActions {
  open(protocol: string): void;
  insert(protocol: string): void;
  startDrag(protocol: string, event: React.MouseEvent): void;
}

function ProtocolRow(props: { protocol: IProtocolSummary; active: boolean; actions: IBrowseActions }) {
  const { protocol, active, actions } = props;
  const parameters = protocol.parameters.map(p => `${p.name}${p.required ? '*' : ''}: ${p.type}`).join(', ');
  const tests = `${protocol.tests} test${protocol.tests === 1 ? '' : 's'}`;
  return (
    <li
      className={`jp-DataProduct-protocol jp-DataProduct-row${active ? ' jp-mod-selected' : ''}`}
      role="option"
      aria-selected={active}
      tabIndex={0}
      data-protocol={protocol.name}
      aria-label={`${protocol.title || protocol.name}, protocol ${protocol.name} version ${protocol.version}, ${tests}. Enter opens its form; Ctrl+Enter inserts it into the notebook.`}
      title="Click to open its form; drag into a notebook to insert a cell"
      onClick={() => actions.open(protocol.name)}
      onMouseDown={event => actions.startDrag(protocol.name, event)}
      onKeyDown={event => {
        moveFocus(event, '.jp-DataProduct-protocol');
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          actions.insert(protocol.name);
          return;
        }
        activateOnKey(() => actions.open(protocol.name))(event);
      }}
    >
      <div className="jp-DataProduct-rowText">
        <div className="jp-DataProduct-title">
          {protocol.title || protocol.name} <span className="jp-DataProduct-badge">v{protocol.version}</span>
          <span className="jp-DataProduct-badge" title="tests in the protocol">
            {tests}
          </span>
        </div>
        <div className="jp-DataProduct-meta">{protocol.name}</div>
        {protocol.description && <div className="jp-DataProduct-description">{protocol.description}</div>}
        {parameters && <div className="jp-DataProduct-params">{parameters}</div>}
      </div>
    </li>
  );
}

function columnMatches(column: IColumnInfo, needle: string): boolean {
  return [column.name, column.title, column.collection, column.description, column.type]
    .join(' ')
    .toLowerCase()
    .includes(needle);
}

function labelsText(labels: Record<string, string> | undefined): string {
  return labels ? Object.entries(labels).map(([code, label]) => `${code}=${label}`).join(', ') : '';
}

function EntityDictionary(props: { entity: IEntityInfo; filter: string }) {
  const needle = props.filter.trim().toLowerCase();
  const columns = props.entity.columns.filter(c => !needle || columnMatches(c, needle));
  if (needle && columns.length === 0) {
    return null;
  }
  const groups = new Map<string, IColumnInfo[]>();
  for (const column of columns) {
    const key = column.collection || 'Other';
    groups.set(key, [...(groups.get(key) ?? []), column]);
  }
  return (
    <details className="jp-DataProduct-entity" open={!!needle}>
      <summary>
        <span className="jp-DataProduct-title">{props.entity.title || props.entity.name}</span>{' '}
        <span className="jp-DataProduct-meta">
          {props.entity.name} · key {props.entity.key}
          {props.entity.rows !== undefined ? ` · ${props.entity.rows} rows` : ''} · {columns.length} columns
        </span>
      </summary>
      {[...groups.entries()].map(([collection, cols]) => (
        <div key={collection} className="jp-DataProduct-collection">
          <div className="jp-DataProduct-collectionName">{collection}</div>
          <dl>
            {cols.map(c => (
              <React.Fragment key={c.name}>
                <dt>
                  <code>{c.name}</code> <span className="jp-DataProduct-badge">{c.type}</span>
                  {c.unit && <span className="jp-DataProduct-meta"> ({c.unit})</span>}
                </dt>
                <dd>
                  {c.title && c.title !== c.name ? c.title : ''}
                  {c.description ? ` ${c.description}` : ''}
                  {c.labels && <div className="jp-DataProduct-meta">labels: {labelsText(c.labels)}</div>}
                </dd>
              </React.Fragment>
            ))}
          </dl>
        </div>
      ))}
    </details>
  );
}

export function BrowseSection(props: { model: PanelModel; actions: IBrowseActions }): JSX.Element {
  const model = useModel(props.model);
  const entry = model.entry(model.selected);
  if (!entry) {
    return <p className="jp-DataProduct-empty">Select a product to see its protocols and data dictionary.</p>;
  }
  const protocols = model.protocols.filter(p => matchesFilter(p, model.filter));
  return (
    <div className="jp-DataProduct-section jp-DataProduct-browse">
      <div className="jp-DataProduct-productHeader">
        <div className="jp-DataProduct-title">{model.info?.title || entry.title || entry.name}</div>
        {model.info?.description && <div className="jp-DataProduct-description">{model.info.description}</div>}
      </div>
      <input
        className="jp-mod-styled jp-DataProduct-filter"
        type="search"
        placeholder="Filter protocols and columns"
        aria-label="Filter protocols and columns"
        value={model.filter}
        onChange={event => model.setFilter(event.target.value)}
      />
      {model.browseError && (
        <div className="jp-DataProduct-error" role="alert">
          {model.browseError}
        </div>
      )}
      {!(model.browseError && model.protocols.length === 0) && <h3 className="jp-DataProduct-heading">Protocols</h3>}
      <ul className="jp-DataProduct-list" role="listbox" aria-label={`Protocols of ${entry.name}`}>
        {protocols.map(p => (
          <ProtocolRow
            key={p.name}
            protocol={p}
            active={model.protocol?.name === p.name}
            actions={props.actions}
          />
        ))}
      </ul>
      {model.protocols.length > 0 && protocols.length === 0 && (
        <p className="jp-DataProduct-empty">No protocol matches “{model.filter}”.</p>
      )}
      {model.info && (
        <>
          <h3 className="jp-DataProduct-heading">Data dictionary</h3>
          {model.info.collections.length > 0 && (
            <div className="jp-DataProduct-meta">Collections: {model.info.collections.join(', ')}</div>
          )}
          {model.info.entities.map(entity => (
            <EntityDictionary key={entity.name} entity={entity} filter={model.filter} />
          ))}
        </>
      )}
    </div>
  );
}
