/** The debug logger of the clients: the guide's `[SSE] ...` console lines, switchable off. */
export interface Logger {
  debug(message: string, details?: unknown): void;
  warn(message: string, details?: unknown): void;
  error(message: string, details?: unknown): void;
}

/** Where log lines go (the console by default; tests pass their own). */
export type LogSink = Pick<Console, 'debug' | 'warn' | 'error'>;

/**
 * A logger whose lines start with `prefix` (`[SSE]`, `[SignalR]`). With `debug` false only warnings and errors are
 * written, so production builds stay quiet.
 */
export function createLogger(prefix: string, debug: boolean, sink: LogSink = console): Logger {
  const line = (message: string) => `${prefix} ${message}`;
  return {
    debug: (message, details) => {
      if (debug) {
        if (details === undefined) sink.debug(line(message));
        else sink.debug(line(message), details);
      }
    },
    warn: (message, details) => (details === undefined ? sink.warn(line(message)) : sink.warn(line(message), details)),
    error: (message, details) => (details === undefined ? sink.error(line(message)) : sink.error(line(message), details)),
  };
}
