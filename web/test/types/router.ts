// A tiny router type for the typecheck fixture (types only, never run).
import { initTRPC, tracked } from '@trpc/server';

const t = initTRPC.create();

export const appRouter = t.router({
  echo: t.procedure.input((v: unknown) => v as { text: string }).query(({ input }) => ({ said: input.text })),
  add: t.procedure.input((v: unknown) => v as { a: number; b: number }).mutation(({ input }) => input.a + input.b),
  events: t.procedure.subscription(async function* () {
    yield tracked('1', { n: 1 });
  }),
});
export type AppRouter = typeof appRouter;

const ts = initTRPC.create({
  transformer: { serialize: (v: unknown) => v, deserialize: (v: unknown) => v },
});
export const transformedRouter = ts.router({ ping: ts.procedure.query(() => 'pong' as const) });
export type TransformedRouter = typeof transformedRouter;
