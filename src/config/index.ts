export { configSchema, type Config, type ConfigInput } from './schema.js';
export { loadConfig, ConfigError, type LoadedConfig, type ImapEndpoint, type SmtpEndpoint, type LoadOptions } from './load.js';
