import { Module, type DynamicModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AppController } from './app.controller.js';
import { EXAMPLE_CONFIG, type NestExampleConfig } from './config.js';
import { SessionSerializer } from './session.serializer.js';
import { UltraCartAuthStrategy } from './ultracart.strategy.js';
import { UltrapassIdAuthStrategy } from './ultrapassid.strategy.js';

@Module({})
export class AppModule {
  static register(config: NestExampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PassportModule.register({ session: true })],
      controllers: [AppController],
      providers: [{ provide: EXAMPLE_CONFIG, useValue: config }, UltraCartAuthStrategy, UltrapassIdAuthStrategy, SessionSerializer],
    };
  }
}
