import { formatDiscoveryIssue, type SkippedServer } from '@mcp-bridge/discovery';
import type { Loaded } from './load.js';

const REASONS: Record<SkippedServer['reason'], string> = {
  disabled: 'it is disabled in its config',
  'tag-filter': 'its tags do not match --tag',
  invalid: 'its entry is invalid',
  recursive: 'it runs mcp-bridge itself (a gateway in front of itself would start gateways without end)',
};

/**
 * One line per config problem, as `doctor` reports them: files that are not valid JSON, bad
 * entries (file, line and field: an unset `${VAR}`, a wrong type), and servers that are skipped.
 * `serve`, `list` and `call` print these on stderr at start, so nothing configured vanishes silently.
 */
export function configProblems(loaded: Loaded): string[] {
  const discovery = loaded.discovery;
  if (!discovery || loaded.usingExamples) return [];
  const lines: string[] = [];
  for (const f of discovery.files) {
    // A syntax error is also an issue with its line: the issue says more than the file's status.
    if (f.status === 'invalid' && !discovery.issues.some((i) => i.file === f.file))
      lines.push(`${f.file}: invalid config file: ${f.error ?? 'unreadable'}`);
  }
  for (const issue of discovery.issues) lines.push(formatDiscoveryIssue(issue));
  for (const s of discovery.skipped) {
    if (s.reason === 'invalid') continue; // said above, with the field
    lines.push(`${s.source.file}${s.source.line ? `:${s.source.line}` : ''}: server "${s.name}" skipped: ${REASONS[s.reason]}`);
  }
  return lines;
}

/**
 * Why a configured server is not among the loaded ones, for `call SERVER/TOOL`: skipped (disabled,
 * filtered out, invalid with the field), or `undefined` when no config names it.
 */
export function whySkipped(loaded: Loaded, server: string): string | undefined {
  const skipped = loaded.discovery?.skipped.find((s) => s.name === server);
  if (!skipped) return undefined;
  const where = `${skipped.source.file}${skipped.source.line ? `:${skipped.source.line}` : ''}`;
  const issues = loaded.discovery!.issues.filter((i) => i.server === server).map((i) => `${i.field ? `${i.field}: ` : ''}${i.message}`);
  return `server "${server}" (${where}) is skipped: ${REASONS[skipped.reason]}${issues.length ? ` (${issues.join('; ')})` : ''}`;
}
