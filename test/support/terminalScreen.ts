/**
 * What a terminal shows once `raw` has been written to it: its lines, top to bottom, with the
 * cursor moves and erasures of progress bars applied (the ones cli-progress and readline emit).
 * A line drawn and then drawn over is gone, as it is from a person's screen.
 */
export function terminalScreen(raw: string): string[] {
  const lines: string[] = ['']
  let row = 0
  let column = 0
  const line = () => (lines[row] ??= '')
  const put = (char: string) => {
    const current = line().padEnd(column)
    lines[row] = current.slice(0, column) + char + current.slice(column + 1)
    column += 1
  }
  const tokens = /\x1b\[\??([\d;]*)([A-Za-z])|\x1b[78]|\r|\n|[^\x1b\r\n]/gu
  for (const [token, parameter, command] of raw.matchAll(tokens)) {
    if (token === '\r') column = 0
    else if (token === '\n') {
      row += 1
      column = 0 // the terminal's onlcr; a bare \n from the program also starts a new line here
      line()
    } else if (command === undefined) {
      if (!token.startsWith('\x1b')) put(token)
    } else {
      const n = parameter === '' ? 1 : Number(parameter)
      if (command === 'A') row = Math.max(0, row - n)
      else if (command === 'B') row += n
      else if (command === 'C') column += n
      else if (command === 'D') column = Math.max(0, column - n)
      else if (command === 'G') column = n - 1
      else if (command === 'K') {
        const mode = parameter === '' ? 0 : n
        lines[row] = mode === 0 ? line().slice(0, column) : mode === 1 ? ' '.repeat(column) + line().slice(column) : ''
      } else if (command === 'J') {
        lines[row] = line().slice(0, column)
        lines.length = row + 1
      }
      line()
    }
  }
  return lines.map((text) => text.trimEnd())
}
