import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CircuitOpenError, errorType, isToolError, TimeoutError } from '../src/index.js';

describe('errorType', () => {
  it('names a failure with a low-cardinality label: cancelled first, bridge codes, JSON-RPC codes, class names', () => {
    expect(errorType(new TimeoutError('late'))).toBe('timeout');
    expect(errorType(new CircuitOpenError('open'))).toBe('circuit_open');
    expect(errorType(new McpError(-32603, 'boom'))).toBe('-32603');
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    expect(errorType(new Error('plain'))).toBe('_OTHER');
    expect(errorType('not an error')).toBe('_OTHER');
    expect(errorType(new TimeoutError('late'), AbortSignal.abort())).toBe('cancelled');
  });

  it('tells a tool error result from a success', () => {
    expect(isToolError({ isError: true, content: [] })).toBe(true);
    expect(isToolError({ content: [] })).toBe(false);
    expect(isToolError(undefined)).toBe(false);
  });
});
