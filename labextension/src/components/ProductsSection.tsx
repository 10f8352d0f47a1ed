/** The Products section: every product with its title, version and health. */
import { Button, refreshIcon, addIcon, closeIcon, LabIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { PanelModel } from '../model';
import { IProductEntry } from '../types';
import { activateOnKey, moveFocus, useModel } from './useModel';

export interface IProductActions {
  add(): void;
  remove(name: string): void;
  refresh(): void;
}

function IconButton(props: { icon: LabIcon; label: string; onClick: () => void; className?: string }): JSX.Element {
  return (
    <Button
      minimal
      small
      className={`jp-DataProduct-iconButton ${props.className ?? ''}`}
      title={props.label}
      aria-label={props.label}
      onClick={(event: React.MouseEvent) => {
        event.stopPropagation();
        props.onClick();
      }}
    >
      <props.icon.react tag="span" elementSize="normal" />
    </Button>
  );
}

function ProductRow(props: { entry: IProductEntry; selected: boolean; model: PanelModel; actions: IProductActions }) {
  const { entry, selected, model, actions } = props;
  const select = (): void => void model.select(entry.name);
  const removable = entry.origin === 'connections';
  const health = entry.health === 'ok' ? 'available' : 'unreachable';
  return (
    <li
      className={`jp-DataProduct-product jp-DataProduct-row${selected ? ' jp-mod-selected' : ''}`}
      role="option"
      aria-selected={selected}
      tabIndex={0}
      data-product={entry.name}
      aria-label={`${entry.title || entry.name}, version ${entry.version || 'unknown'}, ${health}`}
      onClick={select}
      onKeyDown={event => {
        moveFocus(event, '.jp-DataProduct-product');
        if (event.key === 'Delete' && removable) {
          actions.remove(entry.name);
        }
        activateOnKey(select)(event);
      }}
    >
      <span className={`jp-DataProduct-health jp-mod-${entry.health}`} title={health} aria-hidden="true" />
      <div className="jp-DataProduct-rowText">
        <div className="jp-DataProduct-title">{entry.title || entry.name}</div>
        <div className="jp-DataProduct-meta">
          {entry.name} {entry.version ? `v${entry.version}` : ''} · {entry.kind} · {entry.location}
        </div>
        {entry.health === 'error' && (
          <div className="jp-DataProduct-error" role="note">
            {entry.error?.message ?? 'This product cannot be reached.'}
          </div>
        )}
      </div>
      {removable && (
        <IconButton icon={closeIcon} label={`Remove ${entry.name}`} onClick={() => actions.remove(entry.name)} />
      )}
    </li>
  );
}

/** Reachable products first (in the server's order), the unreachable ones after them. */
function healthyFirst(products: IProductEntry[]): IProductEntry[] {
  return [...products.filter(p => p.health === 'ok'), ...products.filter(p => p.health !== 'ok')];
}

export function ProductsSection(props: { model: PanelModel; actions: IProductActions }): JSX.Element {
  const model = useModel(props.model);
  const { actions } = props;
  const server = model.server;
  return (
    <div className="jp-DataProduct-section jp-DataProduct-products">
      {server.kind === 'missing' && (
        <div className="jp-DataProduct-banner jp-mod-error" role="alert">
          {server.message}
        </div>
      )}
      {server.kind === 'mismatch' && (
        <div className="jp-DataProduct-banner jp-mod-warning" role="status">
          The server extension is version {server.version}, this panel {model.version}. Reinstall
          jupyter-dataproduct so that both match; the panel keeps working meanwhile.
        </div>
      )}
      <div className="jp-DataProduct-toolbar">
        <Button small className="jp-DataProduct-add" onClick={actions.add} aria-label="Add a data product">
          <addIcon.react tag="span" elementSize="normal" /> Add
        </Button>
        <IconButton icon={refreshIcon} label="Refresh data products" onClick={actions.refresh} />
        {model.loading && <span className="jp-DataProduct-meta">loading…</span>}
      </div>
      {model.productsError && (
        <div className="jp-DataProduct-error" role="alert">
          {model.productsError}
        </div>
      )}
      {server.kind !== 'missing' && !model.productsError && model.products.length === 0 && !model.loading && (
        <p className="jp-DataProduct-empty">
          No data products yet. Add a product folder or a server URL, or open JupyterLab in a folder that
          holds a dataproduct.yaml.
        </p>
      )}
      <ul className="jp-DataProduct-list" role="listbox" aria-label="Data products">
        {healthyFirst(model.products).map(entry => (
          <ProductRow
            key={entry.name}
            entry={entry}
            selected={entry.name === model.selected}
            model={model}
            actions={actions}
          />
        ))}
      </ul>
    </div>
  );
}
