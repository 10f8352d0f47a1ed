/**
 * What the Snapshots and Artifacts sections share: each lists one kind of thing of the
 * selected product, follows the selection and the product's health (reading again when
 * either changes), learns the token's role and allowed actions with each list, and shows a
 * product in error as its problem rather than as an empty list.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { PanelModel } from './model';
import { IProductEntry, Role, SectionAction } from './types';

/**
 * What a section says about a product the list shows in error (unreachable, gone): its
 * error and what to do, instead of an empty list that would read as "nothing there".
 */
export function productProblem(entry: IProductEntry | undefined): string | null {
  if (entry?.health !== 'error') {
    return null;
  }
  const why = (entry.error?.message ?? 'it does not answer').trim();
  const stop = /[.!?)]$/.test(why) ? '' : '.';
  return `${entry.name} cannot be read: ${why}${stop} Refresh the products (↻) once it is back.`;
}

/** The part of a list answer every such section reads. */
interface IRoleAnswer {
  role: Role;
  actions: SectionAction[];
}

export abstract class ProductSectionModel {
  constructor(readonly panel: PanelModel) {
    panel.changed.connect(() => {
      // Another product, or the selected one went down or came back (the list was refreshed).
      const health = panel.entry(panel.selected)?.health;
      if (panel.selected !== this.product || health !== this.health) {
        this.health = health;
        void this.load();
      }
    });
  }

  product: string | null = null;
  role: Role = 'reader';
  allowed: SectionAction[] = [];
  error: string | null = null;
  message = '';

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  can(action: SectionAction): boolean {
    return this.allowed.includes(action);
  }

  /** Read the selected product's list (again). */
  abstract load(): Promise<void>;

  /** Show a message in the section (its own aria-live status, not the Form's). */
  say(message: string): void {
    this.message = message;
    this.emit();
  }

  emit(): void {
    this._changed.emit();
  }

  /** Empty the list (the product changed, or it cannot be read). */
  protected abstract emptyList(): void;

  /** Forget what belonged to the previous product besides its list (picks, open rows). */
  protected abstract forgetProduct(): void;

  /**
   * The selected product, if it can be read now. Otherwise null, with the list emptied and
   * the product's problem shown. A newly selected product starts from a clean state.
   */
  protected readableProduct(): string | null {
    const name = this.panel.selected;
    if (name !== this.product) {
      this.product = name;
      this.allowed = [];
      this.message = '';
      this.emptyList();
      this.forgetProduct();
    }
    const entry = this.panel.entry(name);
    if (name === null || !entry || entry.health === 'error') {
      this.error = productProblem(entry);
      this.allowed = [];
      this.emptyList();
      this.emit();
      return null;
    }
    return name;
  }

  /** Take a list answer's role and actions; false if another product is selected by now. */
  protected answersFor(name: string, answer: IRoleAnswer): boolean {
    if (this.product !== name) {
      return false;
    }
    this.role = answer.role;
    this.allowed = answer.actions;
    this.error = null;
    return true;
  }

  private health: IProductEntry['health'] | undefined = undefined;
  private _changed = new Signal<this, void>(this);
}
