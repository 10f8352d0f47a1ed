/**
 * The panel's state: products, the selected product's dictionary and protocols, the
 * open protocol's form. Every change emits `changed`; the React sections re-render.
 * Only the server extension is asked (metadata and counts): never the kernel.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { api, ApiError } from './api';
import { prefill } from './prefill';
import { IProductEntry, IProductInfo, IProtocolDetail, IProtocolSummary } from './types';

export type ServerState =
  | { kind: 'unknown' }
  | { kind: 'ok'; version: string }
  | { kind: 'mismatch'; version: string }
  | { kind: 'missing'; message: string };

export class PanelModel {
  constructor(readonly version: string) {}

  server: ServerState = { kind: 'unknown' };
  products: IProductEntry[] = [];
  productsError: string | null = null;
  loading = false;

  selected: string | null = null;
  info: IProductInfo | null = null;
  protocols: IProtocolSummary[] = [];
  browseError: string | null = null;
  filter = '';

  protocol: IProtocolDetail | null = null;
  formData: Record<string, unknown> = {};
  formError: string | null = null;
  /** A note on the open form (parameters left out of a pre-filled form). */
  formNote: string | null = null;

  /** The last message for screen readers and the status line (aria-live). */
  announcement = '';

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** A named product entry, if listed. */
  entry(name: string | null): IProductEntry | undefined {
    return this.products.find(p => p.name === name);
  }

  announce(message: string): void {
    this.announcement = message;
    this.emit();
  }

  /** Ask the server extension for its version (a warning on mismatch, never a lock-out). */
  async handshake(): Promise<void> {
    try {
      const { version } = await api.version();
      this.server = version === this.version ? { kind: 'ok', version } : { kind: 'mismatch', version };
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      this.server = {
        kind: 'missing',
        message:
          status === 404
            ? 'The jupyter_dataproduct server extension is not enabled. Run ' +
              '"jupyter server extension enable jupyter_dataproduct" and restart JupyterLab.'
            : `The jupyter_dataproduct server extension does not answer: ${(error as Error).message}`
      };
    }
    this.emit();
  }

  /** Products, then the selected product's protocols and dictionary. */
  async refresh(): Promise<void> {
    if (this.server.kind === 'missing' || this._refreshing) {
      return;
    }
    this._refreshing = true;
    this.loading = true;
    this.emit();
    try {
      this.products = await api.products();
      this.productsError = null;
      if (this.selected === null && this.products.length > 0) {
        const healthy = this.products.find(p => p.health === 'ok');
        this.selected = healthy ? healthy.name : null;
      }
      if (this.selected !== null && !this.entry(this.selected)) {
        this.selected = null;
        this.info = null;
        this.protocols = [];
        this.closeProtocol();
      }
      await this.loadSelected();
    } catch (error) {
      this.productsError = (error as Error).message;
      this.announcement = `Products could not be listed: ${this.productsError}`;
    } finally {
      this.loading = false;
      this._refreshing = false;
      this.emit();
    }
  }

  async select(name: string): Promise<void> {
    if (name !== this.selected) {
      this.selected = name;
      this.info = null;
      this.protocols = [];
      this.closeProtocol();
    }
    this.emit();
    await this.loadSelected();
    this.emit();
  }

  private async loadSelected(): Promise<void> {
    const name = this.selected;
    const entry = this.entry(name);
    if (name === null || !entry) {
      return;
    }
    if (entry.health === 'error') {
      this.browseError = entry.error?.message ?? 'This product cannot be reached.';
      this.info = null;
      this.protocols = [];
      return;
    }
    try {
      const [info, protocols] = await Promise.all([api.product(name), api.protocols(name)]);
      if (this.selected === name) {
        this.info = info;
        this.protocols = protocols;
        this.browseError = null;
      }
    } catch (error) {
      this.browseError = (error as Error).message;
      this.announcement = `${name}: ${this.browseError}`;
    }
  }

  async addProduct(location: string, name?: string, token?: string): Promise<IProductEntry> {
    const entry = await api.addProduct(location, name, token);
    this.announcement = `Added ${entry.name}.`;
    this.selected = entry.name;
    await this.refresh();
    return entry;
  }

  async removeProduct(name: string): Promise<void> {
    await api.removeProduct(name);
    if (this.selected === name) {
      this.selected = null;
    }
    this.announcement = `Removed ${name}.`;
    await this.refresh();
  }

  /** Open a protocol's form: its defaults, or pre-filled with `parameters` (see prefill.ts);
   * `version`: the one the parameters come from (a note when the form's differs). */
  async openProtocol(name: string, parameters?: Record<string, unknown>, version?: string): Promise<void> {
    if (this.selected === null) {
      return;
    }
    const product = this.selected;
    try {
      const detail = await api.protocol(product, name);
      this.protocol = detail;
      this.formNote = null;
      if (parameters) {
        const filled = prefill(detail, parameters, defaults(detail));
        this.formData = filled.data;
        if (filled.dropped.length > 0) {
          this.formNote = `Left out ${filled.dropped.join(', ')}: not ${filled.dropped.length === 1 ? 'a parameter' : 'parameters'} of ${detail.name} v${detail.version}.`;
        }
      } else {
        this.formData = defaults(detail);
      }
      if (version && version !== detail.version) {
        const note = `These parameters are from v${version}; the form is v${detail.version}.`;
        this.formNote = this.formNote ? `${this.formNote} ${note}` : note;
      }
      this.formRevision += 1; // a form opened again (pre-filled) is drawn anew
      this.formError = null;
      this.announcement = `Form for ${detail.title || detail.name} opened${parameters ? ' with the given parameters' : ''}.` + (this.formNote ? ` ${this.formNote}` : '');
    } catch (error) {
      this.formError = (error as Error).message;
      this.announcement = `${name}: ${this.formError}`;
    }
    this.emit();
    this._protocolOpened.emit(name);
  }

  /** Open a form for a detail fetched elsewhere (a plugin's, from the Plugins section). */
  showDetail(detail: IProtocolDetail): void {
    this.protocol = detail;
    this.formData = defaults(detail);
    this.formError = null;
    this.announcement = `Form for ${detail.title || detail.name} opened.`;
    this.emit();
    this._protocolOpened.emit(detail.name);
  }

  closeProtocol(): void {
    this.protocol = null;
    this.formData = {};
    this.formError = null;
    this.formNote = null;
  }

  setFormData(data: Record<string, unknown>): void {
    this.formData = data;
  }

  /** Bumped when the form's values are replaced from outside it (the form is drawn anew). */
  formRevision = 0;

  /** Replace the open form's values (an artifact dropped into a parameter) and redraw it. */
  replaceFormData(data: Record<string, unknown>): void {
    this.formData = data;
    this.formRevision += 1;
    this.emit();
  }

  setFilter(filter: string): void {
    this.filter = filter;
    this.emit();
  }

  get protocolOpened(): ISignal<this, string> {
    return this._protocolOpened;
  }

  /** Poll every `seconds` while the panel is visible (0: never); refresh on showing. */
  setPolling(visible: boolean, seconds: number): void {
    window.clearInterval(this._timer);
    this._timer = undefined;
    if (visible && seconds > 0) {
      this._timer = window.setInterval(() => void this.refresh(), seconds * 1000);
    }
  }

  dispose(): void {
    window.clearInterval(this._timer);
  }

  emit(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _protocolOpened = new Signal<this, string>(this);
  private _refreshing = false;
  private _timer: number | undefined;
}

/** The form's first values: the schema's defaults. */
export function defaults(detail: IProtocolDetail): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(detail.schema.properties)) {
    if (property.default !== undefined) {
      data[name] = JSON.parse(JSON.stringify(property.default));
    }
  }
  return data;
}

/** Case-insensitive match of the filter against a protocol's texts. */
export function matchesFilter(protocol: IProtocolSummary, filter: string): boolean {
  const needle = filter.trim().toLowerCase();
  if (!needle) {
    return true;
  }
  return [protocol.name, protocol.title, protocol.description, ...protocol.parameters.map(p => p.name)]
    .join(' ')
    .toLowerCase()
    .includes(needle);
}
