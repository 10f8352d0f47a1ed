/** The History section's calls to the server extension (docs/lab-api.md, "History"). */
import { request } from './api';
import { IHistoryPage } from './types';

export const apiHistory = {
  /** A page of the product's runs, newest first (`limit` 1-200, `more`: a further page exists). */
  page: (name: string, limit: number, offset = 0): Promise<IHistoryPage> =>
    request<IHistoryPage>(`products/${encodeURIComponent(name)}/history?limit=${limit}&offset=${offset}`)
};
