/**
 * The Plugins section of the selected product: its Python, R and notebook plugins (title,
 * parameters, language) with Source and Run, the built-in algorithms in a collapsed group,
 * and the notebook authoring tools: a new plugin from a cell, the export of a cell plugin.
 */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { PluginsModel } from '../plugins';
import { IPluginEntry } from '../types';
import { useChanged } from './useSection';

export interface IPluginActions {
  plugins: PluginsModel;
  openSource(plugin: string): void;
  runPlugin(plugin: string): void;
  newPlugin(): void;
  exportPlugin(): void;
}

const KIND_LABEL: Record<IPluginEntry['kind'], string> = { python: 'Python', r: 'R', notebook: 'Notebook' };

function PluginRow(props: { plugin: IPluginEntry; actions: IPluginActions }): JSX.Element {
  const { plugin, actions } = props;
  const where = plugin.path ?? plugin.file ?? (plugin.builtin ? 'built-in' : '');
  const sourceTitle = plugin.builtin
    ? 'A built-in algorithm of jupyter-dataproduct: no file in the product'
    : plugin.kind === 'notebook'
      ? 'Open the notebook'
      : plugin.path
        ? 'Open the file in the editor'
        : 'Show the source (read-only)';
  return (
    <li className="jp-DataProduct-plugin jp-DataProduct-row" data-plugin={plugin.name} aria-label={`Plugin ${plugin.name}`}>
      <div className="jp-DataProduct-rowText">
        <div className="jp-DataProduct-title">
          {plugin.title || plugin.name}
          <span className="jp-DataProduct-badge jp-DataProduct-pluginKind">{KIND_LABEL[plugin.kind]}</span>
        </div>
        <div className="jp-DataProduct-meta">
          {plugin.name}
          {where ? ` · ${where}` : ''}
        </div>
        {plugin.parameters.length > 0 && <div className="jp-DataProduct-params">({plugin.parameters.join(', ')})</div>}
        <div className="jp-DataProduct-pluginActions">
          {!plugin.builtin && (
            <Button minimal small className="jp-DataProduct-pluginSource" title={sourceTitle} onClick={() => actions.openSource(plugin.name)}>
              {plugin.kind === 'notebook' ? 'Open' : 'Source'}
            </Button>
          )}
          <Button
            minimal
            small
            className="jp-DataProduct-pluginRun"
            title="Fill its parameters in the form and run it into the notebook"
            onClick={() => actions.runPlugin(plugin.name)}
          >
            Run…
          </Button>
        </div>
      </div>
    </li>
  );
}

function Group(props: { title: string; plugins: IPluginEntry[]; actions: IPluginActions }): JSX.Element | null {
  if (props.plugins.length === 0) {
    return null;
  }
  return (
    <>
      <h3 className="jp-DataProduct-heading">{props.title}</h3>
      <ul className="jp-DataProduct-list" aria-label={props.title}>
        {props.plugins.map(p => (
          <PluginRow key={p.name} plugin={p} actions={props.actions} />
        ))}
      </ul>
    </>
  );
}

export function PluginsSection(props: { actions: IPluginActions }): JSX.Element {
  const { actions } = props;
  const model = useChanged(actions.plugins);
  const groups = model.groups;
  const own = groups.python.length + groups.r.length + groups.notebook.length;
  return (
    <div className="jp-DataProduct-section jp-DataProduct-pluginsSection">
      <div className="jp-DataProduct-toolbar">
        <Button small className="jp-DataProduct-newPlugin" title="Insert a %%dataproduct plugin cell (Python or R)" onClick={() => actions.newPlugin()}>
          New plugin…
        </Button>
        <Button
          small
          minimal
          className="jp-DataProduct-exportPlugin"
          title="Write the active cell's plugin into the product's plugins/ folder"
          onClick={() => actions.exportPlugin()}
        >
          Export cell plugin
        </Button>
      </div>
      {model.product === null && <p className="jp-DataProduct-empty">Select a product to see its plugins.</p>}
      {model.error && (
        <div className="jp-DataProduct-error" role="alert">
          {model.error}
        </div>
      )}
      {model.product !== null && !model.loading && !model.error && own === 0 && (
        <p className="jp-DataProduct-empty">No plugins in {model.product} yet: write one in a cell with New plugin….</p>
      )}
      <Group title="Python" plugins={groups.python} actions={actions} />
      <Group title="R" plugins={groups.r} actions={actions} />
      <Group title="Notebooks" plugins={groups.notebook} actions={actions} />
      {groups.builtin.length > 0 && (
        <details className="jp-DataProduct-builtins">
          <summary className="jp-DataProduct-heading">Built-in algorithms ({groups.builtin.length})</summary>
          <ul className="jp-DataProduct-list" aria-label="Built-in algorithms">
            {groups.builtin.map(p => (
              <PluginRow key={p.name} plugin={p} actions={actions} />
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
