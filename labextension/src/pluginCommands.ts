/**
 * The Plugins section's actions and commands. Every action that changes the analysis
 * writes a cell: the new plugin's `%%dataproduct plugin` template, the export line, the
 * `%dataproduct run PLUGIN` of the form. Opening a source only opens a file or a viewer.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { pluginApi } from './apiPlugins';
import { connectLine, LOAD_EXTENSION } from './codegen';
import { CATEGORY } from './commands';
import { IPluginActions } from './components/PluginsSection';
import { PanelModel } from './model';
import { InsertPlace, NotebookWriter } from './notebook';
import { cellPlugin, exportLine, PLUGIN_NAME, pluginTemplate } from './pluginCode';
import { askNewPlugin, confirmOverwrite, sourceViewer } from './pluginDialogs';
import { PluginsModel } from './plugins';

export namespace PluginCommandIDs {
  export const newPlugin = 'dataproduct:new-plugin';
  export const exportPlugin = 'dataproduct:export-plugin';
  export const openSource = 'dataproduct:open-plugin-source';
  export const runPlugin = 'dataproduct:run-plugin';
}

export interface IPluginContext {
  app: JupyterFrontEnd;
  model: PanelModel;
  writer: NotebookWriter;
  tracker: INotebookTracker;
  /** Where new cells go (the panel's setting). */
  insertAt: () => InsertPlace;
  /** Expand the Form section (the plugin's form is open in the model). */
  showForm: () => void;
}

/** The text a failed cell left: its error values and what it wrote to stderr. */
function cellError(panel: NotebookPanel): string {
  const outputs = panel.content.activeCell?.model.sharedModel.toJSON().outputs as
    | { output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string }[]
    | undefined;
  const parts: string[] = [];
  for (const output of outputs ?? []) {
    if (output.output_type === 'error') {
      parts.push(`${output.ename}: ${output.evalue}`);
    } else if (output.output_type === 'stream' && output.name === 'stderr') {
      parts.push(Array.isArray(output.text) ? output.text.join('') : (output.text ?? ''));
    }
  }
  return parts.join('\n').trim();
}

