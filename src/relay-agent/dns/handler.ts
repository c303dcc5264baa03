// One DNS query in, one answer out (or silence), whatever the transport. Cache hits are
// answered synchronously from stored records; misses go asynchronous and never hold up others.
import type { Logger } from "pino";
import type { SynthesisObserver } from "../data-plane.ts";
import type { SourceAccessList } from "./access.ts";
import { cacheClock } from "./cache.ts";
import type { DnsMetrics, RefusedReason } from "./metrics.ts";
import { qtypeName, rcodeName } from "./presentation.ts";
import type { SourceRateLimiter } from "./rate-limit.ts";
import type { AaaaResolver } from "./resolver.ts";
import { STALE_ANSWER_TTL } from "./resolver.ts";
import {
  answerFromSynthesized,
  answerWithoutUpstream,
  ipv4Text,
  needsUpstream,
  type Synthesized,
} from "./synthesis.ts";
import {
  type AnswerShape,
  CLASS_IN,
  CLASSIC_UDP_PAYLOAD,
  type EmbeddingTemplate,
  encodeAnswer,
  encodeBare,
  keyToName,
  MAX_UDP_PAYLOAD,
  newParsedQuery,
  type ParsedQuery,
  ParseStatus,
  parseQuery,
  Rcode,
  RRType,
  type SoaTimers,
  snapshotQuery,
} from "./wire.ts";
import type { SplitZones, ZoneMatch } from "./zone.ts";

export type Transport = "udp" | "tcp";
export type Respond = (answer: Buffer) => void;

/** Everything a reload may change, swapped in as one object. */
export interface HandlerSettings {
  readonly zones: SplitZones;
  readonly access: SourceAccessList;
  readonly rateLimiter: SourceRateLimiter | undefined;
  readonly rateLimitAction: "refuse" | "drop";
  readonly maxTtl: number;
  /** The NAT64 prefix's RFC 6052 layout: every AAAA answer is rendered with it. */
  readonly template: EmbeddingTemplate;
  readonly soa: SoaTimers;
  readonly queryLog: boolean;
}

/** How long an answer waits for the data plane to learn its IPv4s (only that answer waits). */
export const OBSERVER_WAIT_MS = 250;
const TCP_LIMIT = 65_535;

export class QueryHandler {
  settings: HandlerSettings;
  private readonly resolver: AaaaResolver;
  /** Shared with the listeners, which count what they refuse themselves. */
  readonly metrics: DnsMetrics;
  private readonly logger: Logger;
  private readonly observer: SynthesisObserver | undefined;
  private readonly parsed = newParsedQuery();

  constructor(deps: {
    settings: HandlerSettings;
    resolver: AaaaResolver;
    metrics: DnsMetrics;
    logger: Logger;
    observer?: SynthesisObserver;
  }) {
    this.settings = deps.settings;
    this.resolver = deps.resolver;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.observer = deps.observer;
  }

  /**
   * Handles one message; `respond` is called at most once, maybe later. Returns false when the
   * message is dropped without an answer. Never throws.
   */
  handle(message: Buffer, source: string, transport: Transport, respond: Respond): boolean {
    const query = this.parsed;
    try {
      return this.dispatch(message, query, source, transport, respond);
    } catch (error) {
      this.logger.error({ err: error, source }, "dns: failed to answer a query");
      if (!query.key) return false;
      const answer = encodeBare(message, query, Rcode.SERVFAIL, { withQuestion: true });
      this.finish(message, query, source, respond, answer);
      return true;
    }
  }

  private dispatch(
    message: Buffer,
    query: ParsedQuery,
    source: string,
    transport: Transport,
    respond: Respond,
  ): boolean {
    const settings = this.settings;
    const now = cacheClock();
    const limited = settings.rateLimiter !== undefined && !settings.rateLimiter.allow(source, now);
    if (limited && settings.rateLimitAction === "drop") {
      this.metrics.countDropped("rate_limit");
      return false;
    }
    const status = parseQuery(message, query);
    if (status !== ParseStatus.OK) {
      return this.answerMalformed(message, query, source, status, limited, respond);
    }
    if (limited) return this.refuse(message, query, source, "rate_limit", respond);
    if (!settings.access.allows(source))
      return this.refuse(message, query, source, "source", respond);
    if (query.qclass !== CLASS_IN) return this.refuse(message, query, source, "class", respond);
    const match = settings.zones.match(query.key, query.labelStarts, query.labelCount);
    if (!match) return this.refuse(message, query, source, "zone", respond);
    const limit =
      transport === "tcp"
        ? TCP_LIMIT
        : query.edns
          ? Math.min(query.udpPayload, MAX_UDP_PAYLOAD)
          : CLASSIC_UDP_PAYLOAD;

    if (isZoneTransferOrMailbox(query.qtype)) {
      const answer = encodeBare(message, query, Rcode.NOTIMP, { withQuestion: true });
      return this.finish(message, query, source, respond, answer);
    }
    if (!needsUpstream(query.qtype)) {
      const shape = answerWithoutUpstream(query.qtype, match.apexOffset === 0, settings.maxTtl);
      return this.finish(
        message,
        query,
        source,
        respond,
        this.encode(message, query, match, shape, limit),
      );
    }

    const slot = this.resolver.peek(match.realKey, now);
    if (slot !== undefined && now < slot.expiresAt) {
      this.metrics.cacheHits++;
      const ttl = Math.ceil((slot.expiresAt - now) / 1000);
      return this.answerAaaa(message, query, source, match, slot.value, ttl, limit, respond);
    }
    if (slot !== undefined && now < slot.failedRefreshUntil) {
      this.metrics.cacheStale++;
      return this.answerAaaa(
        message,
        query,
        source,
        match,
        slot.value,
        STALE_ANSWER_TTL,
        limit,
        respond,
      );
    }
    this.metrics.cacheMisses++;
    const kept = snapshotQuery(query);
    let answered = false;
    const once: Respond = (answer) => {
      if (answered) return;
      answered = true;
      respond(answer);
    };
    this.resolver
      .resolve(match.realKey)
      .then((resolution) => {
        if (resolution.kind === "failure") {
          this.logger.warn(
            { qname: keyToName(match.realKey), reason: resolution.reason },
            "dns: every upstream failed",
          );
          const answer = encodeBare(message, kept, Rcode.SERVFAIL, { withQuestion: true });
          return this.finish(message, kept, source, once, answer);
        }
        if (resolution.stale) this.metrics.cacheStale++;
        return this.answerAaaa(
          message,
          kept,
          source,
          match,
          resolution.result,
          resolution.ttl,
          limit,
          once,
        );
      })
      .catch((error: unknown) => {
        // Never an unhandled rejection (it would stop the process): log, answer SERVFAIL.
        this.logger.error({ err: error }, "dns: lookup failed unexpectedly");
        if (answered) return;
        try {
          const answer = encodeBare(message, kept, Rcode.SERVFAIL, { withQuestion: true });
          this.finish(message, kept, source, once, answer);
        } catch {
          // Nothing left to answer with.
        }
      });
    return true;
  }

