/** The result bundle (jupyter_dataproduct/client/bundle.py), version 1. */

export const RESULT_MIME = 'application/vnd.dataproduct.result.v1+json';
export const CHART_MIME = 'application/vnd.dataproduct.chart.v1+json';
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

export interface IBundleTable {
  name: string;
  arrow: string;
  rows: number;
  included: number;
  columns: string[];
  rest: string | null;
}

export interface ISaveChoice {
  label: string;
  /** The code, with `{name}` where the artifact's name goes. */
  code: string;
}

export interface IOpenArgs {
  product: string;
  protocol: string;
  parameters: Record<string, unknown>;
}

export interface IResultBundle {
  version: number;
  kind: 'result' | 'frame';
  title: string;
  subtitle: string;
  values: Record<string, unknown>;
  tables: IBundleTable[];
  charts: { name: string; spec: Record<string, unknown> }[];
  provenance: Record<string, unknown>;
  code: {
    reproduce?: string;
    rerun?: string | null;
    save?: ISaveChoice[];
    open?: IOpenArgs | null;
  };
}
