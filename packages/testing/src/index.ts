export { createConformanceServer } from './conformance-server.js';
export type { ConformanceServerOptions } from './conformance-server.js';
export { conformanceServerCommand } from './conformance-stdio.js';
export { createTestServer, getLedger } from './create-test-server.js';
export { inMemoryFaultServer } from './fault/in-memory-fault-server.js';
export type { FaultServerInstance, InMemoryFaultServerConfig } from './fault/in-memory-fault-server.js';
export { startFaultHttpServer } from './fault/http-fault-server.js';
export type { FaultHttpServer, FaultHttpServerOptions } from './fault/http-fault-server.js';
export { stdioFaultServer } from './fault/stdio-fault-server.js';
export type { StdioFaultServerConfig, StdioFaultServerOptions } from './fault/stdio-fault-server.js';
export { FaultLedger, readFaultLedgerFile } from './fault/fault-ledger.js';
export type { FaultLedgerEntry, FaultLedgerSnapshot } from './fault/fault-ledger.js';
export { DEFAULT_FAULT_TOOLS, FAULT_KINDS, LEDGER_TOOL } from './fault/fault-options.js';
export type { FaultKind, FaultPlan, FaultRates, FaultServerOptions, FaultStep, LatencyOptions } from './fault/fault-options.js';
export { seededRandom } from './fault/rng.js';
export type { Random } from './fault/rng.js';
export { checkPluginConformance, runConformanceCheck } from './plugin-conformance/check-plugin-conformance.js';
export type { PluginFactory } from './plugin-conformance/checks.js';
export { describePluginConformance } from './plugin-conformance/describe-plugin-conformance.js';
export type { ConformanceTestApi, DescribePluginConformanceOptions } from './plugin-conformance/describe-plugin-conformance.js';
export { CONFORMANCE_CHECKS } from './plugin-conformance/types.js';
export type {
  ConformanceBridge,
  ConformanceCheckName,
  ConformanceCheckResult,
  ConformanceCore,
  ConformancePlugin,
  ConformanceReport,
  ConformanceTools,
  PluginConformanceOptions,
} from './plugin-conformance/types.js';
export { startHttpTestServer } from './http-test-server.js';
export type { HttpTestServer, HttpTestServerOptions } from './http-test-server.js';
export { inMemoryTestServer } from './in-memory-test-server.js';
export type { InMemoryTestServerConfig } from './in-memory-test-server.js';
export { TestLedger } from './ledger.js';
export type { ExecutionOutcome, ToolTally, WaitForOptions } from './ledger.js';
export { BUILTIN_TOOLS, LONG_TOOL_NAME } from './options.js';
export type { BuiltinToolName, TestServerOptions } from './options.js';
export { testResourceUris } from './resources.js';
export type { TestResourceUris } from './resources.js';
export { stdioTestServer } from './stdio-test-server.js';
export type { StdioTestServerConfig, StdioTestServerOptions } from './stdio-test-server.js';
export { childProcessesOf, eventually, processesWith } from './processes.js';
export { createModernTestServer } from './modern/create-modern-test-server.js';
export type { ModernResourceUris, ModernTestServer } from './modern/create-modern-test-server.js';
export { MAX_RECORDED, startModernHttpTestServer } from './modern/http-modern-server.js';
export type { ModernHttpRequestRecord, ModernHttpTestServer, ModernHttpTestServerOptions } from './modern/http-modern-server.js';
export { modernStdioTestServer } from './modern/stdio-modern-server.js';
export { serveModernTestServer } from './modern/serve-modern.js';
export type { ModernConnection } from './modern/serve-modern.js';
export type { ModernStdioTestServerOptions } from './modern/stdio-modern-server.js';
export { CACHEABLE_METHODS, MODERN_FAULT_KINDS } from './modern/modern-options.js';
export type { CacheableMethod, ModernCacheHint, ModernCacheHints, ModernEra, ModernTestServerOptions } from './modern/modern-options.js';
export { MODERN_TOOLS } from './modern/modern-tools.js';
export { MISSING_REQUIRED_CLIENT_CAPABILITY, TASK_TOOLS } from './modern/modern-tasks.js';
export { TASKS_EXTENSION } from './modern/modern-task-store.js';
export type { ModernTaskStatus, TaskSnapshot } from './modern/modern-task-store.js';
export { modernCounterUri } from './modern/modern-resources.js';
export type { BinCommand } from './bin-command.js';
export { createModernConformanceServer } from './modern/modern-conformance.js';
export type { ModernConformanceServer, ModernConformanceServerOptions } from './modern/modern-conformance.js';
export { modernConformanceServerCommand, startModernConformanceHttpServer } from './modern/modern-conformance-serve.js';
export type { ModernConformanceHttpOptions, ModernConformanceHttpServer } from './modern/modern-conformance-serve.js';
