export default async function globalTeardown(): Promise<void> {
  await globalThis.__MAINT_DEV_SERVER__?.stop();
}
