/** The options given to `SessionsModule.forRoot` / `forRootAsync`. */
export const SESSIONS_OPTIONS = 'SANCTUM:SESSIONS_OPTIONS';

/** Where the sessions library writes its log lines: a Nest `LoggerService`. */
export const SESSIONS_LOGGER = 'SANCTUM:SESSIONS_LOGGER';

/** Log context of the `Session started` / `Session ended` lines (monitoring filters on it). */
export const SESSIONS_LOG_CONTEXT = 'Sessions';

/** Log context of the Streamable HTTP stream bookkeeping. */
export const STREAMABLE_HTTP_LOG_CONTEXT = 'StreamableHttp';

/**
 * The principal of a request when no API keys are configured. Its sessions and streams are
 * bounded by the global cap only: per-key caps would make every client share one budget.
 */
export const ANONYMOUS_PRINCIPAL = 'anonymous';
