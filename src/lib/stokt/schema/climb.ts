import {z} from 'zod'

import {clip, stoktText, optionalText, stoktCount, stoktInstant, stoktUuid} from './common.js'

/** `climbSetters` of a climb: the only place Stokt shows a gym's users. */
export const ClimbSetterSchema = z.object({
  id: stoktUuid,
  // Its length is the database's rule (the server's VARCHAR), checked as the row is written.
  fullName: stoktText(),
  avatar: optionalText,
})

export type ClimbSetter = z.output<typeof ClimbSetterSchema>

const HOLD_TOKEN = /^[SOFT]\d+$/
/** A whole valid holds list in one test (every climb has two): tokens, each followed by space or the end. */
const HOLDS_LIST = /^\s*(?:[SOFT]\d+(?:\s+|$))*$/

/** "S829284 F829104 …": every token a type (Start, Other, Foot, Top) and a hold id. */
const holdsListText = (allowEmpty: boolean) =>
  stoktText('expected a string', (text) => {
    if (HOLDS_LIST.test(text)) return allowEmpty || /\S/.test(text) ? undefined : 'no holds'
    // Not valid: split it to name the first bad token.
    const bad = splitHoldsList(text).find((token) => !HOLD_TOKEN.test(token))
    return bad === undefined ? undefined : `token '${clip(bad, 20)}' is not S/O/F/T + hold id`
  })

/** One of `climbs.results[]`: what the importer keeps. */
export const ClimbSchema = z.object({
  id: stoktUuid,
  // Missing and null alike mean no setter; the mapping reads them both as null (no transform: see optionalText).
  climbSetters: ClimbSetterSchema.nullish(),
  name: stoktText(),
  holdsList: holdsListText(false),
  mirrorHoldsList: holdsListText(true).nullish(),
  feetRule: optionalText,
  dateCreated: stoktInstant,
  isPrivate: z.boolean({error: 'expected true or false'}),
  isBenchmark: z.boolean({error: 'expected true or false'}),
  crowdGrade: z
    .object({
      font: optionalText,
      ircra: z.number({error: 'expected a number'}).nullish(),
    })
    .nullish(),
  faceId: stoktUuid,
  climbedBy: stoktCount,
  totalLikes: stoktCount,
  totalComments: stoktCount,
})

export type Climb = z.output<typeof ClimbSchema>

export function splitHoldsList(text: string): string[] {
  return text.split(/\s+/).filter((token) => token.length > 0)
}

/** The first hold id a validated holds list names that is not in `holdIds`, read digit by digit, without slicing tokens. */
export function firstHoldNotIn(text: string, holdIds: ReadonlySet<number>): number | undefined {
  let holdId = -1 // no digit read yet
  for (let index = 0; index <= text.length; index++) {
    const code = index < text.length ? text.charCodeAt(index) : -1
    if (code >= 48 && code <= 57) {
      holdId = (holdId < 0 ? 0 : holdId * 10) + (code - 48)
    } else if (holdId >= 0) {
      if (!holdIds.has(holdId)) return holdId
      holdId = -1
    }
  }
  return undefined
}
