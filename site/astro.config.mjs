// The static site: built to site/dist and served by the Worker's assets binding (see wrangler.toml).
import { defineConfig } from 'astro/config';

export default defineConfig({
  outDir: './dist',
  trailingSlash: 'ignore',
  build: { format: 'directory' },
  devToolbar: { enabled: false },
});
