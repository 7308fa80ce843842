// `pnpm try [URL]`: the walk of src/walk.ts against the running gateway (`pnpm start` in another terminal).
import { walk } from './walk.js';

const url = new URL(process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? 7801}/mcp`);
await walk(url, (line) => console.log(line));
