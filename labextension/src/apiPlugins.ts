/** The Plugins section's REST calls (docs/lab-api.md, "Plugins"). */
import { api, request } from './api';
import { IPluginDetail, IPluginEntry, IPluginSource, IProtocolDetail } from './types';

const seg = encodeURIComponent;

export const pluginApi = {
  plugins: (product: string) =>
    request<{ plugins: IPluginEntry[] }>(`products/${seg(product)}/plugins`).then(r => r.plugins),
  plugin: (product: string, name: string) => request<IPluginDetail>(`products/${seg(product)}/plugins/${seg(name)}`),
  source: (product: string, name: string) =>
    request<IPluginSource>(`products/${seg(product)}/plugins/${seg(name)}/source`),
  validate: (product: string, name: string, parameters: Record<string, unknown>) =>
    request<{ ok: boolean }>(`products/${seg(product)}/plugins/${seg(name)}/validate`, {
      method: 'POST',
      body: JSON.stringify({ parameters })
    })
};

/** Whether the form's detail is a plugin's (run directly) rather than a protocol's. */
export function isPluginDetail(detail: IProtocolDetail | null | undefined): detail is IPluginDetail {
  return !!detail && (detail as Partial<IPluginDetail>).plugin === true;
}

/** The product's own binding of the form's values: a protocol's, or a plugin's direct run. */
export function validateDetail(
  product: string,
  detail: IProtocolDetail,
  parameters: Record<string, unknown>
): Promise<{ ok: boolean }> {
  return isPluginDetail(detail)
    ? pluginApi.validate(product, detail.name, parameters)
    : api.validate(product, detail.name, parameters);
}
