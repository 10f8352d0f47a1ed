/**
 * The cohort builder's tree <-> text round trip, checked against the Python parser
 * (jupyter_dataproduct.core.cohort) so the builder and the kernel read the same text.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import {
  builderToTree,
  CohortSyntaxError,
  CohortTree,
  parseCohort,
  treeToBuilder,
  treeToText
} from '../cohort';

const REPO = path.resolve(__dirname, '../../..');

function pythonReads(texts: string[]): { tree?: CohortTree; text?: string; error?: string }[] {
  const script = [
    'import json, sys',
    'from jupyter_dataproduct.core.cohort import parse_cohort, tree_to_text',
    'out = []',
    'for text in json.load(sys.stdin):',
    '    try:',
    '        tree = parse_cohort(text)',
    '        out.append({"tree": tree, "text": tree_to_text(tree)})',
    '    except Exception as exc:',
    '        out.append({"error": str(exc)})',
    'print(json.dumps(out))'
  ].join('\n');
  const env = { ...process.env, PYTHONPATH: [REPO, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), env, encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(run.stderr);
  }
  return JSON.parse(run.stdout);
}

const TEXTS = [
  'age >= 40',
  "arms == 'ZDV'",
  'arms == ZDV',
  'arms = 1',
  "arms in ('ZDV', 'ddI') and age between 30 and 40",
  'cd40 is null or cd80 is not null',
  "arms not in (0, 1) and (gender == 'male' or karnof < 90)",
  'not (offtrt == true) and wtkg > 70.5',
  "race == 'it\\'s' and age != -3",
  'hemo == false or homo == true or drugs == true',
  "name contains 'ab'",
  'a == 2.5e-3'
];

describe('parseCohort', () => {
  const python = pythonReads(TEXTS);

  it.each(TEXTS.map((text, i) => [text, i]))('reads %s as the Python parser does', (text, i) => {
    const expected = python[i as number];
    expect(expected.error).toBeUndefined();
    const tree = parseCohort(text as string);
    expect(tree).toEqual(expected.tree);
    expect(treeToText(tree)).toBe(expected.text);
  });

  it('reads its own text back to the same tree', () => {
    for (const text of TEXTS) {
      const tree = parseCohort(text);
      expect(parseCohort(treeToText(tree))).toEqual(tree);
    }
  });

  it.each([
    ['age >=', /position 7 \(expected a value/],
    ['age >= 40 and', /expected a column name/],
    ['arms in (1, 2', /expected '\)'/],
    ['age ; 3', /position 5 \(unexpected character\)/],
    ['age 40', /expected a comparison/]
  ])('names the position of a mistake in %j', (text, message) => {
    expect(() => parseCohort(text)).toThrow(CohortSyntaxError);
    expect(() => parseCohort(text)).toThrow(message);
    expect(pythonReads([text])[0].error).toMatch(/syntax error/);
  });

  it('reads an empty text as everyone', () => {
    expect(parseCohort('  ')).toEqual({ and: [] });
    expect(treeToText({ and: [] })).toBe('everyone');
  });
});

describe('the builder shape', () => {
  it('round-trips rows and one level of groups', () => {
    for (const text of [
      'age >= 40',
      "arms in ('ZDV', 'ddI') and age between 30 and 40",
      "arms not in (0, 1) and (gender == 'male' or karnof < 90)",
      'hemo == false or (homo == true and drugs == true)'
    ]) {
      const tree = parseCohort(text);
      const builder = treeToBuilder(tree);
      expect(builder).not.toBeNull();
      expect(builderToTree(builder!)).toEqual(tree);
      expect(treeToText(builderToTree(builder!))).toBe(treeToText(tree));
    }
  });

  it('keeps to the text form what rows cannot show', () => {
    expect(treeToBuilder(parseCohort('not (age > 40)'))).toBeNull();
    expect(treeToBuilder(parseCohort('a == 1 and (b == 2 or (c == 3 and d == 4))'))).toBeNull();
  });

  it('gives everyone for no rows', () => {
    expect(treeToBuilder({ and: [] })).toEqual({ join: 'and', items: [] });
    expect(builderToTree({ join: 'and', items: [] })).toEqual({ and: [] });
  });
});
