/**
 * A dependency-free leveled logger. Lines look like Jupyter's (`[W 12:00:00.123 Opsbook] ...`) so
 * operators can read both side by side; errors carry their stack.
 */

/** Log levels from most to least verbose. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** One of `LOG_LEVELS`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where formatted lines go; tests pass an array collector. */
export type LogSink = (level: LogLevel, line: string) => void;

/** The logger every module receives (never a global, so tests can capture lines). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Logs the message and, when given, the error's stack. */
  error(message: string, error?: unknown): void;
}

const LETTER: Record<LogLevel, string> = { debug: 'D', info: 'I', warn: 'W', error: 'E' };

/** Default sink: stderr, like Jupyter, so stdout stays free for command output. */
export const stderrSink: LogSink = (_level, line) => {
  process.stderr.write(line + '\n');
};

/** Creates a logger that drops lines below `level`. */
export function createLogger(level: LogLevel, sink: LogSink = stderrSink): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (lineLevel: LogLevel, message: string): void => {
    if (LOG_LEVELS.indexOf(lineLevel) < threshold) {
      return;
    }
    const time = new Date().toISOString().slice(11, 23);
    sink(lineLevel, `[${LETTER[lineLevel]} ${time} Opsbook] ${message}`);
  };
  return {
    debug: message => emit('debug', message),
    info: message => emit('info', message),
    warn: message => emit('warn', message),
    error: (message, error) => {
      const detail =
        error instanceof Error
          ? `\n${error.stack ?? error.message}`
          : error
            ? `\n${String(error)}`
            : '';
      emit('error', message + detail);
    }
  };
}

/** Replaces token values in a URL so logs never leak credentials. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}
