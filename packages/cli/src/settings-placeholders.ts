import { basename, sep } from 'node:path';

// Only the path builtins: plugin options are not secret-masked the way server entries are, so
// `${VAR}` (which may hold a token) is left as written rather than expanded here.
const BUILTIN = /\$\{\s*(workspaceFolder|workspaceFolderBasename|userHome|pathSeparator|\/)\s*\}/g;

/**
 * Expands `${workspaceFolder}` (the config file's folder), `${workspaceFolderBasename}`,
 * `${userHome}`, `${pathSeparator}` and `${/}` in every string of a config's gateway settings
 * (its `plugins` section), so plugin options that need absolute paths (a guard's roots, a pin
 * file) can name files next to the config. Other `${...}` text is left as it is.
 */
export function expandPathPlaceholders(value: unknown, folder: string, home: string | undefined): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(BUILTIN, (whole, name: string) => {
      switch (name) {
        case 'workspaceFolder':
          return folder;
        case 'workspaceFolderBasename':
          return basename(folder);
        case 'userHome':
          return home ?? whole;
        default:
          return sep;
      }
    });
  }
  if (Array.isArray(value)) return value.map((v) => expandPathPlaceholders(v, folder, home));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandPathPlaceholders(v, folder, home);
    return out;
  }
  return value;
}
