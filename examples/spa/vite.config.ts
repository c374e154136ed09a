// `npm run dev` serves the page with hot reload and sends API calls to the demo backend
// (`npm run backend`, at SPA_BACKEND_URL); `npm run build` writes dist/ for the backend to serve.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const backend = process.env.SPA_BACKEND_URL ?? "http://127.0.0.1:5174";

export default defineConfig({
  server: {
    host: "127.0.0.1",
    proxy: { "/v1": backend, "/demo": backend },
    // twostep-wasm is linked from wasm/pkg/twostep-wasm (see package.json); its .wasm lives there.
    fs: { allow: [".", fileURLToPath(new URL("../../wasm/pkg/twostep-wasm", import.meta.url))] },
  },
  build: {
    target: "es2022",
    // The .wasm stays a separate file, fetched from this origin (never inlined as data:).
    assetsInlineLimit: 0,
  },
});
