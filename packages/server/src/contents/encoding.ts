/**
 * Contents bodies <-> bytes, as jupyter_server encodes them: notebooks as nbformat JSON, files as
 * UTF-8 `text` when they decode (or when asked), otherwise `base64`.
 */
import { Errors, OpsbookError } from '../errors';
import { serializeNotebook, validateNotebook } from './notebook';

/** The bytes a PUT body describes, validated. */
export function encodeBody(
  apiPath: string,
  type: 'notebook' | 'file',
  body: Record<string, unknown>
): Buffer {
  if (type === 'notebook') {
    return Buffer.from(serializeNotebook(validateNotebook(apiPath, body.content)), 'utf8');
  }
  if (typeof body.content !== 'string') {
    throw new OpsbookError(Errors.badModel(apiPath, "'content' must be a string for a file"));
  }
  if (body.format === 'base64') {
    const clean = body.content.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
      throw new OpsbookError(Errors.badModel(apiPath, "'content' is not valid base64"));
    }
    return Buffer.from(clean, 'base64');
  }
  if (body.format !== 'text' && body.format !== undefined) {
    throw new OpsbookError(Errors.badModel(apiPath, "'format' must be 'text' or 'base64'"));
  }
  return Buffer.from(body.content, 'utf8');
}

/** Encodes file bytes as Jupyter does: UTF-8 text when possible (or asked), else base64. */
export function encodeFile(
  apiPath: string,
  bytes: Buffer,
  format: string | undefined
): { format: 'text' | 'base64'; content: string } {
  if (format === 'base64') {
    return { format: 'base64', content: bytes.toString('base64') };
  }
  try {
    return { format: 'text', content: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    if (format === 'text') {
      throw new OpsbookError(
        Errors.badModel(apiPath, 'the file is not UTF-8 text; ask for format=base64')
      );
    }
    return { format: 'base64', content: bytes.toString('base64') };
  }
}
