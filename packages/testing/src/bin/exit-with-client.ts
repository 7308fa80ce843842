/**
 * Ends a stdio test server's process when its client goes away (stdin ends or closes) or on
 * SIGTERM/SIGINT: the server is closed, and a pending timer of a slow or hanging tool gets one
 * second before the process exits anyway.
 */
export function exitWithClient(server: { close(): Promise<void> }): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 1000);
    force.unref();
    void server.close().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
