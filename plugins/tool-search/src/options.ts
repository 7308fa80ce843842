import { NAME_PATTERN } from '@mcp-bridge/core';
import { z } from 'zod';

const toolName = z.string().regex(NAME_PATTERN, `must match ${String(NAME_PATTERN)}`);

/** Options schema of {@link toolSearch}. */
export const toolSearchOptionsSchema = z
  .strictObject({
    /** Tools listed as they are beside the meta-tools (exposed names), e.g. the two or three used on every turn. */
    alwaysList: z.array(z.string().min(1)).default([]),
    /** The meta-tools' names, when the defaults collide with a catalog tool or a client's convention. */
    names: z
      .strictObject({
        search: toolName.default('search_tools'),
        describe: toolName.default('describe_tool'),
        call: toolName.default('call_tool'),
      })
      .default({ search: 'search_tools', describe: 'describe_tool', call: 'call_tool' }),
    /** Results of a search when the caller gives no `limit`. */
    defaultLimit: z.number().int().min(1).max(100).default(5),
    /** Most results a search returns, whatever `limit` the caller asks for. */
    maxLimit: z.number().int().min(1).max(100).default(20),
    /** Characters of a tool's description shown in search results (the full text is in `describe_tool`). */
    descriptionChars: z.number().int().min(0).default(240),
    /** More synonym groups for the ranker: every word of a group matches the others (`[["deploy", "ship", "release"]]`). */
    synonyms: z.array(z.array(z.string().min(1)).min(2)).default([]),
    /** More words naming a server, by server name (`{ jira: ["ticket tracker"] }`): a task using one ranks that server's tools first. */
    serverAliases: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
  })
  .superRefine((o, ctx) => {
    const names = Object.values(o.names);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['names'], message: 'the three names must differ' });
    if (o.defaultLimit > o.maxLimit) ctx.addIssue({ code: 'custom', path: ['defaultLimit'], message: 'must not exceed maxLimit' });
  });

/** Options of {@link toolSearch}. */
export type ToolSearchOptions = z.input<typeof toolSearchOptionsSchema>;

/** The options after parsing (defaults applied). */
export type ResolvedToolSearchOptions = z.output<typeof toolSearchOptionsSchema>;
