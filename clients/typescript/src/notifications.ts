/**
 * Shows a browser notification when enrichment completes while the tab is hidden (the guide's push notifications).
 * Does nothing without the Notification API, without permission, or while the tab is visible.
 */
export function notifyIfHidden(title: string, body: string): boolean {
  if (typeof document === 'undefined' || typeof Notification === 'undefined') return false;
  if (!document.hidden || Notification.permission !== 'granted') return false;
  try {
    new Notification(title, { body, tag: 'notificationhub-enrichment' });
    return true;
  } catch {
    return false;
  }
}

/** Asks for permission to notify (call from a user gesture, e.g. the Re-Enrich click). */
export async function requestNotificationPermission(): Promise<boolean> {
  if (typeof Notification === 'undefined') return false;
  if (Notification.permission === 'granted') return true;
  if (Notification.permission === 'denied') return false;
  return (await Notification.requestPermission()) === 'granted';
}
