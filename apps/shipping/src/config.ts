import { ArrayMinSize, IsInt, IsISO31661Alpha2, IsString, Max, MaxLength, Min, IsNotEmpty } from 'class-validator';
import { BaseConfig, Setting, ToInt, ToList } from '@app/platform';

export class ShippingConfig extends BaseConfig {
  override PORT = 3002;

  @Setting({ doc: 'Destination countries shipping delivers to, as comma-separated ISO 3166-1 alpha-2 codes; a shipment to any other fails.' })
  @ToList()
  @ArrayMinSize(1, { message: 'SERVED_COUNTRIES must list at least one country code' })
  @IsISO31661Alpha2({ each: true, message: 'SERVED_COUNTRIES must be comma-separated ISO 3166-1 alpha-2 codes such as DE,FR' })
  SERVED_COUNTRIES: string[] = ['DE', 'FR', 'NL', 'BE', 'AT', 'IT', 'ES', 'PL', 'DK', 'SE'];

  @Setting({ doc: 'Name of the carrier put on shipments.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  CARRIER = 'DHL';

  @Setting({ doc: 'Days from scheduling a shipment to its estimated delivery.' })
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(60)
  DELIVERY_DAYS = 3;
}
