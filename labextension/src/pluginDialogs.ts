/** The Plugins section's dialogs and its read-only source viewer. */
import { Dialog, MainAreaWidget, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { PLUGIN_NAME, PluginLanguage } from './pluginCode';
import { IPluginSource } from './types';

export interface INewPlugin {
  name: string;
  language: PluginLanguage;
}

class NewPluginBody extends Widget implements Dialog.IBodyWidget<INewPlugin> {
  constructor() {
    super({ node: document.createElement('form') });
    this.addClass('jp-DataProduct-newPluginDialog');
    this.node.innerHTML = `
      <label>Name (lower_snake_case: it names the function and the file)
        <input class="jp-mod-styled" name="name" required autocomplete="off" placeholder="my_plugin"/></label>
      <label>Language
        <select class="jp-mod-styled" name="language">
          <option value="python" selected>Python</option>
          <option value="r">R (runs through rpy2)</option>
        </select></label>`;
    this.node.addEventListener('submit', event => event.preventDefault());
  }

  getValue(): INewPlugin {
    const name = this.node.querySelector<HTMLInputElement>('input[name="name"]')!.value.trim();
    const language = this.node.querySelector<HTMLSelectElement>('select[name="language"]')?.value === 'r' ? 'r' : 'python';
    return { name, language };
  }
}

/** Ask for the new plugin's name and language (null: cancelled). */
export async function askNewPlugin(): Promise<INewPlugin | null> {
  for (;;) {
    const result = await showDialog({
      title: 'New plugin from a cell',
      body: new NewPluginBody(),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Insert cell' })],
      focusNodeSelector: 'input[name="name"]'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    if (PLUGIN_NAME.test(result.value.name)) {
      return result.value;
    }
    await showDialog({
      title: 'Plugin name not allowed',
      body: `“${result.value.name}” is not lower_snake_case (letters a-z, digits and _, not starting with a digit).`,
      buttons: [Dialog.okButton()]
    });
  }
}

/** Whether to overwrite an exported plugin file (the kernel refused without --force). */
export async function confirmOverwrite(name: string, message: string): Promise<boolean> {
  const result = await showDialog({
    title: `Overwrite plugin ${name}?`,
    body: message,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Overwrite' })]
  });
  return result.button.accept;
}

/** A notebook's JSON as readable text: its cells in order, each after a marker line. */
function notebookText(text: string): string {
  try {
    const notebook = JSON.parse(text) as { cells?: { cell_type: string; source: string | string[] }[] };
    return (notebook.cells ?? [])
      .map((cell, i) => {
        const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
        return `# ---- cell ${i + 1} (${cell.cell_type}) ----\n${source}`;
      })
      .join('\n\n');
  } catch {
    return text;
  }
}

/** A read-only view of a plugin's source in the main area. */
export function sourceViewer(product: string, source: IPluginSource): MainAreaWidget {
  const content = new Widget({ node: document.createElement('div') });
  content.addClass('jp-DataProduct-sourceViewer');
  const note = document.createElement('div');
  note.className = 'jp-DataProduct-meta';
  note.textContent = `${product}: ${source.file ?? source.name} (read-only; edit it in the product's repository)`;
  const pre = document.createElement('pre');
  pre.className = 'jp-DataProduct-sourceText';
  pre.textContent = source.kind === 'notebook' ? notebookText(source.text ?? '') : (source.text ?? '');
  content.node.append(note, pre);
  const widget = new MainAreaWidget({ content });
  widget.id = `jp-DataProduct-source-${product}-${source.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  widget.title.label = `${source.name} (read-only)`;
  widget.title.closable = true;
  return widget;
}
