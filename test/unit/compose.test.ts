// docker-compose.yml and the Dockerfile, checked without Docker: each maint process's environment, resolved as
// compose resolves it (anchors, merges, ${VAR:?} with example values), goes through the app's own configuration
// loader; addresses and ports agree between services; images are pinned; health checks, scaling and profiles.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Env, loadConfig, missingEnv, PRODUCTION_ENV } from '../../src/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { SERVER_DYNAMIC_CONFIG } from '../../src/temporal/server-settings';

const ROOT = path.join(__dirname, '..', '..');

/** What an operator exports before `docker compose up` (the file's header says so). */
const EXAMPLE_ENV: Record<string, string> = {
  MAINT_SECRET_KEY: 'ab'.repeat(32),
  MAINT_CREDENTIALS_FILE: './credentials.json',
};

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, and $$ for $. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (whole, name, op, arg) => {
    if (whole === '$$') return '$';
    const value = env[name];
    const unset = op?.startsWith(':') ? !value : value === undefined;
    if (op?.endsWith('?') && unset) throw new Error(`compose would refuse: ${name}: ${arg}`);
    if (op?.endsWith('-') && unset) return arg;
    return value ?? '';
  });
}

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number> | string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  restart?: string;
  container_name?: string;
  secrets?: string[];
  entrypoint?: string[];
  volumes?: string[];
}

const raw = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(interpolate(raw, EXAMPLE_ENV), { merge: true }) as {
  services: Record<string, Service>;
  secrets?: Record<string, { file: string }>;
};
const services = compose.services;

function envOf(name: string): Record<string, string> {
  const env = services[name].environment ?? {};
  const pairs = Array.isArray(env) ? env.map((line) => line.split(/=(.*)/s).slice(0, 2)) : Object.entries(env);
  return Object.fromEntries(pairs.map(([k, v]) => [k, String(v)]));
}

const MAINT = { api: 'maint-api', worker: 'maint-worker', sim: 'sim' } as const;

/** The port a service listens on inside the network: the container side of its first mapping, or the given one. */
function containerPort(service: Service): number | undefined {
  const mapping = service.ports?.[0];
  return mapping === undefined ? undefined : Number(mapping.split(':').pop());
}

