/** The result table's Arrow decoding, number display and sort order (pure TypeScript). */
import { Int64, makeVector, tableFromArrays, tableToIPC, Table, Utf8, vectorFromArray } from 'apache-arrow';

import { cellText, decodeArrow, sortedOrder } from '../results/arrow';

function base64(table: Table): string {
  return Buffer.from(tableToIPC(table, 'stream')).toString('base64');
}

describe('decodeArrow', () => {
  it('reads every row of every column, nulls and 64-bit integers included', () => {
    const table = new Table({
      id: vectorFromArray([1n, 2n, 3n], new Int64()),
      label: vectorFromArray(['b', null, 'a'], new Utf8()),
      ratio: makeVector(new Float64Array([0.5, 1.25, 2]))
    });
    const decoded = decodeArrow(base64(table));
    expect(decoded.rows).toBe(3);
    expect(decoded.columns.map(c => [c.name, c.numeric])).toEqual([
      ['id', true],
      ['label', false],
      ['ratio', true]
    ]);
    expect(decoded.columns[0].values).toEqual([1, 2, 3]);
    expect(decoded.columns[1].values).toEqual(['b', null, 'a']);
    expect(decoded.columns[2].values).toEqual([0.5, 1.25, 2]);
  });

  it('keeps integers beyond 2^53 exact, as text', () => {
    const big = 2n ** 60n + 1n;
    const decoded = decodeArrow(base64(new Table({ n: vectorFromArray([big], new Int64()) })));
    expect(decoded.columns[0].values).toEqual([big.toString()]);
  });

  it('decodes a table made by tableFromArrays', () => {
    const decoded = decodeArrow(base64(tableFromArrays({ x: Int32Array.from([3, 1, 2]) })));
    expect(decoded.columns[0].values).toEqual([3, 1, 2]);
  });
});

describe('cellText', () => {
  it('shows short floats as written and long ones to 6 significant digits', () => {
    expect(cellText(1428.571)).toBe('1428.571');
    expect(cellText(0.1 + 0.2)).toBe('0.3');
    expect(cellText(0.99804305279)).toBe('0.998043');
    expect(cellText(42)).toBe('42');
    expect(cellText(null)).toBe('null');
    expect(cellText(true)).toBe('true');
  });
});

describe('sortedOrder', () => {
  const column = { name: 'v', numeric: true, values: [3, null, 1, 2, 1] };

  it('sorts ascending with ties in original order and nulls last', () => {
    expect(sortedOrder(column, 1)).toEqual([2, 4, 3, 0, 1]);
  });

  it('sorts descending with nulls still last', () => {
    expect(sortedOrder(column, -1)).toEqual([0, 3, 2, 4, 1]);
  });

  it('sorts text naturally (r2 before r10)', () => {
    const text = { name: 't', numeric: false, values: ['r10', 'r2', 'a'] };
    expect(sortedOrder(text, 1)).toEqual([2, 1, 0]);
  });
});
