/**
 * The Snapshots section: the selected product's snapshots (short id, created, rows per
 * entity, tags, the one the current notebook pins) with use, tag, verify, diff of two and
 * build (a progress bar streamed from the build). Buttons follow the token's role.
 */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { PanelModel } from '../model';
import { snapshotsOf, SnapshotsModel } from '../snapshots';
import { ISnapshotEntry } from '../types';
import { RowAction, RowActions } from './RowAction';
import { shortTime, useChanged } from './useSection';

function rowsText(rows: Record<string, number>): string {
  return Object.entries(rows)
    .map(([entity, n]) => `${entity} ${n.toLocaleString()}`)
    .join(' · ');
}

function VerifyAnswer(props: { model: SnapshotsModel; id: string }): JSX.Element | null {
  const answer = props.model.verified[props.id];
  if (!answer) {
    return null;
  }
  if (answer === 'running') {
    return <div className="jp-DataProduct-meta">verifying…</div>;
  }
  if ('error' in answer) {
    return (
      <div className="jp-DataProduct-error" role="alert">
        {answer.error}
      </div>
    );
  }
  if (answer.ok) {
    return <div className="jp-DataProduct-ok jp-DataProduct-verified">✓ intact: every file matches its hash</div>;
  }
  return (
    <div className="jp-DataProduct-error jp-DataProduct-verified" role="alert">
      ✗ changed:
      <ul className="jp-DataProduct-problems">
        {answer.problems.map(p => (
          <li key={p.file}>
            <code>{p.file}</code> {p.problem}
          </li>
        ))}
      </ul>
    </div>
  );
}

function SnapshotRow(props: { model: SnapshotsModel; snapshot: ISnapshotEntry; pinned: boolean }): JSX.Element {
  const { model, snapshot, pinned } = props;
  const picked = model.picked.includes(snapshot.id);
  const fresh = model.built === snapshot.id;
  return (
    <li
      className={`jp-DataProduct-snapshot jp-DataProduct-row${fresh ? ' jp-mod-new' : ''}${pinned ? ' jp-mod-pinned' : ''}`}
      data-snapshot={snapshot.id}
      aria-label={`Snapshot ${snapshot.short}${pinned ? ', pinned in this notebook' : ''}`}
    >
      {model.can('diff') && (
        <input
          type="checkbox"
          className="jp-DataProduct-pick"
          checked={picked}
          title="Pick for a diff (two)"
          aria-label={`Pick ${snapshot.short} for a diff`}
          onChange={() => model.togglePick(snapshot.id)}
        />
      )}
      <div className="jp-DataProduct-rowText">
        <div className="jp-DataProduct-title">
          <code className="jp-DataProduct-snapshotId" title={snapshot.id}>
            {snapshot.short}
          </code>
          {snapshot.tags.map(tag => (
            <span key={tag} className="jp-DataProduct-tag">
              {tag}
            </span>
          ))}
          {pinned && (
            <span className="jp-DataProduct-pinned" title="The current notebook uses this snapshot">
              pinned
            </span>
          )}
        </div>
        <div className="jp-DataProduct-meta">
          {shortTime(snapshot.created)} · {rowsText(snapshot.rows)}
        </div>
        <VerifyAnswer model={model} id={snapshot.id} />
        <RowActions>
          <RowAction
            allowed={model.can('use')}
            label="use"
            className="jp-DataProduct-use"
            title="Pin the notebook to this snapshot (%dataproduct snapshot use)"
            onClick={() => model.use(snapshot)}
          />
          <RowAction
            allowed={model.can('tag')}
            label="tag"
            className="jp-DataProduct-tagButton"
            title="Tag this snapshot"
            onClick={() => model.tag(snapshot)}
          />
          <RowAction
            allowed={model.can('verify')}
            label="verify"
            className="jp-DataProduct-verify"
            title="Re-hash every file of this snapshot"
            onClick={() => model.verify(snapshot)}
          />
        </RowActions>
      </div>
    </li>
  );
}

function BuildBar(props: { model: SnapshotsModel }): JSX.Element | null {
  const build = props.model.build;
  if (build.state === 'failed') {
    return (
      <div className="jp-DataProduct-error jp-DataProduct-buildError" role="alert">
        {build.message}
      </div>
    );
  }
  if (build.state !== 'running') {
    return null;
  }
  const progress = build.progress;
  const fraction = progress && progress.total > 0 ? progress.done / progress.total : null;
  return (
    <div className="jp-DataProduct-build" role="status" aria-live="polite">
      <progress
        className="jp-DataProduct-progress"
        max={1}
        {...(fraction !== null ? { value: fraction } : {})}
        aria-label="Snapshot build progress"
      />
      <div className="jp-DataProduct-meta">
        {progress ? `${progress.message} (${progress.done}/${progress.total})` : 'starting the build…'}
      </div>
    </div>
  );
}

export function SnapshotsSection(props: { model: PanelModel }): JSX.Element {
  const model = useChanged(snapshotsOf(props.model));
  if (!model.product) {
    return <p className="jp-DataProduct-empty">Select a product to see its snapshots.</p>;
  }
  const pinned = model.pinned();
  return (
    <div className="jp-DataProduct-section jp-DataProduct-snapshots">
      <div className="jp-DataProduct-toolbar">
        {model.can('build') && (
          <Button
            small
            className="jp-DataProduct-buildButton"
            disabled={model.build.state === 'running'}
            title="Build a snapshot from the product's sources"
            onClick={() => void model.runBuild()}
          >
            Build
          </Button>
        )}
        {model.can('diff') && (
          <Button
            small
            minimal
            className="jp-DataProduct-diffButton"
            disabled={model.picked.length !== 2}
            title="Compare the two picked snapshots"
            onClick={() => void model.diff()}
          >
            Diff {model.picked.length}/2
          </Button>
        )}
        {model.allowed.length > 0 && (
          <span className="jp-DataProduct-meta jp-DataProduct-role" title="What the product's token may do">
            {model.role}
          </span>
        )}
        {model.loading && <span className="jp-DataProduct-meta">loading…</span>}
      </div>
      <BuildBar model={model} />
      {model.error && (
        <div className="jp-DataProduct-error" role="alert">
          {model.error}
        </div>
      )}
      {!model.error && !model.loading && model.snapshots.length === 0 && (
        <p className="jp-DataProduct-empty">
          {model.can('build')
            ? 'No snapshot yet: build one (Build reads the sources into a new snapshot).'
            : "No snapshot yet: building one needs an admin of the product's server."}
        </p>
      )}
      <ul className="jp-DataProduct-list" aria-label={`Snapshots of ${model.product}`}>
        {model.snapshots.map(s => (
          <SnapshotRow key={s.id} model={model} snapshot={s} pinned={s.id === pinned} />
        ))}
      </ul>
      <div className="jp-DataProduct-sectionMessage jp-DataProduct-snapshotsMessage" role="status" aria-live="polite">
        {model.message}
      </div>
    </div>
  );
}
