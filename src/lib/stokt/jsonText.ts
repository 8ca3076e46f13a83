/** JSON.parse refuses a byte order mark, which some servers put before a UTF-8 body, and some editors before a file. */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** JSON.stringify without overflowing the stack on a value nested thousands deep, which JSON.parse reads without recursing. */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null'
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
  }
  return jsonTextWithoutRecursion(value)
}

/** A piece of text already made, or a value still to write. */
type Pending = {text: string} | {value: unknown}

/** The text JSON.stringify makes of a value parsed from JSON (no toJSON, no cycles), built from a stack. */
export function jsonTextWithoutRecursion(root: unknown): string {
  const parts: string[] = []
  const stack: Pending[] = [{value: root}]
  while (stack.length > 0) {
    const pending = stack.pop()!
    if ('text' in pending) {
      parts.push(pending.text)
      continue
    }
    const {value} = pending
    if (value === null || typeof value !== 'object') {
      parts.push(JSON.stringify(value) ?? 'null') // undefined and functions: null, as in an array
      continue
    }
    const items: Pending[] = []
    if (Array.isArray(value)) {
      items.push({text: '['})
      value.forEach((element, index) => items.push(...(index > 0 ? [{text: ','}] : []), {value: element}))
      items.push({text: ']'})
    } else {
      items.push({text: '{'})
      for (const [key, member] of Object.entries(value)) {
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue
        items.push({text: `${items.length > 1 ? ',' : ''}${JSON.stringify(key)}:`}, {value: member})
      }
      items.push({text: '}'})
    }
    for (let index = items.length - 1; index >= 0; index--) stack.push(items[index])
  }
  return parts.join('')
}
