/**
 * The server instance's Ed25519 signing key (Node only).
 *
 * Stored as `instance-key.pem` (PKCS#8 PEM) in the store directory, created on first use with
 * mode 0600 in a directory created with mode 0700. A key file that group or others can read is
 * refused rather than used: a leaked key lets anyone forge log entries.
 *
 * The public key travels as the base64 of its raw 32 bytes (RFC 8032), the form offline verifiers
 * and other languages take; `keyId` is the SHA-256 hex of those bytes.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject
} from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** File name of the instance key inside the store directory. */
export const KEY_FILE = 'instance-key.pem';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A signing key pair of this server instance. */
export interface InstanceKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Base64 of the raw 32-byte public key. */
  publicKeyBase64: string;
  /** SHA-256 hex of the raw public key. */
  keyId: string;
}

/** Loads the instance key from `dir`, creating it (and `dir`) on first use. */
export function loadOrCreateInstanceKey(dir: string): InstanceKey {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, KEY_FILE);
  if (!fs.existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    try {
      // 'wx': never overwrite a key another process created a moment ago.
      fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
  }
  const mode = fs.statSync(file).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(
      `The instance key ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); ` +
        `run "chmod 600 ${file}" and, if it may have leaked, delete it to make a new key ` +
        '(existing logs then verify only with the old public key).'
    );
  }
  const privateKey = createPrivateKey(fs.readFileSync(file, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`The instance key ${file} is not an Ed25519 key; delete it to make a new one.`);
  }
  return fromPrivateKey(privateKey);
}

/** The `InstanceKey` of a private key (tests and tools that hold a key in memory). */
export function fromPrivateKey(privateKey: KeyObject): InstanceKey {
  const publicKey = createPublicKey(privateKey);
  const raw = rawPublicKey(publicKey);
  return {
    privateKey,
    publicKey,
    publicKeyBase64: raw.toString('base64'),
    keyId: createHash('sha256').update(raw).digest('hex')
  };
}

/** A fresh in-memory key (tests; a server uses `loadOrCreateInstanceKey`). */
export function generateInstanceKey(): InstanceKey {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - 32);
}

/** The public key from the base64 of its raw 32 bytes; throws a clear error otherwise. */
export function publicKeyFromBase64(base64: string): KeyObject {
  const raw = typeof base64 === 'string' ? Buffer.from(base64, 'base64') : Buffer.alloc(0);
  if (raw.length !== 32 || raw.toString('base64') !== base64) {
    throw new Error(
      `Expected an Ed25519 public key as the base64 of 32 bytes, got ${JSON.stringify(String(base64).slice(0, 60))}.`
    );
  }
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Ed25519 signature (base64) of `message`. */
export function signBytes(key: InstanceKey, message: Uint8Array): string {
  return sign(null, message, key.privateKey).toString('base64');
}

/** True when `signature` (base64) is a valid Ed25519 signature of `message` by `publicKey`. */
export function verifyBytes(publicKey: KeyObject, message: Uint8Array, signature: string): boolean {
  const sig = typeof signature === 'string' ? Buffer.from(signature, 'base64') : Buffer.alloc(0);
  if (sig.length !== 64) {
    return false;
  }
  try {
    return verify(null, message, publicKey, sig);
  } catch {
    return false;
  }
}
