/**
 * The optional service catalog: who owns a service, its tier and repository. Given as a JSON array
 * of objects or a CSV with a header; columns `service` (or `service_name`), `team` (or `owner`),
 * `tier`, `repository` (or `repo`). Adapters use it to fill `service_team`, `service_tier` and
 * `service_repository` of every row.
 */
import { parseCsvText } from './csv-parse';
import { IngestError } from './errors';

/** One service of the catalog. */
export interface ServiceCatalogEntry {
  /** The service name, as in `service.name`. */
  service: string;
  /** Owning team. */
  team?: string;
  /** Tier (e.g. 1 = critical). */
  tier?: string;
  /** Source repository. */
  repository?: string;
}

/** A lookup from service name to its catalog entry. */
export class ServiceCatalog {
  private readonly entries = new Map<string, ServiceCatalogEntry>();

  constructor(entries: readonly ServiceCatalogEntry[]) {
    for (const entry of entries) {
      this.entries.set(entry.service, entry);
    }
  }

  /** The entry of `service`, if catalogued. */
  lookup(service: string): ServiceCatalogEntry | undefined {
    return this.entries.get(service);
  }

  /** Number of services. */
  get size(): number {
    return this.entries.size;
  }

  /** Parses a catalog from JSON (an array of objects) or CSV text; the format is detected. */
  static parse(text: string): ServiceCatalog {
    const trimmed = text.trim();
    let records: Record<string, unknown>[];
    if (trimmed.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch (error) {
        throw new IngestError('catalog-invalid', { reason: (error as Error).message });
      }
      if (!Array.isArray(parsed)) {
        throw new IngestError('catalog-invalid', { reason: 'not an array' });
      }
      records = parsed as Record<string, unknown>[];
    } else {
      const rows = parseCsvText(trimmed);
      const header = rows.shift() ?? [];
      records = rows.map(row => Object.fromEntries(header.map((name, i) => [name.trim(), row[i]])));
    }
    const pick = (record: Record<string, unknown>, ...names: string[]) => {
      for (const name of names) {
        const value = record[name];
        if (value !== undefined && value !== null && value !== '') {
          return String(value);
        }
      }
      return undefined;
    };
    return new ServiceCatalog(
      records.map((record, i) => {
        if (typeof record !== 'object' || record === null) {
          throw new IngestError('catalog-invalid', { reason: `entry ${i + 1} is not an object` });
        }
        const service = pick(record, 'service', 'service_name', 'service.name');
        if (!service) {
          throw new IngestError('catalog-invalid', { reason: `entry ${i + 1} has no service` });
        }
        return {
          service,
          team: pick(record, 'team', 'owner', 'service_team'),
          tier: pick(record, 'tier', 'service_tier'),
          repository: pick(record, 'repository', 'repo', 'service_repository')
        };
      })
    );
  }
}
