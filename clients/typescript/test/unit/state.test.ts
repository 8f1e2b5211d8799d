import { describe, expect, it, vi } from 'vitest';
import { ConnectionQualityMeter } from '../../src/quality.js';
import { compareLogIds, EnrichmentProgressTracker } from '../../src/state.js';
import { envelope } from '../support/fakeEventSource.js';

describe('progress state mapping', () => {
  it('maps started, progress and completed to the hook fields', () => {
    const onProgress = vi.fn();
    const onComplete = vi.fn();
    const tracker = new EnrichmentProgressTracker('bom-1', { onProgress, onComplete });
    tracker.apply('connected', null, { type: 'connected', bom_id: 'bom-1', message: 'Stream connected', recovered: true });
    expect(tracker.current).toMatchObject({ isProcessing: false, progress: null, progressPercent: 0 });

    tracker.apply('enrichment.started', '100-0', envelope('enrichment.started', '100-0', 0));
    expect(tracker.current).toMatchObject({ isProcessing: true, progressPercent: 0, lastEventId: '100-0' });
    tracker.apply('progress', '100-1', envelope('progress', '100-1', 3));
    expect(tracker.current).toMatchObject({ isProcessing: true, progressPercent: 30, isComplete: false });
    tracker.apply('enrichment.completed', '101-0', envelope('enrichment.completed', '101-0', 10));
    expect(tracker.current).toMatchObject({ isProcessing: false, isComplete: true, isFailed: false, progressPercent: 100, error: null });
    expect(onProgress).toHaveBeenCalledTimes(3);
    expect(onComplete).toHaveBeenCalledOnce();
  });

  it('maps a failed run to isFailed and error', () => {
    const onError = vi.fn();
    const tracker = new EnrichmentProgressTracker('bom-1', { onError });
    tracker.apply('enrichment.failed', '5-0', envelope('enrichment.failed', '5-0', 4, 10, { error: 'supplier API unavailable' }));
    expect(tracker.current).toMatchObject({ isFailed: true, isComplete: false, isProcessing: false, error: 'supplier API unavailable', progressPercent: 40 });
    expect(onError).toHaveBeenCalledWith('supplier API unavailable');
  });

  it('ignores events at or before the last applied log id (an overlapping resume counts once)', () => {
    const onProgress = vi.fn();
    const tracker = new EnrichmentProgressTracker('bom-1', { onProgress });
    expect(tracker.apply('progress', '200-1', envelope('progress', '200-1', 2))).toBe(true);
    expect(tracker.apply('progress', '200-1', envelope('progress', '200-1', 2))).toBe(false);
    expect(tracker.apply('progress', '200-0', envelope('progress', '200-0', 1))).toBe(false);
    expect(tracker.apply('progress', '201-0', envelope('progress', '201-0', 5))).toBe(true);
    expect(onProgress).toHaveBeenCalledTimes(2);
    expect(tracker.current.progressPercent).toBe(50);
  });

  it('orders log ids numerically and does not order foreign ids', () => {
    expect(compareLogIds('9-0', '10-0')).toBe(-1);
    expect(compareLogIds('10-2', '10-10')).toBe(-1);
    expect(compareLogIds('10-1', '10-1')).toBe(0);
    expect(compareLogIds('6f1c-uuid', '10-1')).toBeNull();
  });

  it('maps polled states (the fallback), completing once', () => {
    const onComplete = vi.fn();
    const tracker = new EnrichmentProgressTracker('bom-1', { onComplete });
    tracker.applyPolled({ bom_id: 'bom-1', status: 'pending', total_items: 0, processed_items: 0, enriched_items: 0, error_items: 0, percent_complete: 0 }, null);
    expect(tracker.current.isProcessing).toBe(false);
    const running = envelope('progress', '7-0', 6).state;
    tracker.applyPolled(running, '7-0');
    expect(tracker.current).toMatchObject({ isProcessing: true, progressPercent: 60, lastEventId: '7-0' });
    const done = envelope('enrichment.completed', '8-0', 10).state;
    tracker.applyPolled(done, '8-0');
    tracker.applyPolled(done, '8-0');
    expect(tracker.current).toMatchObject({ isComplete: true, progressPercent: 100 });
    expect(onComplete).toHaveBeenCalledOnce();
  });
});

describe('connection quality', () => {
  it('counts reconnects, time connected and time since the last event', () => {
    let now = 1000;
    const meter = new ConnectionQualityMeter(() => now);
    meter.opened();
    now = 1500;
    meter.event();
    now = 2000;
    meter.closed();
    now = 2600;
    meter.opened();
    now = 3000;
    expect(meter.snapshot()).toEqual({
      reconnects: 1,
      connectedMs: 1400,
      connectedSince: 2600,
      takenAt: 3000,
      lastEventAt: 1500,
      msSinceLastEvent: 1500,
      eventsReceived: 1,
      pollingFallback: false,
    });
  });
});
