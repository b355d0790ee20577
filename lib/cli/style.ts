// Terminal styling, only where it is wanted: a terminal that has colours (Node's hasColors()
// honours NO_COLOR, NODE_DISABLE_COLORS, FORCE_COLOR and TERM=dumb); never in a pipe or a file.
import type { WriteStream } from 'node:tty';

type Output = NodeJS.WritableStream & Partial<Pick<WriteStream, 'isTTY' | 'hasColors'>>;

export function colours(stream: Output): boolean {
  return stream.isTTY === true && typeof stream.hasColors === 'function' && stream.hasColors();
}

/** `text` dimmed on a colour terminal, as is elsewhere. */
export function dim(text: string, stream: Output): string {
  return colours(stream) ? `\u001b[2m${text}\u001b[22m` : text;
}
