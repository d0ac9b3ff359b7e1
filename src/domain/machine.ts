// A machine as Mesos names it: a hostname, an IP, or both. Pure (no Node built-ins): workflows import it.
//
// Equality follows Mesos (type_utils.hpp): which fields are present must match, hostnames compare lowercased and
// IPs exactly. So {"hostname":"a"} and {"hostname":"a","ip":""} are two different machines. The spelling a machine
// was first given with is kept for display; its key is the normalised form.

export interface MachineId {
  hostname?: string;
  ip?: string;
}

/** The normalised, presence-preserving key of a machine: `h=<lowercased hostname>;i=<ip>`, absent parts left out. */
export function machineKey(id: MachineId): string {
  const parts: string[] = [];
  if (id.hostname !== undefined) parts.push(`h=${escape(asciiLower(id.hostname))}`);
  if (id.ip !== undefined) parts.push(`i=${escape(id.ip)}`);
  return parts.join(';');
}

/**
 * The key every kill of a machine's hard drain in a window goes under (the machine's decision, its armed kills, its
 * window's, the down): the cluster kills each task once whoever sends it.
 */
export function hardDrainKey(windowId: string, key: string): string {
  return `${windowId}/${key}/hard-drain`;
}

/** Mesos lowercases hostnames with stout's strings::lower: A-Z only, so "É" and "é" stay different machines. */
export function asciiLower(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]/g, (c) => c.toLowerCase()) : text;
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Percent-encodes per code point; a lone surrogate (which encodeURIComponent refuses) gets a %uXXXX form. Keys are
 * made at every look-up of a machine (the simulator spent 4 % of its CPU here code point by code point): text without a
 * lone surrogate, all of it in practice, is encoded in one call, which gives the same per code point.
 */
function escape(text: string): string {
  if (!LONE_SURROGATE.test(text)) return encodeURIComponent(text);
  return Array.from(text, (ch) =>
    /^\p{Cs}$/u.test(ch) ? `%u${ch.charCodeAt(0).toString(16).toUpperCase()}` : encodeURIComponent(ch),
  ).join('');
}

export function sameMachine(a: MachineId, b: MachineId): boolean {
  return machineKey(a) === machineKey(b);
}

/** Mesos' compact JSON of a MachineID, as its error texts print it: `{"hostname":"a","ip":"10.0.0.1"}`. */
export function machineJson(id: MachineId): string {
  const out: MachineId = {};
  if (id.hostname !== undefined) out.hostname = id.hostname;
  if (id.ip !== undefined) out.ip = id.ip;
  return JSON.stringify(out);
}

/** A MachineID as Mesos streams it into some texts (type_utils.cpp operator<<): `host (ip)`, `host`, `(ip)`. */
export function machineStreamText(id: MachineId): string {
  if (id.hostname !== undefined && id.ip !== undefined) return `${id.hostname} (${id.ip})`;
  return id.hostname !== undefined ? id.hostname : `(${id.ip ?? ''})`;
}

/** Short human form for summaries and logs: `sim-01 (192.0.2.1)`. */
export function machineLabel(id: MachineId): string {
  if (id.hostname && id.ip) return `${id.hostname} (${id.ip})`;
  return id.hostname || id.ip || '<unnamed>';
}

/** Strict dotted-quad IPv4, as glibc's inet_pton(AF_INET) accepts it (no leading zeros, no shorthand). */
export function isIPv4(ip: string): boolean {
  const octets = ip.split('.');
  return octets.length === 4 && octets.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255);
}

/** Mesos' validation of one MachineID; returns Mesos' exact error text, or undefined when valid. */
export function machineIdError(id: MachineId): string | undefined {
  if (!id.hostname && !id.ip) return "Both 'hostname' and 'ip' for a machine are empty";
  if (id.ip && !isIPv4(id.ip)) return `Failed to parse IPv4: ${id.ip}`;
  return undefined;
}

/** Finds the first machine that appears twice (by Mesos equality). */
export function firstDuplicate(ids: readonly MachineId[]): MachineId | undefined {
  const index = duplicateIndex(ids);
  return index === undefined ? undefined : ids[index];
}

/** The index of the first entry that repeats an earlier one (by Mesos equality). */
export function duplicateIndex(ids: readonly MachineId[]): number | undefined {
  const seen = new Set<string>();
  for (const [i, id] of ids.entries()) {
    const key = machineKey(id);
    if (seen.has(key)) return i;
    seen.add(key);
  }
  return undefined;
}

/**
 * The longest machine key maint accepts. Workflow IDs embed it and Temporal refuses IDs over 1,000 bytes; no real
 * hostname comes near (DNS names stop at 253 characters).
 */
export const MAX_MACHINE_KEY = 900;

export function machineKeyTooLong(id: MachineId): boolean {
  return machineKey(id).length > MAX_MACHINE_KEY;
}
