import { main, parseArgs } from '../src/cli';
import { resolveConfig } from '../src/config';
import { tempDir } from './helpers';

const generateTelemetry = jest.fn(async (options: { outDir: string }) => ({
  files: [
    { name: 'spans.parquet', path: `${options.outDir}/spans.parquet`, rows: 10, bytes: 1234 }
  ],
  elapsedMs: 1
}));
jest.mock('@opsbook/generator', () => ({
  generateTelemetry: (options: { outDir: string }) => generateTelemetry(options),
  DEFAULT_SCENARIO: 'payment-regression',
  SCENARIOS: [
    { name: 'payment-regression', rootCauseService: 'payment', title: 'Payment regression' },
    { name: 'error-burst', rootCauseService: 'inventory', title: 'Burst of 503s' }
  ],
  scenarioNames: () => ['payment-regression', 'error-burst']
}));

/** Runs `main` capturing what it writes. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(chunk => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('the opsbook CLI', () => {
  it('parses serve flags in both --flag value and --flag=value forms', () => {
    expect(
      parseArgs([
        'serve',
        '--notebooks',
        '/nb',
        '--data=/data',
        '--port',
        '9000',
        '--host',
        '::1',
        '--no-auth',
        '--users',
        'u.json',
        '--token=t',
        '--app-dir',
        '/app'
      ])
    ).toEqual({
      kind: 'serve',
      config: {
        notebookDir: '/nb',
        dataDir: '/data',
        port: 9000,
        host: '::1',
        noAuth: true,
        usersFile: 'u.json',
        token: 't',
        appDir: '/app',
        logLevel: undefined
      }
    });
  });

  it('parses generate flags', () => {
    expect(parseArgs(['generate', '--out', 'd', '--spans', '1000', '--seed', '7'])).toEqual({
      kind: 'generate',
      outDir: 'd',
      spans: 1000,
      seed: 7
    });
    expect(parseArgs(['generate', '--out', 'd', '--format', 'otlp-json'])).toMatchObject({
      kind: 'generate',
      format: 'otlp-json'
    });
    expect(parseArgs(['generate', '--out', 'd', '--scenario=error-burst'])).toEqual({
      kind: 'generate',
      outDir: 'd',
      scenario: 'error-burst'
    });
    expect(parseArgs(['generate', '--list-scenarios'])).toEqual({ kind: 'list-scenarios' });
  });

  it('lists the scenarios with their root causes, the default marked', async () => {
    const { code, stdout } = await run(['generate', '--list-scenarios']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^payment-regression \(default\)\s+root cause: payment\s+Payment regression$/
      ),
      expect.stringMatching(/^error-burst\s+root cause: inventory\s+Burst of 503s$/)
    ]);
  });

  it('rejects an unknown scenario with the list of names and exit code 2', async () => {
    generateTelemetry.mockClear();
    const { code, stderr } = await run(['generate', '--out', '/tmp/x', '--scenario', 'disk-full']);
    expect(code).toBe(2);
    expect(stderr).toContain(
      "Unknown scenario 'disk-full' for --scenario: use one of payment-regression, error-burst"
    );
    expect(generateTelemetry).not.toHaveBeenCalled();
  });

  it('passes --scenario to the generator', async () => {
    const { code } = await run(['generate', '--out', '/tmp/x', '--scenario', 'error-burst']);
    expect(code).toBe(0);
    expect(generateTelemetry).toHaveBeenLastCalledWith({
      outDir: '/tmp/x',
      scenario: 'error-burst'
    });
  });

  it.each([
    [['frobnicate'], /Unknown command 'frobnicate'/],
    [['serve', '--nope'], /Unknown option '--nope' for 'serve'/],
    [['serve', '--port'], /Option --port needs a value/],
    [['serve', '--port', 'eighty'], /Option --port must be an integer >= 0, not 'eighty'/],
    [['serve', '--log-level', 'loud'], /--log-level must be one of debug, info, warn, error/],
    [['generate'], /'generate' needs --out DIR/],
    [['generate', '--out', 'd', '--spans', '0'], /--spans must be an integer >= 1/],
    [['generate', '--out', 'd', '--no-auth'], /Unknown option '--no-auth' for 'generate'/],
    [['generate', '--out', 'd', '--format', 'csv'], /--format must be parquet or otlp-json/]
  ])('rejects %j with a clear message and exit code 2', async (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain("Run 'opsbook --help' for usage.");
  });

  it('prints help', async () => {
    for (const argv of [[], ['--help'], ['serve', '--help']]) {
      const { code, stdout } = await run(argv);
      expect(code).toBe(0);
      expect(stdout).toContain('opsbook serve [options]');
    }
  });

  it('refuses --no-auth on a non-loopback host before starting', async () => {
    const notebooks = tempDir();
    const command = parseArgs([
      'serve',
      '--notebooks',
      notebooks,
      '--host',
      '0.0.0.0',
      '--no-auth'
    ]);
    expect(command.kind).toBe('serve');
    expect(() =>
      resolveConfig((command as Extract<typeof command, { kind: 'serve' }>).config)
    ).toThrow(/--no-auth is only allowed on a loopback host/);
    const { code, stderr } = await run([
      'serve',
      '--notebooks',
      notebooks,
      '--host',
      '0.0.0.0',
      '--no-auth'
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /--no-auth is only allowed on a loopback host .* but the host is '0.0.0.0'/
    );
  });

  it('runs the generator for generate', async () => {
    const { code, stdout, stderr } = await run([
      'generate',
      '--out',
      '/tmp/x',
      '--spans',
      '10',
      '--seed',
      '3'
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(generateTelemetry).toHaveBeenCalledWith({ outDir: '/tmp/x', spans: 10, seed: 3 });
    expect(stdout).toContain('Wrote telemetry to /tmp/x');
    expect(stdout).toMatch(/spans.parquet\s+10 rows\s+1234 bytes/);
  });
});
