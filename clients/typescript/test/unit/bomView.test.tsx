import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BomView } from '../../demo/BomView.js';
import { ConnectionQualityMeter } from '../../src/quality.js';
import type { ConnectionStatus } from '../../src/state.js';

function view(meter: ConnectionQualityMeter, connectionStatus: ConnectionStatus) {
  return (
    <BomView
      transport="sse"
      items={[]}
      enrichment={{
        progress: null, progressPercent: 0, isComplete: false, isFailed: false, error: null, isProcessing: false,
        connectionStatus, connect: () => {}, disconnect: () => {}, retry: () => {},
      }}
      bomStatus={null}
      quality={meter.snapshot()}
      itemStatus={{}}
      notices={[]}
      queued={false}
      onDismiss={() => {}}
      onStart={() => {}}
      onCancel={() => {}}
    />
  );
}

const T0 = 1_700_000_000_000;
const connectedText = () => /connected (\d+\.\d) s/.exec(screen.getByTestId('quality').textContent ?? '')?.[1];

describe('demo page: time connected', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('counts the current connection once, and keeps counting while connected', () => {
    const meter = new ConnectionQualityMeter();
    meter.opened();
    vi.setSystemTime(T0 + 10_000);
    render(view(meter, 'connected')); // the snapshot already holds the 10 s of the current connection
    expect(connectedText()).toBe('10.0');
    act(() => vi.advanceTimersByTime(5_000));
    expect(connectedText()).toBe('15.0');
  });

  it('stops counting once the stream closed, though the connection stays open', () => {
    // SignalR: the BOM's stream ended (status closed) while the hub connection stays open for other BOMs.
    const meter = new ConnectionQualityMeter();
    meter.opened();
    vi.setSystemTime(T0 + 4_000);
    render(view(meter, 'closed'));
    act(() => vi.advanceTimersByTime(6_000));
    expect(connectedText()).toBe('4.0');
  });
});
