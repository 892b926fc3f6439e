/**
 * Plain-text log line formats and their detection. A format recognises the timestamp at the start
 * of a line (and, for syslog, the host and program); the level is then looked for among the next
 * few tokens (an upper-case word such as `INFO`, or any-case word in brackets such as `[notice]`).
 * Detection tries every format on a sample of lines and keeps the one that matches most.
 * Covers the loghub formats: ISO with `,`/`.` fractions (Hadoop, Zookeeper), Apache's
 * `[Sun Dec 04 04:47:44 2005]`, syslog `Jun 14 15:16:01 host prog[pid]:` (Linux, OpenSSH),
 * `yyMMdd HHmmss` (HDFS), `yy/MM/dd HH:mm:ss` (Spark) and epoch seconds (BGL).
 */
import { fromParts, monthIndex, parseEpoch, parseIso } from './timestamps';

/** What a format extracts from one line. */
export interface ParsedLine {
  time: bigint;
  /** The line after the timestamp (and syslog header). */
  rest: string;
  host?: string;
  service?: string;
  pid?: string;
}

/** A plain-text log format. */
export interface LogFormat {
  /** Name reported in the ingest notes. */
  name: string;
  /** Parses a line, or returns null when the line does not start with this format's timestamp. */
  parse(line: string, year: number): ParsedLine | null;
  /** Whether levels are looked for after the timestamp. */
  levels: boolean;
}

const num = Number;

/** The known formats, in detection priority order. */
export const LOG_FORMATS: readonly LogFormat[] = [
  {
    name: 'iso8601',
    levels: true,
    parse(line) {
      const m =
        /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)\]?\s+/.exec(
          line
        );
      const time = m ? parseIso(m[1]) : null;
      return m && time !== null ? { time, rest: line.slice(m[0].length) } : null;
    }
  },
  {
    name: 'ctime-bracketed',
    levels: true,
    parse(line) {
      const m = /^\[\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\d{4})\]\s*/.exec(
        line
      );
      if (!m || monthIndex(m[1]) < 0) {
        return null;
      }
      const time = fromParts({
        year: num(m[7]),
        month: monthIndex(m[1]) + 1,
        day: num(m[2]),
        hour: num(m[3]),
        minute: num(m[4]),
        second: num(m[5]),
        fraction: m[6]
      });
      return time === null ? null : { time, rest: line.slice(m[0].length) };
    }
  },
  {
    name: 'syslog',
    levels: false,
    parse(line, year) {
      const m =
        /^(\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) ([^\s:[]+)(?:\[(\d+)\])?: ?/.exec(line);
      if (!m || monthIndex(m[1]) < 0) {
        return null;
      }
      const time = fromParts({
        year,
        month: monthIndex(m[1]) + 1,
        day: num(m[2]),
        hour: num(m[3]),
        minute: num(m[4]),
        second: num(m[5])
      });
      return time === null
        ? null
        : { time, rest: line.slice(m[0].length), host: m[6], service: m[7], pid: m[8] };
    }
  },
  {
    name: 'yymmdd-hhmmss',
    levels: true,
    parse(line) {
      const m = /^(\d{2})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})\s+/.exec(line);
      const time = m
        ? fromParts({
            year: 2000 + num(m[1]),
            month: num(m[2]),
            day: num(m[3]),
            hour: num(m[4]),
            minute: num(m[5]),
            second: num(m[6])
          })
        : null;
      return m && time !== null ? { time, rest: line.slice(m[0].length) } : null;
    }
  },
  {
    name: 'yy/mm/dd',
    levels: true,
    parse(line) {
      const m = /^(\d{2})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s+/.exec(
        line
      );
      const time = m
        ? fromParts({
            year: 2000 + num(m[1]),
            month: num(m[2]),
            day: num(m[3]),
            hour: num(m[4]),
            minute: num(m[5]),
            second: num(m[6]),
            fraction: m[7]
          })
        : null;
      return m && time !== null ? { time, rest: line.slice(m[0].length) } : null;
    }
  },
  {
    name: 'epoch-seconds',
    levels: true,
    parse(line) {
      // Optionally after one short token (BGL's alert label "-").
      const m = /^(?:\S{1,16} )?(\d{10}(?:\.\d{1,9})?)\s+/.exec(line);
      const time = m ? parseEpoch(m[1]) : null;
      return m && time !== null ? { time, rest: line.slice(m[0].length) } : null;
    }
  }
];

const LEVEL_WORDS =
  'TRACE|DEBUG|INFO|INFORMATION|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL|ALERT|EMERG|EMERGENCY|PANIC';
const LEVEL_RE = new RegExp(
  `^((?:\\S+\\s+){0,6}?)(?:\\[(${LEVEL_WORDS})\\]|\\b(${LEVEL_WORDS})\\b)(?:\\s*[:\\-|]?\\s*)`,
  'i'
);

/**
 * OTel severity number of a level word (syslog names per the OTel log data model mapping), or
 * null when unknown.
 */
export function severityNumber(level: string): number | null {
  switch (level.toUpperCase()) {
    case 'TRACE':
      return 1;
    case 'DEBUG':
      return 5;
    case 'INFO':
    case 'INFORMATION':
      return 9;
    case 'NOTICE':
      return 10;
    case 'WARN':
    case 'WARNING':
      return 13;
    case 'ERROR':
    case 'ERR':
      return 17;
    case 'CRIT':
    case 'CRITICAL':
    case 'SEVERE':
      return 18;
    case 'ALERT':
      return 19;
    case 'FATAL':
    case 'EMERG':
    case 'EMERGENCY':
    case 'PANIC':
      return 21;
    default:
      return null;
  }
}

/**
 * Finds the level among the first tokens of `rest`: an upper-case level word, or a bracketed one in
 * any case. Returns the level as written and the message: `rest` without the level token.
 */
export function findLevel(rest: string): { level: string; message: string } | null {
  const m = LEVEL_RE.exec(rest);
  if (!m) {
    return null;
  }
  const bracketed = m[2];
  const bare = m[3];
  if (bare && bare !== bare.toUpperCase()) {
    return null;
  }
  // Keep the tokens before the level (a pid, a "-"), drop only the level itself.
  const before = m[1].replace(/[\s\-:|]+$/, '');
  const after = rest.slice(m[0].length);
  return { level: bracketed ?? bare, message: before ? `${before} ${after}` : after };
}

/** The format that parses most of `sample` (at least half of it), or null. */
export function detectLogFormat(sample: readonly string[], year: number): LogFormat | null {
  let best: LogFormat | null = null;
  let bestCount = 0;
  for (const format of LOG_FORMATS) {
    const count = sample.filter(line => format.parse(line, year) !== null).length;
    if (count > bestCount) {
      best = format;
      bestCount = count;
    }
  }
  return best && bestCount * 2 >= sample.length ? best : null;
}
