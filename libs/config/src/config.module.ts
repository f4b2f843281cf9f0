import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config.schema';
import { loadReportSigningKey, REPORT_SIGNING_KEY } from './report-signing-key';

/** Injection token for the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  /** The config is loaded by main.ts (so a bad one exits before Nest starts) and handed in here. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: REPORT_SIGNING_KEY, useValue: loadReportSigningKey(config.REPORT_SIGNING_KEY_FILE) },
      ],
      exports: [APP_CONFIG, REPORT_SIGNING_KEY],
    };
  }
}
