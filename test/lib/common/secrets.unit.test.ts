import {describe, expect, it} from 'vitest'

import {SecretMasker} from '../../../src/lib/common/secrets.js'

const TOKEN = 'test-token-0123456789abcdef'
const PASSWORD = 'correct horse+batt"ery/é'

describe('SecretMasker', () => {
  const masker = new SecretMasker()
  masker.add(TOKEN)
  masker.add(PASSWORD, {username: 'me@example.com'})

  it.each([
    ['as typed, twice', `two ${TOKEN} and ${TOKEN}`, 'two *** and ***'],
    ['URL-encoded in a redirect', `?via=Token%20${TOKEN}&x=1`, '?via=Token%20***&x=1'],
    ['form-encoded, + for a space', 'password=correct+horse%2Bbatt%22ery%2F%C3%A9&next=1', 'password=***&next=1'],
    ['form-encoded, lower-case hex', 'password=correct+horse%2bbatt%22ery%2f%c3%a9', 'password=***'],
    ['percent-encoded, %20 for a space', 'p=correct%20horse%2Bbatt%22ery%2F%C3%A9', 'p=***'],
    ['JSON-escaped', JSON.stringify({password: PASSWORD}), '{"password":"***"}'],
    ['JSON-escaped as ASCII', '{"password": "correct horse+batt\\"ery/\\u00e9"}', '{"password": "***"}'],
    ['in Basic auth', `Basic ${Buffer.from(`me@example.com:${PASSWORD}`).toString('base64')}`, 'Basic ***'],
    ['its prefix left by a cut', `detail ${TOKEN.slice(0, 9)}…`, 'detail ***…'],
    ['its suffix left by a cut', `…${TOKEN.slice(-7)} end`, '…*** end'],
  ])('masks a secret %s', (_, text, masked) => {
    expect(masker.mask(text)).toBe(masked)
  })

  it('leaves pieces shorter than 6 characters, and text without secrets, as they are', () => {
    expect(masker.mask('test- abcde corre')).toBe('test- abcde corre')
  })

  it('masks every string of a summary, keys included', () => {
    expect(masker.maskStrings({rejected: [{reason: `token 'Q${TOKEN.slice(0, 18)}…'`, n: 1}], [TOKEN]: null})).toEqual({
      rejected: [{reason: "token 'Q***…'", n: 1}],
      '***': null,
    })
  })
})
