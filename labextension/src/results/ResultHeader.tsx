/** The result's card: title, buttons, values; and its provenance, folded. */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { cellText } from './arrow';
import { IResultBundle } from './types';

export interface IHeaderActions {
  save(): Promise<string | null>;
  rerun(): Promise<string>;
  open(): Promise<string>;
  copy(): string;
}

export function ResultHeader(props: { bundle: IResultBundle; actions: IHeaderActions }): JSX.Element {
  const { bundle, actions } = props;
  const [status, setStatus] = React.useState('');
  const act = (action: () => Promise<string | null> | string): void => {
    void Promise.resolve()
      .then(action)
      .then(message => message !== null && setStatus(message))
      .catch(error => setStatus(`Failed: ${(error as Error).message}`));
  };
  const values = Object.entries(bundle.values).filter(([, v]) => v !== '' && v !== null);
  return (
    <div className="jp-DataProduct-resultHeader">
      <div className="jp-DataProduct-resultTitleRow">
        <div>
          <span className="jp-DataProduct-resultTitle">{bundle.title}</span>{' '}
          <span className="jp-DataProduct-resultSubtitle">{bundle.subtitle}</span>
        </div>
        <div className="jp-DataProduct-resultButtons">
          {!!bundle.code.save?.length && (
            <Button small minimal className="jp-DataProduct-resultSave" onClick={() => act(actions.save)} title="Save as a named artifact (inserts and runs the code)">
              Save as artifact
            </Button>
          )}
          {bundle.code.rerun && (
            <Button small minimal className="jp-DataProduct-resultRerun" onClick={() => act(actions.rerun)} title={bundle.code.rerun}>
              Re-run
            </Button>
          )}
          {bundle.code.open && (
            <Button small minimal className="jp-DataProduct-resultOpen" onClick={() => act(actions.open)} title="Open the protocol's form, filled with these parameters">
              Open in panel
            </Button>
          )}
          {bundle.code.reproduce && (
            <Button small minimal className="jp-DataProduct-resultCopy" onClick={() => act(actions.copy)} title={bundle.code.reproduce}>
              Copy as code
            </Button>
          )}
        </div>
      </div>
      {status && (
        <div className="jp-DataProduct-resultStatus" role="status">
          {status}
        </div>
      )}
      {values.length > 0 && (
        <table className="jp-DataProduct-resultValues">
          <tbody>
            {values.map(([name, value]) => (
              <tr key={name} data-value={name}>
                <th>{name}</th>
                <td>{typeof value === 'number' ? cellText(value) : typeof value === 'string' ? value : JSON.stringify(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Provenance: parameters as a person reads them, then every field. */
export function Provenance(props: { provenance: Record<string, unknown> }): JSX.Element {
  const p = props.provenance;
  const parameters = (p.parameters ?? {}) as Record<string, unknown>;
  const shown = (value: unknown): string => {
    if (value && typeof value === 'object' && 'text' in (value as object)) {
      return String((value as { text: unknown }).text) || '(everyone)';
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
  return (
    <details className="jp-DataProduct-resultProvenance">
      <summary>
        Provenance: {Object.entries(parameters).map(([k, v]) => `${k}=${shown(v)}`).join(', ') || 'no parameters'}
        {p.snapshot ? ` · snapshot ${String(p.snapshot).slice(0, 12)}` : ''}
        {p.history_id ? ` · history ${String(p.history_id)}` : ''}
      </summary>
      <table>
        <tbody>
          {Object.entries(p)
            .filter(([key]) => key !== 'parameters')
            .map(([key, value]) => (
              <tr key={key} data-field={key}>
                <th>{key}</th>
                <td>{shown(value)}</td>
              </tr>
            ))}
          {Object.entries(parameters).map(([key, value]) => (
            <tr key={`parameter-${key}`} data-parameter={key}>
              <th>parameter {key}</th>
              <td>{shown(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
