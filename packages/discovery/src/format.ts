import type { DiscoveryIssue } from './types.js';

/**
 * One line for a person, like a compiler's: `/home/me/app/.mcp.json:7: server "github": env.TOKEN: environment variable TOKEN is not set`.
 *
 * @example
 * for (const issue of result.issues) console.warn(formatDiscoveryIssue(issue));
 */
export function formatDiscoveryIssue(issue: DiscoveryIssue): string {
  const where =
    issue.line === undefined ? issue.file : `${issue.file}:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`;
  const server = issue.server === undefined ? '' : `server "${issue.server}": `;
  const field = issue.field ? `${issue.field}: ` : '';
  return `${where}: ${server}${field}${issue.message}`;
}
