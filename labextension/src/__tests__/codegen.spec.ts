/**
 * The generated `%dataproduct run` line, read back by the kernel's own parsing:
 * Python's shlex.split and jupyter_dataproduct.core.assignments.parse_assignments.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import { CohortTree, parseCohort } from '../cohort';
import { assignment, cohortAssignment, connectLine, resultVariable, runCell, runLine, shlexQuote } from '../codegen';
import { IParameterSchema } from '../types';

const REPO = path.resolve(__dirname, '../../..');

/** What the magic would see: the words after `run`, parsed as the kernel does. */
function kernelReads(line: string): { words: string[]; parameters: Record<string, unknown> } {
  const script = [
    'import json, shlex, sys',
    'from jupyter_dataproduct.core.assignments import parse_assignments',
    'words = shlex.split(sys.stdin.read())',
    'params = [w for w in words[2:] if "=" in w and not w.startswith("-")]',
    'print(json.dumps({"words": words, "parameters": parse_assignments(params)}))'
  ].join('\n');
  const env = { ...process.env, PYTHONPATH: [REPO, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const run = spawnSync('python3', ['-c', script], { input: line.replace(/^%dataproduct /, ''), env, encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(run.stderr);
  }
  return JSON.parse(run.stdout);
}

const schema: IParameterSchema = {
  type: 'object',
  properties: {
    label: { type: 'string', 'x-dataproduct-type': 'string' },
    n: { type: 'integer', 'x-dataproduct-type': 'int' },
    alpha: { type: 'number', 'x-dataproduct-type': 'float' },
    paired: { type: 'boolean', 'x-dataproduct-type': 'bool' },
    arm: { enum: ['ZDV', 'ddI'], 'x-dataproduct-type': 'enum' },
    code: { enum: [0, 1, 3], 'x-dataproduct-type': 'enum' },
    since: { type: 'string', format: 'date', 'x-dataproduct-type': 'date' },
    outcome: { type: 'string', 'x-dataproduct-type': 'column' },
    variables: { type: 'array', 'x-dataproduct-type': 'columns' },
    cohort_a: { 'x-dataproduct-type': 'cohort' },
    cohort_b: { 'x-dataproduct-type': 'cohort' },
    saved: { 'x-dataproduct-type': 'cohort' }
  }
};

describe('shlexQuote', () => {
  it.each([
    ['age', 'age'],
    ['', "''"],
    ['two words', "'two words'"],
    ["arms == 'ZDV'", '"arms == \'ZDV\'"'],
    ['say "hi"', '\'say "hi"\'']
  ])('quotes %j as %s', (word, quoted) => {
    expect(shlexQuote(word)).toBe(quoted);
  });
});

describe('runLine', () => {
  const parameters = {
    label: `it's a "test" \\ with $HOME and {braces}`,
    n: 42,
    alpha: 0.05,
    paired: false,
    arm: 'ZDV',
    code: 3,
    since: '1996-01-31',
    outcome: 'cd420',
    variables: ['age', 'wtkg', 'gender'],
    cohort_a: "arms == 'ZDV+ddI' and age >= 40",
    cohort_b: { or: [{ column: 'arms', op: 'in', value: ['ZDV', 'ddI'] }, { column: 'karnof', op: '<', value: 90 }] },
    saved: '@older_men'
  };
  const line = runLine({ protocol: 'compare_arms', product: 'actg175', parameters, schema, variable: 'compare_arms_result' });

  it('reads back, through shlex and parse_assignments, as the values of the form', () => {
    const { words, parameters: read } = kernelReads(line);
    expect(words.slice(0, 2)).toEqual(['run', 'compare_arms']);
    expect(words.slice(-4)).toEqual(['--product', 'actg175', '-o', 'compare_arms_result']);
    expect(read).toEqual({
      label: parameters.label,
      n: '42', // key=value gives text; the protocol's schema converts it
      alpha: '0.05',
      paired: 'false',
      arm: 'ZDV',
      code: 3, // a numeric enum stays a number (key:=JSON)
      since: '1996-01-31',
      outcome: 'cd420',
      variables: ['age', 'wtkg', 'gender'],
      cohort_a: parameters.cohort_a,
      cohort_b: "arms in ('ZDV', 'ddI') or karnof < 90", // the tree, written as its text
      saved: '@older_men'
    });
  });

  it('writes a cohort tree as text only when the text reads back as the same tree', () => {
    const tree = { and: [{ column: 'arms', op: '==', value: 'ZDV' }, { column: 'age', op: '>=', value: 40 }] };
    expect(cohortAssignment('c', tree)).toBe(`c="arms == 'ZDV' and age >= 40"`);
    expect(parseCohort(kernelReads(`run p ${cohortAssignment('c', tree)}`).parameters.c as string)).toEqual(tree);
    expect(cohortAssignment('c', { and: [] })).toBe("c=''");
    // null is no value of the text syntax: the tree goes as JSON, as the kernel reads it.
    const odd = { column: 'cd40', op: '==', value: null } as unknown as CohortTree;
    expect(cohortAssignment('c', odd)).toBe(`c:='{"column":"cd40","op":"==","value":null}'`);
    expect(kernelReads(`run p ${cohortAssignment('c', odd)}`).parameters).toEqual({ c: odd });
  });

  it('writes simple values readably', () => {
    expect(line).toContain(' n=42 alpha=0.05 paired=false arm=ZDV code:=3 since=1996-01-31 outcome=cd420 ');
    expect(line).toContain(` variables:='["age","wtkg","gender"]' `);
    expect(line).toContain(` cohort_a="arms == 'ZDV+ddI' and age >= 40" `);
    expect(line).toContain(' saved=@older_men ');
  });

  it('carries text with a line break as JSON, keeping the magic on one line', () => {
    const word = assignment('note', 'first\nsecond', { 'x-dataproduct-type': 'string' });
    expect(word).not.toContain('\n');
    expect(kernelReads(`run p ${word}`).parameters).toEqual({ note: 'first\nsecond' });
  });

  it('writes a saved cohort picked as an artifact as @name', () => {
    expect(assignment('saved', { artifact: 'older men' }, { 'x-dataproduct-type': 'cohort' })).toBe("saved='@older men'");
  });

  it('leaves out unset parameters and refuses non-finite numbers', () => {
    expect(runLine({ protocol: 'p', product: 'x', parameters: { a: undefined, b: null } })).toBe(
      '%dataproduct run p --product x'
    );
    expect(() => assignment('n', Number.NaN, {})).toThrow(/not a finite number/);
  });

  it('round-trips cohort text through the kernel and the browser parser alike', () => {
    const text = "(arms == 'ZDV' or arms == 'ddI') and age between 30 and 40";
    const { parameters: read } = kernelReads(`run p c=${shlexQuote(text)}`);
    expect(read.c).toBe(text);
    expect(parseCohort(read.c as string)).toEqual(parseCohort(text));
  });
});

describe('runCell', () => {
  it('loads the magic and connects first only when asked to', () => {
    const request = { protocol: 'survival', product: 'actg175', parameters: {}, variable: 'survival_result' };
    expect(runCell(request, { loadExtension: true, connect: 'examples/actg175' })).toBe(
      '%load_ext jupyter_dataproduct\n%dataproduct connect examples/actg175\n' +
        '%dataproduct run survival --product actg175 -o survival_result'
    );
    expect(runCell(request, { connect: '../actg175' })).toBe(
      '%dataproduct connect ../actg175\n%dataproduct run survival --product actg175 -o survival_result'
    );
    expect(runCell(request)).toBe('%dataproduct run survival --product actg175 -o survival_result');
    expect(connectLine('My Products/actg 175')).toBe("%dataproduct connect 'My Products/actg 175'");
  });

  it('names the result variable after the protocol', () => {
    expect(resultVariable('compare_arms')).toBe('compare_arms_result');
    expect(resultVariable('2x-test')).toBe('_2x_test_result');
  });
});
