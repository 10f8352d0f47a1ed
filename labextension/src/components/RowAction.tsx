/**
 * The small buttons under a listed row (a snapshot, an artifact, a run): one look and one
 * behaviour for the Snapshots, Artifacts and History sections. A button whose action the
 * token's role may not take is not rendered (`allowed={false}`): the product would refuse it.
 */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

export interface IRowActionProps {
  /** What the button says (lower case, like the other row buttons). */
  label: string;
  /** Its class (tests and styles find it by this). */
  className: string;
  /** The tooltip: what clicking does, or the code it writes. */
  title: string;
  onClick: () => void | Promise<void>;
  /** False: the role may not do this, nothing is rendered (default true). */
  allowed?: boolean;
  disabled?: boolean;
}

export function RowAction(props: IRowActionProps): JSX.Element | null {
  if (props.allowed === false) {
    return null;
  }
  return (
    <Button
      small
      minimal
      className={`jp-DataProduct-rowAction ${props.className}`}
      title={props.title}
      disabled={props.disabled}
      onClick={() => void props.onClick()}
    >
      {props.label}
    </Button>
  );
}

/** The row's buttons, wrapping on a narrow sidebar. */
export function RowActions(props: { children: React.ReactNode }): JSX.Element {
  return <div className="jp-DataProduct-rowActions">{props.children}</div>;
}