export function createPluginActions(context: IPluginContext): IPluginActions {
  const { app, model, writer } = context;
  const plugins = new PluginsModel(model);

  /** Insert the set-up cell (load the magic, connect) and run it, when the kernel lacks it. */
  const setUp = async (panel: NotebookPanel, product: string): Promise<boolean> => {
    const entry = model.entry(product);
    if (!entry) {
      return false;
    }
    const setup = writer.setup(panel, entry);
    const lines = [...(setup.loadExtension ? [LOAD_EXTENSION] : []), ...(setup.connect ? [connectLine(setup.connect)] : [])];
    if (lines.length === 0) {
      return true;
    }
    writer.insert(panel, lines.join('\n'), context.insertAt());
    return writer.run(panel);
  };

  const newPlugin = async (): Promise<void> => {
    const product = model.selected;
    if (!product || !model.entry(product)) {
      model.announce('Select a data product first: the plugin is defined for it.');
      return;
    }
    const choice = await askNewPlugin();
    if (!choice) {
      return;
    }
    const panel = await writer.target();
    if (!(await setUp(panel, product))) {
      model.announce(`Connecting ${panel.title.label} to ${product} failed: see the cell.`);
      return;
    }
    const entity = model.info?.entities[0]?.name ?? 'rows';
    writer.insert(panel, pluginTemplate(choice.name, choice.language, product, entity), 'below');
    model.announce(`Inserted the ${choice.name} plugin cell: edit it, then run it to define the plugin.`);
  };

  const exportPlugin = async (): Promise<void> => {
    const panel = context.tracker.currentWidget;
    const active = panel?.content.activeCell;
    const found = active ? cellPlugin(active.model.sharedModel.getSource()) : null;
    let name = found?.name ?? null;
    if (!name) {
      const asked = await InputDialog.getText({
        title: 'Export which cell plugin?',
        label: 'The active cell is not a %%dataproduct plugin cell. Name of a plugin defined in this notebook:',
        placeholder: 'my_plugin'
      });
      name = asked.button.accept ? (asked.value ?? '').trim() : null;
      if (!name) {
        return;
      }
      if (!PLUGIN_NAME.test(name)) {
        await showErrorMessage('Plugin name not allowed', `“${name}” is not lower_snake_case.`);
        return;
      }
    }
    const product = found?.product ?? model.selected;
    const target = panel ?? (await writer.target());
    const run = async (force: boolean): Promise<boolean> => {
      writer.insert(target, exportLine(name!, product, force), 'below');
      return writer.run(target);
    };
    let ok = await run(false);
    let error = ok ? '' : cellError(target);
    if (!ok && /already exists/.test(error) && (await confirmOverwrite(name, error.replace(/^UsageError:\s*/, '')))) {
      ok = await run(true);
      error = ok ? '' : cellError(target);
    }
    if (ok) {
      model.announce(`Exported ${name} into ${product}'s plugins/.`);
      await plugins.refresh();
    } else if (error && !/already exists/.test(error)) {
      await showErrorMessage(`Export of ${name} failed`, error.replace(/^UsageError:\s*/, ''));
    }
  };

  const openSource = async (name: string): Promise<void> => {
    const product = plugins.product ?? model.selected;
    if (!product) {
      return;
    }
    try {
      const source = await pluginApi.source(product, name);
      if (source.path) {
        // docmanager opens a notebook plugin as a notebook, a .py or .R file in the editor.
        await app.commands.execute('docmanager:open', { path: source.path });
        model.announce(`Opened ${source.path}.`);
        return;
      }
      const viewer = sourceViewer(product, source);
      const open = Array.from(app.shell.widgets('main')).find(w => w.id === viewer.id);
      if (open) {
        viewer.dispose();
        app.shell.activateById(open.id);
        return;
      }
      app.shell.add(viewer, 'main');
      app.shell.activateById(viewer.id);
    } catch (error) {
      await showErrorMessage(`Source of ${name}`, (error as Error).message);
    }
  };

  const runPlugin = async (name: string): Promise<void> => {
    const product = plugins.product ?? model.selected;
    if (!product) {
      return;
    }
    try {
      model.showDetail(await pluginApi.plugin(product, name));
      context.showForm();
    } catch (error) {
      model.announce(`${name}: ${(error as Error).message}`);
    }
  };

  return {
    plugins,
    newPlugin: () => void newPlugin(),
    exportPlugin: () => void exportPlugin(),
    openSource: name => void openSource(name),
    runPlugin: name => void runPlugin(name)
  };
}

export function registerPluginCommands(app: JupyterFrontEnd, actions: IPluginActions, palette: ICommandPalette | null): void {
  const { commands } = app;
  const hit = (): string | undefined =>
    app.contextMenuHitTest(node => node.dataset.plugin !== undefined)?.dataset.plugin;
  commands.addCommand(PluginCommandIDs.newPlugin, {
    label: 'New data product plugin from a cell…',
    execute: () => actions.newPlugin()
  });
  commands.addCommand(PluginCommandIDs.exportPlugin, {
    label: "Export the cell's plugin into the product",
    execute: () => actions.exportPlugin()
  });
  commands.addCommand(PluginCommandIDs.openSource, {
    label: 'Open the plugin source',
    execute: args => {
      const name = (args.plugin as string | undefined) ?? hit();
      if (name) {
        actions.openSource(name);
      }
    }
  });
  commands.addCommand(PluginCommandIDs.runPlugin, {
    label: 'Run the plugin through a form',
    execute: args => {
      const name = (args.plugin as string | undefined) ?? hit();
      if (name) {
        actions.runPlugin(name);
      }
    }
  });
  palette?.addItem({ command: PluginCommandIDs.newPlugin, category: CATEGORY });
  palette?.addItem({ command: PluginCommandIDs.exportPlugin, category: CATEGORY });
  app.contextMenu.addItem({ command: PluginCommandIDs.openSource, selector: '.jp-DataProduct-plugin', rank: 1 });
  app.contextMenu.addItem({ command: PluginCommandIDs.runPlugin, selector: '.jp-DataProduct-plugin', rank: 2 });
  app.contextMenu.addItem({ command: PluginCommandIDs.exportPlugin, selector: '.jp-Notebook .jp-CodeCell', rank: 60 });
}
