/**
 * The cells the Plugins section writes: a `%%dataproduct plugin NAME` template (Python or
 * R) and `%dataproduct plugin export NAME`. The cell magic's syntax is the kernel's
 * (jupyter_dataproduct/kernel/cmd/plugin.py): `%%dataproduct plugin NAME [--lang python|r]
 * [--product P]`, with the function called NAME in the cell.
 */
import { shlexQuote } from './codegen';

export type PluginLanguage = 'python' | 'r';

/** A plugin name is lower_snake_case: it names the file it is exported to. */
export const PLUGIN_NAME = /^[a-z_][a-z0-9_]*$/;

/** `%%dataproduct plugin NAME ...` at the top of a cell: the name and the product, if given. */
const CELL_MAGIC = /^%%dataproduct\s+plugin\s+([a-z_][a-z0-9_]*)\b([^\n]*)/;

export function pluginTemplate(name: string, language: PluginLanguage, product: string, entity: string): string {
  const header = `%%dataproduct plugin ${name}${language === 'r' ? ' --lang r' : ''} --product ${shlexQuote(product)}`;
  if (language === 'r') {
    return [
      header,
      `#' ${name}: rows of the cohort by arm`,
      `${name} <- function(${entity}, column = "arms") {`,
      `  counts <- as.data.frame(table(${entity}[[column]]))`,
      '  names(counts) <- c(column, "rows")',
      '  counts',
      '}'
    ].join('\n');
  }
  return [
    header,
    'import polars as pl',
    '',
    '',
    `def ${name}(${entity}: pl.LazyFrame, column: str = "arms"):`,
    `    """${name}: rows of the cohort by a column."""`,
    `    return ${entity}.group_by(column).agg(pl.len().alias("rows")).sort(column).collect()`
  ].join('\n');
}

/** `%dataproduct plugin export NAME [--force] --product P`. */
export function exportLine(name: string, product: string | null, force = false): string {
  const words = ['%dataproduct', 'plugin', 'export', name];
  if (force) {
    words.push('--force');
  }
  if (product) {
    words.push('--product', shlexQuote(product));
  }
  return words.join(' ');
}

/** The plugin a cell defines (its first line is the cell magic), with its `--product`. */
export function cellPlugin(source: string): { name: string; product: string | null } | null {
  const match = CELL_MAGIC.exec(source.trimStart());
  if (!match) {
    return null;
  }
  const product = /--product\s+('([^']*)'|"([^"]*)"|(\S+))/.exec(match[2]);
  return { name: match[1], product: product ? (product[2] ?? product[3] ?? product[4]) : null };
}
