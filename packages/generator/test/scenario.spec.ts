import * as path from 'path';
import Ajv from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { compileTopology } from '../src/model';
import { Timeline } from '../src/timeline';
import { TOPOLOGY } from '../src/topology';
import incidentSchema from '../schema/incident.schema.json';

const PACKAGE = path.join(__dirname, '..');

describe('IncidentTruth', () => {
  it('matches the checked-in JSON Schema (regenerate with `npm run schema -w packages/generator`)', () => {
    const generated = createGenerator({
      path: path.join(PACKAGE, 'src/scenario.ts'),
      type: 'IncidentTruth',
      tsconfig: path.join(PACKAGE, 'tsconfig.json'),
      skipTypeCheck: true
    }).createSchema('IncidentTruth');
    expect(generated).toEqual(incidentSchema);
  });

  it('validates the incident of a timeline against the schema, with UTC ISO times', () => {
    const timeline = new Timeline(
      Date.parse('2026-11-10T00:00:00Z'),
      24,
      compileTopology(TOPOLOGY)
    );
    // Formats are checked below by hand, so Ajv only needs to know the keyword exists.
    const validate = new Ajv({ validateFormats: false }).compile(incidentSchema);
    const incident = JSON.parse(JSON.stringify(timeline.incident));
    expect(validate(incident) ? [] : validate.errors).toEqual([]);
    for (const time of [incident.deployTime, incident.start, incident.end]) {
      expect(new Date(time).toISOString()).toBe(time);
    }
  });
});
