/** What the custom form fields need besides their value: the product and its columns. */
import { PanelModel } from '../model';
import { IColumnInfo } from '../types';

export interface IFormContext {
  model: PanelModel;
  product: string;
}

export function entityColumns(context: IFormContext, entity: string | undefined): IColumnInfo[] {
  const info = context.model.info;
  return info?.entities.find(e => e.name === entity)?.columns ?? [];
}

/** Allowed column names grouped by collection, in the dictionary's order. */
export function groupColumns(
  columns: IColumnInfo[],
  allowed: string[] | undefined,
  needle = ''
): [string, IColumnInfo[]][] {
  const byName = new Map(columns.map(c => [c.name, c]));
  const names = allowed ?? columns.map(c => c.name);
  const lower = needle.trim().toLowerCase();
  const groups = new Map<string, IColumnInfo[]>();
  for (const name of names) {
    const column = byName.get(name) ?? { name, type: '' };
    const text = `${column.name} ${column.title ?? ''} ${column.collection ?? ''}`.toLowerCase();
    if (lower && !text.includes(lower)) {
      continue;
    }
    const key = column.collection || 'Other';
    groups.set(key, [...(groups.get(key) ?? []), column]);
  }
  return [...groups.entries()];
}

export function columnLabel(column: IColumnInfo): string {
  const title = column.title && column.title !== column.name ? ` – ${column.title}` : '';
  return `${column.name}${title}${column.unit ? ` (${column.unit})` : ''}`;
}
