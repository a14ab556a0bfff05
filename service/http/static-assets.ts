import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const publicDir = new URL('../dashboard/public/', import.meta.url);

interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

function load(path: string | URL): Asset {
  const name = String(path);
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return { body: readFileSync(path), type: TYPES[ext] ?? 'application/octet-stream' };
}

/**
 * The dashboard's files: its page, script and style from `service/dashboard/public/`, and uPlot
 * from node_modules (no CDN: the dashboard works offline and on a locked-down host). Read once
 * at start; the table is the allow-list, so no request path ever reaches the file system.
 */
export function dashboardAssets(): Map<string, Asset> {
  return new Map([
    ['/', load(new URL('index.html', publicDir))],
    ['/assets/dashboard.js', load(new URL('dashboard.js', publicDir))],
    ['/assets/dashboard.css', load(new URL('dashboard.css', publicDir))],
    ['/assets/uplot.js', load(require.resolve('uplot/dist/uPlot.iife.min.js'))],
    ['/assets/uplot.css', load(require.resolve('uplot/dist/uPlot.min.css'))],
  ]);
}

/** Sends one asset. */
export function sendAsset(res: ServerResponse, asset: Asset): void {
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': asset.body.length,
    'cache-control': 'no-cache',
  });
  res.end(asset.body);
}
