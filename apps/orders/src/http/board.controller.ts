import * as fs from 'node:fs';
import * as path from 'node:path';
import { Controller, Get, Header, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { OrderBoard } from '../application/board/order-board.service';

/** board.html sits next to this file in the sources, and under http/ next to the bundle (nest-cli.json's assets). */
function readPage(): string {
  const candidates = [path.join(__dirname, 'board.html'), path.join(__dirname, 'http', 'board.html')];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) throw new Error(`the order board's page is missing (looked for ${candidates.join(', ')}): build again`);
  return fs.readFileSync(found, 'utf8');
}

/** The live order board (BOARD_ENABLED): one static page, and the Server-Sent Events it listens to. */
@Controller('board')
export class BoardController {
  private readonly html = readPage();

  constructor(private readonly board: OrderBoard) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  // its script and style are inline; it loads nothing from elsewhere and talks only to this service
  @Header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:")
  page(): string {
    return this.html;
  }

  @Get('events')
  events(@Res() reply: FastifyReply): void {
    if (!this.board.hasRoom()) {
      throw new ServiceUnavailableException(`the board already has ${this.board.watching} viewers (BOARD_MAX_CLIENTS); try again later`);
    }
    // the stream is written by the board itself for as long as the browser stays
    reply.hijack();
    this.board.watch(reply.raw);
  }
}
