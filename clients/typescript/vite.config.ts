import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The demo page (demo/) is built into the server's wwwroot/, which the server serves at /. `npm run dev` serves it on
// the Development CORS origin (http://localhost:27555) against a server at VITE_CNS_API_URL.
export default defineConfig({
  root: fileURLToPath(new URL('./demo', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../src/NotificationHub.Server/wwwroot', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: { port: 27555, strictPort: true },
});
