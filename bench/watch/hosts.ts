// Service s's replicas listen on 127.0.1.1 … 127.0.1.250, 127.0.2.1 …: Linux routes all of 127/8
// to lo, and this keeps them clear of 127.0.0.1 where PostgreSQL listens.
export const hostOf = (s: number): string => `127.0.${1 + Math.floor(s / 250)}.${1 + (s % 250)}`;