  private answerAaaa(
    message: Buffer,
    query: ParsedQuery,
    source: string,
    match: ZoneMatch,
    result: Synthesized,
    ttl: number,
    limit: number,
    respond: Respond,
  ): true {
    const answer = this.encode(
      message,
      query,
      match,
      answerFromSynthesized(result, ttl, this.settings.template),
      limit,
    );
    if (result.kind !== "addresses" || this.observer === undefined) {
      return this.finish(message, query, source, respond, answer);
    }
    const told = this.tellObserver(this.observer, result.ipv4s.map(ipv4Text), ttl);
    if (!(told instanceof Promise)) return this.finish(message, query, source, respond, answer);
    const kept = query === this.parsed ? snapshotQuery(query) : query;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, OBSERVER_WAIT_MS);
    });
    Promise.race([told, bound])
      .catch((error: unknown) =>
        this.logger.error({ err: error }, "dns: synthesis observer failed"),
      )
      .finally(() => {
        clearTimeout(timer);
        this.finish(message, kept, source, respond, answer);
      })
      .catch((error: unknown) =>
        this.logger.error({ err: error }, "dns: failed to send an answer"),
      );
    return true;
  }

  private tellObserver(
    observer: SynthesisObserver,
    ipv4s: readonly string[],
    ttl: number,
  ): undefined | Promise<void> {
    try {
      const told = observer(ipv4s, ttl);
      return told instanceof Promise ? told : undefined;
    } catch (error) {
      this.logger.error({ err: error }, "dns: synthesis observer failed");
      return undefined;
    }
  }

  private encode(
    message: Buffer,
    query: ParsedQuery,
    match: ZoneMatch,
    shape: AnswerShape,
    limit: number,
  ): Buffer {
    return encodeAnswer(message, query, match.apexOffset, this.settings.soa, shape, limit);
  }

  private refuse(
    message: Buffer,
    query: ParsedQuery,
    source: string,
    reason: RefusedReason,
    respond: Respond,
  ): true {
    this.metrics.countRefused(reason);
    const answer = encodeBare(message, query, Rcode.REFUSED, { withQuestion: true });
    return this.finish(message, query, source, respond, answer);
  }

  private answerMalformed(
    message: Buffer,
    query: ParsedQuery,
    source: string,
    status: ParseStatus,
    limited: boolean,
    respond: Respond,
  ): boolean {
    if (status === ParseStatus.DROP || limited) {
      this.metrics.countDropped(limited ? "rate_limit" : "malformed");
      return false;
    }
    const answer =
      status === ParseStatus.BADVERS
        ? encodeBare(message, query, Rcode.BADVERS, { withQuestion: true })
        : encodeBare(message, query, status === ParseStatus.NOTIMP ? Rcode.NOTIMP : Rcode.FORMERR, {
            withQuestion: false,
          });
    this.finish(message, query, source, respond, answer);
    return true;
  }

  private finish(
    message: Buffer,
    query: ParsedQuery,
    source: string,
    respond: Respond,
    answer: Buffer,
  ): true {
    const rcode =
      (answer[3]! & 0x0f) | (query.edns && answer.length > 12 ? extendedRcode(answer) : 0);
    this.metrics.countQuery(query.key ? query.qtype : -1, rcode);
    if (this.settings.queryLog) {
      this.logger.info(
        // `qname`, not `name`: pino's logger name is `name`, and a JSON line must not carry a
        // key twice (parsers keep one of them at random).
        {
          source,
          qname: query.key ? keyToName(query.key) : undefined,
          qtype: qtypeName(query.qtype),
          rcode: rcodeName(rcode),
          queryBytes: message.length,
          answerBytes: answer.length,
          tc: (answer[2]! & 0x02) !== 0,
        },
        "dns query",
      );
    }
    respond(answer);
    return true;
  }
}

/** AXFR, IXFR, MAILB, MAILA: meta-queries this server does not implement (NOTIMP). */
function isZoneTransferOrMailbox(qtype: number): boolean {
  return (
    qtype === RRType.AXFR ||
    qtype === RRType.IXFR ||
    qtype === RRType.MAILA ||
    qtype === RRType.MAILB
  );
}

/** The extended rcode bits from our OPT record (always last, 11 octets). */
function extendedRcode(answer: Buffer): number {
  return answer[answer.length - 6]! << 4;
}
