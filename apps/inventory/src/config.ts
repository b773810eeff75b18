import { IsBoolean, IsString, MinLength } from 'class-validator';
import { BaseConfig, ToBool } from '@app/platform';

export class InventoryConfig extends BaseConfig {
  override PORT = 3001;

  /** Bearer token for stock and product writes. */
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN: string;

  /** Seed demo products when the catalogue is empty. */
  @ToBool()
  @IsBoolean({ message: 'SEED_DEMO_DATA must be true or false' })
  SEED_DEMO_DATA = true;
}
