/**
 * The server extension's REST API, called through Jupyter Server's own connection
 * (same origin, its cookie and XSRF header: no token ever lives in the browser).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IArtifactEntry,
  IArtifactList,
  IBuildProgress,
  IBuildResult,
  ICohortCount,
  IDiffResult,
  IErrorInfo,
  IProductEntry,
  IProductInfo,
  IProtocolDetail,
  IProtocolSummary,
  ISnapshotList,
  IVerifyResult
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

// -- Snapshots and Artifacts sections ---------------------------------------------------------

/** One line of a streamed build (NDJSON). */
type BuildEvent = { progress: IBuildProgress } | { result: IBuildResult } | { error: IErrorInfo; status?: number };

/**
 * Build a snapshot; `onProgress` sees each event the build streams. Resolves with the build's
 * result, rejects with an ApiError (the build's own error, or the product's refusal).
 */
export async function buildSnapshot(name: string, onProgress: (p: IBuildProgress) => void, force = false): Promise<IBuildResult> {
  const server = settings();
  const url = URLExt.join(server.baseUrl, 'dataproduct', 'products', segment(name), 'snapshots');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { method: 'POST', body: JSON.stringify({ force }), headers: { Accept: 'application/x-ndjson' } },
      server
    );
  } catch (error) {
    throw new ApiError(0, { code: 'network', message: `Cannot reach the Jupyter server: ${error}` });
  }
  const type = response.headers.get('Content-Type') ?? '';
  if (!type.startsWith('application/x-ndjson') || !response.body) {
    // Refused, or finished before any progress: one JSON answer.
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError(response.status, body?.error ?? { code: 'http_error', message: `HTTP ${response.status}` });
    }
    return body as IBuildResult;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let last: BuildEvent | null = null;
  const handle = (line: string): void => {
    if (!line.trim()) {
      return;
    }
    const event = JSON.parse(line) as BuildEvent;
    if ('progress' in event) {
      onProgress(event.progress);
    } else {
      last = event;
    }
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    lines.forEach(handle);
  }
  handle(buffer);
  const final = last as BuildEvent | null;
  if (final && 'result' in final) {
    return final.result;
  }
  if (final && 'error' in final) {
    throw new ApiError(final.status ?? 500, final.error);
  }
  throw new ApiError(0, { code: 'build_interrupted', message: 'The build stream ended without a result; list the snapshots again.' });
}

export const snapshotApi = {
  list: (name: string) => request<ISnapshotList>(`products/${segment(name)}/snapshots`),
  verify: (name: string, id: string) => request<IVerifyResult>(`products/${segment(name)}/snapshots/${segment(id)}/verify`),
  tag: (name: string, tag: string, snapshot: string) =>
    request<{ tag: string; id: string }>(`products/${segment(name)}/tags/${segment(tag)}`, {
      method: 'PUT',
      body: JSON.stringify({ snapshot })
    }),
  diff: (name: string, a: string, b: string) =>
    request<IDiffResult>(`products/${segment(name)}/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`),
  artifacts: (name: string) => request<IArtifactList>(`products/${segment(name)}/artifacts`),
  deleteArtifact: (name: string, artifact: string) =>
    request<null>(`products/${segment(name)}/artifacts/${segment(artifact)}`, { method: 'DELETE' })
};
