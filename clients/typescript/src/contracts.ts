/**
 * The wire contract, mirrored from `src/NotificationHub.Contracts` (the one source of truth) and the hub's messages
 * (`src/NotificationHub.Server/Hubs`). `test/unit/contracts.test.ts` parses those C# files and fails when a name or a
 * field exists on one side only, so edit both together.
 */

/** SSE `event:` names (C# `EnrichmentEventNames`). */
export const EnrichmentEventNames = {
  Connected: 'connected',
  Started: 'enrichment.started',
  Progress: 'progress',
  Completed: 'enrichment.completed',
  Failed: 'enrichment.failed',
  StreamEnd: 'stream_end',
  KeepAlive: 'keepalive',
  LegacyProgress: 'enrichment.progress',
} as const;

/** Any SSE event name the server sends (the legacy progress name is accepted on input only, never sent). */
export type EnrichmentEventName = (typeof EnrichmentEventNames)[keyof typeof EnrichmentEventNames];

/** Event types that travel on the bus and carry an id. */
export type BusEventType = 'enrichment.started' | 'progress' | 'enrichment.completed' | 'enrichment.failed';

/** The bus event types, in the order of a run. */
export const BusEventTypes: readonly BusEventType[] = [
  EnrichmentEventNames.Started,
  EnrichmentEventNames.Progress,
  EnrichmentEventNames.Completed,
  EnrichmentEventNames.Failed,
];

/** True for the events after which the server ends a stream. */
export function isTerminal(eventType: string | null | undefined): boolean {
  return eventType === EnrichmentEventNames.Completed || eventType === EnrichmentEventNames.Failed;
}

/** `stream_end` reasons (C# `StreamEndReasons`). */
export const StreamEndReasons = {
  Completed: 'completed',
  Failed: 'failed',
  TokenExpired: 'token_expired',
  SlowConsumer: 'slow_consumer',
  ServerShutdown: 'server_shutdown',
} as const;

/** A `stream_end` reason. */
export type StreamEndReason = (typeof StreamEndReasons)[keyof typeof StreamEndReasons];

/** Values of `EnrichmentProgressState.status` (C# `EnrichmentStatus`). */
export const EnrichmentStatus = {
  Pending: 'pending',
  Enriching: 'enriching',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;

/** A progress status. */
export type EnrichmentStatusValue = (typeof EnrichmentStatus)[keyof typeof EnrichmentStatus];

/** The line item being processed (C# `CurrentItem`). */
export interface CurrentItem {
  mpn: string;
  status: 'processing' | 'enriched' | 'error' | (string & {});
  message?: string;
}

/** The guide's progress state plus `status` and `updated_at` (C# `EnrichmentProgressState`). */
export interface EnrichmentProgressState {
  bom_id: string;
  status: EnrichmentStatusValue | (string & {});
  total_items: number;
  processed_items: number;
  enriched_items: number;
  error_items: number;
  percent_complete: number;
  current_item?: CurrentItem;
  /** Seconds. */
  estimated_time_remaining?: number;
  updated_at?: string;
  /** Fields the contract does not name (a legacy worker's `current_batch`, say) pass through. */
  [extra: string]: unknown;
}

/** A bus event: exactly the SSE `data:` object and the SignalR `data` field (C# `EnrichmentEnvelope`). */
export interface EnrichmentEnvelope {
  event_id: string;
  event_type: BusEventType;
  bom_id: string;
  tenant_id: string;
  created_at: string;
  state?: EnrichmentProgressState;
  payload?: unknown;
  error?: string;
}

/** Data of `connected` (C# `ConnectedEvent`). */
export interface ConnectedEvent {
  type: 'connected';
  bom_id: string;
  message: string;
  recovered: boolean;
}

/** One BOM of the multi-BOM stream's `connected` (C# `ConnectedBom`). */
export interface ConnectedBom {
  bom_id: string;
  /** False when the cursor's log id of this BOM is no longer in the log: its snapshot follows instead. */
  recovered: boolean;
  /** True when the cursor's log id of this BOM is its terminal event: nothing more comes for it. */
  ended: boolean;
}

/** Data of `connected` on the multi-BOM stream `/api/enrichment/stream?bom_id=…` (C# `MultiBomConnectedEvent`). */
export interface MultiBomConnectedEvent {
  type: 'connected';
  message: string;
  /** One entry per requested BOM, in request order. */
  boms: ConnectedBom[];
}

/** Data of `stream_end` (C# `StreamEndEvent`). */
export interface StreamEndEvent {
  type: 'stream_end';
  bom_id: string;
  reason: StreamEndReason | (string & {});
}

/** Data of `keepalive` (C# `KeepAliveEvent`). */
export interface KeepAliveEvent {
  type: 'keepalive';
  timestamp: string;
}

/** Body of the publishing API (C# `PublishEventRequest`). */
export interface PublishEventRequest {
  event_type?: string;
  tenant_id?: string;
  state?: Partial<EnrichmentProgressState>;
  payload?: unknown;
  error?: string | null;
}

/** Answer of the publishing API (C# `PublishEventResponse`). */
export interface PublishEventResponse {
  event_id: string;
}

/** One event of `POST /api/enrichment/events` (C# `PublishBatchItem`). */
export interface PublishBatchItem extends PublishEventRequest {
  bom_id: string;
  idempotency_key?: string;
}

/** Body of `POST /api/enrichment/events` (C# `PublishBatchRequest`). */
export interface PublishBatchRequest {
  events: PublishBatchItem[];
}

/** The result of one event of a batch (C# `PublishBatchResult`): 202 with `event_id`, or a problem's status and code. */
export interface PublishBatchResult {
  status: number;
  event_id?: string;
  code?: string;
  detail?: string;
}

/** Answer of `POST /api/enrichment/events` (C# `PublishBatchResponse`): `results[i]` for `events[i]`. */
export interface PublishBatchResponse {
  results: PublishBatchResult[];
}

/** The SignalR hub's route, client method and server methods (C# `EnrichmentHub`). */
export const EnrichmentHubNames = {
  Route: '/hubs/enrichment',
  EventMethod: 'EnrichmentEvent',
  NoticeMethod: 'BomNotice',
  Subscribe: 'SubscribeBom',
  Unsubscribe: 'UnsubscribeBom',
} as const;

/** The single argument of the hub's `EnrichmentEvent` (C# `EnrichmentHubEvent`). */
export interface EnrichmentHubEvent {
  event: EnrichmentEventName | (string & {});
  id: string | null;
  data: EnrichmentEnvelope | StreamEndEvent;
}

/** What `SubscribeBom` returns (C# `BomSubscription`). */
export interface BomSubscription {
  type: 'connected';
  bom_id: string;
  message: string;
  recovered: boolean;
  /** True when the client already had the terminal event: nothing follows. */
  ended: boolean;
}

/**
 * The single argument of the hub's `BomNotice` (C# `BomNotice`): an application message from server code to everyone
 * watching a BOM, on any node. Not an event: never replayed, and not sent over SSE.
 */
export interface BomNotice {
  bom_id: string;
  /** A short machine-readable word chosen by the sender, e.g. `export_ready`. */
  kind: string;
  message?: string | null;
}

/** A line item of a Re-Enrich request (C# `LineItem`). */
export interface LineItem {
  mpn: string;
  manufacturer?: string | null;
  quantity?: number | null;
}

/** Body of `POST /api/enrichment/{bom_id}/start` (C# `StartJobRequest`). */
export interface StartJobRequest {
  items: LineItem[];
}

/** Answer of start and cancel (C# `JobAccepted`). */
export interface JobAccepted {
  job_id: string;
  bom_id: string;
}

/** An RFC 9457 problem as the server writes it (C# `ApiProblems`). */
export interface ApiProblem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  job_id?: string;
}

