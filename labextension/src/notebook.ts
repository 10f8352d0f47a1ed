/**
 * Writing the generated cells into notebooks: insert (below the active cell or at the
 * end), run, copy, and the drag payload. The sidebar never talks to the kernel itself:
 * it only writes cells that the user can read, edit and re-run.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker, Notebook, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { ISetup } from './codegen';
import { KernelConnections } from './kernels';
import { IProductEntry } from './types';

export type InsertPlace = 'below' | 'end';
export type Delivery = 'run' | 'insert' | 'copy';

/** The mime type JupyterLab notebooks accept cells by drag and drop. */
export const CELLS_MIME = 'application/vnd.jupyter.cells';

const CONNECT_LINE = /^%dataproduct\s+connect\s+(\S.*?)\s*$/gm;
const LOAD_LINE = /^%(re)?load_ext\s+jupyter_dataproduct\s*$/m;
/** The key that marks "the magic is loaded" among a kernel's connections. */
const EXTENSION = '%load_ext';

/**
 * What `%dataproduct connect` takes in a kernel of this notebook: a folder found under the
 * Jupyter root is made relative to the notebook's folder (the kernel's working directory).
 */
export function connectTarget(entry: IProductEntry, notebookPath: string): string {
  if (entry.origin !== 'found' || entry.kind !== 'folder' || entry.connect.startsWith('/')) {
    return entry.connect;
  }
  return PathExt.relative(PathExt.dirname(notebookPath), entry.connect) || '.';
}

export class NotebookWriter {
  constructor(
    private app: JupyterFrontEnd,
    private tracker: INotebookTracker,
    readonly connections: KernelConnections
  ) {
    // Which products a kernel has: learnt from executed connect lines, forgotten on restart.
    NotebookActions.executed.connect((_, { notebook, cell, success }) => {
      if (!success || cell.model.type !== 'code') {
        return;
      }
      const kernelId = this.kernelId(notebook);
      const source = cell.model.sharedModel.getSource();
      if (LOAD_LINE.test(source)) {
        this.connections.add(kernelId, EXTENSION);
      }
      for (const match of source.matchAll(CONNECT_LINE)) {
        this.connections.add(kernelId, EXTENSION);
        this.connections.add(kernelId, unquote(match[1]));
      }
    });
    tracker.widgetAdded.connect((_, panel) => {
      panel.sessionContext.statusChanged.connect((context, status) => {
        if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
          this.connections.forget(context.session?.kernel?.id);
        }
      });
    });
  }

  /** The active notebook (the current one, or the last one used), or a new one. */
  async target(): Promise<NotebookPanel> {
    let panel = this.tracker.currentWidget;
    if (!panel) {
      panel = (await this.app.commands.execute('notebook:create-new', { kernelName: 'python3' })) as NotebookPanel;
    }
    await panel.context.ready;
    await panel.sessionContext.ready;
    this.app.shell.activateById(panel.id);
    return panel;
  }

  kernelId(notebook: Notebook): string | undefined {
    const panel = this.tracker.find(p => p.content === notebook);
    return panel?.sessionContext.session?.kernel?.id;
  }

  /** What this notebook's kernel lacks for the product (null: no notebook, assume all). */
  setup(panel: NotebookPanel | null, entry: IProductEntry): ISetup {
    const connect = connectTarget(entry, panel?.context.path ?? '');
    const kernelId = panel?.sessionContext.session?.kernel?.id;
    return {
      loadExtension: !this.connections.has(kernelId, EXTENSION),
      connect: this.connections.has(kernelId, connect) ? null : connect
    };
  }

  /** Put the code in a new cell (or the active cell when it is an empty code cell). */
  insert(panel: NotebookPanel, code: string, place: InsertPlace): void {
    const notebook = panel.content;
    if (place === 'end' && notebook.widgets.length > 0) {
      notebook.activeCellIndex = notebook.widgets.length - 1;
    }
    const active = notebook.activeCell;
    const reuse = active && active.model.type === 'code' && active.model.sharedModel.getSource().trim() === '';
    if (!reuse) {
      NotebookActions.insertBelow(notebook);
    }
    const cell = notebook.activeCell!;
    if (cell.model.type !== 'code') {
      NotebookActions.changeCellType(notebook, 'code');
    }
    notebook.activeCell!.model.sharedModel.setSource(code);
    notebook.deselectAll();
    void notebook.activeCell!.ready.then(() => notebook.scrollToItem(notebook.activeCellIndex));
  }

  /** Run the active cell (the one just inserted). */
  async run(panel: NotebookPanel): Promise<boolean> {
    return NotebookActions.run(panel.content, panel.sessionContext);
  }

  copy(code: string): void {
    Clipboard.copyToSystem(code);
  }
}

/** The connect argument as written (quoted by codegen.shlexQuote). */
function unquote(word: string): string {
  if (word.length >= 2 && word.startsWith("'") && word.endsWith("'")) {
    return word.slice(1, -1);
  }
  if (word.length >= 2 && word.startsWith('"') && word.endsWith('"')) {
    return word.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  return word;
}
