import type { GetPromptResult, Prompt, ReadResourceResult, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import { RED_PIXEL_PNG, WATCHED_URI } from './conformance-tools.js';

// The conformance fixture's resources, prompts and completions: plain data, shared by the 2025-era
// fixture (SDK 1.x) and the 2026-07-28 one (SDK v2), so both answer the suite alike.

/** URIs of the fixture's resource template. */
export const TEMPLATE_RE = /^test:\/\/template\/([^/]+)\/data$/;

/** The fixture's listed resources. */
export const RESOURCES: Resource[] = [
  { uri: 'test://static-text', name: 'static-text', description: 'A static text resource', mimeType: 'text/plain' },
  { uri: 'test://static-binary', name: 'static-binary', description: 'A static binary resource (PNG)', mimeType: 'image/png' },
  { uri: WATCHED_URI, name: 'watched-resource', description: 'A resource clients can subscribe to', mimeType: 'text/plain' },
];

/** The fixture's prompts. */
export const PROMPTS: Prompt[] = [
  { name: 'test_simple_prompt', description: 'A prompt without arguments' },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
  },
  { name: 'test_prompt_with_image', description: 'A prompt with image content' },
];

/** The fixture's resource template. */
export const RESOURCE_TEMPLATES: ResourceTemplate[] = [
  {
    uriTemplate: 'test://template/{id}/data',
    name: 'template',
    description: 'A resource template with an id',
    mimeType: 'application/json',
  },
];

/** Completion values for a prompt argument (`ref/prompt`) or a template variable, filtered by the typed prefix. */
export function conformanceCompletion(refType: string, value: string): { values: string[]; total: number; hasMore: boolean } {
  const candidates = refType === 'ref/prompt' ? ['paris', 'park', 'party', 'test-value'] : ['1', '2', '3', '123'];
  const values = candidates.filter((v) => v.startsWith(value));
  return { values, total: values.length, hasMore: false };
}

/** The fixture's resources by URI (static text, binary, watched, and the template's data); undefined when there is none. */
export function readFixtureResource(uri: string): ReadResourceResult | undefined {
  if (uri === 'test://static-text')
    return { contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] };
  if (uri === 'test://static-binary') return { contents: [{ uri, mimeType: 'image/png', blob: RED_PIXEL_PNG }] };
  if (uri === WATCHED_URI)
    return { contents: [{ uri, mimeType: 'text/plain', text: `Watched resource, read at ${new Date().toISOString()}` }] };
  const match = TEMPLATE_RE.exec(uri);
  if (match) {
    const id = decodeURIComponent(match[1]!);
    return {
      contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
    };
  }
  return undefined;
}

/** The fixture's prompts by name; undefined for an unknown name. */
export function fixturePrompt(name: string, args: Record<string, string>): GetPromptResult | undefined {
  switch (name) {
    case 'test_simple_prompt':
      return { messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] };
    case 'test_prompt_with_arguments':
      return {
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: `Prompt with arguments: arg1='${args.arg1 ?? ''}', arg2='${args.arg2 ?? ''}'` },
          },
        ],
      };
    case 'test_prompt_with_embedded_resource':
      return {
        messages: [
          {
            role: 'user',
            content: {
              type: 'resource',
              resource: {
                uri: args.resourceUri ?? 'test://example-resource',
                mimeType: 'text/plain',
                text: 'Embedded resource content for testing.',
              },
            },
          },
          { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
        ],
      };
    case 'test_prompt_with_image':
      return {
        messages: [
          { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' } },
          { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
        ],
      };
  }
  return undefined;
}
