/**
 * The REST payloads of the server extension (docs/lab-api.md), mirroring
 * jupyter_dataproduct/lab/payloads.py.
 */

export interface IErrorInfo {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface IProductEntry {
  name: string;
  title: string;
  version: string;
  kind: 'folder' | 'server';
  location: string;
  origin: 'config' | 'connections' | 'found';
  health: 'ok' | 'error';
  error?: IErrorInfo;
  connect: string;
}

export interface IColumnInfo {
  name: string;
  type: string;
  title?: string;
  unit?: string;
  labels?: Record<string, string>;
  collection?: string;
  description?: string;
}

export interface IEntityInfo {
  name: string;
  key: string;
  title?: string;
  rows?: number;
  columns: IColumnInfo[];
}

export interface IProductInfo {
  name: string;
  title: string;
  version: string;
  description: string;
  entities: IEntityInfo[];
  collections: string[];
}

export interface IParameterSummary {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
  entity?: string;
  choices?: unknown[];
  minimum?: number;
  maximum?: number;
  column_types?: string[];
}

export interface IProtocolSummary {
  name: string;
  version: string;
  title: string;
  description: string;
  parameters: IParameterSummary[];
  tests: number;
}

export interface IProtocolDetail extends IProtocolSummary {
  schema: IParameterSchema;
}

/** The JSON Schema of a protocol's parameters (core/parameters.py json_schema). */
export interface IParameterSchema {
  $schema?: string;
  title?: string;
  description?: string;
  type: 'object';
  properties: Record<string, IPropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
  $defs?: Record<string, unknown>;
}

export interface IPropertySchema {
  title?: string;
  description?: string;
  default?: unknown;
  type?: string;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  items?: { type?: string; enum?: unknown[] };
  minItems?: number;
  maxItems?: number;
  'x-dataproduct-type'?: string;
  'x-entity'?: string;
  'x-columns'?: string[];
  [key: string]: unknown;
}

export interface ICohortCount {
  matched: number;
  total: number;
  text: string;
}

export interface IArtifactEntry {
  name: string;
  kind: string;
  entity?: string;
  created: string;
  summary?: unknown;
  description?: string;
  /** protocol, protocol_version, snapshot, parameters, cohort... (Artifacts section) */
  provenance?: Record<string, unknown>;
}

// -- Snapshots and Artifacts sections (lab/snapshots.py, lab/artifacts.py) ----------------

export type Role = 'reader' | 'analyst' | 'admin';

/** What a role may do in the Snapshots, Artifacts and History sections (lab/roles.py). */
export type SectionAction =
  | 'use'
  | 'diff'
  | 'load'
  | 'use_parameter'
  | 'open_form'
  | 'verify'
  | 'delete_artifact'
  | 'rerun'
  | 'save_result'
  | 'tag'
  | 'build';

export interface ISnapshotEntry {
  id: string;
  short: string;
  created: string;
  rows: Record<string, number>;
  tags: string[];
  product_version?: string;
}

export interface ISnapshotList {
  snapshots: ISnapshotEntry[];
  role: Role;
  actions: SectionAction[];
}

export interface IArtifactList {
  artifacts: IArtifactEntry[];
  role: Role;
  actions: SectionAction[];
}

export interface IBuildProgress {
  done: number;
  total: number;
  message: string;
}

export interface IBuildResult {
  created: boolean;
  snapshot: ISnapshotEntry;
}

export interface IVerifyResult {
  id: string;
  ok: boolean;
  problems: { file: string; problem: string }[];
}

export interface IEntityDiff {
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  rows: { a: number | null; b: number | null; change: number | null };
  columns_added: string[];
  columns_removed: string[];
  type_changes: { column: string; a: string; b: string }[];
}

export interface IDiffResult {
  a: string;
  b: string;
  identical: boolean;
  config_changed: boolean;
  sources_changed: string[];
  entities: Record<string, IEntityDiff>;
}

// -- History section (GET products/{name}/history) ----------------------------------------------

/** One run of a protocol, as recorded (cohorts as {entity, tree, text, artifact?}). */
export interface IHistoryEntry {
  id: string;
  when: string;
  who: string;
  protocol: string;
  version: string;
  snapshot: string;
  parameters: Record<string, unknown>;
  stored: boolean;
}

export interface IHistoryPage {
  entries: IHistoryEntry[];
  offset: number;
  more: boolean;
  /** The role the panel acts with and what it allows (as ISnapshotList). */
  role: Role;
  actions: SectionAction[];
}

// -- Plugins section (jupyter_dataproduct/lab/payloads.py: PluginEntry, PluginDetail, PluginSource)

export interface IPluginEntry {
  name: string;
  title: string;
  description: string;
  language: 'python' | 'r';
  kind: 'python' | 'r' | 'notebook';
  builtin: boolean;
  parameters: string[];
  /** The file relative to the Jupyter root: JupyterLab's editor opens it. */
  path?: string;
  /** Otherwise the file as the product names it (a server's: inside the product). */
  file?: string;
}

/** A plugin as the form shows a protocol (version "plugin", no tests). */
export interface IPluginDetail extends IProtocolDetail {
  plugin: true;
  language: string;
  kind: string;
  builtin: boolean;
}

export interface IPluginSource {
  name: string;
  language: string;
  kind: string;
  editable: boolean;
  path?: string;
  file?: string;
  text?: string;
}
