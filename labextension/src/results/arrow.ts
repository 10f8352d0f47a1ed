/**
 * A table of the result bundle, decoded from Arrow IPC (base64): columns of plain values
 * that the table can sort and page over without re-reading the Arrow buffers.
 */
import { DataType, tableFromIPC, Type } from 'apache-arrow';

export type Cell = string | number | boolean | null;

export interface IColumn {
  name: string;
  numeric: boolean;
  values: Cell[];
}

export interface IDecodedTable {
  columns: IColumn[];
  rows: number;
}

/** Base64 to bytes (atob gives a binary string). */
export function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

/** Every column of the Arrow stream as an array of plain values (nulls kept). */
export function decodeArrow(base64: string): IDecodedTable {
  const table = tableFromIPC(base64Bytes(base64));
  const columns = table.schema.fields.map((field, index) => {
    const vector = table.getChildAt(index)!;
    const values: Cell[] = new Array(table.numRows);
    for (let row = 0; row < table.numRows; row++) {
      values[row] = plain(vector.get(row), field.type);
    }
    return { name: field.name, numeric: isNumeric(field.type), values };
  });
  return { columns, rows: table.numRows };
}

function isNumeric(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type) || DataType.isDecimal(type);
}

/** One Arrow value as JSON-like data: big integers as numbers when exact, dates as ISO text. */
function plain(value: unknown, type: DataType): Cell {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === 'bigint') {
    const small = Number(value);
    if (DataType.isTimestamp(type) || DataType.isDate(type)) {
      return timeText(small, type);
    }
    return Number.isSafeInteger(small) ? small : value.toString();
  }
  if (typeof value === 'number' && (DataType.isTimestamp(type) || DataType.isDate(type))) {
    return timeText(value, type);
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function timeText(value: number, type: DataType): string {
  let ms = value;
  if (DataType.isTimestamp(type)) {
    const unit = (type as unknown as { unit: number }).unit; // 0 s, 1 ms, 2 us, 3 ns
    ms = unit === 0 ? value * 1000 : unit === 2 ? value / 1000 : unit === 3 ? value / 1e6 : value;
  } else if (type.typeId === Type.DateDay) {
    ms = value * 86_400_000;
  }
  const text = new Date(ms).toISOString();
  return DataType.isDate(type) ? text.slice(0, 10) : text.replace('T', ' ').replace(/\.000Z$|Z$/, '');
}

/**
 * A cell as the table shows it: a float as written when it is short (1428.571), else to 6
 * significant digits (0.998043 for 0.99804305279...), so that noise does not fill the table.
 */
export function cellText(value: Cell): string {
  if (value === null) {
    return 'null';
  }
  if (typeof value === 'number' && !Number.isInteger(value)) {
    const short = String(value);
    const digits = short.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length;
    return digits <= 8 ? short : String(Number(value.toPrecision(6)));
  }
  return String(value);
}

/** Row order sorted by a column (nulls last, either direction). */
export function sortedOrder(column: IColumn, direction: 1 | -1): number[] {
  const order = column.values.map((_, i) => i);
  const values = column.values;
  order.sort((a, b) => {
    const x = values[a];
    const y = values[b];
    if (x === null || y === null) {
      return x === y ? a - b : x === null ? 1 : -1;
    }
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return c === 0 ? a - b : c * direction;
  });
  return order;
}
