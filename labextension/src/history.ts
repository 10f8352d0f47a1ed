/**
 * The History section's state: the selected product's runs, newest first, a page at a
 * time ("More" appends the next page). Read from the server extension only when the
 * section is expanded and the panel visible, on selecting a product and after a
 * `%dataproduct` cell ran; never from the kernel.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { apiHistory } from './apiHistory';
import { IHistoryEntry, Role, SectionAction } from './types';

export const HISTORY_PAGE = 20;

export class HistoryModel {
  product: string | null = null;
  entries: IHistoryEntry[] = [];
  more = false;
  loading = false;
  error: string | null = null;
  role: Role = 'reader';
  /** What the role may do with an entry (none until the first page answered). */
  allowed: SectionAction[] = [];

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Whether the section is on screen (reads happen only then). */
  setActive(active: boolean): void {
    const was = this._active;
    this._active = active;
    if (active && !was && this._stale) {
      void this.reload();
    }
  }

  /** Show this product's history (read now if on screen, else when shown). */
  show(product: string | null): void {
    if (product === this.product) {
      return;
    }
    this.product = product;
    this.entries = [];
    this.more = false;
    this.error = null;
    this.allowed = [];
    this._stale = true;
    this.emit();
    if (this._active) {
      void this.reload();
    }
  }

  /** Something may have run: read the first page again (now if on screen, else when shown). */
  invalidate(): void {
    this._stale = true;
    if (this._active) {
      void this.reload();
    }
  }

  /** The first page again, keeping as many entries as were listed. */
  async reload(): Promise<void> {
    const product = this.product;
    this._stale = false;
    if (product === null) {
      return;
    }
    const limit = Math.min(200, Math.max(HISTORY_PAGE, this.entries.length));
    await this.read(product, limit, 0, false);
  }

  /** The next page, appended. */
  async loadMore(): Promise<void> {
    if (this.product !== null && this.more && !this.loading) {
      await this.read(this.product, HISTORY_PAGE, this.entries.length, true);
    }
  }

  can(action: SectionAction): boolean {
    return this.allowed.includes(action);
  }

  entry(id: string): IHistoryEntry | undefined {
    return this.entries.find(e => e.id === id);
  }

  private async read(product: string, limit: number, offset: number, append: boolean): Promise<void> {
    const ticket = ++this._ticket;
    this.loading = true;
    this.emit();
    try {
      const page = await apiHistory.page(product, limit, offset);
      if (ticket !== this._ticket || product !== this.product) {
        return; // a newer read (or another product) answers instead
      }
      this.entries = append ? [...this.entries, ...page.entries] : page.entries;
      this.more = page.more;
      this.role = page.role;
      this.allowed = page.actions ?? [];
      this.error = null;
    } catch (error) {
      if (ticket === this._ticket) {
        this.error = (error as Error).message;
      }
    } finally {
      if (ticket === this._ticket) {
        this.loading = false;
        this.emit();
      }
    }
  }

  emit(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _active = false;
  private _stale = true;
  private _ticket = 0;
}
