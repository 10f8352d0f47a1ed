/**
 * The Plugins section's cells, read back by the kernel's own code: the cell magic's words
 * (shlex.split) and the plugin the template's body defines (core.plugins.plugin_from_source,
 * which the `%%dataproduct plugin` magic calls; R templates are parsed without starting R).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

import { cellPlugin, exportLine, pluginTemplate } from '../pluginCode';

const REPO = path.resolve(__dirname, '../../..');

function kernelDefines(cell: string): { words: string[]; name: string; language: string; parameters: string[] } {
  const script = [
    'import json, shlex, sys',
    'from jupyter_dataproduct.core.plugins import plugin_from_source',
    'line, _, body = sys.stdin.read().partition("\\n")',
    'words = shlex.split(line[2:])',
    'language = words[words.index("--lang") + 1] if "--lang" in words else "python"',
    'spec = plugin_from_source(words[2], body, language)',
    'print(json.dumps({"words": words, "name": spec.name, "language": spec.language, "parameters": spec.parameters}))'
  ].join('\n');
  const env = { ...process.env, PYTHONPATH: [REPO, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const run = spawnSync('python3', ['-c', script], { input: cell, env, encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(run.stderr);
  }
  return JSON.parse(run.stdout);
}

describe('pluginTemplate', () => {
  it('is a Python plugin the kernel defines, for the product named', () => {
    const read = kernelDefines(pluginTemplate('old_share', 'python', 'my trial', 'patients'));
    expect(read.words).toEqual(['dataproduct', 'plugin', 'old_share', '--product', 'my trial']);
    expect(read).toMatchObject({ name: 'old_share', language: 'python', parameters: ['patients', 'column'] });
  });

  it('is an R plugin the kernel defines with --lang r', () => {
    const read = kernelDefines(pluginTemplate('arm_rows', 'r', 'actg175', 'patients'));
    expect(read.words).toEqual(['dataproduct', 'plugin', 'arm_rows', '--lang', 'r', '--product', 'actg175']);
    expect(read).toMatchObject({ name: 'arm_rows', language: 'r', parameters: ['patients', 'column'] });
  });
});

describe('cellPlugin and exportLine', () => {
  it('finds the plugin and product of a cell magic', () => {
    expect(cellPlugin('%%dataproduct plugin old_share --product actg175\ndef old_share(): ...')).toEqual({
      name: 'old_share',
      product: 'actg175'
    });
    expect(cellPlugin("  %%dataproduct plugin x --lang r --product 'my trial'\n")).toEqual({ name: 'x', product: 'my trial' });
    expect(cellPlugin('%%dataproduct plugin y\n')).toEqual({ name: 'y', product: null });
    expect(cellPlugin('%dataproduct run y')).toBeNull();
    expect(cellPlugin('print(1)\n%%dataproduct plugin y')).toBeNull();
  });

  it('writes the export line, quoted, with --force only when asked', () => {
    expect(exportLine('old_share', 'actg175')).toBe('%dataproduct plugin export old_share --product actg175');
    expect(exportLine('old_share', 'my trial', true)).toBe("%dataproduct plugin export old_share --force --product 'my trial'");
    expect(exportLine('old_share', null)).toBe('%dataproduct plugin export old_share');
  });
});
