import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WarmpoolError } from '@warmpool/domain';

/** One file the page needs, as served. */
export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The package root: this file sits two levels down, in `src/http/` when run from source and `dist/http/` when built. */
const PACKAGE_ROOT = new URL('../../', import.meta.url);

/** Where each served asset lives inside the package (no network, no CDN). `app.js` is compiled from `src/web/app.ts`. */
export const ASSET_FILES = {
  'index.html': { path: 'assets/index.html', contentType: 'text/html; charset=utf-8' },
  'app.css': { path: 'assets/app.css', contentType: 'text/css; charset=utf-8' },
  'app.js': { path: 'dist/web/app.js', contentType: 'text/javascript; charset=utf-8' },
  'svg-chart.js': { path: 'dist/web/svg-chart.js', contentType: 'text/javascript; charset=utf-8' },
} as const;

export type AssetName = keyof typeof ASSET_FILES;

/** Reads the page's files from the package once each and keeps them; a missing file is a clear error, retried later. */
export class StaticAssets {
  private readonly cache = new Map<AssetName, StaticAsset>();

  constructor(
    private readonly root: URL = PACKAGE_ROOT,
    private readonly transformHtml: (html: string) => string = (html) => html,
  ) {}

  async get(name: AssetName): Promise<StaticAsset> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const spec = ASSET_FILES[name];
    const file = fileURLToPath(new URL(spec.path, this.root));
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (error) {
      const hint = spec.path.startsWith('dist/') ? ' (build it: npx tsc -b packages/dashboard)' : '';
      throw new WarmpoolError('E_DASHBOARD_ASSET', `dashboard asset ${name} missing at ${file}${hint}`, {
        cause: error,
      });
    }
    if (name === 'index.html') body = Buffer.from(this.transformHtml(body.toString('utf8')), 'utf8');
    const asset = { body, contentType: spec.contentType };
    this.cache.set(name, asset);
    return asset;
  }
}
