import { ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CONSOLE_CONFIG } from '../config/config.slices';
import type { ConsoleConfig } from '../config/config.slices';
import { principalOf } from '../http/request-checks';
import type { GatewayRequest, GatewayResponse } from '../http/request-checks';

/** The header a state-changing console request carries the console's token in. */
export const CONSOLE_TOKEN_HEADER = 'x-console-token';

/**
 * The token state-changing console requests must carry (CSRF protection): given only to an admin
 * by `GET /console/api/overview`, which another site's page cannot read, and sent back in a custom
 * header, which a cross-site form or a simple request cannot set. One per gateway process.
 */
@Injectable()
export class ConsoleToken {
  readonly value = randomBytes(24).toString('base64url');

  matches(candidate: string | undefined): boolean {
    if (candidate === undefined) return false;
    const given = Buffer.from(candidate);
    const expected = Buffer.from(this.value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** Whether the request's Origin (when it sends one) is the page's own: scheme-less compare of host and port with Host. */
function sameOrigin(req: GatewayRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return req.headers.host !== undefined && url.host.toLowerCase() === req.headers.host.toLowerCase();
}

/**
 * The console API's own checks, after the front door (Host, Origin, API key): the principal must
 * be an admin key (MCP_CONSOLE_KEYS) whenever keys exist, so the loopback bypass and other keys are
 * refused; a state-changing request must come from the console's own page (same Origin, not a
 * cross-site fetch) and carry the console token.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    @Inject(ConsoleToken) private readonly token: ConsoleToken,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<GatewayRequest>();
    const principal = principalOf(http.getResponse<GatewayResponse>());
    const admins = this.config.consoleKeys;
    if (admins.length > 0 && !admins.includes(principal)) {
      if (principal === 'loopback' || principal === 'anonymous') {
        throw new UnauthorizedException(
          `The operator console needs an admin key (MCP_CONSOLE_KEYS: ${admins.join(', ')}): send it as "Authorization: Bearer <key>".`,
        );
      }
      throw new ForbiddenException(
        `The API key "${principal}" is not an admin key of the operator console; use one named in MCP_CONSOLE_KEYS.`,
      );
    }
    if (req.method === 'GET' || req.method === 'HEAD') return true;
    if (req.headers['sec-fetch-site'] === 'cross-site' || !sameOrigin(req)) {
      throw new ForbiddenException('Console actions are accepted only from the console page itself (this request came from another site).');
    }
    const sent = req.headers[CONSOLE_TOKEN_HEADER];
    if (!this.token.matches(typeof sent === 'string' ? sent : undefined)) {
      throw new ForbiddenException(
        `Console actions need the console token in the X-Console-Token header (GET /console/api/overview gives it); reload the console page.`,
      );
    }
    return true;
  }
}
