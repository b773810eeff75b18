import { IsBoolean, IsString, MinLength } from 'class-validator';
import { BaseConfig, Setting, ToBool } from '@app/platform';

export class InventoryConfig extends BaseConfig {
  override PORT = 3001;

  @Setting({
    doc: `Bearer token required on stock and product writes (Authorization: Bearer <token>). npm start makes one up and prints
      it when unset; docker compose uses a development-only one.`,
    example: 'dev-only-admin-token-change-me',
    secret: true,
  })
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN: string;

  @Setting({ doc: 'Load demo products and stock into an empty catalogue at start-up.' })
  @ToBool()
  @IsBoolean({ message: 'SEED_DEMO_DATA must be true or false' })
  SEED_DEMO_DATA = true;
}
