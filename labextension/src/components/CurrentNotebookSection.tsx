/**
 * The Current notebook section: which products the active notebook's kernel has connected
 * and the snapshot each is pinned to, as the kernel itself reports them through a comm
 * (see currentNotebook.ts). Read only while the section is on screen.
 */
import { Button, refreshIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { CurrentNotebookModel, IKernelProduct } from '../currentNotebook';
import { relativeToRoot, serverRoot } from '../serverPaths';
import { useChanged } from './useSection';

export interface ICurrentNotebookActions {
  /** The kernel-reported state of the active notebook (shared with other sections). */
  readonly currentNotebook: CurrentNotebookModel;
}

function ProductRow(props: { product: IKernelProduct }): JSX.Element {
  const { product } = props;
  return (
    <li className="jp-DataProduct-kernelProduct" data-product={product.name} data-pinned={product.pinned ?? ''}>
      <div className="jp-DataProduct-title">
        {product.name}
        {product.default && (
          <span className="jp-DataProduct-badge" title="used when a command names no --product">
            default
          </span>
        )}
      </div>
      <div className="jp-DataProduct-meta jp-DataProduct-location" title={product.location}>
        {relativeToRoot(product.location, serverRoot())}
      </div>
      <div className="jp-DataProduct-meta">
        {product.pinned ? (
          <>
            pinned to <span className="jp-DataProduct-pinned" title={product.pinned}>{product.pinned.slice(0, 12)}</span>
          </>
        ) : (
          'not pinned: runs use the latest snapshot'
        )}
      </div>
    </li>
  );
}

const MESSAGES: Record<string, string> = {
  'no-notebook': 'No notebook is active: open or select one to see which products its kernel has connected.',
  'no-kernel': 'This notebook has no running kernel.',
  unknown: 'Asking the kernel…',
  none: 'Its kernel has not loaded the magics: no data product connected (%load_ext jupyter_dataproduct, then %dataproduct connect).'
};

export function CurrentNotebookSection(props: { actions: ICurrentNotebookActions }): JSX.Element {
  const model = useChanged(props.actions.currentNotebook);
  const status = model.status;
  return (
    <div className="jp-DataProduct-section jp-DataProduct-current">
      {model.notebook && (
        <div className="jp-DataProduct-toolbar">
          <span className="jp-DataProduct-title jp-DataProduct-currentNotebook" title={model.notebook}>
            {model.notebook}
          </span>
          {model.kernelName && <span className="jp-DataProduct-meta">{model.kernelName}</span>}
          <Button
            minimal
            small
            className="jp-DataProduct-iconButton"
            aria-label="Ask the kernel again"
            title="Ask the kernel again"
            onClick={() => model.refresh()}
          >
            <refreshIcon.react tag="span" />
          </Button>
        </div>
      )}
      {status !== 'connected' && <p className="jp-DataProduct-empty jp-DataProduct-currentStatus">{MESSAGES[status]}</p>}
      {status === 'connected' && model.products.length === 0 && (
        <p className="jp-DataProduct-empty jp-DataProduct-currentStatus">The magics are loaded; no product is connected yet.</p>
      )}
      <ul className="jp-DataProduct-list" aria-label="Products connected in this notebook's kernel">
        {model.products.map(p => (
          <ProductRow key={p.name} product={p} />
        ))}
      </ul>
    </div>
  );
}
