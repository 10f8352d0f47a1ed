/**
 * The server extension's REST API, called through Jupyter Server's own connection
 * (same origin, its cookie and XSRF header: no token ever lives in the browser).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IArtifactEntry,
  ICohortCount,
  IErrorInfo,
  IProductEntry,
  IProductInfo,
  IProtocolDetail,
  IProtocolSummary
} from './types';

/** An error answered by the server extension (or the network), with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly info: IErrorInfo
  ) {
    super(info.message);
  }
}

const settings = (): ServerConnection.ISettings => ServerConnection.makeSettings();

function segment(value: string): string {
  return encodeURIComponent(value);
}

/** One request to `{baseUrl}dataproduct/<path>`; JSON in, JSON out, errors as ApiError. */
export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const server = settings();
  const url = URLExt.join(server.baseUrl, 'dataproduct', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, server);
  } catch (error) {
    throw new ApiError(0, { code: 'network', message: `Cannot reach the Jupyter server: ${error}` });
  }
  const text = await response.text();
  let body: any = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const info: IErrorInfo = body?.error ?? {
      code: response.status === 404 ? 'not_found' : 'http_error',
      message: `${init.method ?? 'GET'} ${path}: HTTP ${response.status} ${response.statusText}`
    };
    throw new ApiError(response.status, info);
  }
  return body as T;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return request<T>(path, { method: 'POST', body: JSON.stringify(body) });
}

export const api = {
  version: () => request<{ version: string }>('version'),
  products: () => request<{ products: IProductEntry[] }>('products').then(r => r.products),
  addProduct: (location: string, name?: string, token?: string) =>
    post<IProductEntry>('products', {
      location,
      ...(name ? { name } : {}),
      ...(token ? { token } : {})
    }),
  removeProduct: (name: string) => request<null>(`products/${segment(name)}`, { method: 'DELETE' }),
  product: (name: string) => request<IProductInfo>(`products/${segment(name)}`),
  protocols: (name: string) =>
    request<{ protocols: IProtocolSummary[] }>(`products/${segment(name)}/protocols`).then(r => r.protocols),
  protocol: (name: string, protocol: string) =>
    request<IProtocolDetail>(`products/${segment(name)}/protocols/${segment(protocol)}`),
  validate: (name: string, protocol: string, parameters: Record<string, unknown>) =>
    post<{ ok: boolean }>(`products/${segment(name)}/protocols/${segment(protocol)}/validate`, { parameters }),
  countCohort: (name: string, entity: string, cohort: unknown) =>
    post<ICohortCount>(`products/${segment(name)}/cohorts/count`, { entity, cohort }),
  artifacts: (name: string) =>
    request<{ artifacts: IArtifactEntry[] }>(`products/${segment(name)}/artifacts`).then(r => r.artifacts)
};
