/**
 * Object keys: S3's listing order, and the keys an event names.
 *
 * S3 lists keys in UTF-8 binary order. JavaScript compares strings by UTF-16 code units, which
 * orders characters above U+FFFF (emoji) before U+E000..U+FFFF; comparing code points gives the
 * UTF-8 order. The copy and verify merge two listings, so they must use S3's order.
 */

/** Compares two keys in S3's listing order (UTF-8 bytes = Unicode code points). */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (0xD800..0xDFFF) stand for code points above 0xFFFF: they sort after every
    // other code unit, which sorts 0xE000..0xFFFF below them.
    const sx = x >= 0xd800 && x <= 0xdfff
    const sy = y >= 0xd800 && y <= 0xdfff
    if (sx !== sy) return sx ? 1 : -1
    return x - y
  }
  return a.length - b.length
}

/**
 * A key from an S3 event notification record: URL-encoded as a form value (AWS: "red flower.jpg"
 * becomes "red+flower.jpg"). `+` is a space, `%2B` a plus. Undefined when it is not valid
 * percent-encoding.
 */
export function decodeNotificationKey(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

/**
 * The keys an EventBridge event may name. AWS documents the notification records' keys as
 * URL-encoded but says nothing of the EventBridge event's `detail.object.key`. Applying a key is
 * an idempotent re-sync of that key from blue (never a blind write), so when the raw and decoded
 * readings differ both are applied: right under either encoding, at the cost of one extra
 * HeadObject for keys with `+` or `%`.
 */
export function eventKeyCandidates(raw: string): string[] {
  const decoded = decodeNotificationKey(raw)
  return decoded === undefined || decoded === raw ? [raw] : [raw, decoded]
}
