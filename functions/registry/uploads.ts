/**
 * Uploaded models, content-addressed in a BlobStore:
 *   uploads/<id>/model.onnx   the graph Ascent runs (the upload with its input normalization prepended)
 *   uploads/<id>/record.json  its ModelInfo, the description given, and the hash of its delete token
 * The id is derived from the uploaded bytes and the description, so uploading the same thing twice is harmless.
 * Uploaded models are reachable by id only; the public list shows the built-in models.
 */
import { utf8, type BlobStore } from './store.js';
import type { ModelInfo, ModelRecord, ModelRegistry } from './types.js';

export const UPLOAD_ID = /^u-[0-9a-f]{32}$/;

export interface UploadRecord {
  info: ModelInfo;
  description: Record<string, unknown>;
  /** SHA-256 (hex) of the token that may delete this upload */
  deleteTokenSha256: string;
}

const modelKey = (id: string) => `uploads/${id}/model.onnx`;
const recordKey = (id: string) => `uploads/${id}/record.json`;

export class UploadStore {
  constructor(private readonly store: BlobStore) {}

  async record(id: string): Promise<UploadRecord | undefined> {
    if (!UPLOAD_ID.test(id)) return undefined;
    const json = await this.store.get(recordKey(id));
    return json ? (JSON.parse(utf8.decode(json)) as UploadRecord) : undefined;
  }

  async get(id: string): Promise<ModelRecord | undefined> {
    const record = await this.record(id);
    if (!record) return undefined;
    const bytes = await this.store.get(modelKey(id));
    return bytes ? { info: record.info, bytes } : undefined;
  }

  /** Writes the graph first and the record last: a model is visible only once both exist. */
  async put(record: UploadRecord, bytes: Uint8Array): Promise<void> {
    await this.store.put(modelKey(record.info.id), bytes);
    await this.store.put(recordKey(record.info.id), utf8.encode(JSON.stringify(record)));
  }

  async delete(id: string): Promise<void> {
    await this.store.delete([recordKey(id), modelKey(id), ...(await this.store.list(`programs/${id}/`))]);
  }
}

/** The built-in models, plus uploads reachable by id. */
export function withUploads(builtin: ModelRegistry, uploads: UploadStore | undefined): ModelRegistry {
  return {
    list: () => builtin.list(),
    async get(id) {
      return (await builtin.get(id)) ?? (uploads ? uploads.get(id) : undefined);
    },
  };
}
