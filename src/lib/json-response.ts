// Answers JSON with int64 exact (BigInt written as bare numbers, lossless-json): Express' res.json would throw on a
// BigInt. One sender for the Mesos endpoints, the scheduler API and the simulator.
import type { Response } from 'express';
import { stringifyJson } from './json';

export function sendJson(res: Response, status: number, value: unknown): void {
  res.status(status).type('application/json').send(stringifyJson(value));
}
