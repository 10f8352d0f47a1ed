/**
 * jupyter-dataproduct: the Data Products left sidebar. Browse products and protocols,
 * fill a protocol's form, and run it into the notebook as a `%dataproduct` cell.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Clipboard, ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { MimeData } from '@lumino/coreutils';
import { Drag } from '@lumino/dragdrop';
import React from 'react';

import { api } from './api';
import { validateDetail } from './apiPlugins';
import { connectLine, IRunRequest, LOAD_EXTENSION, resultVariable, runCell } from './codegen';
import { CommandIDs, registerCommands } from './commands';
import { historyActions } from './historyActions';
import { CurrentNotebookModel } from './currentNotebook';
import { askProduct, confirmRemove } from './dialogs';
import { KernelConnections } from './kernels';
import { defaults, PanelModel } from './model';
import { CELLS_MIME, connectTarget, Delivery, InsertPlace, NotebookWriter } from './notebook';
import { DataProductPanel } from './panel';
import { createPluginActions, registerPluginCommands } from './pluginCommands';
import { connectSectionActions } from './sectionActions';
import { IProtocolDetail } from './types';
import { resultsPlugin } from './results/plugin';

const PLUGIN_ID = 'jupyter-dataproduct:plugin';
// Kept equal to the Python package's version (jupyter_dataproduct/_version.py) by the release.
const VERSION = '0.1.0';

interface ISettings {
  runMode: 'run' | 'insert';
  insertAt: InsertPlace;
  refreshInterval: number;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Data Products sidebar: browse products and protocols, fill forms, run into the notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ) => {
    const model = new PanelModel(VERSION);
    const writer = new NotebookWriter(app, tracker, new KernelConnections());
    const settings: ISettings = { runMode: 'run', insertAt: 'below', refreshInterval: 30 };

    /** The protocol's detail and parameters: the open form's, or the defaults. */
    const protocolRequest = async (name: string): Promise<{ detail: IProtocolDetail; parameters: Record<string, unknown> }> => {
      if (model.protocol?.name === name) {
        return { detail: model.protocol, parameters: model.formData };
      }
      const detail = await api.protocol(model.selected!, name);
      return { detail, parameters: defaults(detail) };
    };

    const deliverProtocol = async (mode: Delivery, name: string): Promise<void> => {
      const entry = model.entry(model.selected);
      if (!entry) {
        model.announce('Select a data product first.');
        return;
      }
      try {
        const { detail, parameters } = await protocolRequest(name);
        await validateDetail(entry.name, detail, parameters);
        const request: IRunRequest = {
          protocol: detail.name,
          product: entry.name,
          parameters,
          schema: detail.schema,
          variable: resultVariable(detail.name)
        };
        if (mode === 'copy') {
          Clipboard.copyToSystem(runCell(request, writer.setup(tracker.currentWidget, entry)));
          model.announce(`Copied the ${detail.name} cell.`);
          return;
        }
        const notebook = await writer.target();
        writer.insert(notebook, runCell(request, writer.setup(notebook, entry)), settings.insertAt);
        if (mode === 'run' && settings.runMode === 'run') {
          model.announce(`Running ${detail.name} in ${notebook.title.label}…`);
          const ok = await writer.run(notebook);
          model.announce(ok ? `${detail.name} ran; its result is in ${request.variable}.` : `${detail.name} failed: see the cell's output.`);
        } else {
          model.announce(`Inserted the ${detail.name} cell into ${notebook.title.label}.`);
        }
      } catch (error) {
        model.announce(`${name}: ${(error as Error).message}`);
      }
    };

    const connectNotebook = async (name: string): Promise<void> => {
      const entry = model.entry(name);
      if (!entry) {
        return;
      }
      const notebook = await writer.target();
      const setup = writer.setup(notebook, entry);
      const target = connectTarget(entry, notebook.context.path);
      writer.insert(notebook, [...(setup.loadExtension ? [LOAD_EXTENSION] : []), connectLine(target)].join('\n'), settings.insertAt);
      const ok = await writer.run(notebook);
      model.announce(ok ? `Connected ${notebook.title.label} to ${name}.` : `Connecting to ${name} failed: see the cell.`);
    };

    const startDrag = (protocol: string, event: React.MouseEvent): void => {
      if (event.button !== 0) {
        return;
      }
      const row = event.currentTarget as HTMLElement;
      const [x0, y0] = [event.clientX, event.clientY];
      const prepared = protocolRequest(protocol).catch(() => null);
      const cleanup = (): void => {
        document.removeEventListener('mousemove', move, true);
        document.removeEventListener('mouseup', cleanup, true);
      };
      const move = (e: MouseEvent): void => {
        if (Math.abs(e.clientX - x0) + Math.abs(e.clientY - y0) < 8) {
          return;
        }
        cleanup();
        void prepared.then(request => {
          const entry = model.entry(model.selected);
          if (!request || !entry) {
            return;
          }
          const code = runCell(
            {
              protocol: request.detail.name,
              product: entry.name,
              parameters: request.parameters,
              schema: request.detail.schema,
              variable: resultVariable(request.detail.name)
            },
            writer.setup(tracker.currentWidget, entry)
          );
          const mimeData = new MimeData();
          mimeData.setData(CELLS_MIME, [{ cell_type: 'code', source: code, metadata: {}, outputs: [], execution_count: null }]);
          mimeData.setData('text/plain', code);
          const image = row.cloneNode(true) as HTMLElement;
          image.classList.add('jp-DataProduct-dragImage');
          const drag = new Drag({ mimeData, dragImage: image, proposedAction: 'copy', supportedActions: 'copy', source: panel });
          void drag.start(e.clientX, e.clientY).then(action => {
            if (action === 'copy') {
              model.announce(`Inserted the ${protocol} cell by drag and drop.`);
            }
          });
        });
      };
      document.addEventListener('mousemove', move, true);
      document.addEventListener('mouseup', cleanup, true);
    };

    const addProduct = async (): Promise<void> => {
      const value = await askProduct();
      if (!value) {
        return;
      }
      try {
        await model.addProduct(value.location, value.name || undefined, value.token || undefined);
      } catch (error) {
        model.announce(`Could not add ${value.location}: ${(error as Error).message}`);
      }
    };
    const removeProduct = async (name: string): Promise<void> => {
      if (!(await confirmRemove(name))) {
        return;
      }
      try {
        await model.removeProduct(name);
      } catch (error) {
        model.announce(`Could not remove ${name}: ${(error as Error).message}`);
      }
    };
    const openProtocol = async (protocol: string, parameters?: Record<string, unknown>, version?: string): Promise<void> => {
      await model.openProtocol(protocol, parameters, version);
      panel.showForm();
    };

    const history = historyActions({ commands: app.commands, model, writer, settings, openProtocolCommand: CommandIDs.openProtocol });
    const currentNotebook = new CurrentNotebookModel(tracker);
    const pluginActions = createPluginActions({
      app,
      model,
      writer,
      tracker,
      insertAt: () => settings.insertAt,
      showForm: () => panel.showForm()
    });
    const panel: DataProductPanel = new DataProductPanel(model, {
      ...history,
      currentNotebook,
      ...pluginActions,
      add: () => void addProduct(),
      remove: (name: string) => void removeProduct(name),
      refresh: () => void model.refresh(),
      open: (protocol: string) => void openProtocol(protocol),
      insert: (protocol: string) => void deliverProtocol('insert', protocol),
      startDrag,
      deliver: async (mode: Delivery) => {
        if (model.protocol) {
          await deliverProtocol(mode, model.protocol.name);
        }
      }
    });
    connectSectionActions(app, panel, tracker, writer, settings, currentNotebook);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, 'jupyter-dataproduct');

    registerCommands(
      app,
      panel,
      {
        add: () => void addProduct(),
        remove: name => void removeProduct(name),
        connect: connectNotebook,
        open: openProtocol,
        deliverProtocol
      },
      palette
    );
    registerPluginCommands(app, pluginActions, palette);
    // A finished %dataproduct cell may have saved an artifact or connected a product.
    NotebookActions.executed.connect((_, { cell }) => {
      if (panel.isVisible && cell.model.sharedModel.getSource().includes('%dataproduct')) {
        void model.refresh();
      }
    });

    const applySettings = (values: Partial<ISettings>): void => {
      Object.assign(settings, values);
      panel.refreshInterval = settings.refreshInterval;
      model.setPolling(panel.isVisible, settings.refreshInterval);
    };
    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(loaded => {
        applySettings(loaded.composite as unknown as ISettings);
        loaded.changed.connect(() => applySettings(loaded.composite as unknown as ISettings));
      });
    }

    void app.restored.then(async () => {
      await model.handshake();
      await model.refresh();
    });
  }
};

export default [plugin, resultsPlugin];
