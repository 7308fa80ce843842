import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
  type CreateMessageRequest,
  type ElicitRequest,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';

/** A real SDK client that records what the gateway sends it. */
export interface TestClient {
  client: Client;
  name: string;
  logs: LoggingMessageNotification['params'][];
  listChanged: string[];
  updated: string[];
  sampling: CreateMessageRequest['params'][];
  elicitation: ElicitRequest['params'][];
  rootsAsked: number;
  /** Errors the SDK reported (e.g. a progress notification for a token it does not know). */
  errors: Error[];
  roots: { uri: string; name?: string }[];
  close(): Promise<void>;
}

/** Options of {@link testClient}. */
export interface TestClientOptions {
  /** Declare sampling, elicitation and roots (default true). */
  capable?: boolean;
  roots?: { uri: string; name?: string }[];
}

/** Connects a recording client over any transport. */
export async function testClient(name: string, transport: Transport, options: TestClientOptions = {}): Promise<TestClient> {
  const capable = options.capable ?? true;
  const capabilities: ClientCapabilities = capable ? { sampling: {}, elicitation: {}, roots: { listChanged: true } } : {};
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  const t: TestClient = {
    client,
    name,
    logs: [],
    listChanged: [],
    updated: [],
    sampling: [],
    elicitation: [],
    rootsAsked: 0,
    errors: [],
    roots: options.roots ?? [],
    close: () => client.close(),
  };
  client.onerror = (e) => t.errors.push(e);
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void t.logs.push(n.params));
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void t.listChanged.push('tools'));
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void t.listChanged.push('resources'));
  client.setNotificationHandler(PromptListChangedNotificationSchema, () => void t.listChanged.push('prompts'));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void t.updated.push(n.params.uri));
  if (capable) {
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      t.sampling.push(request.params);
      return { role: 'assistant', content: { type: 'text', text: `sampled by ${name}` }, model: `model-of-${name}`, stopReason: 'endTurn' };
    });
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      t.elicitation.push(request.params);
      return { action: 'decline' };
    });
    client.setRequestHandler(ListRootsRequestSchema, () => {
      t.rootsAsked++;
      return { roots: t.roots };
    });
  }
  await client.connect(transport);
  return t;
}

/** A recording client connected to a gateway over Streamable HTTP. */
export function httpClient(name: string, url: string, options: TestClientOptions = {}): Promise<TestClient> {
  return testClient(name, new StreamableHTTPClientTransport(new URL(url)), options);
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The text of a tool result's content. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}
