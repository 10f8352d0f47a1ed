/**
 * Cohorts in the browser: the condition tree, its text form (the same syntax as
 * jupyter_dataproduct/core/cohort.py, so the builder can switch to text and back),
 * and the flat "groups of rows" shape the cohort builder edits.
 */

export type CohortValue = string | number | boolean;

export interface ICondition {
  column: string;
  op: string;
  value?: CohortValue | CohortValue[];
}

export type CohortTree =
  | { and: CohortTree[] }
  | { or: CohortTree[] }
  | { not: CohortTree }
  | ICondition;

export const COMPARISONS = ['==', '!=', '<', '<=', '>', '>='];
export const SET_OPS = ['in', 'not in'];
export const NULL_OPS = ['is null', 'is not null'];
export const OPERATORS = [...COMPARISONS, ...SET_OPS, 'between', ...NULL_OPS, 'contains'];
export const EVERYONE: CohortTree = { and: [] };

/** A cohort text or tree fails to read; `position` is 1-based in the text. */
export class CohortSyntaxError extends Error {}

// -- tree -> text (as core/cohort.py tree_to_text) ----------------------------------

function isGroup(node: CohortTree): node is { and: CohortTree[] } | { or: CohortTree[] } {
  return 'and' in node || 'or' in node;
}

function groupParts(node: { and: CohortTree[] } | { or: CohortTree[] }): [string, CohortTree[]] {
  return 'and' in node ? ['and', node.and] : ['or', (node as { or: CohortTree[] }).or];
}

export function valueText(value: CohortValue): string {
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (typeof value === 'string') {
    return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
  }
  return String(value);
}

export function treeToText(node: CohortTree): string {
  if (isGroup(node)) {
    const [key, parts] = groupParts(node);
    if (parts.length === 0) {
      return key === 'and' ? 'everyone' : 'no one';
    }
    return parts
      .map(child =>
        isGroup(child) && groupParts(child)[1].length > 1 ? `(${treeToText(child)})` : treeToText(child)
      )
      .join(` ${key} `);
  }
  if ('not' in node) {
    return `not (${treeToText(node.not)})`;
  }
  const { column, op, value } = node;
  if (NULL_OPS.includes(op)) {
    return `${column} ${op}`;
  }
  const values = Array.isArray(value) ? value : [value as CohortValue];
  if (SET_OPS.includes(op)) {
    return `${column} ${op} (${values.map(valueText).join(', ')})`;
  }
  if (op === 'between') {
    return `${column} between ${valueText(values[0])} and ${valueText(values[1])}`;
  }
  return `${column} ${op} ${valueText(value as CohortValue)}`;
}

// -- text -> tree (as core/cohort.py _Parser) ----------------------------------------

interface IToken {
  kind: 'number' | 'string' | 'op' | 'punct' | 'word' | 'keyword';
  text: string;
  position: number;
}

const TOKEN =
  /\s*(?:(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(==|!=|<=|>=|<|>|=)|([(),])|([A-Za-z_][A-Za-z0-9_]*))/y;
const KINDS: IToken['kind'][] = ['number', 'string', 'op', 'punct', 'word'];
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'between', 'true', 'false', 'contains']);

function tokenize(text: string): IToken[] {
  const tokens: IToken[] = [];
  const source = text.replace(/\s+$/, '');
  let position = 0;
  while (position < source.length) {
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(source);
    if (!match || match.index + match[0].length === position) {
      const skipped = source.slice(position).length - source.slice(position).replace(/^\s+/, '').length;
      throw syntaxError(source, position + skipped, 'unexpected character');
    }
    const group = match.slice(1).findIndex(g => g !== undefined);
    let kind = KINDS[group];
    let value = match[group + 1];
    const start = match.index + match[0].length - value.length;
    if (kind === 'word' && KEYWORDS.has(value.toLowerCase())) {
      kind = 'keyword';
      value = value.toLowerCase();
    }
    tokens.push({ kind, text: value, position: start });
    position = match.index + match[0].length;
  }
  return tokens;
}

function syntaxError(text: string, position: number, problem: string): CohortSyntaxError {
  return new CohortSyntaxError(
    `Cohort expression has a syntax error at position ${position + 1} (${problem}):\n  ${text}\n  ${' '.repeat(position)}^`
  );
}

class Parser {
  private tokens: IToken[];
  private index = 0;

  constructor(private text: string) {
    this.tokens = tokenize(text);
  }

  parse(): CohortTree {
    if (this.tokens.length === 0) {
      return { and: [] };
    }
    const tree = this.or();
    if (this.index < this.tokens.length) {
      throw this.error("expected 'and', 'or' or the end");
    }
    return tree;
  }

  private or(): CohortTree {
    const parts = [this.and()];
    while (this.accept('keyword', 'or')) {
      parts.push(this.and());
    }
    return parts.length === 1 ? parts[0] : { or: parts };
  }

  private and(): CohortTree {
    const parts = [this.unary()];
    while (this.accept('keyword', 'and')) {
      parts.push(this.unary());
    }
    return parts.length === 1 ? parts[0] : { and: parts };
  }

  private unary(): CohortTree {
    if (this.accept('keyword', 'not')) {
      return { not: this.unary() };
    }
    if (this.accept('punct', '(')) {
      const inner = this.or();
      this.expect('punct', ')');
      return inner;
    }
    return this.condition();
  }

