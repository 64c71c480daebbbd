import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the query service at `/` (services/query/src/console.ts): hashed file names under /assets, so
// they can be cached for a year while index.html is not cached at all. The budget is 300 KB gzip for the
// first screen (ECharts is most of it), hence the raised warning limit on the minified size. Nothing is
// inlined as a data: URL, which the CSP would refuse.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 800,
    assetsInlineLimit: 0,
  },
});
