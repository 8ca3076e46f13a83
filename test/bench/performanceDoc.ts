/**
 * docs/performance.md: the prose is written by hand; the section between the two markers is the
 * latest full bench run's report, replaced by each `npm run bench` of every size (not `--quick`).
 */
import {readFile, writeFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

const DOC = fileURLToPath(new URL('../../docs/performance.md', import.meta.url))
const START = '<!-- bench results: written by npm run bench; edits between these markers are lost -->'
const END = '<!-- end of bench results -->'

/** Replaces the results section with `markdown` (its headings moved one level down); returns the file's path. */
export async function refreshPerformanceDoc(markdown: string): Promise<string> {
  const doc = await readFile(DOC, 'utf8').catch(() => `# Performance\n\n${START}\n${END}\n`)
  const start = doc.indexOf(START)
  const end = doc.indexOf(END)
  if (start < 0 || end < start) throw new Error(`${DOC}: the bench results markers are missing or out of order`)
  const section = markdown.replace(/^(#+) /gm, '#$1 ').trim()
  await writeFile(DOC, `${doc.slice(0, start + START.length)}\n\n${section}\n\n${doc.slice(end)}`)
  return DOC
}
