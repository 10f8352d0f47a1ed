/**
 * The Artifacts section's state for the selected product: saved cohorts, tables and results
 * with their provenance and the role's actions. Loading one into a variable inserts code
 * (`%dataproduct load NAME -o VAR`); using one as a parameter writes `@name` into the open
 * form; deleting asks first and the product decides.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { snapshotApi } from './api';
import { productProblem } from './snapshots';
import { PanelModel } from './model';
import { fittingParameters } from './sectionCode';
import { IArtifactEntry, IProductEntry, Role, SectionAction } from './types';

export interface IArtifactActions {
  /** Insert (and run) `%dataproduct load NAME -o VAR` in the active notebook. */
  load(product: string, artifact: IArtifactEntry): Promise<void>;
  /** Ask before deleting. */
  confirmDelete(product: string, artifact: IArtifactEntry): Promise<boolean>;
  /** Show the form (after a parameter was filled in). */
  showForm(): void;
}

export class ArtifactsModel {
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

  actions: IArtifactActions | null = null;
  product: string | null = null;
  artifacts: IArtifactEntry[] = [];
  role: Role = 'reader';
  allowed: SectionAction[] = [];
  error: string | null = null;
  message = '';
  expanded: string | null = null;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  can(action: SectionAction): boolean {
    return this.allowed.includes(action);
  }

  async load(): Promise<void> {
    const name = this.panel.selected;
    if (name !== this.product) {
      this.product = name;
      this.artifacts = [];
      this.allowed = [];
      this.expanded = null;
      this.message = '';
    }
    const entry = this.panel.entry(name);
    if (name === null || !entry || entry.health === 'error') {
      this.error = productProblem(entry);
      this.artifacts = [];
      this.allowed = [];
      this.emit();
      return;
    }
    try {
      const listed = await snapshotApi.artifacts(name);
      if (this.product === name) {
        this.artifacts = [...listed.artifacts].sort((a, b) => (a.created < b.created ? 1 : -1));
        this.role = listed.role;
        this.allowed = listed.actions;
        this.error = null;
      }
    } catch (error) {
      this.error = (error as Error).message;
    }
    this.emit();
  }

  toggle(name: string): void {
    this.expanded = this.expanded === name ? null : name;
    this.emit();
  }

  async loadIntoVariable(artifact: IArtifactEntry): Promise<void> {
    if (this.product && this.actions) {
      await this.actions.load(this.product, artifact);
    }
  }

  /** Write `@name` into the open form's fitting parameter (the first, if several fit). */
  useAsParameter(artifact: IArtifactEntry): void {
    const protocol = this.panel.protocol;
    if (!protocol) {
      this.say(`Open a protocol's form first: ${artifact.name} goes into one of its parameters.`);
      return;
    }
    const fitting = fittingParameters(protocol, artifact);
    if (fitting.length === 0) {
      this.say(
        artifact.kind === 'cohort'
          ? `No parameter of ${protocol.name} takes a cohort of ${artifact.entity ?? 'this entity'}.`
          : `No parameter of ${protocol.name} takes a saved ${artifact.kind}; only cohorts go into forms.`
      );
      return;
    }
    this.panel.replaceFormData({ ...this.panel.formData, [fitting[0]]: `@${artifact.name}` });
    this.say(`${fitting[0]} of ${protocol.name} is now @${artifact.name}.`);
    this.actions?.showForm();
  }

  async remove(artifact: IArtifactEntry): Promise<void> {
    const product = this.product;
    if (!product || !this.actions || !(await this.actions.confirmDelete(product, artifact))) {
      return;
    }
    try {
      await snapshotApi.deleteArtifact(product, artifact.name);
      this.say(`Deleted ${artifact.name}.`);
      await this.load();
    } catch (error) {
      this.say(`${artifact.name} was not deleted: ${(error as Error).message}`);
    }
  }

  /** Show a message in the section (its own aria-live status, not the Form's). */
  say(message: string): void {
    this.message = message;
    this.emit();
  }

  emit(): void {
    this._changed.emit();
  }

  private health: IProductEntry['health'] | undefined = undefined;
  private _changed = new Signal<this, void>(this);
}

const models = new WeakMap<PanelModel, ArtifactsModel>();

export function artifactsOf(panel: PanelModel): ArtifactsModel {
  let model = models.get(panel);
  if (!model) {
    model = new ArtifactsModel(panel);
    models.set(panel, model);
  }
  return model;
}
