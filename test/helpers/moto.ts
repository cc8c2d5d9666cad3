/** The S3 emulator for tests: see tools/moto.ts (shared with bench/ and deploy/lambda-dev.ts). */
export { freePort, type Moto, resetMoto, startMoto } from '../../tools/moto.js';
