import { describe, expect, it } from 'vitest';
import { BridgeError, PluginError, RetryExhaustedError, TimeoutError } from '../src/errors.js';

describe('branded errors', () => {
  it('carry code, plugin, data and cause, and name the plugin in the message', () => {
    const cause = new Error('boom');
    const err = new RetryExhaustedError('gave up after 3 attempts: boom', { plugin: '@mcp-bridge/retry', cause, data: { attempts: 3 } });
    expect(err.code).toBe('RETRY_EXHAUSTED');
    expect(err.message).toBe('[mcp-bridge] [@mcp-bridge/retry] gave up after 3 attempts: boom');
    expect(err.cause).toBe(cause);
    expect(err.data).toEqual({ attempts: 3 });
    expect(err.name).toBe('RetryExhaustedError');
    expect(err).toBeInstanceOf(BridgeError);
    expect(err).toBeInstanceOf(RetryExhaustedError);
    expect(err).not.toBeInstanceOf(TimeoutError);
    expect(err instanceof Error).toBe(true);
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ code: 'RETRY_EXHAUSTED', data: { attempts: 3 } });
  });

  it('keep instanceof working across two copies of the module', async () => {
    // A query string makes vite load a second, independent instance of the same file.
    // @ts-expect-error: the query string is for vite; the module is the same file.
    const copy = (await import('../src/errors.js?second-copy')) as typeof import('../src/errors.js');
    expect(copy.TimeoutError).not.toBe(TimeoutError);
    const foreign = new copy.TimeoutError('slow');
    expect(foreign).toBeInstanceOf(TimeoutError);
    expect(foreign).toBeInstanceOf(BridgeError);
    expect(TimeoutError.isInstance(foreign)).toBe(true);
    expect(new PluginError('PLUGIN_CYCLE', 'x', 'y')).toBeInstanceOf(copy.PluginError);
    expect(new PluginError('PLUGIN_CYCLE', 'x', 'y')).not.toBeInstanceOf(copy.TimeoutError);
    expect(BridgeError.isInstance(new Error('plain'))).toBe(false);
    expect(BridgeError.isInstance(null)).toBe(false);
  });

  it('lets third parties subclass with their own brand', () => {
    class QuotaError extends BridgeError {
      static override readonly brand = 'QuotaError';
      constructor() {
        super('QUOTA', 'over quota', { plugin: 'mcp-bridge-plugin-quota' });
      }
    }
    const e = new QuotaError();
    expect(e).toBeInstanceOf(QuotaError);
    expect(e).toBeInstanceOf(BridgeError);
    expect(e).not.toBeInstanceOf(TimeoutError);
    expect(e.message).toContain('[mcp-bridge-plugin-quota]');
  });
});

describe('brands of subclasses that declare none', () => {
  it('use the class name, never the parent brand', () => {
    class MyError extends BridgeError {}
    expect(new RetryExhaustedError('x')).not.toBeInstanceOf(MyError);
    expect(new MyError('MINE', 'x')).toBeInstanceOf(MyError);
    expect(new MyError('MINE', 'x')).toBeInstanceOf(BridgeError);
  });
});
