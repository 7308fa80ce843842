// A gateway process for tests: `node --import tsx gateway-entry.ts '<servers JSON>'` serves those
// servers over stdio until its stdin closes, then closes the bridge and exits.
import { createBridge } from '@mcp-bridge/core';
import { gatewayClientCapabilities, serveStdio } from '../../src/index.js';

const servers = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const bridge = createBridge({ servers, clientCapabilities: gatewayClientCapabilities(), onError: (e) => console.error(e) });
const gateway = await serveStdio(bridge);
await gateway.closed;
await bridge.close();
process.exit(0);
