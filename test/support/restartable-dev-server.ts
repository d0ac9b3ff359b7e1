// A Temporal dev server that a test can kill and start again on the same SQLite file and the same port, as an
// operator restarting it would: maint's processes keep the address they were given and must reconnect by themselves.
import path from 'node:path';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';

export class RestartableDevServer {
  private server?: DevServer;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(port: number, dir: string): Promise<RestartableDevServer> {
    const restartable = new RestartableDevServer(port, dir);
    await restartable.launch();
    return restartable;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get dbFile(): string {
    return path.join(this.dir, 'temporal.db');
  }

  /**
   * Stops the server with `signal` (SIGKILL: no shutdown at all), waits `downMs`, and starts it again on the same
   * file and port. Resolves when it serves again; returns how long it took to start.
   */
  async restart(signal: NodeJS.Signals, downMs: number): Promise<{ startMs: number }> {
    const child = this.server?.process;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await gone;
    }
    await new Promise((resolve) => setTimeout(resolve, downMs));
    const started = Date.now();
    await this.launch();
    return { startMs: Date.now() - started };
  }

  /** SIGTERM, then SIGKILL after 10 s; leaves no timer behind (a test run ends as soon as the server is gone). */
  async stop(): Promise<void> {
    const child = this.server?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(force);
  }

  private async launch(): Promise<void> {
    this.server = await startDevServer({
      port: this.port,
      namespace: 'default',
      dbFile: this.dbFile,
      logFile: path.join(this.dir, 'temporal.log'),
      startTimeoutMs: 120_000,
    });
  }
}
