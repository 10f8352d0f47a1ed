/**
 * The History section's pure parts: a recorded run's parameters as form values (what
 * `dataproduct:open-protocol` pre-fills), and the `%dataproduct history` lines it writes.
 */
import { artifactNameProblem, rerunLine, saveLine } from '../codegenHistory';
import { cohortValue, prefill } from '../prefill';
import { IProtocolDetail } from '../types';

const detail = {
  name: 'compare_arms',
  version: '1.0.0',
  title: 'Compare',
  description: '',
  tests: 0,
  parameters: [],
  schema: {
    type: 'object',
    properties: {
      cohort_a: { 'x-dataproduct-type': 'cohort', default: "arms == 'ZDV'" },
      cohort_b: { 'x-dataproduct-type': 'cohort', default: "arms == 'ZDV+ddI'" },
      variables: { 'x-dataproduct-type': 'columns', type: 'array' }
    }
  }
} as unknown as IProtocolDetail;

const base = { cohort_a: "arms == 'ZDV'", cohort_b: "arms == 'ZDV+ddI'" };

describe('prefill', () => {
  it('turns recorded cohorts into trees and saved cohorts into {artifact}', () => {
    const tree = { and: [{ column: 'age', op: '>=', value: 40 }] };
    const { data, dropped } = prefill(
      detail,
      {
        cohort_a: { entity: 'patients', tree, text: 'age >= 40' },
        cohort_b: { entity: 'patients', tree: { and: [] }, artifact: 'older' },
        variables: ['age', 'wtkg']
      },
      base
    );
    expect(data).toEqual({ cohort_a: tree, cohort_b: { artifact: 'older' }, variables: ['age', 'wtkg'] });
    expect(dropped).toEqual([]);
  });

  it('keeps defaults for parameters not given and names the unknown ones', () => {
    const { data, dropped } = prefill(detail, { alpha: 0.1, cohort_b: 'karnof < 90', ghost: null }, base);
    expect(data).toEqual({ cohort_a: "arms == 'ZDV'", cohort_b: 'karnof < 90' });
    expect(dropped).toEqual(['alpha', 'ghost']);
  });

  it('passes form values (text, trees) through unchanged', () => {
    expect(cohortValue('age > 3')).toBe('age > 3');
    expect(cohortValue({ column: 'age', op: '>', value: 3 })).toEqual({ column: 'age', op: '>', value: 3 });
  });

  it('does not share objects with the entry it came from', () => {
    const recorded = { variables: ['age'] };
    const { data } = prefill(detail, recorded, base);
    (data.variables as string[]).push('wtkg');
    expect(recorded.variables).toEqual(['age']);
  });
});

describe('history cells', () => {
  it('re-runs an entry into <protocol>_result', () => {
    expect(rerunLine('20261201T172553053-5444941f', 'actg175', 'compare_arms')).toBe(
      '%dataproduct history --rerun 20261201T172553053-5444941f --product actg175 -o compare_arms_result'
    );
  });

  it('saves an entry under a quoted name and product', () => {
    expect(saveLine('2026-x', 'older.v2', 'my trial')).toBe("%dataproduct history --save 2026-x older.v2 --product 'my trial'");
  });

  it('refuses names the artifact store refuses', () => {
    expect(artifactNameProblem('older_40.v2')).toBeNull();
    for (const bad of ['', '_x', 'a b', 'a/b', 'a..b', 'x'.repeat(101)]) {
      expect(artifactNameProblem(bad)).toContain('cannot name an artifact');
    }
  });
});
