/**
 * An RFC 4180 CSV record splitter that works incrementally on text: quoted fields may contain
 * commas, doubled quotes and newlines. `CsvSplitter.push` returns the records completed so far, so
 * memory is bounded by the longest record.
 */

/** A CSV record with the line it started on. */
export interface CsvRecord {
  /** The fields. */
  fields: string[];
  /** 1-based line number where the record starts. */
  line: number;
  /** Set when a quoted field is malformed (a quote followed by other text). */
  error?: string;
}

/**
 * Incremental CSV splitter (state machine over characters). Feed it whole lines with their line
 * ending (as the CSV adapter does), so a doubled quote is never split between two pushes.
 */
export class CsvSplitter {
  private field = '';
  private fields: string[] = [];
  private inQuotes = false;
  private quoteSeen = false;
  private line = 1;
  private recordLine = 1;
  private error: string | undefined;
  private size = 0;
  /** Characters of the record being built (for the record size limit). */
  get recordSize(): number {
    return this.size;
  }

  constructor(private readonly delimiter = ',') {}

  /** Feeds text; returns the records completed by it. */
  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      this.size++;
      if (this.inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else {
            this.inQuotes = false;
            this.quoteSeen = true;
          }
        } else {
          if (ch === '\n') {
            this.line++;
          }
          this.field += ch;
        }
        continue;
      }
      if (ch === this.delimiter) {
        this.endField();
      } else if (ch === '\n') {
        this.line++;
        this.endField();
        out.push(this.endRecord());
      } else if (ch === '\r') {
        // Dropped: CRLF and lone CR line ends are both handled by the LF or ignored.
      } else if (ch === '"' && this.field === '' && !this.quoteSeen) {
        this.inQuotes = true;
      } else {
        if (this.quoteSeen && !this.error) {
          this.error = `unexpected text after a closing quote on line ${this.line}`;
        }
        this.field += ch;
      }
    }
    return out;
  }

  /** Ends the input; returns the last record if any. */
  end(): CsvRecord[] {
    if (this.inQuotes) {
      this.error = this.error ?? 'a quoted field is not closed before the end of the input';
    }
    if (this.field !== '' || this.fields.length > 0 || this.quoteSeen) {
      this.endField();
      return [this.endRecord()];
    }
    return [];
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.quoteSeen = false;
  }

  private endRecord(): CsvRecord {
    const record: CsvRecord = { fields: this.fields, line: this.recordLine };
    if (this.error) {
      record.error = this.error;
    }
    this.fields = [];
    this.error = undefined;
    this.recordLine = this.line;
    this.size = 0;
    return record;
  }
}

/** Parses a whole CSV text into rows of fields (for small inputs such as the service catalog). */
export function parseCsvText(text: string): string[][] {
  const splitter = new CsvSplitter();
  return [...splitter.push(text), ...splitter.end()]
    .filter(r => !(r.fields.length === 1 && r.fields[0] === ''))
    .map(r => r.fields);
}
