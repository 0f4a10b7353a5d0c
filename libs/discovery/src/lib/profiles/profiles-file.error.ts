/**
 * A profiles file (MCP_PROFILES) that cannot be used: the message names the file and the field
 * (`profiles.chat.tools[2]`) and says what it accepts.
 */
export class ProfilesFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`the profiles file ${file} is not valid: ${problems.join('; ')}`);
    this.name = 'ProfilesFileError';
  }
}
