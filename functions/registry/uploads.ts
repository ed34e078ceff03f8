/**
 * Uploaded models in a BlobStore. Every upload gets a random id that only its uploader learns; identical uploads
 * (the same file and description) share one stored graph and its compiled programs, with one reference marker per
 * upload, so deleting an upload removes only its own link and the shared content goes with the last reference:
 *   uploads/<id>/record.json   the upload: its ModelInfo, the description given, the hash of its delete token, and
 *                              the key of its content
 *   content/<key>/model.onnx   the graph Ascent runs (the upload with its input normalization prepended)
 *   content/<key>/info.json    what admission found (a ModelInfo without id): the same content is admitted once
 *   content/<key>/refs/<id>    one empty marker per upload using the content
 *   programs/<key>/...         its compiled programs (api/programs.ts)
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
  /** the content key (absent in records written before content was shared: their graph is under uploads/<id>/) */
  content?: string;
}

export type AdmittedInfo = Omit<ModelInfo, 'id'>;

const recordKey = (id: string) => `uploads/${id}/record.json`;
const legacyModelKey = (id: string) => `uploads/${id}/model.onnx`;
const contentModel = (key: string) => `content/${key}/model.onnx`;
const contentInfo = (key: string) => `content/${key}/info.json`;
const refKey = (key: string, id: string) => `content/${key}/refs/${id}`;

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
    const bytes = await this.store.get(record.content ? contentModel(record.content) : legacyModelKey(id));
    return bytes ? { info: record.info, bytes, ...(record.content ? { content: record.content } : {}) } : undefined;
  }

  /** What admission found for content `key` (and its graph is still stored), if it was admitted before. */
  async admitted(key: string): Promise<AdmittedInfo | undefined> {
    const [info, model] = await Promise.all([this.store.get(contentInfo(key)), this.store.list(contentModel(key))]);
    return info && model.length > 0 ? (JSON.parse(utf8.decode(info)) as AdmittedInfo) : undefined;
  }

  /**
   * Stores an upload of content `record.content`: its reference first, then the content when `graph` is given
   * (newly admitted), then the record, which makes the id visible.
   */
  async put(record: UploadRecord & { content: string }, graph?: { bytes: Uint8Array; info: AdmittedInfo }): Promise<void> {
    const key = record.content;
    await this.store.put(refKey(key, record.info.id), new Uint8Array(0));
    if (graph) {
      await this.store.put(contentModel(key), graph.bytes);
      await this.store.put(contentInfo(key), utf8.encode(JSON.stringify(graph.info)));
    }
    await this.store.put(recordKey(record.info.id), utf8.encode(JSON.stringify(record)));
  }

  /** Removes upload `id`; its content and programs go too when no other upload refers to them. */
  async delete(id: string): Promise<void> {
    const record = await this.record(id);
    const key = record?.content;
    if (!key) {
      await this.store.delete([recordKey(id), legacyModelKey(id), ...(await this.store.list(`programs/${id}/`))]);
      return;
    }
    await this.store.delete([recordKey(id), refKey(key, id)]);
    if ((await this.store.list(`content/${key}/refs/`)).length > 0) return;
    await this.store.delete([...(await this.store.list(`content/${key}/`)), ...(await this.store.list(`programs/${key}/`))]);
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
