import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { isUnknownSessionError } from '../src/index.js';

describe('isUnknownSessionError', () => {
  it('is true for 404, and for 400 that names the session', () => {
    expect(
      isUnknownSessionError(new StreamableHTTPError(404, 'Error POSTing to endpoint: {"error":{"message":"Session not found"}}')),
    ).toBe(true);
    expect(
      isUnknownSessionError(new StreamableHTTPError(400, 'Error POSTing to endpoint: Bad Request: No valid session ID provided')),
    ).toBe(true);
  });

  it('is false for other answers and other errors', () => {
    expect(isUnknownSessionError(new StreamableHTTPError(400, 'Error POSTing to endpoint: Parse error'))).toBe(false);
    expect(isUnknownSessionError(new StreamableHTTPError(500, 'session store down'))).toBe(false);
    expect(isUnknownSessionError(Object.assign(new Error('Session not found'), { code: 404 }))).toBe(false);
    expect(isUnknownSessionError(undefined)).toBe(false);
  });
});
