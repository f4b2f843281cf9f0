// Entry point for the typeorm CLI: `npm run migration:run` (after `npm run build`).
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/src/load-config';
import { buildDataSourceOptions } from './data-source-options';

const config = loadConfig();
export default new DataSource(buildDataSourceOptions({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA }));
