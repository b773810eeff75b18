import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@app/platform';
import { InventoryConfig } from '../config';

/** Stock and product writes need `Authorization: Bearer <ADMIN_TOKEN>`. */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(config: InventoryConfig) {
    this.expected = Buffer.from(config.ADMIN_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match) throw new DomainError('UNAUTHORIZED', 'this endpoint needs Authorization: Bearer <admin token>', 401);
    const given = Buffer.from(match[1]);
    if (given.length !== this.expected.length || !timingSafeEqual(given, this.expected)) {
      throw new DomainError('FORBIDDEN', 'the admin token is not valid', 403);
    }
    return true;
  }
}
