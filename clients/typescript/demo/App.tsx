import { useMemo, useState } from 'react';
import { resolveBaseUrl } from '../src/url.js';
import { BomDetail } from './BomDetail.js';
import { devTokenProvider } from './devToken.js';
import { sampleItems } from './sampleBom.js';

export type Transport = 'sse' | 'signalr';

function initialTransport(): Transport {
  return new URLSearchParams(location.search).get('transport') === 'signalr' ? 'signalr' : 'sse';
}

/** The demo: the BOM detail page of the guide, with a switch between the two transports. */
export function App() {
  const baseUrl = useMemo(() => resolveBaseUrl(), []);
  const getToken = useMemo(() => devTokenProvider(baseUrl), [baseUrl]);
  const bomId = useMemo(() => new URLSearchParams(location.search).get('bom') ?? 'sample-bom-1', []);
  const [transport, setTransport] = useState<Transport>(initialTransport);
  // ?share=0 gives this tab its own connection (the tab-sharing test shows why the default is to share).
  const share = useMemo(() => new URLSearchParams(location.search).get('share') !== '0', []);

  const choose = (next: Transport) => {
    setTransport(next);
    const url = new URL(location.href);
    url.searchParams.set('transport', next);
    history.replaceState(null, '', url);
  };

  return (
    <main className="page">
      <header className="page-header">
        <div>
          <p className="crumb">BOMs / {bomId}</p>
          <h1>Sample BOM <span className="muted">({sampleItems.length} line items)</span></h1>
        </div>
        <div className="switch" role="group" aria-label="Transport">
          <button type="button" aria-pressed={transport === 'sse'} className={transport === 'sse' ? 'on' : ''} onClick={() => choose('sse')}>
            SSE
          </button>
          <button type="button" aria-pressed={transport === 'signalr'} className={transport === 'signalr' ? 'on' : ''} onClick={() => choose('signalr')}>
            SignalR
          </button>
        </div>
      </header>
      {/* keyed by transport: switching closes one connection and opens the other */}
      <BomDetail key={transport} transport={transport} share={share} bomId={bomId} baseUrl={baseUrl} getToken={getToken} items={sampleItems} />
    </main>
  );
}
