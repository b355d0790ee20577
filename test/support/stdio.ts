// What a Lambda function writes: Powertools' Logger and Metrics write JSON lines to the process's
// stdout and stderr through their own Console, not through the global console, so tests read
// the streams. Captured output is kept (not passed through) until restore().
export interface CapturedStdio {
  /** Everything written, in order. */
  text(): string;
  /** The lines that are JSON objects, parsed. */
  json(): Array<Record<string, unknown>>;
  restore(): void;
}

export function captureStdio(): CapturedStdio {
  const chunks: string[] = [];
  const restores: Array<() => void> = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof stream.write;
    restores.push(() => void (stream.write = original));
  }
  const text = () => chunks.join('');
  return {
    text,
    json: () =>
      text()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    restore: () => restores.splice(0).forEach((r) => r()),
  };
}
