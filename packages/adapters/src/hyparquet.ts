/**
 * hyparquet, loaded once and lazily: the Parquet adapter and the server's bundle verifier (which
 * re-derives snapshot ids from Parquet rows) both read Parquet with it, with the same parsers.
 */
type Hyparquet = typeof import('hyparquet');
type HyparquetCompressors = typeof import('hyparquet-compressors');

let modules: Promise<[Hyparquet, HyparquetCompressors]> | null = null;

/**
 * Loads hyparquet lazily (it is an ES module: bundlers and Node >= 20.19 load it through this
 * `import()`, which TypeScript emits as `require`). Test runners that cannot `require` ES modules
 * (jest 29) fall back to Node's own loader; in a browser there is no fallback to need.
 */
export function loadHyparquet(): Promise<[Hyparquet, HyparquetCompressors]> {
  modules ??= Promise.all([import('hyparquet'), import('hyparquet-compressors')]).catch(
    (error: unknown) => {
      const nodeModule = globalThis.process?.getBuiltinModule?.('module');
      if (!nodeModule) {
        throw error;
      }
      const load = nodeModule.createRequire(__filename);
      return [
        load('hyparquet') as Hyparquet,
        load('hyparquet-compressors') as HyparquetCompressors
      ];
    }
  );
  return modules;
}

const NS_PER_DAY = 86_400_000_000_000n;

/**
 * hyparquet parsers giving timestamps and dates as Unix nanoseconds (bigint), as the canonical
 * schema and the catalog's content hashes expect (hyparquet's default, `Date`, drops sub-ms digits).
 */
export const PARSERS = {
  timestampFromMilliseconds: (millis: bigint) => millis * 1_000_000n,
  timestampFromMicroseconds: (micros: bigint) => micros * 1_000n,
  timestampFromNanoseconds: (nanos: bigint) => nanos,
  dateFromDays: (days: number) => BigInt(days) * NS_PER_DAY
};
