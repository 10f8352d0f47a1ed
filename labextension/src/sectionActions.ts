/**
 * What the Snapshots and Artifacts sections do outside the panel: write cells into the
 * notebook (`%dataproduct snapshot use`, `%dataproduct load`), open the diff view, ask for
 * a tag name or a confirmation, and notify when a build ends. index.ts calls
 * `connectSectionActions` once.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { snapshotApi } from './api';
import { artifactsOf } from './artifacts';
import { LOAD_EXTENSION, connectLine } from './codegen';
import { diffWidget } from './components/DiffView';
import { InsertPlace, NotebookWriter } from './notebook';
import { DataProductPanel } from './panel';
import { artifactVariable, loadLine, pinnedInSources, useLine } from './sectionCode';
import { snapshotsOf } from './snapshots';
import { CurrentNotebookModel } from './currentNotebook';

export interface ISectionSettings {
  runMode: 'run' | 'insert';
  insertAt: InsertPlace;
}

export function connectSectionActions(
  app: JupyterFrontEnd,
  panel: DataProductPanel,
  tracker: INotebookTracker,
  writer: NotebookWriter,
  settings: ISectionSettings,
  currentNotebook?: CurrentNotebookModel
): void {
  const model = panel.model;
  const snapshots = snapshotsOf(model);
  const artifacts = artifactsOf(model);

  /** Insert the lines (after what the kernel lacks) and run them unless the settings say insert. */
  const deliver = async (productName: string, line: string, what: string): Promise<void> => {
    const entry = model.entry(productName);
    if (!entry) {
      return;
    }
    const notebook = await writer.target();
    const setup = writer.setup(notebook, entry);
    const lines = [...(setup.loadExtension ? [LOAD_EXTENSION] : []), ...(setup.connect ? [connectLine(setup.connect)] : []), line];
    writer.insert(notebook, lines.join('\n'), settings.insertAt);
    if (settings.runMode === 'run') {
      const ok = await writer.run(notebook);
      model.announce(ok ? `${what} in ${notebook.title.label}.` : `${what} failed: see the cell's output.`);
    } else {
      model.announce(`Inserted: ${line}`);
    }
  };

  snapshots.actions = {
    use: (product, snapshot) => deliver(product, useLine(product, snapshot.id), `Pinned ${product} to ${snapshot.short}`),
    diff: async (product, a, b) => {
      try {
        const diff = await snapshotApi.diff(product, a.id, b.id);
        const widget = diffWidget(product, a, b, diff);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
      } catch (error) {
        snapshots.say(`The diff failed: ${(error as Error).message}`);
      }
    },
    askTag: async snapshot => {
      const answer = await InputDialog.getText({
        title: `Tag snapshot ${snapshot.short}`,
        label: "Tag name (letters, digits, '.', '_', '-'; not only hex digits, not 'latest')",
        placeholder: 'e.g. v1 or frozen-2026-12',
        okLabel: 'Tag'
      });
      if (!answer.button.accept || answer.value === null) {
        return null;
      }
      return answer.value.trim();
    },
    notify: (kind, message) => {
      Notification.emit(message, kind, { autoClose: kind === 'success' ? 5000 : false });
    }
  };

  artifacts.actions = {
    load: (product, artifact) =>
      deliver(product, loadLine(product, artifact.name), `Loaded ${artifact.name} into ${artifactVariable(artifact.name)}`),
    confirmDelete: async (product, artifact) => {
      const result = await showDialog({
        title: 'Delete artifact',
        body: `Delete the ${artifact.kind} “${artifact.name}” from ${product}? Notebooks that load it will fail.`,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
      });
      return result.button.accept;
    },
    showForm: () => panel.showForm()
  };

  // Which snapshot the notebook pins: from its cells, until the kernel can say (hist's comm).
  snapshots.setPinnedProvider(product => {
    if (currentNotebook?.status === 'connected') {
      return currentNotebook.pinned(product); // what the kernel itself reports
    }
    const notebook = tracker.currentWidget?.content;
    if (!notebook) {
      return null;
    }
    const sources = notebook.widgets.filter(c => c.model.type === 'code').map(c => c.model.sharedModel.getSource());
    return pinnedInSources(sources, product);
  });
  tracker.currentChanged.connect(() => snapshots.emit());
  currentNotebook?.changed.connect(() => snapshots.emit());
  // The sections' titles name the product they show (as "Protocols of X" does); a panel
  // refresh (its button, polling while shown) lists the open sections again too.
  let refreshing = false;
  model.changed.connect(() => {
    if (refreshing && !model.loading) {
      for (const widget of panel.widgets) {
        if (widget.isVisible && widget.hasClass('jp-DataProduct-snapshotsSection')) {
          void snapshots.load();
        } else if (widget.isVisible && widget.hasClass('jp-DataProduct-artifactsSection')) {
          void artifacts.load();
        }
      }
    }
    refreshing = model.loading;
    for (const widget of panel.widgets) {
      if (widget.hasClass('jp-DataProduct-snapshotsSection')) {
        widget.title.label = model.selected ? `Snapshots of ${model.selected}` : 'Snapshots';
      } else if (widget.hasClass('jp-DataProduct-artifactsSection')) {
        widget.title.label = model.selected ? `Artifacts of ${model.selected}` : 'Artifacts';
      }
    }
  });
  // Opening a section shows it fresh (what the CLI or another user changed meanwhile).
  const accordion = panel.content as unknown as {
    expansionToggled?: ISignal<unknown, number>;
    widgets: readonly Widget[];
    setRelativeSizes?: (sizes: number[]) => void;
  };
  accordion.expansionToggled?.connect((_, index) => {
    const widget = accordion.widgets[index];
    if (widget && !widget.isHidden && (widget.hasClass('jp-DataProduct-snapshotsSection') || widget.hasClass('jp-DataProduct-artifactsSection'))) {
      // An expanded section gets a fair share of the height (it would open a few pixels high).
      accordion.setRelativeSizes?.(accordion.widgets.map((w, i) => (w.isHidden ? 0 : i === index ? 3 : 2)));
    }
    if (widget?.hasClass('jp-DataProduct-snapshotsSection')) {
      void snapshots.load();
    } else if (widget?.hasClass('jp-DataProduct-artifactsSection')) {
      void artifacts.load();
    }
  });
  // A finished %dataproduct cell may have built, tagged or pinned a snapshot, or saved an artifact.
  NotebookActions.executed.connect((_, { cell }) => {
    const source = cell.model.sharedModel.getSource();
    if (!source.includes('%dataproduct')) {
      return;
    }
    if (/snapshot\s+(build|tag)|\bbuild\b/.test(source)) {
      void snapshots.load();
    } else {
      snapshots.emit();
    }
    if (/\b(save|delete)\b/.test(source)) {
      void artifacts.load();
    }
  });
}
