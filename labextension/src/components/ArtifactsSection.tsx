/**
 * The Artifacts section: saved cohorts, tables and results with kind, created and
 * provenance (expandable); load into a variable, use as a parameter of the open form,
 * delete (asked first; never shown to a reader; the product decides).
 */
import React from 'react';

import { artifactsOf, ArtifactsModel } from '../artifacts';
import { PanelModel } from '../model';
import { fittingParameters } from '../sectionCode';
import { IArtifactEntry } from '../types';
import { RowAction, RowActions } from './RowAction';
import { shortTime, useChanged } from './useSection';

/** A provenance value as the narrow panel shows it (ids shortened; the title has all of it). */
function provenanceText(key: string, value: unknown): string {
  if (key === 'snapshot' && typeof value === 'string') {
    return value.slice(0, 12);
  }
  if (key === 'cohort' && value && typeof value === 'object' && 'text' in (value as object)) {
    return String((value as { text: unknown }).text);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function Provenance(props: { provenance: Record<string, unknown> }): JSX.Element {
  return (
    <dl className="jp-DataProduct-provenance">
      {Object.entries(props.provenance).map(([key, value]) => (
        <React.Fragment key={key}>
          <dt>{key}</dt>
          <dd>
            <code title={typeof value === 'string' ? value : undefined}>{provenanceText(key, value)}</code>
          </dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

/** An artifact's summary: a text, or a few `key: value` pairs (rows, columns...). */
function summaryText(summary: unknown): string {
  if (typeof summary === 'string') {
    return summary;
  }
  if (summary && typeof summary === 'object') {
    return Object.entries(summary as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' · ');
  }
  return String(summary);
}

function ArtifactRow(props: { model: ArtifactsModel; artifact: IArtifactEntry }): JSX.Element {
  const { model, artifact } = props;
  const open = model.expanded === artifact.name;
  const provenance = artifact.provenance ?? {};
  const origin = [provenance.protocol, typeof provenance.snapshot === 'string' ? `snapshot ${provenance.snapshot.slice(0, 12)}` : null]
    .filter(Boolean)
    .join(' · ');
  const fits = fittingParameters(model.panel.protocol, artifact).length > 0;
  return (
    <li className="jp-DataProduct-artifact jp-DataProduct-row" data-artifact={artifact.name}>
      <div className="jp-DataProduct-rowText">
        <button
          className="jp-DataProduct-disclosure"
          aria-expanded={open}
          title="Show the provenance"
          onClick={() => model.toggle(artifact.name)}
        >
          <span aria-hidden="true">{open ? '▾' : '▸'}</span>
          <span className="jp-DataProduct-title">{artifact.name}</span>
        </button>
        <div className="jp-DataProduct-meta">
          <span className={`jp-DataProduct-kind jp-mod-${artifact.kind}`}>{artifact.kind}</span>
          {artifact.entity ? ` of ${artifact.entity}` : ''} · {shortTime(artifact.created)}
          {origin ? ` · ${origin}` : ''}
        </div>
        {open && (
          <div className="jp-DataProduct-artifactDetail">
            {artifact.summary !== undefined && (
              <div className="jp-DataProduct-description">{summaryText(artifact.summary)}</div>
            )}
            {artifact.description && <div className="jp-DataProduct-description">{artifact.description}</div>}
            <Provenance provenance={provenance} />
          </div>
        )}
        <RowActions>
          <RowAction
            allowed={model.can('load')}
            label="load"
            className="jp-DataProduct-load"
            title="Load it into a variable of the notebook (%dataproduct load)"
            onClick={() => model.loadIntoVariable(artifact)}
          />
          <RowAction
            allowed={model.can('use_parameter') && artifact.kind === 'cohort'}
            label="use as parameter"
            className={`jp-DataProduct-useParameter${fits ? '' : ' jp-mod-nofit'}`}
            title={fits ? 'Put @name into the open form' : 'Open a form with a cohort parameter first'}
            onClick={() => model.useAsParameter(artifact)}
          />
          <RowAction
            allowed={model.can('delete_artifact')}
            label="delete"
            className="jp-DataProduct-deleteArtifact"
            title="Delete this artifact (asks first)"
            onClick={() => model.remove(artifact)}
          />
        </RowActions>
      </div>
    </li>
  );
}

export function ArtifactsSection(props: { model: PanelModel }): JSX.Element {
  const model = useChanged(artifactsOf(props.model));
  if (!model.product) {
    return <p className="jp-DataProduct-empty">Select a product to see its saved cohorts, tables and results.</p>;
  }
  return (
    <div className="jp-DataProduct-section jp-DataProduct-artifacts">
      {model.error && (
        <div className="jp-DataProduct-error" role="alert">
          {model.error}
        </div>
      )}
      {!model.error && model.artifacts.length === 0 && (
        <p className="jp-DataProduct-empty">Nothing saved yet: save a cohort or a result from the notebook.</p>
      )}
      <ul className="jp-DataProduct-list" aria-label={`Artifacts of ${model.product}`}>
        {model.artifacts.map(a => (
          <ArtifactRow key={a.name} model={model} artifact={a} />
        ))}
      </ul>
      <div className="jp-DataProduct-sectionMessage jp-DataProduct-artifactsMessage" role="status" aria-live="polite">
        {model.message}
      </div>
    </div>
  );
}
