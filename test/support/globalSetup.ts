import {execFileSync} from 'node:child_process'

/** The CLI tests run the real `bin/run.js`, which loads the compiled commands: build them once. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {stdio: 'inherit'})
}
