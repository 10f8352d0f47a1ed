/**
 * What the Snapshots and Artifacts sections write and check without a server: the
 * `%dataproduct snapshot use` and `%dataproduct load` lines, the snapshot a notebook's
 * cells pin, tag names, and which form parameters an artifact fits.
 */
import { shlexQuote } from './codegen';
import { IArtifactEntry, IProtocolDetail } from './types';

/** `%dataproduct snapshot use ID --product NAME` (the magic resolves ids, prefixes and tags). */
export function useLine(product: string, snapshot: string): string {
  return `%dataproduct snapshot use ${shlexQuote(snapshot)} --product ${shlexQuote(product)}`;
}

/** A Python identifier for an artifact loaded into the kernel. */
export function artifactVariable(name: string): string {
  const text = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(text) ? `_${text}` : text;
}

/** `%dataproduct load NAME -o VAR --product P`. */
export function loadLine(product: string, artifact: string): string {
  return `%dataproduct load ${shlexQuote(artifact)} -o ${artifactVariable(artifact)} --product ${shlexQuote(product)}`;
}

const USE_LINE = /^\s*%dataproduct\s+snapshot\s+use\s+(\S+)(.*)$/;
const PRODUCT_OPTION = /--product(?:\s+|=)(\S+)/;

function unquoted(word: string): string {
  return word.replace(/^['"]|['"]$/g, '');
}

/**
 * The snapshot the notebook's cells pin ``product`` to, read from its `%dataproduct snapshot
 * use` lines without running code (the last such line wins; a line without --product counts
 * for every product). The Current-notebook section can replace this with what the kernel says.
 */
export function pinnedInSources(sources: string[], product: string): string | null {
  let pinned: string | null = null;
  for (const source of sources) {
    for (const line of source.split('\n')) {
      const match = USE_LINE.exec(line);
      if (!match) {
        continue;
      }
      const named = PRODUCT_OPTION.exec(match[2])?.[1];
      if (!named || unquoted(named) === product) {
        const ref = unquoted(match[1]);
        pinned = ref === 'none' ? null : ref; // `use none` unpins
      }
    }
  }
  return pinned;
}

/** Letters, digits, '.', '_', '-', up to 64, not only hex, not 'latest' (core/snapshot.py). */
const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Why ``name`` cannot be a tag, or null if it can (the product checks again). */
export function tagProblem(name: string): string | null {
  if (!TAG_PATTERN.test(name) || /^[0-9a-f]+$/.test(name) || name === 'latest') {
    return (
      `“${name}” is not a tag name: use letters, digits, '.', '_' or '-' (up to 64, starting with a letter ` +
      "or digit), not only hex digits, and not 'latest'."
    );
  }
  return null;
}

/**
 * The open form's parameters an artifact fits: a cohort into cohort parameters (of its entity,
 * when both say which). Other kinds fit no parameter type the forms have.
 */
export function fittingParameters(protocol: IProtocolDetail | null, artifact: IArtifactEntry): string[] {
  if (!protocol || artifact.kind !== 'cohort') {
    return [];
  }
  return Object.entries(protocol.schema.properties)
    .filter(([, p]) => p['x-dataproduct-type'] === 'cohort')
    .filter(([, p]) => !artifact.entity || !p['x-entity'] || p['x-entity'] === artifact.entity)
    .map(([name]) => name);
}