function healthcheckUrl(service: Service): URL {
  const text = (service.healthcheck?.test ?? []).join(' ');
  const match = /https?:\/\/[^'"\s)]+/.exec(text);
  if (!match) throw new Error(`no URL in the health check: ${text}`);
  return new URL(match[0]);
}

/** "host:port" or a URL: where it points. */
function target(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `grpc://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

describe('each maint process, through the app’s configuration loader', () => {
  test.each(Object.entries(MAINT))('%s (%s): every variable it needs is set and valid', (role, name) => {
    const env = envOf(name);
    expect(missingEnv(env, PRODUCTION_ENV[role as keyof typeof PRODUCTION_ENV])).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
    // Nothing set that the schema does not know (a typo would be silently ignored), but for the variables that
    // another part of the stack reads (none yet) and the metrics ones a newer schema may not have.
    const unknown = Object.keys(env).filter((k) => !(k in Env.shape) && !k.startsWith('METRICS_'));
    expect(unknown).toEqual([]);
  });

  test('API and workers agree on Temporal, namespace, task queue, instance, driver and secret key', () => {
    const api = loadConfig(envOf(MAINT.api));
    const worker = loadConfig(envOf(MAINT.worker));
    expect(worker.temporal).toEqual({ ...api.temporal });
    expect(worker.instance).toBe(api.instance);
    expect(worker.driver).toEqual(api.driver);
    expect(worker.secretKey).toEqual(api.secretKey);
    expect(api.secretKey).toBeDefined();
  });

  test('the secret key and the credentials file must be given: compose refuses to start without them', () => {
    expect(() => interpolate(raw, { MAINT_CREDENTIALS_FILE: 'x' })).toThrow(/MAINT_SECRET_KEY/);
    expect(() => interpolate(raw, { MAINT_SECRET_KEY: 'ab'.repeat(32) })).toThrow(/MAINT_CREDENTIALS_FILE/);
  });

  test('credentials: a secret every maint service mounts (read-only under /run/secrets)', () => {
    for (const name of Object.values(MAINT)) {
      const file = loadConfig(envOf(name)).security.credentialsFile!;
      const secret = path.basename(file);
      expect(path.dirname(file)).toBe('/run/secrets');
      expect(services[name].secrets).toContain(secret);
      expect(compose.secrets?.[secret]?.file).toBe(EXAMPLE_ENV.MAINT_CREDENTIALS_FILE);
    }
  });
});

describe('addresses and ports agree', () => {
  const api = services[MAINT.api];

  test('the API: PORT, the container side of its port mapping and its health check are one port; it listens on all interfaces', () => {
    const config = loadConfig(envOf(MAINT.api));
    expect(containerPort(api)).toBe(config.api.port);
    expect(Number(healthcheckUrl(api).port)).toBe(config.api.port);
    expect(config.api.host).toBe('0.0.0.0');
  });

  test('TEMPORAL_ADDRESS is the temporal service on the port it serves, for maint, the UI and the init job', () => {
    const temporal = services.temporal;
    const served = containerPort(temporal);
    for (const name of [...Object.values(MAINT), 'temporal-ui', 'temporal-init']) {
      const address = target(envOf(name).TEMPORAL_ADDRESS);
      expect({ name, ...address }).toEqual({ name, host: 'temporal', port: served });
    }
    expect(temporal.healthcheck?.test.join(' ')).toContain(`temporal:${served}`);
  });

  test('SIM_URL, SIM_PUBLIC_URL and MAINT_URL name services that exist, on the ports they listen on', () => {
    const sim = loadConfig(envOf(MAINT.sim));
    const apiPort = loadConfig(envOf(MAINT.api)).api.port;
    for (const name of Object.values(MAINT)) {
      const config = loadConfig(envOf(name));
      expect(target(config.driver.url)).toEqual({ host: 'sim', port: sim.sim.port });
      expect(target(config.api.url)).toEqual({ host: MAINT.api, port: apiPort });
    }
    expect(target(sim.sim.publicUrl!)).toEqual({ host: 'sim', port: sim.sim.port });
    expect(sim.sim.host).toBe('0.0.0.0');
    expect(Number(healthcheckUrl(services.sim).port)).toBe(sim.sim.port);
  });

  test("the worker's metrics listen on all interfaces, on the port its health check asks", () => {
    const env = envOf(MAINT.worker);
    expect(env.METRICS_HOST).toBe('0.0.0.0');
    const url = healthcheckUrl(services[MAINT.worker]);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).toBe(env.METRICS_PORT);
    expect(url.pathname).toBe('/healthz');
  });

  test('the UI serves on the container side of its port mapping, which its health check asks', () => {
    const ui = services['temporal-ui'];
    expect(String(containerPort(ui))).toBe(envOf('temporal-ui').TEMPORAL_UI_PORT);
    expect(Number(healthcheckUrl(ui).port)).toBe(containerPort(ui));
  });
});

describe('the services', () => {
  const jobs = Object.entries(services).filter(([, s]) => s.restart === 'no');
  const longRunning = Object.entries(services).filter(([, s]) => s.restart !== 'no');

  test('every image is pinned to a version (never latest); built ones too', () => {
    for (const [name, service] of Object.entries(services)) {
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:\d+\.\d+[\w.-]*$/) });
    }
  });

  test('every long-running service has a health check and restarts; the one-off jobs are the setup steps', () => {
    expect(jobs.map(([name]) => name).sort()).toEqual(['temporal-init', 'temporal-schema']);
    for (const [name, service] of longRunning) {
      expect({ name, healthcheck: Array.isArray(service.healthcheck?.test) }).toEqual({ name, healthcheck: true });
      expect({ name, restart: service.restart }).toEqual({ name, restart: 'unless-stopped' });
    }
  });

  test('start order: schema, then Temporal, then namespace and search attributes, then maint', () => {
    expect(services.temporal.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(services['temporal-init'].depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(services['temporal-schema'].depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    for (const name of Object.values(MAINT)) {
      expect(services[name].depends_on).toEqual({ 'temporal-init': { condition: 'service_completed_successfully' } });
    }
  });

  test('the worker scales: no container name, no host port', () => {
    expect(services[MAINT.worker].container_name).toBeUndefined();
    expect(services[MAINT.worker].ports).toBeUndefined();
  });

  test('maint services run the one image with their command', () => {
    for (const [role, name] of Object.entries(MAINT)) {
      expect(services[name].build).toBe('.');
      expect(services[name].command).toEqual([role]);
    }
  });

  test('only the simulator is in a profile, demo', () => {
    const profiled = Object.entries(services).filter(([, s]) => s.profiles !== undefined);
    expect(profiled).toEqual([[MAINT.sim, expect.objectContaining({ profiles: ['demo'] })]]);
  });

  test("the search attributes registered are maint's, in the namespace maint uses", () => {
    const script = (services['temporal-init'].command ?? []).join('\n');
    const registered = [...script.matchAll(/--name (\w+) --type (\w+)/g)].map(([, name, type]) => ({ name, type }));
    const typeName: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' };
    expect(registered).toEqual(ALL_SEARCH_ATTRIBUTES.map((key) => ({ name: key.name, type: typeName[key.type] })));
    const namespace = loadConfig(envOf(MAINT.api)).temporal.namespace;
    const namespaces = [...script.matchAll(/--namespace (\S+)/g)].map(([, ns]) => ns);
    expect(namespaces.length).toBeGreaterThan(0);
    expect(new Set(namespaces)).toEqual(new Set([namespace]));
  });
});

describe("the Temporal server's settings", () => {
  test("its dynamic config file is mounted where DYNAMIC_CONFIG_FILE_PATH points, and holds maint's server settings", () => {
    const temporal = services.temporal;
    // The image's config template reads the path relative to its working directory, /etc/temporal.
    const inContainer = path.posix.resolve('/etc/temporal', envOf('temporal').DYNAMIC_CONFIG_FILE_PATH);
    const mounts = (temporal.volumes ?? []).map((v) => v.split(':'));
    const mount = mounts.find(([, container]) => container === inContainer);
    expect(mount).toBeDefined();
    expect(mount![2]).toBe('ro');
    const file = parse(readFileSync(path.join(ROOT, mount![0]), 'utf8')) as Record<string, { value: unknown; constraints?: unknown }[]>;
    const settings = Object.fromEntries(
      Object.entries(file).map(([key, entries]) => {
        expect(entries).toHaveLength(1); // one value for every namespace and task queue: no constraints
        expect(entries[0].constraints).toBeUndefined();
        return [key, entries[0].value];
      }),
    );
    expect(settings).toEqual(SERVER_DYNAMIC_CONFIG);
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const froms = lines.filter((l) => /^FROM\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
  const lastFrom = lines.map((l, i) => (/^FROM\s/i.test(l) ? i : -1)).reduce((a, b) => Math.max(a, b));
  const finalStage = lines.slice(lastFrom);

  test('every base image is node at the exact version this repo is tested on, which package.json allows', () => {
    expect(froms.length).toBeGreaterThan(0);
    const tested = process.versions.node; // 20.20.2 here
    for (const image of froms) expect(image).toMatch(new RegExp(`^node:${tested.replaceAll('.', '\\.')}-[a-z]+(-slim)?$`));
    const engines = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    const minimum = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(engines)!.slice(1).map(Number);
    const version = tested.split('.').map(Number);
    const atLeast = version[0] !== minimum[0] ? version[0] > minimum[0] : version[1] !== minimum[1] ? version[1] > minimum[1] : version[2] >= minimum[2];
    expect(atLeast).toBe(true);
  });

  test('the image runs as a user that is not root', () => {
    const user = finalStage.filter((l) => /^USER\s/i.test(l)).pop();
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
  });

  test("the build stage has maint's patches of its dependencies before npm ci, whose postinstall applies them", () => {
    const build = lines.slice(0, lastFrom);
    const patches = build.findIndex((l) => /^COPY patches patches$/.test(l));
    const install = build.findIndex((l) => /^RUN npm ci\b/.test(l));
    expect(patches).toBeGreaterThanOrEqual(0);
    expect(patches).toBeLessThan(install);
    expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.postinstall).toBe('patch-package --error-on-fail');
  });

  test('it copies the build (processes and the workflow code the worker bundles from it) and starts main', () => {
    expect(finalStage.some((l) => /^COPY --from=build \/app\/dist dist$/.test(l))).toBe(true);
    expect(finalStage.some((l) => /^COPY --from=build \/app\/node_modules node_modules$/.test(l))).toBe(true);
    expect(finalStage.find((l) => /^ENTRYPOINT/.test(l))).toBe('ENTRYPOINT ["node", "dist/src/main.js"]');
    // The worker bundles WORKFLOWS_PATH, `workflows` beside `src`: from dist/src/temporal, dist/workflows.
    const worker = readFileSync(path.join(ROOT, 'src', 'temporal', 'worker.ts'), 'utf8');
    expect(worker).toContain("WORKFLOWS_PATH = path.resolve(__dirname, '..', '..', 'workflows')");
  });
});