/** Checks at compile time that `keys` names every field of `T` (and nothing else). */
function fieldsOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K & ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T & string, K[number]> }),
  ): K => keys;
}

/**
 * The JSON field names of each contract type, checked against the interfaces at compile time and against the C#
 * sources by the contract test.
 */
export const ContractFields = {
  CurrentItem: fieldsOf<CurrentItem>()(['mpn', 'status', 'message']),
  EnrichmentProgressState: [
    'bom_id', 'status', 'total_items', 'processed_items', 'enriched_items', 'error_items', 'percent_complete',
    'current_item', 'estimated_time_remaining', 'updated_at',
  ] as const satisfies readonly (keyof EnrichmentProgressState)[],
  EnrichmentEnvelope: fieldsOf<EnrichmentEnvelope>()(['event_id', 'event_type', 'bom_id', 'tenant_id', 'created_at', 'state', 'payload', 'error']),
  ConnectedEvent: fieldsOf<ConnectedEvent>()(['type', 'bom_id', 'message', 'recovered']),
  ConnectedBom: fieldsOf<ConnectedBom>()(['bom_id', 'recovered', 'ended']),
  MultiBomConnectedEvent: fieldsOf<MultiBomConnectedEvent>()(['type', 'message', 'boms']),
  StreamEndEvent: fieldsOf<StreamEndEvent>()(['type', 'bom_id', 'reason']),
  KeepAliveEvent: fieldsOf<KeepAliveEvent>()(['type', 'timestamp']),
  PublishEventRequest: fieldsOf<PublishEventRequest>()(['event_type', 'tenant_id', 'state', 'payload', 'error']),
  PublishEventResponse: fieldsOf<PublishEventResponse>()(['event_id']),
  PublishBatchItem: fieldsOf<PublishBatchItem>()(['bom_id', 'idempotency_key', 'event_type', 'tenant_id', 'state', 'payload', 'error']),
  PublishBatchRequest: fieldsOf<PublishBatchRequest>()(['events']),
  PublishBatchResult: fieldsOf<PublishBatchResult>()(['status', 'event_id', 'code', 'detail']),
  PublishBatchResponse: fieldsOf<PublishBatchResponse>()(['results']),
  EnrichmentHubEvent: fieldsOf<EnrichmentHubEvent>()(['event', 'id', 'data']),
  BomSubscription: fieldsOf<BomSubscription>()(['type', 'bom_id', 'message', 'recovered', 'ended']),
  BomNotice: fieldsOf<BomNotice>()(['bom_id', 'kind', 'message']),
  LineItem: fieldsOf<LineItem>()(['mpn', 'manufacturer', 'quantity']),
  StartJobRequest: fieldsOf<StartJobRequest>()(['items']),
  JobAccepted: fieldsOf<JobAccepted>()(['job_id', 'bom_id']),
} as const;
