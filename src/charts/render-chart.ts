import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * The fonts text is drawn with: DejaVu Sans from the `dejavu-fonts-ttf` package, so a chart has
 * its labels wherever it is rendered (a slim Docker image has no system fonts at all).
 */
const FONT_DIR = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const FONTS = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(FONT_DIR, f));

export interface RenderedChart {
  svg: string;
  png: Buffer;
  width: number;
  height: number;
  /** RGBA, row by row: what the PNG holds, for tests that look at the picture. */
  pixels: Buffer;
}

/**
 * Vega-Lite → Vega → SVG (server-side, no browser: `renderer: 'none'`), then resvg → PNG at
 * `scale` (2 by default, sharp on a phone's screen).
 */
export async function renderChart(spec: TopLevelSpec, { scale = 2 } = {}): Promise<RenderedChart> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const image = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: false, fontFiles: FONTS, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  }).render();
  return { svg, png: image.asPng(), width: image.width, height: image.height, pixels: Buffer.from(image.pixels) };
}
