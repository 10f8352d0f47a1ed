/**
 * Parameters from elsewhere (a history entry, a result's provenance, a caller of the
 * `dataproduct:open-protocol` command) as the values of a protocol's form.
 *
 * Recorded cohorts (`{entity, tree, text, artifact?}`) become what the cohort builder
 * edits: `{artifact}` for a saved cohort, else the tree. Parameters the protocol does not
 * have are dropped and named, so the caller can say so. Values are not checked here: the
 * form validates them against the schema and shows what it refuses as its own errors.
 */
import { IProtocolDetail } from './types';

export interface IPrefill {
  /** The form's values: the protocol's defaults, overlaid with the given parameters. */
  data: Record<string, unknown>;
  /** Names of given parameters the protocol does not have (left out of `data`). */
  dropped: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A recorded cohort as the builder's value; anything else unchanged. */
export function cohortValue(value: unknown): unknown {
  if (!isObject(value)) {
    return value;
  }
  if (typeof value.artifact === 'string' && value.artifact) {
    return { artifact: value.artifact };
  }
  if ('tree' in value && 'entity' in value) {
    return value.tree;
  }
  return value;
}

/** `base` (the protocol's defaults) overlaid with `parameters`. */
export function prefill(
  detail: IProtocolDetail,
  parameters: Record<string, unknown>,
  base: Record<string, unknown>
): IPrefill {
  const data = { ...base };
  const dropped: string[] = [];
  const properties = detail.schema.properties;
  for (const [name, value] of Object.entries(parameters)) {
    if (!Object.prototype.hasOwnProperty.call(properties, name)) {
      dropped.push(name);
      continue;
    }
    if (value === undefined || value === null) {
      continue;
    }
    const copy = JSON.parse(JSON.stringify(value));
    data[name] = properties[name]['x-dataproduct-type'] === 'cohort' ? cohortValue(copy) : copy;
  }
  return { data, dropped };
}
