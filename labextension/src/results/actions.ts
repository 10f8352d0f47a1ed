/**
 * What the buttons of a rendered result do: put code into the notebook below the result's
 * cell (and run it where the button says so), open the protocol's form, copy code.
 * Every action that changes the analysis leaves its code in the notebook.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, InputDialog } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { IOpenArgs, ISaveChoice } from './types';

/** The command of the panel's form (pre-filled with `{product, protocol, parameters}`). */
export const OPEN_PROTOCOL = 'dataproduct:open-protocol';
/** Artifact names the product accepts (core/artifacts.py NAME). */
const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export class ResultActions {
  constructor(
    private app: JupyterFrontEnd,
    private tracker: INotebookTracker
  ) {}

  /** Insert `code` in a new cell below the cell whose output holds `node`; run it if asked. */
  async insert(node: HTMLElement, code: string, run: boolean): Promise<string> {
    const panel = this.tracker.find(p => p.content.node.contains(node));
    const index = panel ? panel.content.widgets.findIndex(cell => cell.node.contains(node)) : -1;
    if (!panel || index < 0) {
      Clipboard.copyToSystem(code);
      return 'Not in a notebook: the code is copied to the clipboard.';
    }
    const notebook = panel.content;
    notebook.activeCellIndex = index;
    NotebookActions.insertBelow(notebook);
    notebook.activeCell!.model.sharedModel.setSource(code);
    notebook.deselectAll();
    if (!run) {
      return 'Inserted the code below.';
    }
    const ok = await this.run(panel);
    return ok ? 'Ran the inserted cell below.' : 'The inserted cell failed: see its output.';
  }

  /** Ask what to save and under which name; insert and run the saving code. */
  async save(node: HTMLElement, choices: ISaveChoice[]): Promise<string | null> {
    let choice = choices[0];
    if (choices.length > 1) {
      const picked = await InputDialog.getItem({
        title: 'Save as artifact',
        label: 'What to save',
        items: choices.map(c => c.label)
      });
      if (!picked.button.accept || picked.value === null) {
        return null;
      }
      choice = choices.find(c => c.label === picked.value) ?? choice;
    }
    const named = await InputDialog.getText({
      title: 'Save as artifact',
      label: `Name of the artifact holding ${choice.label}`,
      placeholder: 'letters, digits, _ . -'
    });
    if (!named.button.accept || !named.value) {
      return null;
    }
    const name = named.value.trim();
    if (!ARTIFACT_NAME.test(name)) {
      return `"${name}" is not an artifact name: start with a letter or digit, then letters, digits, _ . - (at most 100).`;
    }
    return this.insert(node, choice.code.split('{name}').join(name), true);
  }

  async open(args: IOpenArgs): Promise<string> {
    await this.app.commands.execute(OPEN_PROTOCOL, args as unknown as Record<string, never>);
    return `Opened ${args.protocol} in the Data Products panel.`;
  }

  copy(code: string): string {
    Clipboard.copyToSystem(code);
    return 'Copied the code that reproduces it.';
  }

  private async run(panel: NotebookPanel): Promise<boolean> {
    return NotebookActions.run(panel.content, panel.sessionContext);
  }
}
