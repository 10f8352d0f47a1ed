/**
 * The Plugins section's state: the selected product's plugins (Python, R, notebooks; the
 * built-in algorithms apart). Reloaded when the panel selects another product or finishes
 * a refresh (which follows every `%dataproduct` cell, so an export shows at once).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { pluginApi } from './apiPlugins';
import { PanelModel } from './model';
import { IPluginEntry } from './types';

export class PluginsModel {
  constructor(readonly panel: PanelModel) {
    panel.changed.connect(this._onPanelChanged, this);
  }

  product: string | null = null;
  plugins: IPluginEntry[] = [];
  error: string | null = null;
  loading = false;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The product's own plugins, by kind, and the built-ins. */
  get groups(): { python: IPluginEntry[]; r: IPluginEntry[]; notebook: IPluginEntry[]; builtin: IPluginEntry[] } {
    const own = this.plugins.filter(p => !p.builtin);
    return {
      python: own.filter(p => p.kind === 'python'),
      r: own.filter(p => p.kind === 'r'),
      notebook: own.filter(p => p.kind === 'notebook'),
      builtin: this.plugins.filter(p => p.builtin)
    };
  }

  async refresh(): Promise<void> {
    const product = this.panel.selected;
    const entry = this.panel.entry(product);
    this.product = product;
    if (product === null || !entry || entry.health !== 'ok') {
      this.plugins = [];
      this.error = null;
      this._changed.emit();
      return;
    }
    this.loading = true;
    this._changed.emit();
    try {
      const plugins = await pluginApi.plugins(product);
      if (this.product === product) {
        this.plugins = plugins;
        this.error = null;
      }
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.loading = false;
      this._changed.emit();
    }
  }

  dispose(): void {
    this.panel.changed.disconnect(this._onPanelChanged, this);
  }

  private _onPanelChanged(): void {
    const finished = this._panelLoading && !this.panel.loading;
    this._panelLoading = this.panel.loading;
    if (this.panel.selected !== this.product || finished) {
      void this.refresh();
    }
  }

  private _changed = new Signal<this, void>(this);
  private _panelLoading = false;
}