  private condition(): CohortTree {
    const column = this.expect('word', undefined, 'a column name').text;
    if (this.accept('keyword', 'is')) {
      const negate = this.accept('keyword', 'not');
      this.expect('keyword', 'null');
      return { column, op: negate ? 'is not null' : 'is null' };
    }
    if (this.accept('keyword', 'not')) {
      this.expect('keyword', 'in');
      return { column, op: 'not in', value: this.list() };
    }
    if (this.accept('keyword', 'in')) {
      return { column, op: 'in', value: this.list() };
    }
    if (this.accept('keyword', 'between')) {
      const low = this.literal();
      this.expect('keyword', 'and');
      return { column, op: 'between', value: [low, this.literal()] };
    }
    if (this.accept('keyword', 'contains')) {
      return { column, op: 'contains', value: this.literal() };
    }
    const op = this.expect('op', undefined, 'a comparison (==, !=, <, <=, >, >=), in, between or is').text;
    return { column, op: op === '=' ? '==' : op, value: this.literal() };
  }

  private list(): CohortValue[] {
    this.expect('punct', '(');
    const values = [this.literal()];
    while (this.accept('punct', ',')) {
      values.push(this.literal());
    }
    this.expect('punct', ')');
    return values;
  }

  private literal(): CohortValue {
    const token = this.next("a value (number, 'text', true or false)");
    if (token.kind === 'number') {
      return Number(token.text);
    }
    if (token.kind === 'string') {
      return token.text.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    if (token.kind === 'keyword' && (token.text === 'true' || token.text === 'false')) {
      return token.text === 'true';
    }
    if (token.kind === 'word') {
      return token.text; // a label written without quotes: arms == ZDV
    }
    throw syntaxError(this.text, token.position, `expected a value, found '${token.text}'`);
  }

  private accept(kind: IToken['kind'], text?: string): boolean {
    const token = this.tokens[this.index];
    if (token && token.kind === kind && (text === undefined || token.text === text)) {
      this.index += 1;
      return true;
    }
    return false;
  }

  private expect(kind: IToken['kind'], text?: string, description?: string): IToken {
    const token = this.tokens[this.index];
    if (token && token.kind === kind && (text === undefined || token.text === text)) {
      this.index += 1;
      return token;
    }
    throw this.error(`expected ${description ?? `'${text}'`}`);
  }

  private next(description: string): IToken {
    const token = this.tokens[this.index];
    if (!token) {
      throw this.error(`expected ${description}`);
    }
    this.index += 1;
    return token;
  }

  private error(problem: string): CohortSyntaxError {
    const token = this.tokens[this.index];
    const position = token ? token.position : this.text.replace(/\s+$/, '').length;
    return syntaxError(this.text, position, problem);
  }
}

/** Read the text form into a tree (throws CohortSyntaxError naming the position). */
export function parseCohort(text: string): CohortTree {
  return new Parser(text).parse();
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a as object).filter(k => (a as any)[k] !== undefined);
    const other = Object.keys(b as object).filter(k => (b as any)[k] !== undefined);
    return keys.length === other.length && keys.every(k => sameValue((a as any)[k], (b as any)[k]));
  }
  return a === b;
}

/**
 * The text form of a tree when reading it back gives the same tree (the readable way to
 * write it in a cell), else null. Everyone is the empty text.
 */
export function faithfulText(tree: CohortTree): string | null {
  if (isGroup(tree) && groupParts(tree)[1].length === 0 && 'and' in tree) {
    return '';
  }
  try {
    const text = treeToText(tree);
    return sameValue(parseCohort(text), tree) ? text : null;
  } catch {
    return null;
  }
}

// -- the builder's shape: a top-level and/or of rows and one level of groups ----------

export interface IBuilderGroup {
  join: 'and' | 'or';
  items: (ICondition | IBuilderGroup)[];
}

export function isBuilderGroup(item: ICondition | IBuilderGroup): item is IBuilderGroup {
  return (item as IBuilderGroup).join !== undefined;
}

/**
 * The builder's shape of a tree, or null when the tree needs the text form
 * (a `not`, or groups nested deeper than one level).
 */
export function treeToBuilder(tree: CohortTree, depth = 0): IBuilderGroup | null {
  if ('not' in tree) {
    return null;
  }
  if (!isGroup(tree)) {
    return { join: 'and', items: [{ ...(tree as ICondition) }] };
  }
  const [join, parts] = groupParts(tree);
  const items: (ICondition | IBuilderGroup)[] = [];
  for (const part of parts) {
    if ('not' in part) {
      return null;
    }
    if (isGroup(part)) {
      if (depth >= 1) {
        return null;
      }
      const inner = treeToBuilder(part, depth + 1);
      if (inner === null) {
        return null;
      }
      items.push(inner);
    } else {
      items.push({ ...(part as ICondition) });
    }
  }
  return { join: join as 'and' | 'or', items };
}

/** The tree of a builder group (a single row stays a bare condition, as the parser gives). */
export function builderToTree(group: IBuilderGroup): CohortTree {
  const parts = group.items.map(item => (isBuilderGroup(item) ? builderToTree(item) : { ...item }));
  if (parts.length === 1) {
    return parts[0];
  }
  return group.join === 'and' ? { and: parts } : { or: parts };
}
