/** The "Data products" commands: palette, context menus and the panel's own buttons. */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { addIcon, refreshIcon } from '@jupyterlab/ui-components';

import { dataProductIcon } from './icon';
import { Delivery } from './notebook';
import { DataProductPanel } from './panel';

export const CATEGORY = 'Data products';

export namespace CommandIDs {
  export const open = 'dataproduct:open-panel';
  export const refresh = 'dataproduct:refresh';
  export const add = 'dataproduct:add-product';
  export const remove = 'dataproduct:remove-product';
  export const connect = 'dataproduct:connect-notebook';
  export const openProtocol = 'dataproduct:open-protocol';
  export const run = 'dataproduct:run-protocol';
  export const insert = 'dataproduct:insert-protocol';
  export const copy = 'dataproduct:copy-protocol';
}

export interface ICommandActions {
  add(): void;
  remove(name: string): void;
  connect(name: string): Promise<void>;
  /** Open the protocol's form (of the selected product), pre-filled with `parameters` if given. */
  open(protocol: string, parameters?: Record<string, unknown>, version?: string): Promise<void>;
  deliverProtocol(mode: Delivery, protocol: string): Promise<void>;
}

export function registerCommands(
  app: JupyterFrontEnd,
  panel: DataProductPanel,
  actions: ICommandActions,
  palette: ICommandPalette | null
): void {
  const { commands } = app;
  const model = panel.model;
  const hit = (attribute: string): string | undefined =>
    app.contextMenuHitTest(node => node.dataset[attribute] !== undefined)?.dataset[attribute];

  /** The protocol named by the command's args, the right-clicked row, the form, or a pick-list. */
  const protocolOf = async (args: { protocol?: unknown }): Promise<string | null> => {
    const named = (args.protocol as string | undefined) ?? hit('protocol') ?? model.protocol?.name;
    if (named) {
      return named;
    }
    if (model.protocols.length === 0) {
      model.announce('Select a product with protocols first.');
      return null;
    }
    const choice = await InputDialog.getItem({
      title: `Protocol of ${model.selected}`,
      items: model.protocols.map(p => p.name)
    });
    return choice.button.accept ? choice.value : null;
  };

  commands.addCommand(CommandIDs.open, {
    label: 'Open the Data Products panel',
    icon: dataProductIcon,
    execute: () => {
      app.shell.activateById(panel.id);
      // A closing command palette gives the focus back to the main area first.
      window.setTimeout(() => panel.focusContent(), 100);
    }
  });
  commands.addCommand(CommandIDs.refresh, {
    label: 'Refresh data products',
    icon: refreshIcon,
    execute: () => model.refresh()
  });
  commands.addCommand(CommandIDs.add, {
    label: 'Add a data product (folder or server)…',
    icon: addIcon,
    execute: () => actions.add()
  });
  commands.addCommand(CommandIDs.remove, {
    label: 'Remove this data product',
    isEnabled: () => model.entry(hit('product') ?? model.selected)?.origin === 'connections',
    execute: args => {
      const name = (args.product as string | undefined) ?? hit('product') ?? model.selected;
      if (name) {
        actions.remove(name);
      }
    }
  });
  commands.addCommand(CommandIDs.connect, {
    label: args => (args.product ? `Connect the notebook to ${args.product}` : 'Connect the notebook to the selected product'),
    execute: async args => {
      const name = (args.product as string | undefined) ?? hit('product') ?? model.selected;
      if (name) {
        await actions.connect(name);
      } else {
        model.announce('Select a data product first.');
      }
    }
  });
  /**
   * `dataproduct:open-protocol` with optional args (the contract other parts call by id,
   * documented in docs/lab-api.md):
   *   product?:    a listed product's name: selected first (default: the selected product)
   *   protocol?:   its name, `name@version` accepted (default: right-clicked row, open form, pick-list)
   *   parameters?: values to pre-fill (form values, or as recorded in a provenance: cohorts as
   *                {entity, tree, text, artifact?}); unknown names are dropped with a note,
   *                values the schema refuses show as the form's own errors.
   * Resolves once the form is open.
   */
  commands.addCommand(CommandIDs.openProtocol, {
    label: args => (args.parameters ? 'Open the protocol form with these parameters' : 'Open the protocol form'),
    execute: async args => {
      const product = typeof args.product === 'string' && args.product ? args.product : null;
      if (product !== null && product !== model.selected) {
        if (!model.entry(product)) {
          await model.refresh();
        }
        if (!model.entry(product)) {
          model.announce(`No data product called ${product} is listed; add it first.`);
          return;
        }
        await model.select(product);
      }
      const [named, version] =
        typeof args.protocol === 'string' && args.protocol ? args.protocol.split('@', 2) : [undefined, undefined];
      const protocol = await protocolOf({ protocol: named });
      const parameters = args.parameters;
      if (protocol) {
        app.shell.activateById(panel.id);
        await actions.open(
          protocol,
          parameters && typeof parameters === 'object' && !Array.isArray(parameters)
            ? (parameters as Record<string, unknown>)
            : undefined,
          version
        );
      }
    }
  });
  const delivery = (id: string, mode: Delivery, label: string): void => {
    commands.addCommand(id, {
      label,
      execute: async args => {
        const protocol = await protocolOf(args);
        if (protocol) {
          await actions.deliverProtocol(mode, protocol);
        }
      }
    });
  };
  delivery(CommandIDs.run, 'run', 'Run protocol into the notebook…');
  delivery(CommandIDs.insert, 'insert', 'Insert protocol cell into the notebook…');
  delivery(CommandIDs.copy, 'copy', 'Copy protocol cell');

  for (const command of Object.values(CommandIDs)) {
    palette?.addItem({ command, category: CATEGORY });
  }

  app.contextMenu.addItem({ command: CommandIDs.connect, selector: '.jp-DataProduct-product', rank: 1 });
  app.contextMenu.addItem({ command: CommandIDs.refresh, selector: '.jp-DataProduct-product', rank: 2 });
  app.contextMenu.addItem({ command: CommandIDs.remove, selector: '.jp-DataProduct-product', rank: 3 });
  app.contextMenu.addItem({ command: CommandIDs.openProtocol, selector: '.jp-DataProduct-protocol', rank: 1 });
  app.contextMenu.addItem({ command: CommandIDs.run, selector: '.jp-DataProduct-protocol', rank: 2 });
  app.contextMenu.addItem({ command: CommandIDs.insert, selector: '.jp-DataProduct-protocol', rank: 3 });
  app.contextMenu.addItem({ command: CommandIDs.copy, selector: '.jp-DataProduct-protocol', rank: 4 });
}
