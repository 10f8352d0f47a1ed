/**
 * Which products the active notebook's kernel has connected, and which snapshot each is
 * pinned to: learned through the comm `jupyter_dataproduct.session` that the kernel's
 * magics register (jupyter_dataproduct/kernel/comm.py), never by running code in the kernel.
 * The kernel pushes its state after every cell that changed it.
 *
 * For other sections (the Snapshots section marks the pinned snapshot):
 *   - `currentNotebook.changed`: emitted when the active notebook, its kernel or its state changes;
 *   - `currentNotebook.pinned(product)`: the full id of the snapshot the active notebook's
 *     kernel pins `product` to, or null (not connected, not pinned, or not known yet);
 *   - `currentNotebook.setActive(key, on)`: a section that shows this state says when it is
 *     on screen; comms are opened only while some section is (the kernel is never asked
 *     for a notebook nobody looks at).
 * Product names are the kernel's names (`%dataproduct connect ... --as NAME`), which are
 * the panel's names for products connected from it.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

export const COMM_TARGET = 'jupyter_dataproduct.session';

export interface IKernelProduct {
  name: string;
  location: string;
  /** Full snapshot id, or null: runs use the latest snapshot. */
  pinned: string | null;
  default: boolean;
}

/**
 * - `no-notebook`: no notebook is active; `no-kernel`: it has no running kernel;
 * - `unknown`: not asked yet; `none`: the kernel has not loaded the magics (or restarted);
 * - `connected`: the kernel answered (`products` may still be empty).
 */
export type KernelStatus = 'no-notebook' | 'no-kernel' | 'unknown' | 'none' | 'connected';

interface IKernelEntry {
  status: 'none' | 'connected';
  products: IKernelProduct[];
  comm: Kernel.IComm | null;
}

export class CurrentNotebookModel {
  constructor(private tracker: INotebookTracker) {
    tracker.currentChanged.connect(() => this.follow());
    tracker.widgetAdded.connect((_, panel) => this.watchSession(panel.sessionContext));
    tracker.forEach(panel => this.watchSession(panel.sessionContext));
    // A cell that may have loaded the magics: a kernel that had none is asked again.
    NotebookActions.executed.connect((_, { notebook, cell }) => {
      const kernel = this.tracker.find(p => p.content === notebook)?.sessionContext.session?.kernel;
      if (kernel && /dataproduct/.test(cell.model.sharedModel.getSource()) && !this.kernels.get(kernel.id)?.comm) {
        this.listen(kernel);
      }
    });
    this.follow();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The active notebook's path, or null. */
  get notebook(): string | null {
    return this.current()?.context.path ?? null;
  }

  get kernelName(): string {
    return this.current()?.sessionContext.kernelDisplayName ?? '';
  }

  get status(): KernelStatus {
    const panel = this.current();
    if (!panel) {
      return 'no-notebook';
    }
    const kernel = panel.sessionContext.session?.kernel;
    if (!kernel) {
      return 'no-kernel';
    }
    return this.kernels.get(kernel.id)?.status ?? 'unknown';
  }

  /** The products the active notebook's kernel has connected (empty when unknown). */
  get products(): IKernelProduct[] {
    const kernel = this.current()?.sessionContext.session?.kernel;
    return (kernel && this.kernels.get(kernel.id)?.products) || [];
  }

  /** The snapshot the active notebook's kernel pins `product` to, or null. */
  pinned(product: string): string | null {
    return this.products.find(p => p.name === product)?.pinned ?? null;
  }

  /** `key` (a section) is on screen or not; comms open only while some section is. */
  setActive(key: string, on: boolean): void {
    if (on) {
      this.active.add(key);
    } else {
      this.active.delete(key);
    }
    if (on) {
      this.follow();
    }
  }

  /** Ask the active notebook's kernel again (a comm opened if none is). */
  refresh(): void {
    const kernel = this.current()?.sessionContext.session?.kernel;
    const entry = kernel ? this.kernels.get(kernel.id) : undefined;
    if (entry?.comm && !entry.comm.isDisposed) {
      entry.comm.send({ request: 'state' });
    } else if (kernel) {
      this.listen(kernel);
    }
  }

  private current(): NotebookPanel | null {
    return this.tracker.currentWidget;
  }

  /** The active notebook changed (or a section came on screen): listen to its kernel. */
  private follow(): void {
    const kernel = this.current()?.sessionContext.session?.kernel;
    if (kernel && this.active.size > 0 && !this.kernels.get(kernel.id)?.comm) {
      this.listen(kernel);
    }
    this.emit();
  }

  private watchSession(context: ISessionContext): void {
    context.kernelChanged.connect(() => this.follow());
    context.statusChanged.connect((_, status) => {
      const kernel = context.session?.kernel;
      if (kernel && (status === 'restarting' || status === 'autorestarting' || status === 'dead')) {
        // A restarted kernel has lost its products and its comms.
        this.kernels.set(kernel.id, { status: 'none', products: [], comm: null });
        this.emit();
      }
    });
  }

  /** Open a comm to the kernel's target; a kernel without the magics closes it at once. */
  private listen(kernel: Kernel.IKernelConnection): void {
    if (this.opening.has(kernel.id) || !kernel.handleComms) {
      return;
    }
    this.opening.add(kernel.id);
    let comm: Kernel.IComm;
    try {
      comm = kernel.createComm(COMM_TARGET);
    } catch {
      this.opening.delete(kernel.id);
      return;
    }
    const id = kernel.id;
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
      this.opening.delete(id);
      const data = msg.content.data as { products?: IKernelProduct[] };
      this.kernels.set(id, { status: 'connected', products: Array.isArray(data.products) ? data.products : [], comm });
      this.emit();
    };
    comm.onClose = () => {
      this.opening.delete(id);
      const entry = this.kernels.get(id);
      if (!entry || entry.comm === comm || entry.comm === null) {
        this.kernels.set(id, { status: 'none', products: [], comm: null });
        this.emit();
      }
    };
    comm.open({});
  }

  private emit(): void {
    this._changed.emit();
  }

  private kernels = new Map<string, IKernelEntry>();
  private opening = new Set<string>();
  private active = new Set<string>();
  private _changed = new Signal<this, void>(this);
}
