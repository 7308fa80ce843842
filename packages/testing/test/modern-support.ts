import { Client, type VersionNegotiationMode } from '@modelcontextprotocol/client';

/** What the client's handlers were asked, so a test can prove a round trip reached the caller. */
export interface Asked {
  elicit: string[];
  sample: number;
  roots: number;
}

/**
 * A v2 client with elicitation, sampling and roots handlers (accepting with `{ confirm, name }`,
 * answering `hello`, listing `file:///work`), negotiating `mode` (default `auto`).
 */
export function modernClient(mode: VersionNegotiationMode = 'auto'): { client: Client; asked: Asked } {
  const asked: Asked = { elicit: [], sample: 0, roots: 0 };
  const client = new Client(
    { name: 'modern-tests', version: '0.0.0' },
    { versionNegotiation: { mode }, capabilities: { elicitation: {}, sampling: {}, roots: {} } },
  );
  client.setRequestHandler('elicitation/create', (request) => {
    asked.elicit.push(request.params.message);
    return { action: 'accept', content: { confirm: true, name: 'Ada' } };
  });
  client.setRequestHandler('sampling/createMessage', () => {
    asked.sample++;
    return { role: 'assistant', model: 'test-model', content: { type: 'text', text: 'hello' } };
  });
  client.setRequestHandler('roots/list', () => {
    asked.roots++;
    return { roots: [{ uri: 'file:///work', name: 'work' }] };
  });
  return { client, asked };
}

/** The first text content of a tool result. */
export function firstText(result: unknown): string {
  const first = (result as { content?: { type: string; text?: string }[] }).content?.[0];
  if (first?.type !== 'text' || first.text === undefined) throw new Error(`expected text content, got ${JSON.stringify(result)}`);
  return first.text;
}

/** Resolves when `check` holds (polled every 10 ms), rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
