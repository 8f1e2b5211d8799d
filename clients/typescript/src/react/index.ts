export { useEnrichmentSSE, type EnrichmentSSEOptions } from './useEnrichmentSSE.js';
export { useEnrichmentSignalR, type EnrichmentSignalROptions } from './useEnrichmentSignalR.js';
export { useEnrichmentWatch, type EnrichmentWatchOptions, type EnrichmentWatchResult, type BomProgress } from './useEnrichmentWatch.js';
export type { EnrichmentHookOptions, EnrichmentHookResult } from './types.js';
