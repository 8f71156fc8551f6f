import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { CallerController } from './caller.controller';
import { ClientSecretExchange } from './client-secret.exchange';
import { TokenVerifier, TokenVerifierOptions } from './token-verifier';

/** Secures every route of the app that imports it; see AuthGuard. */
@Module({})
export class AuthModule {
  static forRoot(options: TokenVerifierOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      controllers: [CallerController],
      providers: [
        { provide: TokenVerifier, useValue: new TokenVerifier(options) },
        {
          provide: ClientSecretExchange,
          useValue: new ClientSecretExchange({
            issuer: options.issuer,
            discoveryUrl: options.discoveryUrl,
          }),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TokenVerifier, ClientSecretExchange],
    };
  }
}
