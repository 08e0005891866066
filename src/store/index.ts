export { Store, type StoreOptions, findingKey, findingReporters, ipv4Number, type StoredFinding, type FindingChange, type FindingStatus, type CursorState } from './store.js';
export { runMigrations, MIGRATIONS } from './migrations.js';
