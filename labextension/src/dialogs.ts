/** The add-product dialog: a folder or a server URL, an optional name and token. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

export interface IAddProduct {
  location: string;
  name: string;
  token: string;
}

class AddProductBody extends Widget implements Dialog.IBodyWidget<IAddProduct> {
  constructor() {
    super({ node: document.createElement('form') });
    this.addClass('jp-DataProduct-addDialog');
    this.node.innerHTML = `
      <label>Folder or server URL
        <input class="jp-mod-styled" name="location" required autocomplete="off"
               placeholder="examples/actg175 or http://host:8000/actg175"/></label>
      <label>Name (optional)
        <input class="jp-mod-styled" name="name" autocomplete="off" placeholder="the product's own name"/></label>
      <label>Token (servers only; kept on the Jupyter server, never in the browser)
        <input class="jp-mod-styled" name="token" type="password" autocomplete="off"/></label>`;
    // Enter submits the dialog rather than reloading the page.
    this.node.addEventListener('submit', event => event.preventDefault());
  }

  getValue(): IAddProduct {
    const field = (name: string): HTMLInputElement => this.node.querySelector(`input[name="${name}"]`)!;
    const value = { location: field('location').value.trim(), name: field('name').value.trim(), token: field('token').value };
    field('token').value = ''; // sent once, in the POST, and forgotten
    return value;
  }

  onAfterAttach(): void {
    this.node.querySelector<HTMLInputElement>('input[name="location"]')?.focus();
  }
}

export async function askProduct(): Promise<IAddProduct | null> {
  const result = await showDialog({
    title: 'Add a data product',
    body: new AddProductBody(),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Add' })],
    focusNodeSelector: 'input[name="location"]'
  });
  if (!result.button.accept || !result.value || !result.value.location) {
    return null;
  }
  return result.value;
}

export async function confirmRemove(name: string): Promise<boolean> {
  const result = await showDialog({
    title: 'Remove data product',
    body: `Remove “${name}” from the connections file? The product itself is not touched.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
  });
  return result.button.accept;
}
