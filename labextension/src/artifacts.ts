/**
 * The Artifacts section's state for the selected product: saved cohorts, tables and results
 * with their provenance and the role's actions. Loading one into a variable inserts code
 * (`%dataproduct load NAME -o VAR`); using one as a parameter writes `@name` into the open
 * form; deleting asks first and the product decides.
 */
import { snapshotApi } from './api';
import { PanelModel } from './model';
import { ProductSectionModel } from './productSection';
import { fittingParameters } from './sectionCode';
import { IArtifactEntry } from './types';

export interface IArtifactActions {
  /** Insert (and run) `%dataproduct load NAME -o VAR` in the active notebook. */
  load(product: string, artifact: IArtifactEntry): Promise<void>;
  /** Ask before deleting. */
  confirmDelete(product: string, artifact: IArtifactEntry): Promise<boolean>;
  /** Show the form (after a parameter was filled in). */
  showForm(): void;
}

export class ArtifactsModel extends ProductSectionModel {
  actions: IArtifactActions | null = null;
  artifacts: IArtifactEntry[] = [];
  expanded: string | null = null;

  async load(): Promise<void> {
    const name = this.readableProduct();
    if (name === null) {
      return;
    }
    try {
      const listed = await snapshotApi.artifacts(name);
      if (this.answersFor(name, listed)) {
        this.artifacts = [...listed.artifacts].sort((a, b) => (a.created < b.created ? 1 : -1));
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

  protected emptyList(): void {
    this.artifacts = [];
  }

  protected forgetProduct(): void {
    this.expanded = null;
  }
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
