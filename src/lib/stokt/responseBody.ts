/** A Stokt answer's body: its bytes as text in the charset it declares, then its JSON or the error it says. */
import type {IncomingHttpHeaders} from 'node:http'
import {TextDecoder} from 'node:util'
import {withoutByteOrderMark} from './jsonText.js'
import {StoktError} from './source.js'
import {redactedClip, type RequestSpec, type StoktResponse} from './transport.js'

/** The body as text in its Content-Type's charset (UTF-8 when none, decoded once), or undefined for a charset unknown here. */
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

/** The JSON body of a final response, or a StoktError saying what the response was instead. */
export function jsonBody(response: StoktResponse, spec: RequestSpec): unknown {
  const status = response.statusCode
  if (status === 404 && spec.notFound) {
    throw new StoktError(`${spec.notFound} (${spec.call}: HTTP 404)`, spec.call, 404)
  }
  const text = decodedBody(response)
  if (status < 200 || status > 299) {
    // A charset unknown here hides only the detail: the status says what went wrong.
    const detail = text === undefined ? undefined : errorDetail(text)
    const location = status >= 300 && status < 400 ? response.headers.location : undefined
    const redirect = location ? `, a redirect to ${redactedClip(location)} that the client does not follow` : ''
    throw new StoktError(`${spec.call} failed: HTTP ${status}${detail ? ` (${redactedClip(detail)})` : ''}${redirect}`, spec.call, status)
  }
  const type = response.headers['content-type'] ?? 'no content type'
  if (text === undefined) {
    throw new StoktError(`${spec.call}: Stokt's answer is in a charset the client does not know (${redactedClip(type)})`, spec.call, status)
  }
  try {
    return JSON.parse(withoutByteOrderMark(text)) as unknown
  } catch {
    throw new StoktError(
      `${spec.call}: Stokt's answer is not JSON (HTTP ${status}, ${redactedClip(type)}): ${redactedClip(text)}`,
      spec.call,
      status,
    )
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** DRF's `{"detail": "…"}`, `{"non_field_errors": […]}` or its field errors (`{"max_age": ["…"]}`), when the body has one. */
function errorDetail(body: string): string | undefined {
  try {
    const parsed = JSON.parse(withoutByteOrderMark(body)) as unknown
    if (isRecord(parsed)) {
      if (typeof parsed.detail === 'string') return parsed.detail
      if (Array.isArray(parsed.non_field_errors)) return parsed.non_field_errors.join(' ')
      const fields = Object.entries(parsed).filter(
        ([, messages]) => Array.isArray(messages) && messages.every((m) => typeof m === 'string'),
      )
      if (fields.length > 0) return fields.map(([field, messages]) => `${field}: ${(messages as string[]).join(' ')}`).join('; ')
    }
  } catch {
    // not JSON: an HTML error page says nothing useful beyond the status
  }
  return undefined
}
