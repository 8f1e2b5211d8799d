import { afterEach, describe, expect, it, vi } from 'vitest';
import { notifyIfHidden } from '../../src/notifications.js';

describe('browser notification when the tab is hidden', () => {
  afterEach(() => vi.unstubAllGlobals());

  function stub(hidden: boolean, permission: NotificationPermission) {
    const created: Array<{ title: string; body?: string }> = [];
    class FakeNotification {
      static permission = permission;
      constructor(title: string, options?: NotificationOptions) {
        created.push({ title, ...(options?.body !== undefined ? { body: options.body } : {}) });
      }
    }
    vi.stubGlobal('Notification', FakeNotification);
    vi.spyOn(document, 'hidden', 'get').mockReturnValue(hidden);
    return created;
  }

  it('notifies when hidden and permitted', () => {
    const created = stub(true, 'granted');
    expect(notifyIfHidden('Enrichment completed', 'bom-1: 48 / 50 enriched')).toBe(true);
    expect(created).toEqual([{ title: 'Enrichment completed', body: 'bom-1: 48 / 50 enriched' }]);
  });

  it('stays quiet while the tab is visible or without permission', () => {
    const visible = stub(false, 'granted');
    expect(notifyIfHidden('t', 'b')).toBe(false);
    expect(visible).toHaveLength(0);
    const denied = stub(true, 'denied');
    expect(notifyIfHidden('t', 'b')).toBe(false);
    expect(denied).toHaveLength(0);
  });
});
