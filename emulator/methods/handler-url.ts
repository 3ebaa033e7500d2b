/** Handler URLs given to Bitrix24 must be absolute http(s) URLs it can post to. */
export function isHandlerUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
