// A Stokt answer's bytes as text, in the charset it declares.
import type {IncomingHttpHeaders} from 'node:http'
import {TextDecoder} from 'node:util'

const BYTE_ORDER_MARK = 0xfeff

/**
 * The body as text, in the charset its Content-Type declares (UTF-8 when none), or undefined when
 * that charset is unknown here. UTF-8, what Stokt sends, is decoded once, as got itself would.
 */
export function decodedBody(response: {headers: IncomingHttpHeaders; body: Buffer}): string | undefined {
  const charset = declaredCharset(response.headers['content-type'])
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return response.body.toString('utf8')
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(charset) // the WHATWG labels, as a browser reads them
  } catch {
    return undefined
  }
  // Node 20's TextDecoder reads windows-1252 (also what iso-8859-1 and latin1 name) as ISO-8859-1,
  // wrong from 0x80 to 0x9F (nodejs/node#60888): those 32 bytes are mapped here.
  if (decoder.encoding === 'windows-1252') {
    return response.body.toString('latin1').replace(/[\x80-\x9f]/g, (c1) => WINDOWS_1252_80_TO_9F[c1.charCodeAt(0) - 0x80])
  }
  return decoder.decode(response.body)
}

/** What windows-1252 makes of the bytes 0x80 to 0x9F (the WHATWG Encoding Standard's index). */
const WINDOWS_1252_80_TO_9F = [
  ...'\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f',
  ...'\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178',
]

/** The `charset` parameter of a Content-Type, lower case; undefined when there is none. */
function declaredCharset(contentType: string | undefined): string | undefined {
  // The usual `application/json` has no parameter to look for.
  if (contentType === undefined || !contentType.includes(';')) return undefined
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase()
}

/** JSON.parse refuses a byte order mark, which some servers put before a UTF-8 body. */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text
}
