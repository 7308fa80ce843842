import type { CompleteRequest, CompleteResult, GetPromptResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { awaitUnlisted, callContext, run } from './call-path.js';
import type { ResourceTarget } from './catalog.js';
import { NotFoundError } from './errors.js';
import { errorMessage } from './helpers.js';
import { ensureReady, unknownServer, type HostCore } from './host-core.js';
import type { CallOptions } from './plugin-api.js';

// Calls addressed by exposed names other than tools: resources (by URI), prompts, completions, and
// ping. Each resolves the name through the catalog, then takes the call path (call-path.ts).

/** Reads a resource by its exposed URI. */
export async function readResource(s: HostCore, uri: string, options?: CallOptions): Promise<ReadResourceResult> {
  ensureReady(s);
  let target = resolveResource(s, uri);
  const resolves = (): boolean => resolveResource(s, uri) !== undefined;
  if (!target && (options = await awaitUnlisted(s, 'resources', options, resolves))) target = resolveResource(s, uri);
  if (!target && (options = await awaitUnlisted(s, 'templates', options, resolves))) target = resolveResource(s, uri);
  if (!target) throw new NotFoundError(`no server provides resource "${uri}"`, { data: { uri } });
  const result = (await run(
    s,
    callContext(s, 'resources/read', target.server, { uri: target.upstreamUri }, undefined, options),
  )) as ReadResourceResult;
  if (target.upstreamUri === uri) return result;
  return { ...result, contents: result.contents.map((c) => ({ ...c, uri: s.catalog.exposedUri(target.server, c.uri) })) };
}

/**
 * Where an exposed resource URI goes: a listed resource, a matching template, `server+uri`, or
 * the only server with resources. `undefined` when nothing fits.
 */
export function resolveResource(s: HostCore, uri: string): ResourceTarget | undefined {
  ensureReady(s);
  const listed = s.catalog.resolveResource(uri);
  if (listed) return listed;
  const plus = uri.indexOf('+');
  if (plus > 0) {
    const server = uri.slice(0, plus);
    if (s.upstreams.has(server)) return { server, upstreamUri: uri.slice(plus + 1) };
  }
  const withResources = [...s.upstreams].filter(([, ups]) => ups.some((u) => u.capabilities?.resources)).map(([srv]) => srv);
  return withResources.length === 1 ? { server: withResources[0]!, upstreamUri: uri } : undefined;
}

/** Gets a prompt by its exposed name. */
export async function getPrompt(
  s: HostCore,
  name: string,
  args: Record<string, string> = {},
  options?: CallOptions,
): Promise<GetPromptResult> {
  ensureReady(s);
  let entry = s.catalog.prompt(name);
  if (!entry) {
    options = await awaitUnlisted(s, 'prompts', options, () => s.catalog.prompt(name) !== undefined);
    entry = s.catalog.prompt(name);
  }
  if (!entry) throw new NotFoundError(`no prompt named "${name}"`, { data: { prompt: name } });
  return (await run(
    s,
    callContext(s, 'prompts/get', entry.server, { name: entry.upstreamName, arguments: args }, undefined, options),
  )) as GetPromptResult;
}

/** Argument completion for a prompt (exposed name) or a resource template (exposed URI template). */
export async function complete(s: HostCore, params: CompleteRequest['params'], options?: CallOptions): Promise<CompleteResult> {
  ensureReady(s);
  const ref = params.ref;
  let server: string;
  let upstreamRef: typeof ref;
  if (ref.type === 'ref/prompt') {
    let entry = s.catalog.prompt(ref.name);
    if (!entry) {
      options = await awaitUnlisted(s, 'prompts', options, () => s.catalog.prompt(ref.name) !== undefined);
      entry = s.catalog.prompt(ref.name);
    }
    if (!entry) throw new NotFoundError(`no prompt named "${ref.name}"`, { data: { prompt: ref.name } });
    server = entry.server;
    upstreamRef = { ...ref, name: entry.upstreamName };
  } else {
    let entry = s.catalog.template(ref.uri);
    if (!entry && !resolveResource(s, ref.uri)) {
      options = await awaitUnlisted(s, 'templates', options, () => s.catalog.template(ref.uri) !== undefined);
      entry = s.catalog.template(ref.uri);
    }
    const target = entry ? { server: entry.server, upstreamUri: entry.upstreamUriTemplate } : resolveResource(s, ref.uri);
    if (!target) throw new NotFoundError(`no resource template "${ref.uri}"`, { data: { uri: ref.uri } });
    server = target.server;
    upstreamRef = { ...ref, uri: target.upstreamUri };
  }
  return (await run(
    s,
    callContext(s, 'completion/complete', server, { ...params, ref: upstreamRef }, undefined, options),
  )) as CompleteResult;
}

/**
 * Pings one server, or every server, through the pipeline. Resolves with the round-trip time per
 * server; a server that failed has `ok: false` and the error message.
 */
export async function pingServers(
  s: HostCore,
  server?: string,
  options?: CallOptions,
): Promise<Record<string, { ok: boolean; ms: number; error?: string }>> {
  ensureReady(s);
  if (server !== undefined && !s.upstreams.has(server)) throw unknownServer(server, [...s.upstreams.keys()]);
  const servers = server !== undefined ? [server] : [...s.upstreams.keys()];
  const out: Record<string, { ok: boolean; ms: number; error?: string }> = {};
  await Promise.all(
    servers.map(async (srv) => {
      const t = performance.now();
      try {
        await run(s, callContext(s, 'ping', srv, {}, undefined, options));
        out[srv] = { ok: true, ms: performance.now() - t };
      } catch (error) {
        if (server !== undefined) throw error;
        out[srv] = { ok: false, ms: performance.now() - t, error: errorMessage(error) };
      }
    }),
  );
  return out;
}
