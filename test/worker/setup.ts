/**
 * Each workerd test file starts with an empty MODELS bucket, as a new deployment has, so what one file uploads
 * never shows in another file's listings.
 */
import { env } from 'cloudflare:test';
import { beforeAll } from 'vitest';

beforeAll(async () => {
  const bucket = (env as unknown as { MODELS: R2Bucket }).MODELS;
  for (;;) {
    const { objects } = await bucket.list();
    if (objects.length === 0) return;
    await bucket.delete(objects.map((o) => o.key));
  }
});
