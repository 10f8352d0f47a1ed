/**
 * Folder locations as the File Browser shows them: relative to the Jupyter server's root
 * (`PageConfig` "serverRoot"), as the Products section's locations are. Outside the root
 * (or a server URL) a location stays as it is.
 */
import { PageConfig } from '@jupyterlab/coreutils';

/** The Jupyter server's root folder, '/'-separated, no trailing slash ('' if unknown). */
export function serverRoot(): string {
  return trimSlash(PageConfig.getOption('serverRoot').replace(/\\/g, '/'));
}

/**
 * `location` relative to `root` when inside it ('.' for the root itself); a URL, a
 * location outside the root or an unknown root (empty, or `~`-contracted): unchanged.
 */
export function relativeToRoot(location: string, root: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) || !root || root.startsWith('~')) {
    return location;
  }
  const path = trimSlash(location.replace(/\\/g, '/'));
  const base = trimSlash(root);
  if (path === base) {
    return '.';
  }
  const prefix = base.endsWith('/') ? base : `${base}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : location;
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
