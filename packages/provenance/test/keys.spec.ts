import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  KEY_FILE,
  loadOrCreateInstanceKey,
  publicKeyFromBase64,
  signBytes,
  verifyBytes
} from '../src/keys';
import { tempDir } from './helpers';

describe('instance key', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('is created on first use with mode 0600 and loaded unchanged afterwards', () => {
    const dir = path.join(tmp.dir, 'store');
    const first = loadOrCreateInstanceKey(dir);
    expect(fs.statSync(path.join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const again = loadOrCreateInstanceKey(dir);
    expect(again.publicKeyBase64).toBe(first.publicKeyBase64);
    expect(again.keyId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a key file that other users can read', () => {
    loadOrCreateInstanceKey(tmp.dir);
    fs.chmodSync(path.join(tmp.dir, KEY_FILE), 0o644);
    expect(() => loadOrCreateInstanceKey(tmp.dir)).toThrow(/readable by other users.*chmod 600/);
  });

  it('exports a public key that verifies its signatures and rejects others', () => {
    const key = loadOrCreateInstanceKey(tmp.dir);
    const message = Buffer.from('hash bytes');
    const signature = signBytes(key, message);
    const publicKey = publicKeyFromBase64(key.publicKeyBase64);
    expect(verifyBytes(publicKey, message, signature)).toBe(true);
    expect(verifyBytes(publicKey, Buffer.from('other'), signature)).toBe(false);
    expect(verifyBytes(publicKey, message, 'garbage')).toBe(false);
    expect(() => publicKeyFromBase64('abc')).toThrow(/base64 of 32 bytes/);
  });
});
