// Constants the command line's help needs before any command's code is loaded: kept apart from the
// commands so that `--help` does not import them (and what they import).

/** Port `serve` listens on over HTTP when started in a terminal without `--http` or `--stdio`. */
export const DEFAULT_HTTP_PORT = 7800;
