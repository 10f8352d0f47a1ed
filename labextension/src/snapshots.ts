/**
 * The Snapshots section's state for the selected product: the list, the role's actions, a
 * running build's progress, verify answers, the two snapshots picked for a diff, and which
 * snapshot the current notebook pins. Notebook work (inserting cells, opening the diff view,
 * notifications) is done by the `ISnapshotActions` that index.ts provides.
 */
import { buildSnapshot, snapshotApi } from './api';
import { PanelModel } from './model';
import { ProductSectionModel } from './productSection';
import { tagProblem } from './sectionCode';
import { IBuildProgress, ISnapshotEntry, IVerifyResult } from './types';

/** What the section asks of the application (set once by index.ts). */
export interface ISnapshotActions {
  /** Insert (and run) `%dataproduct snapshot use ID` in the active notebook. */
  use(product: string, snapshot: ISnapshotEntry): Promise<void>;
  /** Open the main-area view of the diff of two snapshots. */
  diff(product: string, a: ISnapshotEntry, b: ISnapshotEntry): Promise<void>;
  /** Ask for a tag name (null: cancelled). */
  askTag(snapshot: ISnapshotEntry): Promise<string | null>;
  /** Tell the user how a build ended (a JupyterLab notification). */
  notify(kind: 'success' | 'error', message: string): void;
}

/** What the current notebook pins, per product (a snapshot reference), or null if unknown. */
export type PinnedProvider = (product: string) => string | null;

export type BuildState =
  | { state: 'idle' }
  | { state: 'running'; progress: IBuildProgress | null }
  | { state: 'failed'; message: string };

export class SnapshotsModel extends ProductSectionModel {
  actions: ISnapshotActions | null = null;
  snapshots: ISnapshotEntry[] = [];
  loading = false;
  build: BuildState = { state: 'idle' };
  /** The id of the snapshot the last build made (highlighted). */
  built: string | null = null;
  verified: Record<string, IVerifyResult | { error: string } | 'running'> = {};
  picked: string[] = [];

  /** Replace how the pinned snapshot is learnt (the Current-notebook section's comm can). */
  setPinnedProvider(provider: PinnedProvider): void {
    this._pinned = provider;
    this.emit();
  }

  /** The listed snapshot the current notebook pins, if it can be told. */
  pinned(): string | null {
    if (!this.product) {
      return null;
    }
    const ref = this._pinned(this.product);
    if (!ref) {
      return null;
    }
    const found =
      ref === 'latest' ? this.snapshots[0] : this.snapshots.find(s => s.tags.includes(ref) || s.id.startsWith(ref));
    return found?.id ?? null;
  }

  async load(): Promise<void> {
    const name = this.readableProduct();
    if (name === null) {
      return;
    }
    this.loading = true;
    this.emit();
    try {
      const listed = await snapshotApi.list(name);
      if (this.answersFor(name, listed)) {
        this.snapshots = listed.snapshots;
      }
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.loading = false;
      this.emit();
    }
  }

  async use(snapshot: ISnapshotEntry): Promise<void> {
    if (this.product && this.actions) {
      await this.actions.use(this.product, snapshot);
      this.emit();
    }
  }

  async verify(snapshot: ISnapshotEntry): Promise<void> {
    const product = this.product;
    if (!product) {
      return;
    }
    this.verified = { ...this.verified, [snapshot.id]: 'running' };
    this.emit();
    let answer: IVerifyResult | { error: string };
    try {
      answer = await snapshotApi.verify(product, snapshot.id);
    } catch (error) {
      answer = { error: (error as Error).message };
    }
    this.verified = { ...this.verified, [snapshot.id]: answer };
    this.say(
      'error' in answer
        ? `Verifying ${snapshot.short} failed: ${answer.error}`
        : answer.ok
          ? `Snapshot ${snapshot.short} is intact.`
          : `Snapshot ${snapshot.short} has changed: ${answer.problems.map(p => p.file).join(', ')}`
    );
  }

  async tag(snapshot: ISnapshotEntry): Promise<void> {
    const product = this.product;
    if (!product || !this.actions) {
      return;
    }
    const name = await this.actions.askTag(snapshot);
    if (name === null) {
      return;
    }
    const problem = tagProblem(name);
    if (problem) {
      this.say(problem);
      return;
    }
    try {
      await snapshotApi.tag(product, name, snapshot.id);
      this.say(`Tagged ${snapshot.short} as ${name}.`);
      await this.load();
    } catch (error) {
      this.say(`Tagging ${snapshot.short} failed: ${(error as Error).message}`);
    }
  }

  /** Pick a snapshot for the diff (at most two: the oldest pick goes). */
  togglePick(id: string): void {
    this.picked = this.picked.includes(id) ? this.picked.filter(p => p !== id) : [...this.picked, id].slice(-2);
    this.emit();
  }

  async diff(): Promise<void> {
    const [a, b] = this.picked.map(id => this.snapshots.find(s => s.id === id)!);
    if (!this.product || !a || !b || !this.actions) {
      this.say('Pick two snapshots to compare.');
      return;
    }
    // Older first: the diff reads as "from a to b".
    const [older, newer] = a.created <= b.created ? [a, b] : [b, a];
    await this.actions.diff(this.product, older, newer);
  }

  async runBuild(): Promise<void> {
    const product = this.product;
    if (!product || this.build.state === 'running') {
      return;
    }
    this.build = { state: 'running', progress: null };
    this.say(`Building a snapshot of ${product}…`);
    try {
      const result = await buildSnapshot(product, progress => {
        this.build = { state: 'running', progress };
        this.emit();
      });
      this.build = { state: 'idle' };
      this.built = result.snapshot.id;
      const text = result.created
        ? `Built snapshot ${result.snapshot.short} of ${product}.`
        : `Nothing changed: ${product}'s snapshot ${result.snapshot.short} is current.`;
      this.say(text);
      this.actions?.notify('success', text);
      if (this.product === product) {
        await this.load();
      }
    } catch (error) {
      const text = `The build of ${product} failed: ${(error as Error).message}`;
      this.build = { state: 'failed', message: text };
      this.say(text);
      this.actions?.notify('error', text);
    }
  }

  protected emptyList(): void {
    this.snapshots = [];
  }

  protected forgetProduct(): void {
    this.verified = {};
    this.picked = [];
    this.built = null;
  }

  private _pinned: PinnedProvider = () => null;
}

const models = new WeakMap<PanelModel, SnapshotsModel>();

/** The Snapshots model of a panel (made on first use). */
export function snapshotsOf(panel: PanelModel): SnapshotsModel {
  let model = models.get(panel);
  if (!model) {
    model = new SnapshotsModel(panel);
    models.set(panel, model);
  }
  return model;
}
