/**
 * Query failures as Jupyter error content: DuckDB's own message (as the user would see it in the
 * DuckDB shell) plus where the error is in the cell, since DuckDB counts lines per statement.
 */
import { QueryError } from '@opsbook/query-engine';

/** The Jupyter error content for a failure: DuckDB's message, and where in the SQL it is. */
export function errorContent(error: unknown): {
  ename: string;
  evalue: string;
  traceback: string[];
} {
  if (error instanceof QueryError) {
    const ename = error.duckdbType
      ? `${error.duckdbType} Error`
      : error.kind === 'sql'
        ? 'SQL Error'
        : titleCase(error.kind);
    const evalue = error.message.replace(/^[A-Za-z ]+ Error: /, '');
    const traceback = [`\x1b[31m${error.message}\x1b[0m`];
    if (error.position) {
      // DuckDB's excerpt is relative to the statement; say where it is in the cell.
      traceback.push(
        '',
        `at line ${error.position.line}, column ${error.position.column} of the cell`
      );
    }
    return { ename, evalue, traceback };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ename: 'Error', evalue: message, traceback: [message] };
}

function titleCase(kind: string): string {
  return kind === 'cancelled'
    ? 'Cancelled'
    : kind === 'timeout'
      ? 'Timeout'
      : kind === 'data'
        ? 'Data Error'
        : 'Error';
}
