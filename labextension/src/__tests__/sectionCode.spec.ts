/**
 * The Snapshots and Artifacts sections' code and checks: the lines they write read back by
 * the magic's own parser (shlex + argparse), tag names judged as the engine judges them,
 * the pinned snapshot read from cells, and which form parameters an artifact fits.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import { fittingParameters, loadLine, pinnedInSources, tagProblem, useLine } from '../sectionCode';
import { IArtifactEntry, IProtocolDetail } from '../types';

const REPO = path.resolve(__dirname, '../../..');

function python(script: string, input: string): string {
  const run = spawnSync('python3', ['-c', script], {
    input,
    encoding: 'utf-8',
    env: { ...process.env, PYTHONPATH: REPO }
  });
  if (run.status !== 0) {
    throw new Error(run.stderr);
  }
  return run.stdout.trim();
}

/** The magic's arguments for a `%dataproduct ...` line (its own parser, no kernel). */
function magicReads(line: string): Record<string, unknown> {
  const script = [
    'import json, shlex, sys',
    'import argparse',
    'from jupyter_dataproduct.kernel.cmd import COMMANDS',
    'words = shlex.split(sys.stdin.read())[1:]',
    'p = argparse.ArgumentParser(); p.add_argument("--product"); p.add_argument("--debug", action="store_true")',
    'COMMANDS[words[0]].add_arguments(p)',
    'print(json.dumps({"command": words[0], **vars(p.parse_args(words[1:]))}))'
  ].join('\n');
  return JSON.parse(python(script, line));
}

describe('useLine and loadLine', () => {
  it('pin a product to a snapshot id the magic reads back', () => {
    const line = useLine('actg175', '1668f476bd8e9268');
    expect(line).toBe('%dataproduct snapshot use 1668f476bd8e9268 --product actg175');
    expect(magicReads(line)).toMatchObject({ command: 'snapshot', action: 'use', refs: ['1668f476bd8e9268'], product: 'actg175' });
  });

  it('quote an odd product name', () => {
    expect(magicReads(useLine("it's mine", 'v1'))).toMatchObject({ refs: ['v1'], product: "it's mine" });
  });

  it('load an artifact into a Python name', () => {
    expect(loadLine('actg175', 'older-50.v2')).toBe('%dataproduct load older-50.v2 -o older_50_v2 --product actg175');
    expect(loadLine('p', '9lives')).toContain('-o _9lives');
    expect(magicReads(loadLine('actg175', 'older-50.v2'))).toMatchObject({ name: 'older-50.v2', variable: 'older_50_v2', product: 'actg175' });
  });
});

describe('pinnedInSources', () => {
  it('takes the last use line for the product', () => {
    const cells = ['%dataproduct snapshot use aaa --product p', 'x = 1\n%dataproduct snapshot use bbb --product p'];
    expect(pinnedInSources(cells, 'p')).toBe('bbb');
  });

  it('ignores other products and counts lines without --product', () => {
    expect(pinnedInSources(['%dataproduct snapshot use aaa --product other'], 'p')).toBeNull();
    expect(pinnedInSources(['%dataproduct snapshot use v1'], 'p')).toBe('v1');
    expect(pinnedInSources(["%dataproduct snapshot use 'v2' --product 'p'"], 'p')).toBe('v2');
  });

  it('forgets the pin on use none', () => {
    expect(pinnedInSources(['%dataproduct snapshot use aaa', '%dataproduct snapshot use none'], 'p')).toBeNull();
  });
});

describe('tagProblem', () => {
  const names = ['v1', 'frozen-2026.12', 'latest', 'abc123', '-x', 'a b', 'x'.repeat(64), 'x'.repeat(65), 'é', 'V2_final'];

  it('agrees with the engine on every name', () => {
    const script = [
      'import json, sys',
      'from jupyter_dataproduct.core.snapshot import validate_tag_name',
      'out = []',
      'for name in json.loads(sys.stdin.read()):',
      '    try:',
      '        validate_tag_name(name); out.append(True)',
      '    except Exception:',
      '        out.append(False)',
      'print(json.dumps(out))'
    ].join('\n');
    const engine = JSON.parse(python(script, JSON.stringify(names)));
    expect(names.map(n => tagProblem(n) === null)).toEqual(engine);
  });
});

describe('fittingParameters', () => {
  const protocol = {
    name: 'compare_arms',
    schema: {
      type: 'object',
      properties: {
        cohort_a: { 'x-dataproduct-type': 'cohort', 'x-entity': 'patients' },
        cohort_b: { 'x-dataproduct-type': 'cohort', 'x-entity': 'patients' },
        visits: { 'x-dataproduct-type': 'cohort', 'x-entity': 'labs' },
        alpha: { type: 'number' }
      }
    }
  } as unknown as IProtocolDetail;
  const cohort = (entity?: string): IArtifactEntry => ({ name: 'older', kind: 'cohort', created: '', entity });

  it('puts a cohort into the cohort parameters of its entity', () => {
    expect(fittingParameters(protocol, cohort('patients'))).toEqual(['cohort_a', 'cohort_b']);
    expect(fittingParameters(protocol, cohort('labs'))).toEqual(['visits']);
  });

  it('fits nothing without a form, for a table or a result', () => {
    expect(fittingParameters(null, cohort('patients'))).toEqual([]);
    expect(fittingParameters(protocol, { name: 't', kind: 'table', created: '' })).toEqual([]);
  });
});
