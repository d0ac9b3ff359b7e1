// `npm run bench:mesos` is bench:scale under its first name (issue 3): one source, scripts/bench-scale.ts.
import './bench-scale';
