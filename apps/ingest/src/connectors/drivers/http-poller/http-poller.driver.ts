import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectorContext, ConnectorDriver, ConfigProblem } from '../../connector.driver';
import { expressionProblem } from '../../sandbox/mapping-expression';
import { expressionLimits } from '../../sandbox/mapping-sandbox';
import { redactUrl } from '../../redact-url';
import {
  httpPollerConfigSchema,
  httpPollerCursorSchema,
  type HttpPollerConfig,
} from './http-poller.config';
import { pollOnce } from './http-poller';

/**
 * Polls a JSON API on an interval (testbed 5's production API): a JSONata mapping turns each
 * page into points, and the cursor (next page, ETag) moves on only once they are stored.
 */
export const httpPollerDriver: ConnectorDriver<HttpPollerConfig> = {
  type: 'http-poller',
  kind: 'source',
  configSchema: httpPollerConfigSchema,

  check(config, target) {
    const problems: ConfigProblem[] = [];
    const limits = expressionLimits(target.settings);
    const mapping = expressionProblem(config.mapping, limits);
    if (mapping) problems.push({ pointer: '/config/mapping', detail: mapping });
    if (config.pagination.type === 'next-link') {
      const next = expressionProblem(config.pagination.next, limits);
      if (next) problems.push({ pointer: '/config/pagination/next', detail: next });
    }
    return problems;
  },

  movesCursor: (before, after) =>
    before.url !== after.url ||
    JSON.stringify(before.pagination) !== JSON.stringify(after.pagination),

  async run(ctx) {
    const { config } = ctx;
    while (!ctx.signal.aborted) {
      try {
        const saved = httpPollerCursorSchema.safeParse((await ctx.loadCursor()) ?? {});
        // Whether the mapping ever gave a record from this API: until it has, a page that
        // maps to nothing is far likelier a wrong mapping than an API with nothing new.
        let mapped = saved.success && saved.data.mapped === true;
        const outcome = await pollOnce(config, saved.success ? saved.data : {}, {
          limits: () => ctx.ingest.limits(),
          store: (points) => ctx.ingest.points(points),
          saveCursor: (next) => ctx.saveCursor({ ...next, mapped: mapped || undefined }),
          pageDone: async (page) => {
            ctx.count({
              recordsRead: page.recordsRead,
              pointsWritten: page.pointsWritten,
              recordsRefused: page.recordsRefused,
            });
            if (page.refusal) ctx.warn(`refused ${page.refusal}`);
            if (page.recordsRead > 0) mapped = true;
            if (mapped) ctx.succeeded();
            await ctx.saveStatus();
          },
          authHeaders: () => authHeaders(ctx),
          stillLeader: () => ctx.isLeader() && !ctx.signal.aborted,
          fetch: ctx.fetch,
          mapping: ctx.mapping,
          tenant: ctx.tenant,
        });
        if (outcome.pages > 0 && !mapped) {
          ctx.failed(
            `GET ${redactUrl(config.url)} answered, but the mapping gave no points from it (nor ever before): check the mapping against a page with POST /v1/connectors/dry-run`,
          );
        } else {
          // A poll that found nothing new (304, an empty page after data) is a success too.
          ctx.succeeded();
        }
      } catch (error) {
        // Never the secret: errors name the URL without its query and the status code.
        ctx.failed((error as Error).message);
      }
      await sleep(config.intervalSeconds * 1000, undefined, { signal: ctx.signal }).catch(
        () => undefined,
      );
    }
  },
};

function authHeaders(ctx: ConnectorContext<HttpPollerConfig>): Record<string, string> {
  const { auth } = ctx.config;
  switch (auth.type) {
    case 'none':
      return {};
    case 'bearer':
      return { authorization: `Bearer ${ctx.secret(auth.token)}` };
    case 'basic':
      return {
        authorization: `Basic ${Buffer.from(`${auth.username}:${ctx.secret(auth.password)}`).toString('base64')}`,
      };
    case 'api-key':
      return { [auth.header.toLowerCase()]: ctx.secret(auth.key) };
  }
}
