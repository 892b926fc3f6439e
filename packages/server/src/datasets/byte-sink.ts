/** The one thing the Arrow writers (arrow.ts, ipcfile.ts) need from where their bytes go. */

/** Where Arrow IPC bytes go: an HTTP response, or the worker's stand-in for one. */
export interface ByteSink {
  /** False when the consumer is full: wait for 'drain' (or 'close'). */
  write(bytes: Uint8Array): boolean;
  end(): void;
  readonly destroyed: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}
