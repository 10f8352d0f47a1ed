/**
 * What the History section's buttons do. Re-run and save write a `%dataproduct history`
 * cell into the notebook (with the `%load_ext` / `connect` lines the kernel lacks) and run
 * it; "Open form" calls the shared `dataproduct:open-protocol` command with the entry's
 * product, protocol and parameters.
 */
import { InputDialog } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';
import { NotebookActions } from '@jupyterlab/notebook';

import { connectLine, LOAD_EXTENSION } from './codegen';
import { artifactNameProblem, rerunLine, saveLine } from './codegenHistory';
import { IHistoryActions } from './components/HistorySection';
import { HistoryModel } from './history';
import { PanelModel } from './model';
import { InsertPlace, NotebookWriter } from './notebook';
import { IHistoryEntry } from './types';

export interface IHistoryDeps {
  commands: CommandRegistry;
  model: PanelModel;
  writer: NotebookWriter;
  settings: { runMode: 'run' | 'insert'; insertAt: InsertPlace };
  openProtocolCommand: string;
}

export function historyActions(deps: IHistoryDeps): IHistoryActions {
  const { model, writer, settings } = deps;
  const history = new HistoryModel();
  let health = model.entry(model.selected)?.health;
  model.changed.connect(() => {
    // The selected product went down or came back (the list was refreshed): read it again.
    const now = model.entry(model.selected)?.health;
    if (model.selected === history.product && now !== health) {
      history.invalidate();
    }
    health = now;
    history.show(model.selected);
  });
  // A %dataproduct cell may have run a protocol: the list is read again (if on screen).
  NotebookActions.executed.connect((_, { cell }) => {
    if (cell.model.sharedModel.getSource().includes('%dataproduct')) {
      history.invalidate();
    }
  });

  /** Write `line` (after the set-up the kernel lacks) into the notebook and run it. */
  const deliver = async (line: string, what: string, run: boolean): Promise<void> => {
    const entry = model.entry(history.product);
    if (!entry) {
      model.announce('Select a data product first.');
      return;
    }
    const notebook = await writer.target();
    const setup = writer.setup(notebook, entry);
    const lines = [...(setup.loadExtension ? [LOAD_EXTENSION] : []), ...(setup.connect ? [connectLine(setup.connect)] : []), line];
    writer.insert(notebook, lines.join('\n'), settings.insertAt);
    if (!run) {
      model.announce(`Inserted the cell that ${what} into ${notebook.title.label}.`);
      return;
    }
    model.announce(`Running the cell that ${what}…`);
    const ok = await writer.run(notebook);
    model.announce(ok ? `Done: the cell ${what}.` : `The cell that ${what} failed: see its output.`);
  };

  const rerun = async (entry: IHistoryEntry): Promise<void> => {
    await deliver(rerunLine(entry.id, history.product!, entry.protocol), `re-runs ${entry.protocol} (${entry.id})`, settings.runMode === 'run');
  };

  const save = async (entry: IHistoryEntry): Promise<void> => {
    const suggested = `${entry.protocol}_${entry.id.slice(0, 15).replace(/[^0-9T]/g, '')}`;
    const answer = await InputDialog.getText({
      title: `Save the result of ${entry.protocol} as an artifact`,
      label: 'Artifact name (letters, digits, _ . -)',
      text: suggested,
      okLabel: 'Save'
    });
    if (!answer.button.accept || !answer.value) {
      return;
    }
    const name = answer.value.trim();
    const problem = artifactNameProblem(name);
    if (problem) {
      model.announce(problem);
      return;
    }
    await deliver(saveLine(entry.id, name, history.product!), `saves ${entry.protocol} (${entry.id}) as ${name}`, true);
  };

  const openForm = async (entry: IHistoryEntry): Promise<void> => {
    await deps.commands.execute(deps.openProtocolCommand, {
      product: history.product,
      protocol: entry.version ? `${entry.protocol}@${entry.version}` : entry.protocol,
      parameters: entry.parameters as never
    });
  };

  return { history, rerun, save, openForm };
}
