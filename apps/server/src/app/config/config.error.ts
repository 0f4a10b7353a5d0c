/** A configuration problem: names the variable, what it got and what is accepted. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    got: string,
    accepted: string,
    message = `Invalid configuration: ${variable}=${JSON.stringify(got)} is not accepted; expected ${accepted}.`,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
