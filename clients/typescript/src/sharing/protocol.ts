import type { ConnectionStatus } from '../state.js';

/**
 * The tab-sharing relay's message format, version 1 (clients/typescript/README.md, "Sharing one connection between
 * tabs"). Every message carries `v` and the sending tab's id `from`; a tab ignores messages of another version, so
 * tabs of two deployed versions of the page never mix (each version elects its own leader on its own channel name).
 */
export const relayVersion = 1;

/** One watched BOM and the last log id this tab applied (null: nothing yet, send the snapshot). */
export interface RelayWatch {
  bom_id: string;
  last_event_id: string | null;
}

/** The messages on the channel. */
export type RelayMessage =
  /** A follower asks whether a leader is alive (only after a silence; any leader message answers it). */
  | { v: 1; type: 'ping'; from: string }
  /** The leader announces itself: when elected, and in answer to `ping` and `claim`. A follower re-announces its watches to a new one. */
  | { v: 1; type: 'leader'; from: string }
  /** Fallback election only (no Web Locks): a tab that heard no leader offers itself; the lowest tab id wins. */
  | { v: 1; type: 'claim'; from: string }
  /** The tab is going (closed, frozen, hidden into the back-forward cache): the leader drops its watches. */
  | { v: 1; type: 'bye'; from: string }
  /** A follower's whole set of watched BOMs with its last ids (sent on every change, and to every new leader). */
  | { v: 1; type: 'watch'; from: string; boms: RelayWatch[] }
  /** A follower follows a new run of a BOM whose stream had ended (Re-Enrich): the leader watches it again. */
  | { v: 1; type: 'restart'; from: string; bom_id: string }
  /** A follower's retry button: the leader reconnects. */
  | { v: 1; type: 'retry'; from: string }
  /** An event of a BOM (the SSE event name, its id, the data object), from the leader to all, or `to` one tab (a catch-up). */
  | { v: 1; type: 'event'; from: string; to?: string; bom_id: string; event: string; id: string | null; data: unknown }
  /** The leader's connection status (to all on every change; `to` a tab that announced its watches). */
  | { v: 1; type: 'connection'; from: string; to?: string; status: ConnectionStatus }
  /** A BOM's connection status on the leader (with `error` for a connection-level error). */
  | { v: 1; type: 'status'; from: string; to?: string; bom_id: string; status: ConnectionStatus; error?: string };

/** The message types. */
export type RelayMessageType = RelayMessage['type'];

/** A message without the version and sender, which the sender adds. */
export type RelayPayload = RelayMessage extends infer M ? (M extends RelayMessage ? Omit<M, 'v' | 'from'> : never) : never;

/** True for a well-formed message of this version (a message of another version or shape is ignored). */
export function isRelayMessage(value: unknown): value is RelayMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { v?: unknown; type?: unknown; from?: unknown };
  return message.v === relayVersion && typeof message.type === 'string' && typeof message.from === 'string';
}
