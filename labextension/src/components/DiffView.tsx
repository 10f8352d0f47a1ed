/** The main-area view of a diff of two snapshots: schema and row-count changes per entity. */
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import React from 'react';

import { IDiffResult, IEntityDiff, ISnapshotEntry } from '../types';

function change(n: number | null): string {
  if (n === null) {
    return '';
  }
  return n > 0 ? `+${n.toLocaleString()}` : n.toLocaleString();
}

function EntityRow(props: { name: string; entity: IEntityDiff }): JSX.Element {
  const { name, entity } = props;
  const schema = [
    ...entity.columns_added.map(c => `+ ${c}`),
    ...entity.columns_removed.map(c => `− ${c}`),
    ...entity.type_changes.map(t => `${t.column}: ${t.a} → ${t.b}`)
  ];
  return (
    <tr className={`jp-DataProduct-diffEntity jp-mod-${entity.status}`} data-entity={name}>
      <th scope="row">{name}</th>
      <td>{entity.status}</td>
      <td className="jp-DataProduct-number">{entity.rows.a?.toLocaleString() ?? '—'}</td>
      <td className="jp-DataProduct-number">{entity.rows.b?.toLocaleString() ?? '—'}</td>
      <td className="jp-DataProduct-number">{change(entity.rows.change)}</td>
      <td>{schema.length ? schema.map(s => <div key={s}>{s}</div>) : 'no schema change'}</td>
    </tr>
  );
}

export function DiffView(props: { product: string; a: ISnapshotEntry; b: ISnapshotEntry; diff: IDiffResult }): JSX.Element {
  const { product, a, b, diff } = props;
  return (
    <div className="jp-DataProduct-diff">
      <h2>
        {product}: <code>{a.short}</code> → <code>{b.short}</code>
      </h2>
      <p className="jp-DataProduct-meta">
        {a.created} → {b.created}
        {diff.identical ? ' · identical snapshots' : ''}
        {diff.config_changed ? ' · the build configuration changed' : ''}
        {diff.sources_changed.length ? ` · sources changed: ${diff.sources_changed.join(', ')}` : ''}
      </p>
      <table className="jp-DataProduct-diffTable">
        <thead>
          <tr>
            <th scope="col">entity</th>
            <th scope="col">status</th>
            <th scope="col">rows in {a.short}</th>
            <th scope="col">rows in {b.short}</th>
            <th scope="col">change</th>
            <th scope="col">schema</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(diff.entities).map(([name, entity]) => (
            <EntityRow key={name} name={name} entity={entity} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A main-area widget holding the diff. */
export function diffWidget(product: string, a: ISnapshotEntry, b: ISnapshotEntry, diff: IDiffResult): MainAreaWidget {
  const content = ReactWidget.create(<DiffView product={product} a={a} b={b} diff={diff} />);
  const widget = new MainAreaWidget({ content });
  widget.id = `jp-DataProduct-diff-${product}-${a.short}-${b.short}`;
  widget.title.label = `Diff ${a.short.slice(0, 7)} → ${b.short.slice(0, 7)}`;
  widget.title.caption = `${product}: snapshot ${a.id} → ${b.id}`;
  widget.title.closable = true;
  widget.addClass('jp-DataProduct-diffWidget');
  return widget;
}
