import { createReadStream } from 'node:fs';
import { extname, join } from 'node:path';
import type Router from '@koa/router';
// The path helper only: the package's main module loads the whole browser bundle into Node.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path';
import type { AppState } from './auth';
import { notFound } from './problem';

/**
 * The files of swagger-ui-dist the page loads, served from node_modules (no CDN: the docs
 * work offline and no third party sees who reads them). A fixed list, so the `:file`
 * parameter can never name anything else on disk.
 */
const ASSETS = new Set([
  'swagger-ui.css',
  'index.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-16x16.png',
  'favicon-32x32.png',
]);

const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>orderflow API</title>
    <link rel="stylesheet" type="text/css" href="/docs/assets/swagger-ui.css" />
    <link rel="stylesheet" type="text/css" href="/docs/assets/index.css" />
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="/docs/assets/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/docs/assets/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="/docs/assets/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
`;

/** `GET /docs`: Swagger UI over `/openapi.json`; `GET /docs/assets/:file`: its files. */
export function registerDocsRoutes(router: Router<AppState>): void {
  const root = getAbsoluteFSPath();
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });
  router.get('/docs/assets/:file', (ctx) => {
    const file = ctx.params.file ?? '';
    ctx.set('Cache-Control', 'public, max-age=3600');
    if (file === 'swagger-initializer.js') {
      ctx.type = 'application/javascript; charset=utf-8';
      ctx.body = INITIALIZER;
      return;
    }
    if (!ASSETS.has(file)) throw notFound('No such documentation file');
    ctx.type = extname(file);
    ctx.body = createReadStream(join(root, file));
  });
}
