import { BaseConfig } from '@app/platform';

/** orders reads only the shared settings; see .env.example. */
export class OrdersConfig extends BaseConfig {
  override PORT = 3000;
}
