// The parser ships no types; what it returns is validated with zod in parse.ts.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown;
}
