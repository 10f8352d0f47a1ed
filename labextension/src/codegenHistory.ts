/**
 * The cells the History section writes: `%dataproduct history --rerun ID` and
 * `%dataproduct history --save ID NAME` (jupyter_dataproduct/kernel/cmd/history.py).
 */
import { resultVariable, shlexQuote } from './codegen';

/** What an artifact may be called (jupyter_dataproduct/core/artifacts.py NAME). */
export const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** Re-run a history entry into `<protocol>_result`. */
export function rerunLine(id: string, product: string, protocol: string): string {
  return `%dataproduct history --rerun ${shlexQuote(id)} --product ${shlexQuote(product)} -o ${resultVariable(protocol)}`;
}

/** Save a history entry's result (stored, or re-run by the product) as the artifact `name`. */
export function saveLine(id: string, name: string, product: string): string {
  return `%dataproduct history --save ${shlexQuote(id)} ${shlexQuote(name)} --product ${shlexQuote(product)}`;
}

/** Why `name` cannot name an artifact, or null. */
export function artifactNameProblem(name: string): string | null {
  if (ARTIFACT_NAME.test(name) && !name.includes('..')) {
    return null;
  }
  return `“${name}” cannot name an artifact: use letters, digits, _ . - (starting with a letter or digit, at most 100).`;
}
