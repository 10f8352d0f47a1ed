/**
 * The code the sidebar writes into notebooks: `%dataproduct` lines that the kernel's
 * magic reads with `shlex.split` and `key=value` / `key:=JSON` assignments
 * (jupyter_dataproduct/core/assignments.py). Every value is quoted so that the line,
 * run by hand, binds exactly the parameters the form showed.
 */
import { CohortTree, faithfulText } from './cohort';
import { IParameterSchema, IPropertySchema } from './types';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for Python's `shlex.split` (POSIX mode), as readably as possible. */
export function shlexQuote(word: string): string {
  if (word === '') {
    return "''";
  }
  if (SAFE.test(word)) {
    return word;
  }
  if (!word.includes("'")) {
    return `'${word}'`;
  }
  // Inside double quotes shlex only treats \ and " specially.
  return '"' + word.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** A value a line magic cannot carry as text (line breaks end the line). */
function needsJson(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f\u2028\u2029]/.test(text);
}

function jsonAssignment(name: string, value: unknown): string {
  return `${name}:=${shlexQuote(JSON.stringify(value))}`;
}

function textAssignment(name: string, text: string): string {
  return needsJson(text) ? jsonAssignment(name, text) : `${name}=${shlexQuote(text)}`;
}

/** One `key=value` (or `key:=JSON`) word for a parameter of the given schema. */
export function assignment(name: string, value: unknown, schema: IPropertySchema = {}): string {
  const kind = schema['x-dataproduct-type'];
  if (typeof value === 'string') {
    return textAssignment(name, value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error(`Parameter '${name}': ${value} is not a finite number.`);
    }
    // A number for an enum goes as JSON so that 3 stays 3, not the text '3'.
    return kind === 'enum' ? jsonAssignment(name, value) : `${name}=${String(value)}`;
  }
  if (typeof value === 'boolean') {
    return `${name}=${value ? 'true' : 'false'}`;
  }
  if (value && typeof value === 'object' && kind === 'cohort' && 'artifact' in (value as object)) {
    return textAssignment(name, `@${(value as { artifact: string }).artifact}`);
  }
  if (value && typeof value === 'object' && kind === 'cohort' && !Array.isArray(value)) {
    // A cohort tree is written as its text when that reads back the same: readable cells.
    const text = faithfulText(value as CohortTree);
    if (text !== null) {
      return textAssignment(name, text);
    }
  }
  // Lists (columns) and other cohort trees go as JSON; `no_var_expand` keeps { } and $ intact.
  return jsonAssignment(name, value);
}

export interface IRunRequest {
  protocol: string;
  product: string;
  parameters: Record<string, unknown>;
  schema?: IParameterSchema;
  variable?: string;
}

/** `%dataproduct run PROTOCOL k=v ... --product NAME -o VAR`. */
export function runLine(request: IRunRequest): string {
  const words = ['%dataproduct', 'run', shlexQuote(request.protocol)];
  const properties = request.schema?.properties ?? {};
  for (const [name, value] of Object.entries(request.parameters)) {
    if (value === undefined || value === null) {
      continue;
    }
    words.push(assignment(name, value, properties[name]));
  }
  words.push('--product', shlexQuote(request.product));
  if (request.variable) {
    words.push('-o', request.variable);
  }
  return words.join(' ');
}

/** `%dataproduct connect TARGET` (the ProductEntry's `connect`). */
export function connectLine(connect: string): string {
  return `%dataproduct connect ${shlexQuote(connect)}`;
}

/** A Python identifier for the result: `<protocol>_result`. */
export function resultVariable(protocol: string): string {
  const name = protocol.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
  return `${name}_result`;
}

/** What the kernel lacks, so the cell must set it up before the run line. */
export interface ISetup {
  /** `%load_ext jupyter_dataproduct` first (the kernel has not loaded the magic). */
  loadExtension?: boolean;
  /** `%dataproduct connect <connect>` first (the kernel lacks the product). */
  connect?: string | null;
}

export const LOAD_EXTENSION = '%load_ext jupyter_dataproduct';

/** The cell: the set-up lines the kernel needs, then the run line. */
export function runCell(request: IRunRequest, setup: ISetup = {}): string {
  const lines: string[] = [];
  if (setup.loadExtension) {
    lines.push(LOAD_EXTENSION);
  }
  if (setup.connect) {
    lines.push(connectLine(setup.connect));
  }
  lines.push(runLine(request));
  return lines.join('\n');
}

/** A cohort parameter's value as the generated code carries it (kept for the tests). */
export function cohortAssignment(name: string, cohort: string | CohortTree): string {
  return assignment(name, cohort, { 'x-dataproduct-type': 'cohort' });
}
