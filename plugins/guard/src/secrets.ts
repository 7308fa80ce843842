import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintCoreConfig } from '@secretlint/types';
import type { FoundValue } from './targets.js';

/**
 * secretlint's recommended preset (AWS, GCP, GitHub, GitLab, Slack, npm, OpenAI, Anthropic,
 * Stripe, SendGrid, private keys, basic auth and database URLs with passwords, ...), with two
 * changes for tool traffic:
 * - AWS access key IDs are reported on their own (`enableIDScanRule`): in a tool call an ID
 *   travels with its secret often enough, and an ID alone still identifies an account.
 * - `secretlint-disable` comments are not honoured: the scanned text is the caller's or the
 *   upstream's, and either could otherwise switch the scan off by writing the comment.
 */
const CONFIG: SecretLintCoreConfig = {
  rules: [
    {
      id: recommended.meta.id,
      rule: recommended,
      rules: [
        { id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } },
        { id: '@secretlint/secretlint-rule-filter-comments', disabled: true },
      ],
    },
  ],
};

/** One secret found in a string. */
export interface SecretFinding {
  /** Where (a JSON pointer into the arguments or the result). */
  readonly pointer: string;
  /** The secretlint rule and message id: `@secretlint/secretlint-rule-github/GITHUB_TOKEN`. */
  readonly rule: string;
  /** The span in the string, widened to the end of the token (see {@link scanSecrets}). */
  readonly start: number;
  readonly end: number;
}

// Strings are joined into one text (one secretlint run per call: its fixed cost dominates); a
// separator no secret pattern spans keeps findings inside one string.
const SEPARATOR = '\n\n\u0000\n\n';

/** Whether a character ends a token (whitespace, quotes, delimiters). */
const TOKEN_END = /[\s"'`,;<>()[\]{}]/;

/**
 * Scans strings with secretlint in one run and maps each finding back to its string. A finding's
 * end is widened to the end of its token, because some rules report a span shorter than the
 * secret they matched (the AWS secret-access-key rule reports from the key's name); redacting
 * only that span would leave part of the secret.
 */
export async function scanSecrets(values: readonly FoundValue[]): Promise<SecretFinding[]> {
  if (values.length === 0) return [];
  const starts: number[] = [];
  let offset = 0;
  for (const v of values) {
    starts.push(offset);
    offset += v.value.length + SEPARATOR.length;
  }
  const content = values.map((v) => v.value).join(SEPARATOR);
  const result = await lintSource({
    source: { content, filePath: 'mcp-tool-call', contentType: 'text' },
    options: { config: CONFIG, noPhysicFilePath: true },
  });
  const findings: SecretFinding[] = [];
  for (const m of result.messages) {
    if (m.type !== 'message') continue;
    const [from, to] = m.range;
    // The string holding the start (binary search would do; a call has few strings).
    let i = starts.length - 1;
    while (i > 0 && starts[i]! > from) i--;
    const value = values[i]!.value;
    const start = Math.max(0, from - starts[i]!);
    let end = Math.min(value.length, to - starts[i]!);
    while (end < value.length && !TOKEN_END.test(value[end]!)) end++;
    findings.push({ pointer: values[i]!.pointer, rule: `${m.ruleId}/${m.messageId}`, start, end });
  }
  return findings;
}

/** `value` with each finding's span replaced by `[REDACTED:<message id>]`. */
export function redact(value: string, findings: readonly SecretFinding[]): string {
  // Right to left, merged: overlapping findings (two rules on one key) redact once.
  const spans = [...findings].sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number; rule: string }[] = [];
  for (const f of spans) {
    const last = merged.at(-1);
    if (last && f.start <= last.end) last.end = Math.max(last.end, f.end);
    else merged.push({ start: f.start, end: f.end, rule: f.rule });
  }
  let out = value;
  for (const s of merged.reverse()) out = `${out.slice(0, s.start)}[REDACTED:${s.rule.split('/').at(-1)}]${out.slice(s.end)}`;
  return out;
}
