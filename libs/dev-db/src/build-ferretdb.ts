// `npm run build:ferretdb -w libs/dev-db`: builds and caches FerretDB ahead of the first test (CI does this).
import { ensureFerretDbBinary } from './ferretdb.js';

console.log(await ensureFerretDbBinary());
