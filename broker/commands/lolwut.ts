/**
 * LOLWUT [VERSION v] [args...], as redis-server 7.0's lolwut.c, lolwut5.c and lolwut6.c:
 * 7.0's own art is its version line; VERSION 5 draws Georg Nees' "Schotter" in braille,
 * VERSION 6 a skyline in terminal colours. The drawing code is ported with C's float
 * arithmetic (Math.fround) and rounding, so rows drawn without randomness are
 * byte-identical; the random rows differ as they differ between two redis-servers.
 */
import type { CommandDef } from '../../engine/command.js';
import { NOT_INTEGER } from '../../engine/errors.js';
import { parseInt64 } from '../../engine/util/int64.js';
import type { Connection } from '../net/connection.js';
import { REDIS_VERSION } from '../version.js';

const f = Math.fround;
const RAND_MAX = 2147483647;

/** C's rand(): 0..RAND_MAX. */
function rand(): number {
  return Math.floor(Math.random() * (RAND_MAX + 1));
}

/** C's round(): halves away from zero. */
function cRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  draw(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width];
  }

  /** lwDrawLine: Bresenham. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.draw(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /** lwDrawSquare: the corners on a circle, from PI/4 + angle in steps of PI/2. */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    const side = cRound(f(f(size) / 1.4142135623));
    const px: number[] = [];
    const py: number[] = [];
    let k = f(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * side + x));
      py.push(cRound(Math.cos(k) * side + y));
      k = f(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}

/** A random float in [-limit, limit] as lwDrawSchotter draws its displacements. */
function displacement(squaresPerCol: number, y: number): number {
  return f(f(f(rand() / RAND_MAX) / squaresPerCol) * y);
}

/** lwDrawSchotter: rows of squares, more rotated and displaced further down. */
function schotter(cols: number, perRow: number, perCol: number): Canvas {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f((width - padding * 2) / perRow);
  const canvas = new Canvas(width, Math.trunc(f(f(side * perCol) + padding * 2)), 0);
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + f(side / 2)) + padding));
      let sy = Math.trunc(f(f(f(y * side) + f(side / 2)) + padding));
      let angle = 0;
      if (y > 1) {
        let r1 = displacement(perCol, y);
        let r2 = displacement(perCol, y);
        let r3 = displacement(perCol, y);
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f(sx + f(f(r2 * side) / 3)));
        sy = Math.trunc(f(sy + f(f(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** lolwut5's renderCanvas: 2x4 pixels per braille character. */
function renderBraille(canvas: Canvas): string {
  let text = '';
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let byte = 0;
      if (canvas.get(x, y)) byte |= 1 << 0;
      if (canvas.get(x, y + 1)) byte |= 1 << 1;
      if (canvas.get(x, y + 2)) byte |= 1 << 2;
      if (canvas.get(x + 1, y)) byte |= 1 << 3;
      if (canvas.get(x + 1, y + 1)) byte |= 1 << 4;
      if (canvas.get(x + 1, y + 2)) byte |= 1 << 5;
      if (canvas.get(x, y + 3)) byte |= 1 << 6;
      if (canvas.get(x + 1, y + 3)) byte |= 1 << 7;
      text += String.fromCharCode(0x2800 + byte);
    }
    if (y !== canvas.height - 1) text += '\n';
  }
  return text;
}

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

/** generateSkyscraper: a block from the bottom, its roof narrower, windows in random greys. */
function skyscraper(canvas: Canvas, s: Skyscraper): void {
  const starty = canvas.height - 1;
  const endy = starty - s.height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      if (y === endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue;
      let color = s.color;
      if (s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (s.xoff + 1);
        const rely = y - (endy + 1);
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do color = 1 + (rand() % 2);
          while (color === s.color);
          if (relx % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.draw(x, y, color);
    }
  }
}

/** generateSkyline: two background passes (light then darker grey), then the foreground with windows. */
function skyline(canvas: Canvas): void {
  const h = canvas.height;
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = Math.trunc(h / 2) + Math.trunc((rand() % h) / (color === 2 ? 2 : 3));
      skyscraper(canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + Math.trunc((rand() % h) / 2);
    skyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

const COLOR_ESCAPES = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'];

/** lolwut6's renderCanvas: one coloured space per pixel. */
function renderColors(canvas: Canvas): string {
  let text = '';
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) text += `\x1b[${COLOR_ESCAPES[canvas.get(x, y)] ?? COLOR_ESCAPES[0]} \x1b[0m`;
    if (y !== canvas.height - 1) text += '\n';
  }
  return text;
}

/** The numeric arguments, defaults where absent, clamped to [1, max]; null after replying an error. */
function sizesOrReply(c: Connection, args: readonly string[], defaults: number[], max: number): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < defaults.length; i++) {
    let n = defaults[i];
    if (i < args.length) {
      const parsed = parseInt64(args[i]);
      if (parsed === null) {
        c.reply.error(NOT_INTEGER);
        return null;
      }
      n = Number(parsed);
    }
    out.push(Math.min(Math.max(n, 1), max));
  }
  return out;
}

function replyArt(c: Connection, utf8: string): void {
  c.reply.verbatim(Buffer.from(utf8, 'utf8').latin1Slice());
}

/** LOLWUT [cols] [squares-per-row] [squares-per-col] of Redis 5. */
function lolwut5(c: Connection, args: readonly string[]): void {
  const sizes = sizesOrReply(c, args, [66, 8, 12], 1000);
  if (sizes === null) return;
  const [cols, perRow, perCol] = [sizes[0], Math.min(sizes[1], 200), Math.min(sizes[2], 200)];
  const art = renderBraille(schotter(cols, perRow, perCol));
  replyArt(c, `${art}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`);
}

/** LOLWUT [cols] [rows] of Redis 6. */
function lolwut6(c: Connection, args: readonly string[]): void {
  const sizes = sizesOrReply(c, args, [80, 20], 1000);
  if (sizes === null) return;
  const canvas = new Canvas(sizes[0], sizes[1], 3);
  skyline(canvas);
  const credits = 'Dedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori.';
  replyArt(c, `${renderColors(canvas)}\n${credits} Redis ver. ${REDIS_VERSION}\n`);
}

/** lolwutCommand: VERSION picks the art by the version string it makes ("%u.0.0"). */
function lolwut(c: Connection, argv: string[]): void {
  let version = REDIS_VERSION;
  let args = argv.slice(1);
  if (argv.length >= 3 && argv[1].toLowerCase() === 'version') {
    const v = parseInt64(argv[2]);
    if (v === null) return c.reply.error(NOT_INTEGER);
    version = `${BigInt.asUintN(32, BigInt(v))}.0.0`;
    args = argv.slice(3);
  }
  if ((version.startsWith('5.') && version[2] !== '9') || version.startsWith('4.9')) return lolwut5(c, args);
  if ((version.startsWith('6.') && version[2] !== '9') || version.startsWith('5.9')) return lolwut6(c, args);
  c.reply.verbatim(`Redis ver. ${REDIS_VERSION}\n`);
}

export const lolwutCommands: readonly CommandDef<Connection>[] = [{ name: 'lolwut', handler: lolwut }];
